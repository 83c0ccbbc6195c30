"""Running the pure stages (read → normalize → segment → extract) in other processes.

Local processes (``--workers N``) or a Dask cluster (``--dask ADDRESS`` or ``--dask local``)
turn sources into Documents; the caller stores them through one writer, in input order,
so a parallel run stores exactly what a single-process run stores, with the same ids.
"""

from __future__ import annotations

import math
import os
import pickle
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

import numpy as np

from policylens.config import Settings
from policylens.errors import IngestError
from policylens.heap import FrozenHeap, collector_paused
from policylens.ingest import Source, import_readers, load
from policylens.model import Document
from policylens.pipeline import process
from policylens.resources import Resources, load_resources

__all__ = ["Known", "Outcome", "WorkerPool", "outcomes", "process_source"]


@dataclass(frozen=True, slots=True)
class Known:
    """A source whose bytes the knowledge base holds already: not processed again."""

    sha256: str


Outcome = Document | IngestError | Known


@dataclass(frozen=True, slots=True, eq=False)
class KnownPrefixes:
    """The stored documents' hashes as sorted 64-bit prefixes, to send with every batch.

    A set of 100,000 hex digests pickles to 6.7 MB and took ~66 ms to send and unpack with
    every batch of 16 documents; its prefixes are 0.8 MB of one array. A prefix match only
    says "probably stored": ``outcomes`` checks each against the full hashes.
    """

    prefixes: np.ndarray  # uint64, sorted

    @classmethod
    def of(cls, hashes: Iterable[str]) -> KnownPrefixes:
        """Return the prefixes of hex sha256 digests."""
        values = np.fromiter((int(h[:16], 16) for h in hashes), dtype=np.uint64)
        return cls(np.sort(values))

    def __contains__(self, sha256: object) -> bool:
        if not isinstance(sha256, str) or not len(self.prefixes):
            return False
        prefix = np.uint64(int(sha256[:16], 16))
        at = int(np.searchsorted(self.prefixes, prefix))
        return at < len(self.prefixes) and self.prefixes[at] == prefix


Stored = frozenset[str] | KnownPrefixes

# One Resources per worker process: OpenCC's converter and the Aho-Corasick automaton are
# C objects that cannot be sent between processes, so each worker loads its own once.
_worker_resources: list[Resources] = []


def _resources() -> Resources:
    if not _worker_resources:
        _worker_resources.append(load_resources())
    return _worker_resources[0]


def process_source(
    source: Source, settings: Settings, ingested_at: datetime, known: Stored
) -> Outcome:
    """Return a source's processed Document, Known if already stored, or the IngestError."""
    try:
        raw = load(source, settings)
        if raw.sha256 in known:
            return Known(raw.sha256)
        return process(raw, _resources(), ingested_at)
    except IngestError as exc:
        return exc
    except Exception as exc:  # a bug must cost one file, not the whole run
        problem = f"internal error ({type(exc).__name__}: {exc}); please report it"
        return IngestError(source.name, problem)


def _process_batch(
    batch: Sequence[Source], settings: Settings, ingested_at: datetime, known: Stored
) -> list[Outcome]:
    return [process_source(source, settings, ingested_at, known) for source in batch]


# What a worker process sends back for a batch: the path of the file holding its pickled
# outcomes or, if that file could not be written, the outcomes themselves.
Sent = str | list[Outcome]


def _process_batch_elsewhere(
    batch: Sequence[Source],
    folder: str | None,
    settings: Settings,
    ingested_at: datetime,
    known: Stored,
) -> Sent:
    """Return a batch's outcomes written to a file in ``folder``, or themselves without one.

    Sent through the result pipe (~300 KB a batch, the pipe holds 64 KB), a worker waited on
    every chunk to be read by the pool's thread in the storing process, which waits for the
    interpreter lock while that process works: the worker idled ~10% of a run. A file is
    written at once, and read by the storing process when it needs the batch.
    """
    found = _process_batch(batch, settings, ingested_at, known)
    if folder is None:
        return found
    try:
        handle, path = tempfile.mkstemp(dir=folder, suffix=".pickle")
        with os.fdopen(handle, "wb") as out:
            pickle.dump(found, out, protocol=pickle.HIGHEST_PROTOCOL)
    except OSError:  # a full or read-only temporary folder: the pipe still works
        return found
    return path


def _received(sent: Sent) -> list[Outcome]:
    """Return the outcomes a worker process sent, taking them from their file if need be."""
    if not isinstance(sent, str):
        return sent
    with open(sent, "rb") as held:
        data = held.read()
    os.unlink(sent)
    # Unpickling makes ~120 small objects a document, none in a cycle: the collections
    # they would set off find nothing and cost ~15% of the unpickling.
    with collector_paused():
        found: list[Outcome] = pickle.loads(data)
    return found


def _results_folder() -> tempfile.TemporaryDirectory[str] | None:
    """Return a new temporary folder for the workers' results, or None if none can be made."""
    try:
        return tempfile.TemporaryDirectory(prefix="policylens-workers-")
    except OSError:
        return None


MAX_BATCH = 16


def batches(sources: Sequence[Source], workers: int) -> list[Sequence[Source]]:
    """Return the sources cut into consecutive batches for ``workers`` processes.

    Each batch is a quarter of a worker's share of what is left (at most MAX_BATCH), so
    batches shrink towards the end and the workers finish together: with equal batches
    one worker could still be busy with a whole batch while the other had nothing left.
    """
    cut: list[Sequence[Source]] = []
    start = 0
    while start < len(sources):
        size = min(MAX_BATCH, math.ceil((len(sources) - start) / (workers * 4)))
        cut.append(sources[start : start + size])
        start += size
    return cut


class WorkerPool:
    """``workers`` processes doing the pure stages: ``workers - 1`` worker processes, started
    once and kept for as many runs as the caller makes, and this one.

    This process, which stores what the others send, is the last worker: while the next
    outcome in order is not ready it processes the next batch itself.
    What it processes is not pickled, piped and rebuilt (~0.3 ms of CPU a document, on
    both sides), and on as many cores as workers no third process competes for them.

    A forked worker's first documents are slower (its pages are copied from this process as
    it touches them, its caches are cold), so a pool kept across runs pays that once.
    """

    def __init__(self, workers: int) -> None:
        self.workers = workers
        # Loaded before the worker processes are forked, the resources are theirs from the
        # start, in pages shared with this process: each loaded its own (30–60 ms of CPU).
        _resources()
        # Forked workers share this process's memory copy-on-write, and a collection in a
        # worker touches every object it inherited, copying the parent's heap page by page (a
        # large parent made two workers slower than one). Frozen objects are out of the
        # collector's reach until the pool is closed.
        self._frozen = FrozenHeap().open()
        children = max(workers - 1, 0)
        self._executor = ProcessPoolExecutor(max_workers=children) if children else None
        # Batches in the worker processes' hands: each one's current batch and two more, so
        # they are not left idle while this process works through a batch of its own.
        self._ahead = 3 * children
        # Each file lives from a batch's end in a worker to its reading here; a run killed
        # in between leaves a few in the system's temporary folder.
        self._folder = _results_folder() if children else None

    def map(
        self,
        sources: list[Source],
        settings: Settings,
        ingested_at: datetime,
        known: Stored,
    ) -> Iterator[Outcome]:
        """Yield each source's outcome, in input order."""
        # The worker processes are forked at the first batch sent: with the parsers imported
        # here first (this process needs them anyway), they do not import their own.
        import_readers(sources)
        given = {"settings": settings, "ingested_at": ingested_at, "known": known}
        run = _Run(
            batches(sources, self.workers),
            partial(_process_batch, **given),
            partial(
                _process_batch_elsewhere,
                folder=self._folder.name if self._folder else None,
                **given,
            ),
            self._executor,
            self._ahead,
        )
        try:
            for index in range(len(run.cut)):
                yield from run.outcomes(index)
        finally:
            for future in run.sent.values():
                future.cancel()

    def close(self) -> None:
        """Stop the worker processes."""
        try:
            if self._executor is not None:
                self._executor.shutdown(cancel_futures=True)
        finally:
            self._frozen.close()
            if self._folder is not None:
                self._folder.cleanup()

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


# Sources this process may have done ahead of the batch awaited: a slow batch at a worker
# must not have it hold the rest of a large run in memory.
MAX_DONE_AHEAD = 4 * MAX_BATCH


@dataclass(slots=True)
class _Run:
    """One run's batches: those before ``front`` were sent to the worker processes (in
    ``sent`` until returned) or done here (in ``done`` until returned)."""

    cut: list[Sequence[Source]]
    work: Callable[[Sequence[Source]], list[Outcome]]
    work_elsewhere: Callable[[Sequence[Source]], Sent]
    executor: ProcessPoolExecutor | None
    ahead: int  # batches sent and not yet returned, at most
    front: int = 0
    sent: dict[int, Future[Sent]] = field(default_factory=dict)
    done: dict[int, list[Outcome]] = field(default_factory=dict)

    def outcomes(self, index: int) -> list[Outcome]:
        """Return batch ``index``'s outcomes, doing the next batches here while it is awaited.

        Every batch before ``index`` was returned already, so ``index`` was sent, was done
        here, or is the next from the front.
        """
        self._feed()
        if index in self.done:
            return self.done.pop(index)
        future = self.sent.get(index)
        if future is None:
            self.front = index + 1
            return self.work(self.cut[index])
        while (
            not future.done() and self.front < len(self.cut) and self._done_ahead() < MAX_DONE_AHEAD
        ):
            self.done[self.front] = self.work(self.cut[self.front])
            self.front += 1
            self._feed()
        del self.sent[index]
        return _received(future.result())

    def _feed(self) -> None:
        """Send batches from the front until the worker processes have ``ahead``."""
        while (
            self.executor is not None and self.front < len(self.cut) and len(self.sent) < self.ahead
        ):
            self.sent[self.front] = self.executor.submit(self.work_elsewhere, self.cut[self.front])
            self.front += 1

    def _done_ahead(self) -> int:
        return sum(map(len, self.done.values()))


def map_local(
    sources: list[Source],
    settings: Settings,
    workers: int,
    ingested_at: datetime,
    known: Stored,
) -> Iterator[Outcome]:
    """Yield each source's outcome, in input order, computed by ``workers`` processes."""
    if workers <= 1:
        for source in sources:
            yield process_source(source, settings, ingested_at, known)
        return
    with WorkerPool(workers) as pool:
        yield from pool.map(sources, settings, ingested_at, known)


def map_dask(
    sources: list[Source],
    settings: Settings,
    address: str,
    ingested_at: datetime,
    known: Stored,
) -> Iterator[Outcome]:
    """Yield each source's outcome, in input order, computed as Dask tasks.

    ``address`` is a scheduler address (tcp://host:8786) or ``local`` for a LocalCluster
    on this machine. Workers read the sources themselves, so paths must be visible to
    them (a shared file system) or be URLs.
    """
    from dask.distributed import Client, LocalCluster

    cluster: Any = None
    if address == "local":
        cluster = LocalCluster(processes=True, dashboard_address=None)
        client = Client(cluster)
    else:
        client = Client(address)
    try:
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        # The set of stored hashes goes to every worker once, not once per task.
        # (In a list: scatter spreads the elements of a bare collection as separate data.)
        known_everywhere = client.scatter([known], broadcast=True)[0]
        futures = client.map(
            _process_batch,
            batches(sources, workers),
            settings=settings,
            ingested_at=ingested_at,
            known=known_everywhere,
            pure=False,
        )
        for future in futures:
            yield from future.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def outcomes(
    sources: Iterable[Source],
    settings: Settings,
    known: frozenset[str] = frozenset(),
    workers: int = 1,
    dask: str | None = None,
    pool: WorkerPool | None = None,
) -> Iterator[Outcome]:
    """Yield the outcome of every source, in order, by the chosen way of running (``pool``:
    processes already started, used instead of ``workers`` new ones)."""
    listed = list(sources)
    now = datetime.now()
    if dask:  # the hashes go to each Dask worker once (scattered), so the full set
        return map_dask(listed, settings, dask, now, known)
    if pool is None and workers <= 1:
        return map_local(listed, settings, workers, now, known)
    prefixes = KnownPrefixes.of(known)
    found = (
        pool.map(listed, settings, now, prefixes)
        if pool is not None
        else map_local(listed, settings, workers, now, prefixes)
    )
    return _verified(found, listed, settings, now, known)


def _verified(
    found: Iterable[Outcome],
    sources: list[Source],
    settings: Settings,
    ingested_at: datetime,
    known: frozenset[str],
) -> Iterator[Outcome]:
    """Yield the outcomes, with any source a worker took for stored only because its hash
    shares a prefix with a stored one processed here after all."""
    for source, outcome in zip(sources, found, strict=True):
        if isinstance(outcome, Known) and outcome.sha256 not in known:
            outcome = process_source(source, settings, ingested_at, known)
        yield outcome

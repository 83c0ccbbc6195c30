"""Parallel and distributed ingest store exactly what a single-process run stores."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import CORPUS, GOLD
from policylens import api

SAMPLE = [str(CORPUS), str(GOLD / "unseen" / "docs")]
SYNTHETIC_DOCUMENTS = 60


def snapshot(db):
    """Return everything an ingest decides: documents, items and facts, in storage order."""
    docs = [(d.id, d.sha256, d.items, d.chars) for d in api.documents(db)]
    items = [(i.document_id, i.index, i.kind, i.title, i.span, i.raw_span) for i in api.items(db)]
    facts = [
        (f.document_id, f.kind, f.label, f.quote, f.span, f.raw_span, f.values)
        for f in api.facts(db)
    ]
    return docs, items, facts


@pytest.fixture(scope="module", params=["sample", "synthetic"])
def inputs(request, tmp_path_factory, res):
    """The sample corpus with the unseen gold documents, or a synthetic corpus made from the
    sample (HTML and PDF wrappers, traditional and garbled text, exact and near duplicates)."""
    if request.param == "sample":
        return SAMPLE
    from policylens.bench.corpus import generate

    folder = tmp_path_factory.mktemp("synthetic")
    for document in generate(CORPUS, SYNTHETIC_DOCUMENTS, res, seed=5):
        (folder / document.name).write_bytes(document.data)
    return [str(folder)]


@pytest.fixture(scope="module")
def single(inputs, tmp_path_factory):
    db = f"sqlite:///{tmp_path_factory.mktemp('single') / 'kb.db'}"
    report = api.ingest(inputs, db=db)
    assert report.ok
    return snapshot(db)


def test_parallel_local_workers_store_the_same(inputs, single, tmp_path):
    db = f"sqlite:///{tmp_path / 'kb.db'}"
    report = api.ingest(inputs, db=db, workers=2)
    assert report.ok and report.count("stored") == len(single[0])
    assert snapshot(db) == single


def test_parallel_dask_local_cluster_stores_the_same(inputs, single, tmp_path):
    pytest.importorskip("dask.distributed")
    db = f"sqlite:///{tmp_path / 'kb.db'}"
    report = api.ingest(inputs, db=db, dask="local")
    assert report.ok
    assert snapshot(db) == single


def test_parallel_reingest_skips_known_bytes_without_processing(inputs, single, tmp_path):
    db = f"sqlite:///{tmp_path / 'kb.db'}"
    api.ingest(inputs, db=db, workers=2)
    again = api.ingest(inputs, db=db, workers=2)
    # Every source is a duplicate now (the synthetic corpus has exact copies among its own).
    assert again.count("stored") == 0 and again.count("duplicate") == len(again.results)
    assert len(again.results) >= len(single[0])
    assert snapshot(db) == single


def test_parallel_workers_report_a_bad_file_and_store_the_good_ones(tmp_path):
    # A worker process sends its IngestErrors back pickled; one that could not be rebuilt
    # broke the whole run (a traceback, nothing stored) where one worker stored the rest.
    folder = tmp_path / "mixed"
    folder.mkdir()
    # Named to come first, so the worker process is sent some of them.
    (folder / "0-empty.txt").write_bytes(b"")
    for n in range(3):
        (folder / f"0-broken-{n}.docx").write_bytes(b"PK\x03\x04 not a zip %d" % n)
    for path in sorted(CORPUS.iterdir())[:3]:
        (folder / path.name).write_bytes(path.read_bytes())
    reports = [
        api.ingest([str(folder)], db=f"sqlite:///{tmp_path / f'kb{workers}.db'}", workers=workers)
        for workers in (1, 2)
    ]
    for report in reports:
        assert report.count("stored") == 3 and report.count("error") == 4
    one, two = ([(r.source, r.status, r.problem) for r in rep.results] for rep in reports)
    assert one == two
    assert any(r.source.endswith("empty.txt") and r.problem for r in reports[1].results)


def test_an_ingest_error_survives_the_trip_between_processes():
    import pickle

    from policylens.errors import IngestError

    error = IngestError("a.docx", "not a readable DOCX")
    back = pickle.loads(pickle.dumps(error))
    assert (type(back), back.source, back.problem, str(back)) == (
        IngestError,
        "a.docx",
        "not a readable DOCX",
        "a.docx: not a readable DOCX",
    )


def _sources():
    from policylens.ingest import Source

    paths = sorted(CORPUS.iterdir()) + sorted((GOLD / "unseen" / "docs").iterdir())
    return [Source(str(p)) for p in paths if p.is_file()]


def test_processed_documents_survive_the_trip_between_processes():
    """Workers send Documents back pickled: every item, fact, span and quote comes back equal."""
    import pickle

    from policylens.config import load_settings
    from policylens.model import Document
    from policylens.parallel import outcomes

    documents = list(outcomes(_sources(), load_settings(env={})))
    assert all(isinstance(d, Document) for d in documents)
    assert sum(len(d.facts) for d in documents) > 100
    back = pickle.loads(pickle.dumps(documents, protocol=pickle.HIGHEST_PROTOCOL))
    assert back == documents
    assert [type(f) for d in back for f in d.facts] == [type(f) for d in documents for f in d.facts]


def test_a_worker_pool_kept_across_runs_gives_each_run_the_same_outcomes():
    from policylens.config import load_settings
    from policylens.parallel import WorkerPool, outcomes

    settings = load_settings(env={})
    sources = _sources()
    single = [d.facts for d in outcomes(sources, settings)]
    with WorkerPool(2) as pool:
        runs = [[d.facts for d in outcomes(sources, settings, pool=pool)] for _ in range(2)]
    assert runs == [single, single]


def test_worker_processes_send_their_batches_through_files_they_leave_nothing_behind(
    tmp_path, monkeypatch
):
    import tempfile

    from policylens.config import load_settings
    from policylens.parallel import WorkerPool, outcomes

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    settings = load_settings(env={})
    sources = _sources()
    single = [d.facts for d in outcomes(sources, settings)]
    with WorkerPool(2) as pool:
        (folder,) = tmp_path.iterdir()
        assert folder.name.startswith("policylens-workers-")
        assert [d.facts for d in outcomes(sources, settings, pool=pool)] == single
        assert list(folder.iterdir()) == []  # each file is gone once its batch is read
    assert list(tmp_path.iterdir()) == []


def test_without_a_temporary_folder_worker_processes_send_their_batches_through_the_pipe(
    tmp_path, monkeypatch
):
    import tempfile

    from policylens.config import load_settings
    from policylens.parallel import WorkerPool, outcomes

    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("")
    monkeypatch.setattr(tempfile, "tempdir", str(not_a_folder / "tmp"))
    settings = load_settings(env={})
    sources = _sources()
    single = [d.facts for d in outcomes(sources, settings)]
    with WorkerPool(2) as pool:
        assert [d.facts for d in outcomes(sources, settings, pool=pool)] == single


def test_a_worker_that_cannot_write_its_file_sends_the_outcomes_themselves(tmp_path):
    from datetime import datetime

    from policylens.config import load_settings
    from policylens.model import Document
    from policylens.parallel import _process_batch_elsewhere, _received

    gone = str(tmp_path / "removed")
    sent = _process_batch_elsewhere(
        _sources()[:2], gone, load_settings(env={}), datetime.now(), frozenset()
    )
    assert isinstance(sent, list) and all(isinstance(d, Document) for d in sent)
    assert _received(sent) is sent


HEX_DIGESTS = st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)


@given(stored=st.sets(HEX_DIGESTS, max_size=40), other=HEX_DIGESTS)
def test_known_prefixes_hold_every_stored_hash_and_only_their_prefixes(stored, other):
    from policylens.parallel import KnownPrefixes

    prefixes = KnownPrefixes.of(stored)
    assert all(digest in prefixes for digest in stored)
    assert (other in prefixes) == any(digest[:16] == other[:16] for digest in stored)


@given(count=st.integers(min_value=0, max_value=500), workers=st.integers(min_value=1, max_value=8))
def test_batches_keep_every_source_in_order_and_shrink_towards_the_end(count, workers):
    from policylens.parallel import MAX_BATCH, batches

    cut = batches(list(range(count)), workers)
    assert [n for batch in cut for n in batch] == list(range(count))
    sizes = [len(batch) for batch in cut]
    assert all(1 <= size <= MAX_BATCH for size in sizes)
    assert sizes == sorted(sizes, reverse=True)


def test_a_source_whose_hash_only_shares_a_stored_prefix_is_processed():
    # Workers get the stored hashes as 64-bit prefixes; a prefix match is checked against
    # the full hashes, so a new document is never taken for a stored one.
    import hashlib

    from policylens.config import load_settings
    from policylens.model import Document
    from policylens.parallel import Known, outcomes

    sources = _sources()[:3]
    digests = [hashlib.sha256(Path(s.name).read_bytes()).hexdigest() for s in sources]
    impostor = digests[0][:16] + ("0" if digests[0][16] != "0" else "1") + digests[0][17:]
    found = list(
        outcomes(sources, load_settings(env={}), frozenset({impostor, digests[1]}), workers=2)
    )
    assert isinstance(found[0], Document) and found[0].raw.sha256 == digests[0]
    assert found[1] == Known(digests[1])
    assert isinstance(found[2], Document)


def test_an_ingest_keeps_long_lived_objects_from_the_collector_and_gives_them_back(tmp_path):
    import gc

    from policylens.heap import FrozenHeap

    frozen_during: list[int] = []

    def on_result(_: api.SourceResult) -> None:
        frozen_during.append(gc.get_freeze_count())

    assert gc.get_freeze_count() == 0
    report = api.ingest([str(CORPUS)], db=f"sqlite:///{tmp_path / 'kb.db'}", on_result=on_result)
    assert report.ok and frozen_during and min(frozen_during) > 0
    assert gc.get_freeze_count() == 0  # given back: the caller's heap is as it was
    with FrozenHeap():  # a caller's own freeze is the caller's to undo
        before = gc.get_freeze_count()
        api.ingest([str(CORPUS)], db=f"sqlite:///{tmp_path / 'kb.db'}")
        assert gc.get_freeze_count() >= before > 0
    assert gc.get_freeze_count() == 0


def test_an_ingest_off_the_main_thread_leaves_the_collector_alone(tmp_path):
    import gc
    import threading

    frozen_during: list[int] = []
    failures: list[BaseException] = []

    def run() -> None:
        try:
            api.ingest(
                [str(CORPUS)],
                db=f"sqlite:///{tmp_path / 'kb.db'}",
                on_result=lambda _: frozen_during.append(gc.get_freeze_count()),
            )
        except BaseException as exc:  # reported to the test thread below
            failures.append(exc)

    # A web server ingests uploads on worker threads, maybe several at once: the process's
    # frozen set is not theirs to change.
    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert not failures and frozen_during and set(frozen_during) == {0}


def test_the_collector_is_paused_on_the_main_thread_only_and_as_it_was_after():
    import gc
    import threading

    from policylens.heap import collector_paused

    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:  # a caller's own pause is the caller's to undo
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
    seen: list[bool] = []

    def off_the_main_thread() -> None:
        with collector_paused():
            seen.append(gc.isenabled())

    thread = threading.Thread(target=off_the_main_thread)
    thread.start()
    thread.join()
    assert seen == [True]


# Run in a fresh interpreter, where no parser was imported by earlier tests. Forked workers
# run the patched ``_process_batch`` too: each notes, as it starts a batch, what it holds.
_WORKER_START_PROBE = """
import os, sys
from pathlib import Path
import policylens.parallel as parallel
from policylens.config import load_settings
from policylens.ingest import Source

notes = Path(sys.argv[1])
first = parallel._process_batch

def noting(batch, *args, **kwargs):
    held = [m for m in ("trafilatura", "pypdf", "docx") if m in sys.modules]
    with notes.open("a") as out:
        out.write(f"{os.getpid()} {bool(parallel._worker_resources)} {','.join(held)}\\n")
    return first(batch, *args, **kwargs)

parallel._process_batch = noting
sources = [Source(p) for p in sys.argv[2:]]
with parallel.WorkerPool(2) as pool:
    found = list(parallel.outcomes(sources, load_settings(env={}), pool=pool))
assert all(hasattr(d, "facts") for d in found), found
print(os.getpid())
"""


def test_worker_processes_start_with_the_resources_and_the_parsers_of_the_run(tmp_path):
    """Forked before the parent loaded them, each worker loaded the resources and imported
    trafilatura, pypdf and python-docx itself on its first documents: ~0.15 s of CPU and
    ~16 MB of memory more per worker for the synthetic corpus."""
    import subprocess
    import sys

    notes = tmp_path / "notes.txt"
    docs = GOLD / "unseen" / "docs"
    paths = [docs / name for name in ("article.html", "henan_plan.pdf", "notice.docx")]
    paths += sorted(CORPUS.iterdir())
    run = subprocess.run(
        [sys.executable, "-c", _WORKER_START_PROBE, str(notes), *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    parent = run.stdout.split()[-1]
    in_workers = [line.split(" ") for line in notes.read_text().splitlines()]
    in_workers = [fields for fields in in_workers if fields[0] != parent]
    assert in_workers, "no batch went to the worker process"
    for _pid, resources, held in in_workers:
        assert resources == "True"
        assert held.split(",") == ["trafilatura", "pypdf", "docx"]

"""The Python API: the functions the CLI, and later the web app, call.

>>> from policylens import api
>>> report = api.ingest(["examples/corpus"], db="policylens.db")
>>> [item.title for item in api.items(db="policylens.db", kind="digest_entry")][:3]
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from policylens.config import Settings, load_settings
from policylens.errors import IngestError, StoreError
from policylens.extract import extract_document
from policylens.ingest import expand_inputs
from policylens.parallel import Known, Outcome, outcomes
from policylens.resources import load_resources
from policylens.store import DocumentDetail, DocumentSummary, ItemRecord, SaveResult, Store
from policylens.store.facts import FactRecord


@dataclass(frozen=True, slots=True)
class SourceResult:
    """What happened to one input: stored, skipped as a duplicate, or failed."""

    source: str
    status: str  # stored | duplicate | error
    document_id: int | None = None
    items: int = 0
    facts: int = 0
    problem: str | None = None


@dataclass(slots=True)
class IngestReport:
    """Per-source results of one ingest run, with totals."""

    results: list[SourceResult] = field(default_factory=list)

    def count(self, status: str) -> int:
        """Return how many sources ended with this status."""
        return sum(1 for r in self.results if r.status == status)

    @property
    def items(self) -> int:
        """Return how many items the stored documents added."""
        return sum(r.items for r in self.results)

    @property
    def facts(self) -> int:
        """Return how many facts the stored documents added."""
        return sum(r.facts for r in self.results)

    @property
    def ok(self) -> bool:
        """Return whether every source was stored or already there."""
        return self.count("error") == 0


@contextmanager
def open_store(db: str | None = None, settings: Settings | None = None) -> Iterator[Store]:
    """Yield the store at ``db`` (a URL or SQLite path), else the configured one."""
    settings = settings or load_settings(db_url=db)
    store = Store(settings.db_url)
    try:
        yield store
    finally:
        store.close()


def store_outcome(source: str, outcome: Outcome, store: Store) -> SourceResult:
    """Store one processed source; failures come back as an error result."""
    if isinstance(outcome, IngestError):
        return SourceResult(source, "error", problem=outcome.problem)
    if isinstance(outcome, Known):
        return SourceResult(source, "duplicate", store.find_by_hash(outcome.sha256))
    try:
        saved: SaveResult = store.save(outcome)
    except StoreError as exc:
        return SourceResult(source, "error", problem=f"not stored: {exc}")
    status = "stored" if saved.created else "duplicate"
    facts = len(outcome.facts) if saved.created else 0
    return SourceResult(source, status, saved.document_id, saved.items, facts)


def ingest(
    inputs: list[str],
    db: str | None = None,
    settings: Settings | None = None,
    on_result: Callable[[SourceResult], None] | None = None,
    on_sources: Callable[[int], None] | None = None,
    workers: int = 1,
    dask: str | None = None,
) -> IngestReport:
    """Ingest files, folders and URLs into the knowledge base; return what happened to each.

    ``workers`` processes (or a Dask cluster at ``dask``) read and process the sources;
    this process stores them, in input order, one transaction per document.
    """
    settings = settings or load_settings(db_url=db)
    report = IngestReport()
    expanded = list(expand_inputs(inputs, settings))
    if on_sources is not None:
        on_sources(len(expanded))
    sources = [entry for entry in expanded if not isinstance(entry, IngestError)]
    with open_store(settings=settings) as store:
        results = iter(outcomes(sources, settings, store.known_hashes(), workers, dask))
        for entry in expanded:
            if isinstance(entry, IngestError):
                result = SourceResult(entry.source, "error", problem=entry.problem)
            else:
                result = store_outcome(entry.name, next(results), store)
            report.results.append(result)
            if on_result is not None:
                on_result(result)
    return report


def documents(db: str | None = None) -> list[DocumentSummary]:
    """Return every stored document."""
    with open_store(db) as store:
        return store.documents()


def document(ref: str, db: str | None = None) -> DocumentDetail:
    """Return one document (by id or a unique part of its source) with its items."""
    with open_store(db) as store:
        return store.document(ref)


def items(
    db: str | None = None,
    document: str | None = None,
    kind: str | None = None,
    section: str | None = None,
    contains: str | None = None,
    limit: int | None = None,
) -> list[ItemRecord]:
    """Return stored items, filtered."""
    with open_store(db) as store:
        return store.items(document, kind, section, contains, limit)


def facts(
    db: str | None = None,
    kind: str | None = None,
    region: str | None = None,
    metric: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    document: str | None = None,
    contains: str | None = None,
) -> list[FactRecord]:
    """Return stored facts, filtered (a region matches the places under it too)."""
    with open_store(db) as store:
        return store.facts(kind, region, metric, date_from, date_to, document, contains)


def reextract(db: str | None = None, on_document: Callable[[str, int], None] | None = None) -> int:
    """Extract facts again from every stored document (after rules or data changed).

    Returns the number of documents; each is rewritten in its own transaction.
    """
    res = load_resources()
    count = 0
    with open_store(db) as store:
        for source, found in store.reextract(lambda document: extract_document(document, res)):
            count += 1
            if on_document is not None:
                on_document(source, found)
    return count

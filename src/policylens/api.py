"""The Python API: the functions the CLI, and later the web app, call.

>>> from policylens import api
>>> report = api.ingest(["examples/corpus"], db="policylens.db")
>>> [item.title for item in api.items(db="policylens.db", kind="digest_entry")][:3]
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from policylens.config import Settings, load_settings
from policylens.errors import IngestError, StoreError
from policylens.extract import extract_document
from policylens.heap import FrozenHeap
from policylens.ingest import expand_inputs
from policylens.model import Document
from policylens.parallel import Known, Outcome, outcomes
from policylens.resources import load_resources
from policylens.store import DocumentDetail, DocumentSummary, ItemRecord, SaveResult, Store
from policylens.store.facts import FactRecord
from policylens.store.failures import database_failures, failure_kind


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
    # A locked, full or read-only database, met anywhere inside, is one clear error.
    with database_failures(settings.db_url, settings.lock_timeout_s):
        store = Store(settings.db_url, settings.lock_timeout_s)
        try:
            yield store
        finally:
            store.close()


@contextmanager
def _store_for(db: str | None, store: Store | None) -> Iterator[Store]:
    """Yield ``store`` if the caller keeps one open (a server), else open the one at ``db``."""
    if store is None:
        with open_store(db) as opened:
            yield opened
        return
    with database_failures(store.url, store.lock_timeout_s):
        yield store


def store_outcome(source: str, outcome: Outcome, store: Store) -> SourceResult:
    """Store one processed source; failures come back as an error result."""
    if isinstance(outcome, IngestError):
        return SourceResult(source, "error", problem=outcome.problem)
    if isinstance(outcome, Known):
        return SourceResult(source, "duplicate", store.find_by_hash(outcome.sha256))
    try:
        saved: SaveResult = store.save(outcome)
    except StoreError as exc:
        if failure_kind(exc) is not None:
            raise  # the database refuses every document now, not just this one: stop
        return SourceResult(source, "error", problem=f"not stored: {exc}")
    return _saved_result(source, outcome, saved)


def _saved_result(source: str, document: Document, saved: SaveResult) -> SourceResult:
    status = "stored" if saved.created else "duplicate"
    facts = len(document.facts) if saved.created else 0
    return SourceResult(source, status, saved.document_id, saved.items, facts)


@dataclass(frozen=True, slots=True)
class CommitLimits:
    """When ingest commits the documents it holds: once it holds this many, or once the
    first of them has waited this long (checked as each next source arrives)."""

    documents: int = 64
    seconds: float = 1.0


def commit_due(documents: int, waited_s: float, limits: CommitLimits) -> bool:
    """Return whether the held documents are to be committed now."""
    return documents >= limits.documents or waited_s >= limits.seconds


def store_batch(batch: list[tuple[str, Outcome]], store: Store) -> list[SourceResult]:
    """Store a batch of processed sources, its new documents in one transaction; return
    what happened to each, in order."""
    documents = [outcome for _, outcome in batch if isinstance(outcome, Document)]
    try:
        saved = iter(store.save_many(documents))
    except StoreError as exc:
        if failure_kind(exc) is not None:
            raise  # the database refuses every document now, not just this one: stop
        # One document the database refuses fails the batch: one at a time, only it fails.
        return [store_outcome(source, outcome, store) for source, outcome in batch]
    known = store.find_by_hashes([o.sha256 for _, o in batch if isinstance(o, Known)])
    results = []
    for source, outcome in batch:
        if isinstance(outcome, Document):
            results.append(_saved_result(source, outcome, next(saved)))
        elif isinstance(outcome, Known):
            results.append(SourceResult(source, "duplicate", known.get(outcome.sha256)))
        else:
            results.append(store_outcome(source, outcome, store))
    return results


def store_outcomes(
    outcomes: Iterable[tuple[str, Outcome]], store: Store, limits: CommitLimits = CommitLimits()
) -> Iterator[SourceResult]:
    """Store processed sources, several whole documents per transaction; yield each result,
    in order, once its batch is committed.

    A commit per document cost more than writing the document's rows; a killed run still
    leaves only whole documents, and a rerun stores the rest.
    """
    held: list[tuple[str, Outcome]] = []
    documents, since = 0, 0.0
    for source, outcome in outcomes:
        if not held:
            since = time.monotonic()
        held.append((source, outcome))
        documents += isinstance(outcome, Document)
        if commit_due(documents, time.monotonic() - since, limits):
            yield from store_batch(held, store)
            held, documents = [], 0
    if held:
        yield from store_batch(held, store)


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
    this process stores them, in input order, several whole documents per transaction
    (see ``CommitLimits``), and reports each source once its transaction is committed.
    """
    settings = settings or load_settings(db_url=db)
    report = IngestReport()
    expanded = list(expand_inputs(inputs, settings))
    if on_sources is not None:
        on_sources(len(expanded))
    sources = [entry for entry in expanded if not isinstance(entry, IngestError)]
    with open_store(settings=settings) as store, FrozenHeap() as heap:
        results = iter(outcomes(sources, settings, store.known_hashes(), workers, dask))
        processed = (
            (entry.source, entry) if isinstance(entry, IngestError) else (entry.name, next(results))
            for entry in expanded
        )
        for result in store_outcomes(processed, store):
            if not report.results:
                heap.freeze()  # the readers' libraries and the resources, loaded on first use
            report.results.append(result)
            if on_result is not None:
                on_result(result)
        if report.count("stored"):
            _link_after_change(store, settings)
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
        _link_after_change(store, load_settings(db_url=db), res, items_changed=False)
    return count


# --- Reports and exchange: compare, timeline, export, import (report/, exchange.py) ---
# Imported here, not at the top, so this section stays one appended block.
from pathlib import Path  # noqa: E402
from typing import IO  # noqa: E402

from policylens import exchange  # noqa: E402
from policylens.errors import ExchangeError  # noqa: E402
from policylens.report.charts import CjkFont, bar_chart  # noqa: E402
from policylens.report.compare import (  # noqa: E402
    CompareQuery,
    Figure,
    compare_figures,
    comparison_title,
    metric_label,
)
from policylens.report.timeline import (  # noqa: E402
    TimelineEntry,
    TimelineQuery,
    build_timeline,
    resolve_topic,
    topic_items,
)


def compare(
    metric: str = "industry_scale",
    db: str | None = None,
    sector: str | None = None,
    year: int | None = None,
    level: str | None = None,
) -> list[Figure]:
    """Return each region's figures for a target metric, largest first, conflicts together."""
    query = CompareQuery(metric, sector, year, level)
    with open_store(db) as store:
        return compare_figures(store.facts(kind="target"), store.facts(kind="policy"), query)


def compare_chart(
    path: Path,
    metric: str = "industry_scale",
    db: str | None = None,
    sector: str | None = None,
    year: int | None = None,
    level: str | None = None,
    fmt: str | None = None,
) -> CjkFont:
    """Draw the comparison as a PNG or SVG bar chart (format from ``fmt`` or the suffix).

    Returns the font used; raises MissingFontError, drawing nothing, without a CJK font.
    """
    figures = compare(metric, db, sector, year, level)
    title = comparison_title(
        CompareQuery(metric, sector, year, level), metric_label(metric, load_resources().metrics)
    )
    return bar_chart(figures, path, title, fmt or path.suffix.lstrip(".").lower())


def timeline(
    db: str | None = None,
    topic: str | None = None,
    region: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
) -> list[TimelineEntry]:
    """Return dated policies and events in order, each with its sources.

    ``topic`` is a taxonomy topic or one of its words (metaverse, 元宇宙); ``region``
    includes the places under it (上海 → 上海市黄浦区).
    """
    wanted = resolve_topic(topic, load_resources().topics) if topic else None
    query = TimelineQuery(wanted, region, date_from, date_to)
    with open_store(db) as store:
        records = store.facts(kind="policy") + store.facts(kind="event")
        tagged = topic_items(store.facts(kind="topic"), wanted) if wanted else None
    return build_timeline(records, query, tagged)


@dataclass(frozen=True, slots=True)
class ExportSummary:
    """What an export wrote: rows per table, and cells cut to fit Excel (XLSX only)."""

    rows: dict[str, int]
    cut_cells: int = 0


def export(output: Path | IO[str], fmt: str = "jsonl", db: str | None = None) -> ExportSummary:
    """Export every table: JSONL to a file or stream, CSV into a folder, XLSX to a file."""
    if fmt not in exchange.EXPORT_FORMATS:
        raise ExchangeError(f"export format must be jsonl, csv or xlsx, not {fmt!r}")
    with open_store(db) as store:
        if fmt == "jsonl" and not isinstance(output, Path):
            return ExportSummary(exchange.export_jsonl(store.engine, output))
        assert isinstance(output, Path), "csv and xlsx are written to a path"
        if fmt == "jsonl":
            with output.open("w", encoding="utf-8") as stream:
                return ExportSummary(exchange.export_jsonl(store.engine, stream))
        if fmt == "csv":
            return ExportSummary(exchange.export_csv(store.engine, output))
        return ExportSummary(*exchange.export_xlsx(store.engine, output))


def import_jsonl(source: Path | IO[str], db: str | None = None) -> dict[str, int]:
    """Load a JSONL export into an empty knowledge base, in one transaction; return row counts."""
    with open_store(db) as store:
        if isinstance(source, Path):
            with source.open(encoding="utf-8") as lines:
                return exchange.import_jsonl(store.engine, lines)
        return exchange.import_jsonl(store.engine, source)


# --- Linking: duplicate stories, policies and user corrections (link/) ---
# Imported here, not at the top, so this section stays one appended block.
from policylens import link as linking  # noqa: E402
from policylens.link import (  # noqa: E402
    DuplicateCluster,
    LinkSummary,
    PolicyDetail,
    PolicySummary,
)
from policylens.resources import Resources  # noqa: E402


def _link_after_change(
    store: Store, settings: Settings, res: Resources | None = None, items_changed: bool = True
) -> LinkSummary:
    """Link what is not linked yet (after ingest or reextract); return the totals."""
    return linking.link_store(store, settings, res, items_changed=items_changed)


def link(db: str | None = None) -> LinkSummary:
    """Find duplicate items and resolve policies again over the whole store; return totals."""
    settings = load_settings(db_url=db)
    with open_store(settings=settings) as store:
        return linking.link_store(store, settings, full=True)


def policies(
    db: str | None = None, region: str | None = None, contains: str | None = None
) -> list[PolicySummary]:
    """Return linked policies, the most widely mentioned first (filter: region, title text)."""
    with open_store(db) as store:
        return linking.policies(store, region, contains)


def policy(policy_id: int, db: str | None = None) -> PolicyDetail:
    """Return one policy with all its mentions, targets and sources."""
    with open_store(db) as store:
        return linking.policy(store, policy_id)


def merge_policies(policy_ids: list[int], db: str | None = None) -> PolicyDetail:
    """Record that these policies are one (kept across reextract); return the merged policy."""
    settings = load_settings(db_url=db)
    with open_store(settings=settings) as store:
        return linking.merge(store, policy_ids, settings)


def split_policy(policy_id: int, fact_ids: list[int], db: str | None = None) -> PolicyDetail:
    """Record that these mentions are not this policy's (kept across reextract); return theirs."""
    settings = load_settings(db_url=db)
    with open_store(settings=settings) as store:
        return linking.split(store, policy_id, fact_ids, settings)


def duplicates(db: str | None = None) -> list[DuplicateCluster]:
    """Return the clusters of near-duplicate items, each member with its own source."""
    with open_store(db) as store:
        return linking.duplicates(store)


# --- Search: ranked, faceted search over items (search/) ---
# Imported here, not at the top, so this section stays one appended block.
from collections.abc import Sequence  # noqa: E402
from dataclasses import replace as _replace  # noqa: E402

from policylens.search.index import reindex as _reindex_search  # noqa: E402
from policylens.search.query import SearchPage, SearchRequest, run_search  # noqa: E402
from policylens.search.tokens import simplified  # noqa: E402

FilterValues = str | Sequence[str] | None


def _values(value: FilterValues) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def search(
    query: str = "",
    db: str | None = None,
    region: FilterValues = None,
    level: FilterValues = None,
    kind: FilterValues = None,
    topic: FilterValues = None,
    fact_type: FilterValues = None,
    date_from: str | None = None,
    date_to: str | None = None,
    document: str | None = None,
    limit: int = 10,
    offset: int = 0,
    store: Store | None = None,
) -> SearchPage:
    """Return ranked items holding every word of ``query``, with facet counts over all matches.

    Filters take one value or several (any of them): ``region`` a place name part or code
    (a province includes its cities), ``kind`` an item or policy kind, ``topic`` a topic or
    one of its words. ``page.unindexed`` > 0 on an empty result means: run ``reindex``.
    ``store``: an open store to search (a server keeps one, with its warm connections and
    page cache); by default the one at ``db`` is opened for this search.
    """
    request = SearchRequest(
        simplified(query),
        _values(region),
        _values(level),
        _values(kind),
        _values(topic),
        _values(fact_type),
        date_from,
        date_to,
        None,
        limit,
        offset,
    )
    with _store_for(db, store) as searched:
        if document is not None:
            request = _replace(request, document_id=searched.resolve(document))
        return run_search(searched.engine, request)


def reindex(db: str | None = None, on_document: Callable[[str, int], None] | None = None) -> int:
    """Rebuild the search index of every stored document; return how many were indexed."""
    count = 0
    with open_store(db) as store:
        for source, items in _reindex_search(store.engine):
            count += 1
            if on_document is not None:
                on_document(source, items)
    return count


# --- Briefs: weekly brief, newsletter and roundup (brief/) ---
# Imported here, not at the top, so this section stays one appended block.
from policylens.brief import FORMATS as BRIEF_FORMATS  # noqa: E402
from policylens.brief import (  # noqa: E402
    Brief,
    BriefError,
    BriefQuery,
    Knowledge,
    build_brief,
    load_brief_rules,
)
from policylens.brief.render_docx import render_docx  # noqa: E402
from policylens.brief.render_html import render_html  # noqa: E402
from policylens.brief.render_md import render_markdown  # noqa: E402


def knowledge(db: str | None = None, res: Resources | None = None) -> Knowledge:
    """Return a snapshot of the knowledge base: documents, items, facts, policies, clusters."""
    res = res or load_resources()
    with open_store(db) as store:
        return Knowledge(
            documents=tuple(store.documents()),
            items=tuple(store.items()),
            facts=tuple(store.facts()),
            policies=tuple(linking.policy(store, p.id) for p in linking.policies(store)),
            clusters=tuple(linking.duplicates(store)),
            topic_names=res.topics,
            metric_names=res.metrics,
        )


def _topic_list(topics: FilterValues) -> tuple[str, ...]:
    """Return topics given as one comma-separated string or a sequence, split and trimmed."""
    return tuple(t.strip() for value in _values(topics) for t in value.split(",") if t.strip())


def brief(
    date_from: str,
    date_to: str,
    style: str = "weekly",
    topics: FilterValues = None,
    region: str | None = None,
    db: str | None = None,
    kb: Knowledge | None = None,
) -> Brief:
    """Return a brief of the period (YYYY-MM-DD, inclusive): weekly, newsletter or roundup.

    ``topics`` are taxonomy topics or their words (metaverse, 区块链), ``region`` a place
    name part (四川 includes 成都). Pass ``kb`` (from ``knowledge()``) to write several
    briefs from one snapshot.
    """
    res = load_resources()
    wanted = tuple(dict.fromkeys(resolve_topic(t, res.topics) for t in _topic_list(topics)))
    query = BriefQuery(date_from, date_to, style, wanted, region or None)
    return build_brief(kb or knowledge(db, res), query, load_brief_rules())


def render_brief(written: Brief, fmt: str = "md", explain: bool = False) -> str | bytes:
    """Return a brief as Markdown or HTML text, or DOCX bytes; ``explain`` adds its evidence."""
    if fmt == "md":
        return render_markdown(written, explain)
    if fmt == "html":
        return render_html(written, explain)
    if fmt == "docx":
        return render_docx(written, explain)
    raise BriefError(f"brief format must be one of {', '.join(BRIEF_FORMATS)}, not {fmt!r}")


def write_brief(written: Brief, path: Path, fmt: str | None = None, explain: bool = False) -> str:
    """Write a brief to ``path`` (format from ``fmt`` or the suffix); return the format used."""
    fmt = fmt or path.suffix.lstrip(".").lower() or "md"
    rendered = render_brief(written, fmt, explain)
    if isinstance(rendered, bytes):
        path.write_bytes(rendered)
    else:
        path.write_text(rendered, encoding="utf-8")
    return fmt

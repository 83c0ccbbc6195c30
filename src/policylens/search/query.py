"""Running a search: exact matches and facet counts (match.py), then a ranked page.

Ranking scores a bounded pool, never every match: all matches when there are at most
``POOL``, else the newest ``POOL`` with a word in the title and the newest ``POOL`` of all.
Its cost does not grow with the knowledge base: the pool is read in one query with what its
results show (document, facet values), and a page's matched facts in one more.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Connection, Engine, Integer, Row, any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY

from policylens.search.facets import DATE, REGION, TOPIC, unpack_facets
from policylens.search.filters import FilterTokens, filter_tokens
from policylens.search.match import (
    COUNT_CAP,
    facet_counts,
    index_bounds,
    indexed_and_term_counts,
    match_query,
    newest_matching,
    oldest_matches,
    title_hit,
)
from policylens.search.model import (
    FacetCount,
    FactSummary,
    SearchHit,
    SearchPage,
    SearchRequest,
    check_request,
)
from policylens.search.rank import Candidate, idf, rank
from policylens.search.snippet import make_snippet
from policylens.search.tokens import QueryTerm, fold_text, query_terms
from policylens.search.topics import load_topic_words, resolve_topics
from policylens.store.schema import DocumentRow, FactRow, ItemRow
from policylens.store.search_tables import SearchItemRow

__all__ = ["FacetCount", "SearchHit", "SearchPage", "SearchRequest", "run_search"]

POOL = 100  # matches scored in full; with more, the newest with title hits and the newest
DF_CAP = 2000  # counting a term's items for its weight stops here
# PostgreSQL: from this many index rows a query's words are counted on a second connection
# while it matches. Below, their count (~1 ms at 10 k items) costs less than the thread and
# the connection's round trips (~1.4 ms); at 100 k items counting apart saves ~2 ms a query,
# at 1 M items 20-60 ms.
COUNT_APART_ROWS = 50_000
FACT_LIST = 5  # matched facts listed per result
LISTED_FACTS = ("policy", "target", "funding", "deal", "event")


def _among(column: Any, name: str, dialect: str) -> Any:
    """Return "column's value is in the list bound as ``name``": on PostgreSQL one array
    parameter, so the statement's text is the same for any number of values (an expanded
    list is a new text to parse and plan for each count); SQLite has no arrays."""
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(Integer)))
    return column.in_(bindparam(name, expanding=True))


CANDIDATE_COLUMNS = (
    ItemRow.id,
    ItemRow.document_id,
    ItemRow.kind,
    ItemRow.title,
    ItemRow.text,
    ItemRow.path,
    DocumentRow.title,
    SearchItemRow.regions,
    SearchItemRow.topic_words,
    # What a result shows besides: read with the pool, so a page needs no query of its own.
    ItemRow.idx,
    ItemRow.section,
    DocumentRow.source,
    SearchItemRow.facet_values,
)


@dataclass(frozen=True, slots=True)
class Display:
    """What a candidate's result shows besides its text: index, section, document, facets."""

    index: int
    section: str | None
    source: str
    document_title: str | None
    facet_values: str  # packed (``facets.pack_facets``)


def _context(kind: str, path: list[str] | None, document_title: str | None) -> str:
    """Return the folded headings an item sits under, with its document's title.

    A digest's title is only its first entry's, so digest entries keep their section only.
    """
    parts = list(path or [])
    if kind != "digest_entry" and document_title:
        parts.append(document_title)
    return fold_text(" ".join(parts))


def _candidates(
    connection: Connection, item_ids: list[int]
) -> tuple[list[Candidate], dict[int, Display]]:
    """Return these items as ranking candidates, in the order given, and where each is shown
    from (one query)."""
    if not item_ids:
        return [], {}
    query = (
        select(*CANDIDATE_COLUMNS)
        .join(DocumentRow, DocumentRow.id == ItemRow.document_id)
        .join(SearchItemRow, SearchItemRow.item_id == ItemRow.id)
        .where(_among(ItemRow.id, "ids", connection.dialect.name))
    )
    rows = {row[0]: row for row in connection.execute(query, {"ids": item_ids}).all()}
    candidates, displays = [], {}
    for i in item_ids:
        if i not in rows:
            continue
        _, document_id, kind, title, body, path, document_title, regions, words, *shown = rows[i]
        candidates.append(
            Candidate(
                i,
                document_id,
                kind,
                title,
                body,
                frozenset(words.split("\n")) if words else frozenset(),
                tuple(regions.split("\n")) if regions else (),
                _context(kind, path, document_title),
            )
        )
        index, section, source, packed = shown
        displays[i] = Display(index, section, source, document_title, packed)
    return candidates, displays


@dataclass(frozen=True, slots=True)
class TitleHits:
    """The matches with a word in the title among the newest matches, read with them
    (PostgreSQL), newest first; ``below``: the row id under which older matches may be
    (None: the newest matches are every match)."""

    ids: list[int]
    below: int | None


def _title_hits(rows: Sequence[Row[Any]], every_match: bool) -> TitleHits:
    """Return the title hits of matches read with their row id and ``title_hit``."""
    return TitleHits(
        [row.item_id for row in rows if row.title_hit], None if every_match else rows[-1].id
    )


def _pool_ids(
    connection: Connection,
    terms: list[QueryTerm],
    filters: FilterTokens,
    newest: list[int],
    size: int,
    bounds: tuple[int, int] | None,
    title_hits: TitleHits | None = None,
) -> list[int]:
    """Return the ids of the matches to rank (at most 2 × ``size``), given the newest matches.

    All of them when at most ``size`` match; else the newest with a term in the title and
    the newest of all. The title hits read with the newest matches (``title_hits``) are the
    newest title hits: only when they are too few are older ones searched, below them.
    """
    if len(newest) <= size:
        return newest
    if bounds is None:  # nothing indexed
        return []
    # None read with the matches (SQLite): every title hit is still to be searched for.
    hits = title_hits or TitleHits([], bounds[1] + 1)
    titled_ids = hits.ids[:size]
    if len(titled_ids) < size and hits.below is not None:
        older = (bounds[0], hits.below - 1)
        wanted = size - len(titled_ids)
        titled = newest_matching(connection, terms, filters, wanted, title=True, bounds=older)
        titled_ids += [row[0] for row in titled]
    return list(dict.fromkeys([*titled_ids, *newest[:size]]))


def term_weights(
    connection: Connection, terms: list[QueryTerm], top: int | None = None
) -> list[float]:
    """Return each term's idf weight (all 1.0 for a single term: no need to count), given
    the index's largest row id if known."""
    if len(terms) < 2:
        return [1.0] * len(terms)
    indexed, counts = indexed_and_term_counts(connection, terms, DF_CAP, top)
    return [idf(max(indexed, 1), count) for count in counts]


@dataclass
class WordCount:
    """The count of a query's words, for their weights, on PostgreSQL taken in a thread on a
    second connection while the query matches on the first.

    At 1 M items a count of common words (~20-60 ms) is as long as the match, and the server
    runs both at once. The thread counts only if it gets its connection before the search
    needs the weights; else the search counts them on its own connection. A busy server's
    pool may have no connection free, and every search holding one while waiting for a
    second would wait on the others.
    """

    engine: Engine
    connection: Connection
    terms: list[QueryTerm]
    top: int
    counter: str = field(default="", init=False)  # who counts: "" undecided, "apart", "here"
    _decided: threading.Lock = field(default_factory=threading.Lock, init=False)
    _apart: Future[list[float] | None] | None = field(default=None, init=False)

    def start(self, stack: ExitStack) -> WordCount:
        """Start counting apart: on PostgreSQL, for a query of several words, in an index of
        ``COUNT_APART_ROWS`` or more (else the count is taken when the weights are asked)."""
        if len(self.terms) < 2 or self.engine.dialect.name != "postgresql":
            return self
        if self.top < COUNT_APART_ROWS:
            return self
        background = ThreadPoolExecutor(max_workers=1)
        # Not waited for: a thread still waiting for a connection the search did without
        # gives it back unused.
        stack.callback(background.shutdown, wait=False)
        self._apart = background.submit(self._count_apart)
        return self

    def weights(self) -> list[float]:
        """Return the words' weights: the thread's if it is counting, else counted here."""
        if self._apart is None or self._decide("here"):
            return term_weights(self.connection, self.terms, self.top)
        weights = self._apart.result()
        assert weights is not None  # the thread counts once it has decided to
        return weights

    def drop(self) -> None:
        """Leave the words uncounted (the query matched nothing), unless the thread already
        counts them."""
        self._decide("here")

    def _count_apart(self) -> list[float] | None:
        with self.engine.connect() as connection:
            if not self._decide("apart"):
                return None
            return term_weights(connection, self.terms, self.top)

    def _decide(self, counter: str) -> bool:
        """Return whether ``counter`` counts the words: the first to ask does."""
        with self._decided:
            self.counter = self.counter or counter
            return self.counter == counter


def _most_specific(regions: list[str]) -> list[str]:
    return sorted(r for r in regions if not any(o != r and o.startswith(r) for o in regions))


def _fact_summaries(facts: list[Any], terms: list[QueryTerm]) -> list[FactSummary]:
    """Return the listed facts whose label or quote names a term (all of them without terms)."""
    out = []
    for kind, label, quote, region, date in facts:
        words = f"{label}\n{quote}".lower()
        if kind in LISTED_FACTS and (not terms or any(t.text in words for t in terms)):
            out.append(FactSummary(kind, label, region, date))
    return out[:FACT_LIST]


def _shown_values(packed: str) -> dict[str, list[str]]:
    """Return the region, date and topic values of an item's packed facet values."""
    out: dict[str, list[str]] = {REGION: [], DATE: [], TOPIC: []}
    for value in unpack_facets(packed):
        if value.facet in out:
            out[value.facet].append(value.value)
    return out


def _page_facts(connection: Connection, ids: list[int], documents: list[int]) -> dict[int, Any]:
    """Return the facts of the page's items, in text order."""
    facts: dict[int, list[Any]] = {}
    query = (
        select(FactRow.item_id, FactRow.kind, FactRow.label, FactRow.quote, FactRow.region)
        .add_columns(FactRow.date)
        # facts.item_id has no index; facts.document_id has one.
        .where(_among(FactRow.document_id, "documents", connection.dialect.name))
        .where(_among(FactRow.item_id, "ids", connection.dialect.name))
        .order_by(FactRow.start, FactRow.id)
    )
    for item_id, *fact in connection.execute(query, {"ids": ids, "documents": documents}):
        facts.setdefault(item_id, []).append(fact)
    return facts


def _hits(
    connection: Connection,
    scored: list[tuple[float, Candidate]],
    displays: dict[int, Display],
    terms: list[QueryTerm],
) -> list[SearchHit]:
    """Return the page's results with documents, snippets, facets and matched facts."""
    facts = _page_facts(
        connection, [c.item_id for _, c in scored], sorted({c.document_id for _, c in scored})
    )
    hits = []
    for score, c in scored:
        display = displays[c.item_id]
        shown = _shown_values(display.facet_values)
        snippet = make_snippet(c.text, terms)
        own = facts.get(c.item_id, [])
        counts: dict[str, int] = {}
        for fact in own:
            counts[fact[0]] = counts.get(fact[0], 0) + 1
        hits.append(
            SearchHit(
                document_id=c.document_id,
                document=display.source,
                document_title=display.document_title,
                item_id=c.item_id,
                index=display.index,
                title=c.title,
                kind=c.kind,
                section=display.section,
                snippet=snippet.text,
                highlights=list(snippet.highlights),
                snippet_html=snippet.html(),
                score=round(score, 4),
                regions=_most_specific(shown[REGION]),
                dates=sorted(shown[DATE]),
                topics=sorted(shown[TOPIC]),
                fact_counts=counts,
                facts=_fact_summaries(own, terms),
            )
        )
    return hits


def run_search(engine: Engine, request: SearchRequest) -> SearchPage:
    """Return the page of results the request asks for, with the total and facet counts."""
    terms = query_terms(request.query)
    check_request(request, terms)
    if request.topic:
        request = replace(request, topic=resolve_topics(request.topic, load_topic_words()))
    with ExitStack() as stack:
        connection = stack.enter_context(engine.connect())
        filters = filter_tokens(connection, request)
        bounds = index_bounds(connection)  # read once: every match query below starts there
        top = bounds[1] if bounds else 0
        count = WordCount(engine, connection, terms, top).start(stack)
        # One pass over the index: the newest COUNT_CAP + 1 matches, with their packed facet
        # values, give the total, the facet counts and the pool to rank.
        read_with: tuple[Any, ...] = (SearchItemRow.facet_values,)
        # PostgreSQL: whether each has a word in its title too, so the title pool below is
        # mostly among these (its own search: ~5-8 ms at 100 k items; this test, ~0.3 ms).
        titled = title_hit(engine.dialect.name, terms)
        if titled is not None:
            read_with = (*read_with, SearchItemRow.id, titled.label("title_hit"))
        if terms:
            rows = newest_matching(
                connection, terms, filters, COUNT_CAP + 1, columns=read_with, bounds=bounds
            )
        else:  # filters alone list in document order
            matches = match_query(engine.dialect.name, terms, filters).add_columns(*read_with)
            rows = oldest_matches(connection, matches, COUNT_CAP + 1, bounds=bounds)
        exact = len(rows) <= COUNT_CAP
        title_hits = _title_hits(rows, exact) if titled is not None and rows else None
        rows = rows[:COUNT_CAP]
        ids = [row[0] for row in rows]
        page = SearchPage(
            request.query,
            [t.text for t in terms],
            len(ids),
            request.offset,
            request.limit,
            facets=facet_counts(row[1] for row in rows),
            exact=exact,
        )
        if not ids or request.offset >= len(ids):
            count.drop()  # no page to rank: the words need no count
            # Nothing matched: are items missing from the index?
            return page if ids else replace(page, unindexed=_unindexed(connection))
        if not terms:  # filters only: document order
            window = ids[request.offset : request.offset + request.limit]
            candidates, displays = _candidates(connection, window)
            scored = [(0.0, c) for c in candidates]
        else:
            size = max(POOL, request.offset + request.limit)
            pool_ids = _pool_ids(connection, terms, filters, ids, size, bounds, title_hits)
            pool, displays = _candidates(connection, pool_ids)
            ranked = rank(pool, terms, count.weights())
            scored = ranked[request.offset : request.offset + request.limit]
        return replace(page, results=_hits(connection, scored, displays, terms))


def _unindexed(connection: Connection) -> int:
    """Return how many stored items the search index lacks (``policylens reindex`` adds them)."""
    items = connection.scalar(select(func.count()).select_from(ItemRow)) or 0
    indexed = connection.scalar(select(func.count()).select_from(SearchItemRow)) or 0
    return int(items) - int(indexed)

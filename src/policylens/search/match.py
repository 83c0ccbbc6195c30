"""The SQL of a search: which items match, how many, and facet counts.

1. The index proves matches: a CJK word is the phrase of its bigrams, a lone character a
   prefix, a Latin word itself; on SQLite as an FTS5 query, on PostgreSQL as a tsquery
   against a GIN-indexed tsvector with positions. A word the tokens cannot prove (a mix of
   scripts; on PostgreSQL, a phrase in an item too long for tsvector positions) is confirmed
   as a substring of the item's title or text, so the match set is exactly the items holding
   every word.
2. Facet filters are index tokens of their items, intersected with the words (filters.py).
3. Every query here is newest-first with a LIMIT, so its cost is bounded by that limit and
   not by how many items match: matches are counted, and their facets read, up to
   ``COUNT_CAP``; beyond, the total reads "1000+" and the facets describe the newest 1,000.
   Facets are counted in Python from each match's packed values, read with the match.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    Row,
    Select,
    and_,
    any_,
    cast,
    column,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSQUERY

from policylens.search.facets import PACK_FIELD, SHOWN_FACETS, count_packed
from policylens.search.filters import FilterTokens
from policylens.search.index import FACET_MARK, TITLE_MARK
from policylens.search.model import FacetCount
from policylens.search.tokens import LONG_ITEM, QueryTerm
from policylens.store.schema import ItemRow
from policylens.store.search_tables import FTS_TABLE, SearchItemRow

COUNT_CAP = 1_000  # matches counted, and whose facets are read (the newest)
PROBE_ROWS = 300  # PostgreSQL: the newest rows checked one by one: how dense are matches?
# PostgreSQL costs, in rows checked in id order (~2.9 µs a row at 100 k items: each row's
# tsvector, ~4 KB that neither pglz nor lz4 compresses, read from TOAST storage). Measured
# with ``policylens bench``'s knowledge base of 100 k items:
# - the GIN index's lists of a query's tokens, read whole whatever window of ids is asked
#   for: ~0.065 µs a hit over all rows (the lists of 发展, 72 k hits: 4.3 ms);
INDEX_LIST_COST = 0.022
# - a hit inside the window of ids, its heap row read (not its tsvector): ~0.4 µs;
WINDOW_HIT_COST = 0.15
# - an index candidate checked by primary key (a phrase: its tsvector read out of order):
#   ~6.5 µs a candidate.
RECHECK_COST = 2.2
# Fitted on the benchmark's knowledge base of 1 M items, for a word counted to the cap by the
# index (its tokens ANDed, without positions):
# - each counted row's heap page, read in the table's order: ~3.5 µs a row (2,000 rows of
#   城市 on ~1,000 pages, ~7 ms besides its list);
COUNTED_ROW_COST = 1.3
# - for a word of several tokens, the longer lists of its commoner ones intersected besides
#   (数字 in 数字孪生 or 数字人: ~675 k hits): ~5 µs more a counted row.
ANDED_TOKENS_COST = 2.0
COARSE_SLACK = 1.25  # candidates taken per match wanted (nearly every hit is a phrase match)
COARSE_MIN_TAKE = 64  # candidates taken at least (a round trip costs more than 64 checks)
WINDOW_SLACK = 3.0  # ids searched per match expected at the probe's density
# PostgreSQL planner settings: rows checked by primary key (newest first), or found by GIN.
# JIT is off for both: a scan's estimate is large enough for compiling, which costs more.
SCAN = {"jit": "off", "enable_bitmapscan": "off", "enable_seqscan": "off"}
INDEXED = {"jit": "off", "enable_indexscan": "off", "enable_seqscan": "off", "work_mem": "32MB"}

TERM_COUNTS = "policylens.term_counts"  # connection.info key: (largest row id, counts)
TERM_COUNTS_KEPT = 10_000  # counts kept per connection at most (then counted afresh)
_SETTING_NAME = re.compile(r"[a-z_]+")
_SETTING_VALUE = re.compile(r"[A-Za-z0-9]+")

_FTS = table(FTS_TABLE, column("rowid", Integer))


# -- index expressions -----------------------------------------------------------------------


def _fts_term(term: QueryTerm, mark: str = "") -> str:
    if term.phrase:
        return '"' + " ".join(mark + t.text for t in term.tokens) + '"'
    parts = [f'"{mark}{t.text}"' + ("*" if t.prefix else "") for t in term.tokens]
    return parts[0] if len(parts) == 1 else "(" + " AND ".join(parts) + ")"


def fts_expression(terms: list[QueryTerm], title: bool = False) -> str:
    """Return the FTS5 MATCH text of all terms; ``title``: one of them must be in the title
    (as the marked title tokens of column ``facets``)."""
    if not title:
        return " AND ".join(_fts_term(term) for term in terms)
    in_title = "facets : (" + " OR ".join(_fts_term(t, TITLE_MARK) for t in terms) + ")"
    if len(terms) == 1:
        # A title holding the word's tokens is an item holding them (the title column has
        # the marked tokens' words), so the word is not asked of every column as well: its
        # lists there are the longest, read whole when few titles hold it (a title search of
        # 工业元宇宙 in two provinces at 1 M items read 85 MB from disk, 29.5 MB so).
        return in_title
    return " AND ".join(_fts_term(term) for term in terms) + " AND " + in_title


def _ts_term(term: QueryTerm, positions: bool) -> str:
    parts = [
        "'" + t.text.replace("\\", "\\\\").replace("'", "''") + "'" + (":*" if t.prefix else "")
        for t in term.tokens
    ]
    return "(" + (" <-> " if term.phrase and positions else " & ").join(parts) + ")"


def tsquery_expression(
    terms: list[QueryTerm], any_term: bool = False, positions: bool = False
) -> str:
    """Return the PostgreSQL tsquery text: terms ANDed (or ORed), a CJK word as a phrase
    of its bigrams when ``positions``, else its tokens ANDed."""
    return (" | " if any_term else " & ").join(_ts_term(term, positions) for term in terms)


def _tsquery(text_: str) -> Any:
    return cast(literal(text_), TSQUERY)


def _unread_tsquery(text_: str) -> Any:
    """Return a tsquery the planner cannot read when it plans (a subquery's value), so a
    match is priced at PostgreSQL's default share of the rows.

    Read, a phrase's bigrams are priced as if independent: four of them ANDed were taken
    for one row of 1 M items where 31,678 hold them, so a window of ids was not ANDed with
    the hits, and every hit's heap page was read (78 ms; ANDed, 22 ms).
    """
    return select(cast(literal(text_), TSQUERY)).scalar_subquery()


def _pg_token_clause(dialect: str, terms: list[QueryTerm], facets: str) -> ColumnElement[bool]:
    """Return the PostgreSQL test of a row's tokens: phrases by position, except in the few
    items too long for tsvector positions, where a phrase's bigrams are ANDed and the word is
    then checked as a substring. One tsquery with the filters' lexemes (``facets``), so the
    GIN index answers words and filters in one pass, led by the rarest."""
    phrases = [term for term in terms if term.phrase and len(term.tokens) > 1]
    with_facets = f" & ({facets})" if facets else ""
    if not phrases:
        return SearchItemRow.terms.op("@@")(_tsquery(tsquery_expression(terms) + with_facets))
    by_position = f"{tsquery_expression(terms, positions=True)} & !'{LONG_ITEM}'{with_facets}"
    long_item = f"{tsquery_expression(terms)} & '{LONG_ITEM}'{with_facets}"
    checked = exists().where(
        ItemRow.id == SearchItemRow.item_id, *(_term_check(dialect, t) for t in phrases)
    )
    # Each test of the tsvector reads it afresh (from TOAST storage, ~3.5 µs at 100 k
    # items): a match by positions, nearly every row checked, is decided by the first test.
    return or_(
        SearchItemRow.terms.bool_op("@@")(_tsquery(by_position)),
        and_(SearchItemRow.terms.bool_op("@@")(_tsquery(long_item)), checked),
    )


# -- the match query -------------------------------------------------------------------------


def contains(dialect: str, target: Any, needle: str) -> ColumnElement[bool]:
    """Return "target holds needle", ignoring Latin case."""
    # SQLite's LIKE already ignores ASCII case (and lower() would copy every text).
    if dialect == "sqlite":
        return target.contains(needle, autoescape=True)
    # PostgreSQL: strpos of both lower-cased, as ILIKE compares them, but planned in
    # microseconds: ILIKE's selectivity is estimated by matching the pattern against the
    # column's statistics, a hundred long texts, ~1 ms per word and statement.
    return func.strpos(func.lower(target), func.lower(literal(needle))) > 0


def _term_check(dialect: str, term: QueryTerm) -> ColumnElement[bool]:
    return or_(
        contains(dialect, ItemRow.title, term.text), contains(dialect, ItemRow.text, term.text)
    )


def fts_filters(filters: FilterTokens) -> str:
    """Return the FTS5 MATCH text of the filters: each group's tokens in column ``facets``."""
    return " AND ".join(
        "facets : (" + " OR ".join(f'"{token}"' for token in group) + ")"
        for group in filters.groups
    )


def tsquery_filters(filters: FilterTokens) -> str:
    """Return the tsquery text of the filters: each group's facet lexemes ORed."""
    return " & ".join(
        "(" + " | ".join(f"'{FACET_MARK}{token}'" for token in group) + ")"
        for group in filters.groups
    )


def _sqlite_match(terms: list[QueryTerm], filters: FilterTokens, title: bool) -> Select[Any]:
    """Return the SQLite match: one FTS5 query for words and filters; the FTS table drives
    the join, newest first (in document order without words), so LIMIT stops it early."""
    parts = [fts_expression(terms, title)] if terms else []
    if filters.groups:
        parts.append(fts_filters(filters))
    query = select(SearchItemRow.item_id).select_from(
        _FTS.join(SearchItemRow, SearchItemRow.id == _FTS.c.rowid)
    )
    if parts:
        match = text(f"{FTS_TABLE} MATCH :fts_query").bindparams(fts_query=" AND ".join(parts))
        query = query.where(match)
    return query.order_by(_FTS.c.rowid.desc() if terms else _FTS.c.rowid)


def title_hit(dialect: str, terms: list[QueryTerm]) -> ColumnElement[bool] | None:
    """Return PostgreSQL's test of a match for a word in its title (what ``match_query``
    adds with ``title``), to be read with the matches; None on SQLite, whose title test is
    part of its FTS5 query."""
    if dialect == "sqlite" or not terms:
        return None
    any_term = _tsquery(tsquery_expression(terms, any_term=True))
    return SearchItemRow.title_terms.bool_op("@@")(any_term)


def _postgres_match(
    dialect: str, terms: list[QueryTerm], filters: FilterTokens, title: bool
) -> Select[Any]:
    """Return the PostgreSQL match: one tsquery for filters (and words without phrases)."""
    query = select(SearchItemRow.item_id)
    if terms:
        query = query.where(_pg_token_clause(dialect, terms, tsquery_filters(filters)))
        if title:
            query = query.where(title_hit(dialect, terms))
        return query.order_by(SearchItemRow.id.desc())
    if filters.groups:
        query = query.where(SearchItemRow.terms.op("@@")(_tsquery(tsquery_filters(filters))))
    return query.order_by(SearchItemRow.id)


def coarse_match(
    dialect: str, terms: list[QueryTerm], filters: FilterTokens, title: bool = False
) -> ColumnElement[bool] | None:
    """Return a test every match of ``match_query`` passes that the GIN index answers alone:
    its words' tokens ANDed, without positions. PostgreSQL, for queries with a phrase only
    (else the match query is answered by the index already); None otherwise.

    A phrase is checked on each row's tsvector (read from TOAST storage), a token only in
    the index: the newest of these candidates are found cheaply, and only they are checked.
    """
    phrases = any(term.phrase and len(term.tokens) > 1 for term in terms)
    if dialect == "sqlite" or not phrases or filters.impossible():
        return None
    facets = tsquery_filters(filters)
    tokens = tsquery_expression(terms) + (f" & ({facets})" if facets else "")
    # Filters' values are priced by their own counts, well; words alone by bigrams taken
    # as independent, so a query of words alone is left unread (see _unread_tsquery).
    as_tsquery = _tsquery if facets else _unread_tsquery
    clauses = [SearchItemRow.terms.op("@@")(as_tsquery(tokens))]
    if title:
        any_term = tsquery_expression(terms, any_term=True)
        # One word and no filter: a title holding its tokens is an item holding them (the
        # item's tokens take in its title's), so the title's index alone gives candidates.
        if len(terms) == 1 and not facets:
            clauses = [SearchItemRow.title_terms.op("@@")(as_tsquery(any_term))]
        else:
            # Read, so priced well: a test of the window's rows (titles' tsvectors are short,
            # kept in the row) beside the words' index. Left unread, it was priced as rare as
            # the words, and the two indexes ANDed were taken without the window of ids:
            # every hit's heap row read (22 ms for 元宇宙 医疗 at 100 k items, 3.7 ms so).
            clauses.append(SearchItemRow.title_terms.op("@@")(_tsquery(any_term)))
    if filters.document_id is not None:
        clauses.append(SearchItemRow.document_id == filters.document_id)
    return and_(*clauses)


def match_query(
    dialect: str, terms: list[QueryTerm], filters: FilterTokens, title: bool = False
) -> Select[Any]:
    """Return the SELECT of matching item ids, newest first (``title``: a term in the title).

    Without terms, every indexed item passing the filters matches, in document order.
    """
    if filters.impossible():  # a filter value nothing has: no need to ask the index
        return select(SearchItemRow.item_id).where(false())
    if dialect == "sqlite":
        query = _sqlite_match(terms, filters, title)
    else:
        query = _postgres_match(dialect, terms, filters, title)
    checks = [_term_check(dialect, t) for t in terms if t.needs_check()]
    if checks:
        query = query.join(ItemRow, ItemRow.id == SearchItemRow.item_id).where(*checks)
    if filters.document_id is not None:
        query = query.where(SearchItemRow.document_id == filters.document_id)
    return query


@contextmanager
def planner_settings(connection: Connection, **settings: str) -> Iterator[None]:
    """Run the block with some PostgreSQL planner settings, put back afterwards.

    The planner prices a word's bigrams as if independent, so it takes a common word for a
    rare one; where the right plan is known, it is asked for.
    """
    for name, value in settings.items():  # they go into the SQL text: code's own names
        if not (_SETTING_NAME.fullmatch(name) and _SETTING_VALUE.fullmatch(value)):
            raise ValueError(f"not a planner setting: {name}={value!r}")
    # Each change is one round trip of plain SQL (a search makes about ten): put back, a
    # setting takes the session's own value, as no session setting is ever changed here.
    connection.exec_driver_sql("; ".join(f"SET LOCAL {n} = '{v}'" for n, v in settings.items()))
    yield
    # Not on an error: the settings are the transaction's own, gone with its rollback.
    connection.exec_driver_sql("; ".join(f"SET LOCAL {n} TO DEFAULT" for n in settings))


def indexed_and_term_counts(
    connection: Connection, terms: list[QueryTerm], cap: int, top: int | None = None
) -> tuple[int, list[int]]:
    """Return the largest index row id (it stands in for the number of indexed items; read
    unless given as ``top``) and how many indexed items hold each term's tokens, counting no
    further than ``cap``.

    Counts are kept with the connection while its index's largest row id stays the same
    (indexing anything adds rows): a word searched again is not counted again. On
    PostgreSQL a count reads the GIN index's whole list of each token (~3 ms for a common
    word at 100 k items), and searches repeat their words.
    """
    if top is None:
        bounds = index_bounds(connection)
        top = bounds[1] if bounds else 0
    kept = connection.info.get(TERM_COUNTS)
    if kept is None or kept[0] != top or len(kept[1]) > TERM_COUNTS_KEPT:
        kept = connection.info[TERM_COUNTS] = (top, {})
    counts: dict[tuple[str, int], int] = kept[1]
    missing = [term for term in terms if (term.text, cap) not in counts]
    if missing:
        counted = _count_terms(connection, missing, cap, top)
        counts.update(((term.text, cap), n) for term, n in zip(missing, counted, strict=True))
    return top, [counts[term.text, cap] for term in terms]


def _count_terms(connection: Connection, terms: list[QueryTerm], cap: int, top: int) -> list[int]:
    """Return how many indexed items hold each term's tokens, up to ``cap``, given the
    index's largest row id (on PostgreSQL, the terms the index counts in one statement)."""
    if connection.dialect.name == "sqlite":
        sql = (
            f"SELECT count(*) FROM (SELECT 1 FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :q LIMIT :n)"
        )
        return [
            int(connection.scalar(text(sql), {"q": fts_expression([term]), "n": cap}) or 0)
            for term in terms
        ]
    # A word in most items, in a large index, reaches the cap in its newest rows: found there
    # it is not counted in the GIN index, whose lists are read whole (发展 at 1 M items:
    # ~720 k hits, ~47 ms; its newest ~2,900 rows hold 2,000 of them).
    found = {term.text: _newest_density(connection, term, cap, top) for term in terms}
    capped = {
        term.text
        for term in terms
        if found[term.text]
        and _newest_count_is_cheaper(len(term.tokens), found[term.text], cap, top)
        and _capped_among_newest(connection, term, cap, top, found[term.text])
    }
    indexed = [term for term in terms if term.text not in capped]
    counts = _indexed_counts(connection, indexed, cap)
    counted = {term.text: n for term, n in zip(indexed, counts, strict=True)}
    return [cap if term.text in capped else counted[term.text] for term in terms]


def _newest_density(connection: Connection, term: QueryTerm, cap: int, top: int) -> int:
    """Return how many of the newest ``PROBE_ROWS`` rows hold the term's tokens, in an index
    large enough for the answer to change how the term is counted (0, not asked, otherwise).
    """
    # Even a word in every row is counted by the index where its lists cost no more than the
    # probe and the cap: a small index, whose rows are all in memory (COUNTED_ROW_COST, read
    # from disk pages at 1 M items, is then nearer WINDOW_HIT_COST).
    if INDEX_LIST_COST * top <= cap + PROBE_ROWS:
        return 0
    probe = select(func.count()).where(*_id_range(top - PROBE_ROWS, top), _holds(term))
    with planner_settings(connection, **SCAN):
        return int(connection.scalar(probe) or 0)


def _holds(term: QueryTerm) -> ColumnElement[bool]:
    """Return the test of a row holding all of a term's tokens (in any order: what a count
    of the term asks, with no positions to read)."""
    return SearchItemRow.terms.op("@@")(_tsquery(tsquery_expression([term])))


def _capped_among_newest(
    connection: Connection, term: QueryTerm, cap: int, top: int, found: int
) -> bool:
    """Return whether ``cap`` of the newest rows hold the term's tokens, checked newest first,
    given ``found`` in the newest ``PROBE_ROWS``."""
    # Checked newest first, the scan stops at the cap; the window bounds it if the
    # density was misread (then the index counts the word after all).
    window = first_window(found, PROBE_ROWS, cap, top)
    newest = (
        select(literal(1))
        .where(*_id_range(top - window, top), _holds(term))
        .order_by(SearchItemRow.id.desc())
        .limit(cap)
        .subquery()
    )
    with planner_settings(connection, **SCAN):
        return int(connection.scalar(select(func.count()).select_from(newest)) or 0) >= cap


def _newest_count_is_cheaper(tokens: int, found: int, cap: int, top: int) -> bool:
    """Return whether counting a word of ``tokens`` index tokens to ``cap`` by checking rows
    newest first is cheaper than the GIN index's count, given ``found`` in the newest
    ``PROBE_ROWS`` of ``top`` rows.

    The index reads the list of each token (each holds at least the word's hits), and then
    the heap row of each counted item. At 1 M items this prices 工业元宇宙 (4 tokens, 63 of
    300 rows) at 65 ms by the index and 25 ms newest first (measured 47 and 27), 数字人
    (2 tokens, 59 of 300) at 40 and 26 ms (measured 36 and 24), 城市 (1 token, 51 of 300)
    at 17 and 31 ms (measured 23 and 35), taking 2.6 µs a row checked.
    """
    density = found / PROBE_ROWS
    indexed = INDEX_LIST_COST * tokens * density * top + COUNTED_ROW_COST * cap
    if tokens > 1:
        indexed += ANDED_TOKENS_COST * cap
    return cap / density < indexed  # rows checked newest first until the cap


def _indexed_counts(connection: Connection, terms: list[QueryTerm], cap: int) -> list[int]:
    """Return how many indexed items hold each term's tokens, up to ``cap``, every term
    counted from the GIN index in one statement."""
    if not terms:
        return []
    subqueries = [
        select(func.count())
        .select_from(select(literal(1)).where(_holds(term)).limit(cap).subquery())
        .scalar_subquery()
        for term in terms
    ]
    # From the GIN index: tokens without positions need no row read beyond the heap's,
    # where checking rows one by one reads (and decompresses) each one's tsvector.
    with planner_settings(connection, **INDEXED):
        return [int(count or 0) for count in connection.execute(select(*subqueries)).one()]


def _scan_is_cheaper(
    found: int, probed: int, wanted: int, rows_left: int, coarse: bool = False
) -> bool:
    """Return whether the next ``wanted`` matches are cheaper to find by checking older rows
    newest first than by the GIN index in windows of ids, given ``found`` in the newest
    ``probed`` rows (``coarse``: the index gives candidates, of which only the newest are
    checked)."""
    if not found:
        return False
    density = found / probed
    scanned = wanted / density  # rows checked until enough are found
    # The index reads its lists of every hit, and the heap rows of the first window's only.
    in_window = density * first_window(found, probed, wanted, rows_left)
    indexed = INDEX_LIST_COST * density * rows_left + WINDOW_HIT_COST * in_window
    if coarse:
        indexed += RECHECK_COST * wanted * COARSE_SLACK
    return scanned < indexed


def index_bounds(connection: Connection) -> tuple[int, int] | None:
    """Return the smallest and largest row ids of the search index (None when it is empty)."""
    # One subquery each: SQLite answers a lone min() or max() from the primary key's end,
    # both in one SELECT by reading every row.
    low, high = connection.execute(
        select(
            select(func.min(SearchItemRow.id)).scalar_subquery(),
            select(func.max(SearchItemRow.id)).scalar_subquery(),
        )
    ).one()
    return None if high is None else (int(low), int(high))


def newest_matches(
    connection: Connection,
    query: Select[Any],
    limit: int,
    probe: int = PROBE_ROWS,
    coarse: ColumnElement[bool] | None = None,
    bounds: tuple[int, int] | None = None,
) -> Sequence[Row[Any]]:
    """Return the first ``limit`` rows of a match query, newest first.

    On PostgreSQL the newest ``probe`` rows are checked first, in one short index scan (a
    title hit of a common word is often there). Beyond, the older rows are checked newest
    first while matches were dense there, else found through the GIN index (``coarse``: the
    newest index candidates, then only they are checked) in windows of ids sized by that
    density; the planner alone would take a common word for a rare one and check every match.
    ``bounds``: the index's ids (``index_bounds``), when the caller has them already.
    """
    return _matches_in_order(connection, query, limit, probe, coarse, bounds, newest=True)


def oldest_matches(
    connection: Connection,
    query: Select[Any],
    limit: int,
    probe: int = PROBE_ROWS,
    bounds: tuple[int, int] | None = None,
) -> Sequence[Row[Any]]:
    """Return the first ``limit`` rows of a match query without words (filters only), in
    document order: oldest first.

    As ``newest_matches``, from the other end: left alone, the planner checks rows in id
    order however rare the filter's values (a region in a sixth of the items: 42 ms at
    100 k items, where the index takes a few).
    """
    return _matches_in_order(connection, query, limit, probe, None, bounds, newest=False)


def _matches_in_order(
    connection: Connection,
    query: Select[Any],
    limit: int,
    probe: int,
    coarse: ColumnElement[bool] | None,
    bounds: tuple[int, int] | None,
    newest: bool,
) -> Sequence[Row[Any]]:
    """Return the first ``limit`` rows of ``query``, whose order is the ids' (``newest``:
    descending): the ``probe`` ids at the start of that order checked one by one, then the
    rest in id order or by the index, as the probe's density makes cheaper."""
    if connection.dialect.name != "postgresql":
        return connection.execute(query.limit(limit)).all()
    bounds = bounds or index_bounds(connection)
    if bounds is None:
        return []
    first, last = bounds[0] - 1, bounds[1]  # every id is in (first, last]
    if newest:
        probed, rest = (last - probe, last), (first, last - probe)
    else:
        probed, rest = (first, first + probe), (first + probe, last)
    with planner_settings(connection, **SCAN):  # else the GIN index, for every match
        rows = connection.execute(_within(query, *probed).limit(limit)).all()
    rows_left = rest[1] - rest[0]
    if len(rows) >= limit or rows_left <= 0:
        return rows
    wanted = limit - len(rows)
    if _scan_is_cheaper(len(rows), probe, wanted, rows_left, coarse is not None):
        with planner_settings(connection, **SCAN):
            return [*rows, *connection.execute(_within(query, *rest).limit(wanted)).all()]
    window = first_window(len(rows), probe, wanted, rows_left)
    if coarse is not None:
        return [*rows, *_checked_candidates(connection, query, coarse, wanted, rest, window)]
    windows = _windows(rest, window, newest)
    return [*rows, *_indexed_matches(connection, query, wanted, windows)]


def newest_matching(
    connection: Connection,
    terms: list[QueryTerm],
    filters: FilterTokens,
    limit: int,
    title: bool = False,
    columns: tuple[Any, ...] = (),
    bounds: tuple[int, int] | None = None,
) -> Sequence[Row[Any]]:
    """Return the newest ``limit`` matches (item id, then ``columns``) of words and filters
    (``title``: a word in the title), the match query and its index candidates built together."""
    dialect = connection.dialect.name
    query = match_query(dialect, terms, filters, title).add_columns(*columns)
    coarse = coarse_match(dialect, terms, filters, title)
    return newest_matches(connection, query, limit, coarse=coarse, bounds=bounds)


def first_window(found: int, probed: int, wanted: int, rows_left: int) -> int:
    """Return how many ids beyond the probe should hold ``wanted`` matches, at the density
    of ``found`` in the ``probed`` rows, with slack (all of them if none was found)."""
    if not found:
        return rows_left
    return min(rows_left, max(math.ceil(wanted * probed / found * WINDOW_SLACK), probed))


def _windows(span: tuple[int, int], size: int, newest: bool) -> Iterator[tuple[int, int]]:
    """Yield windows of ids ``(low, high]`` that cover ``span`` (one such range) from its
    newest end (``newest``) or its oldest, each twice as large as the one before."""
    low, high = span
    while low < high:
        if newest:
            start = max(high - size, low)
            yield start, high
            high = start
        else:
            end = min(low + size, high)
            yield low, end
            low = end
        size *= 2


def _id_range(low: int, high: int) -> list[ColumnElement[bool]]:
    """Return the tests of ids in (``low``, ``high``]."""
    # A window's bounds let the GIN hits be ANDed with a primary-key range, so only the
    # window's heap pages are read; a bound below every id would only cost its bitmap.
    below = [SearchItemRow.id <= high]
    return [*below, SearchItemRow.id > low] if low > 0 else below


def _within(query: Select[Any], low: int, high: int) -> Select[Any]:
    """Return the query's rows with ids in (``low``, ``high``]."""
    return query.where(*_id_range(low, high))


def _indexed_matches(
    connection: Connection,
    query: Select[Any],
    wanted: int,
    windows: Iterable[tuple[int, int]],
) -> list[Row[Any]]:
    """Return the first ``wanted`` rows of ``query`` in these windows of ids, in their
    order, each found by the GIN index."""
    rows: list[Row[Any]] = []
    for low, high in windows:
        if len(rows) >= wanted:
            break
        # The GIN index, then the hits sorted: left to itself, the planner takes a rare word
        # for a common one and scans the primary key, checking tens of thousands of rows.
        with planner_settings(connection, **INDEXED):
            window = _within(query, low, high).limit(wanted - len(rows))
            rows.extend(connection.execute(window).all())
    return rows


def _checked_candidates(
    connection: Connection,
    query: Select[Any],
    coarse: ColumnElement[bool],
    wanted: int,
    span: tuple[int, int],
    window: int,
) -> list[Row[Any]]:
    """Return the newest ``wanted`` rows of ``query`` with ids in ``span`` ((low, high]):
    the newest candidates ``coarse`` finds in the index, window of ids after window, are
    checked by ``query``, windows and candidates taken each twice as many as before, until
    enough match or no ids are left."""
    rows: list[Row[Any]] = []
    bottom, edge = span
    take = max(math.ceil(wanted * COARSE_SLACK), COARSE_MIN_TAKE)
    while len(rows) < wanted and edge > bottom:
        low = max(edge - window, bottom)
        # The ids tested before the tokens: a title hit the planner keeps as a filter on
        # the rest of the words reads the tsvector of only the window's rows.
        candidates = select(SearchItemRow.id).where(*_id_range(low, edge), coarse)
        newest = candidates.order_by(SearchItemRow.id.desc()).limit(take)
        with planner_settings(connection, **INDEXED):
            ids = connection.scalars(newest).all()
        if ids:
            # The candidates by primary key, each checked: not the GIN index again.
            checked = query.where(SearchItemRow.id == any_(cast(literal(ids), ARRAY(Integer))))
            with planner_settings(connection, **SCAN):
                rows.extend(connection.execute(checked.limit(wanted - len(rows))).all())
        # Candidates left in the window: go on below the last one taken.
        edge = ids[-1] - 1 if len(ids) == take else low
        take, window = take * 2, window * 2
    return rows


# -- counting --------------------------------------------------------------------------------


def facet_counts(packed: Iterable[str]) -> dict[str, list[FacetCount]]:
    """Return, per shown facet, how many of some items have each value, given their packed
    facet values (``search_items.facet_values``, read with the matches)."""
    out: dict[str, list[FacetCount]] = {name: [] for name in SHOWN_FACETS}
    for line, count in count_packed(packed).items():
        facet, value, code = line.split(PACK_FIELD)
        if facet in out:
            out[facet].append(FacetCount(value, count, code or None))
    for counts in out.values():
        counts.sort(key=lambda c: (-c.count, c.code or "", c.value))
    return out

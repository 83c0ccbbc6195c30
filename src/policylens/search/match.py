"""The SQL of a search: which items match, how many, and facet counts.

1. The index proves matches: a CJK word is the phrase of its bigrams, a lone character a
   prefix, a Latin word itself; on SQLite as an FTS5 query, on PostgreSQL as a tsquery
   against a GIN-indexed tsvector with positions. A word the tokens cannot prove (a mix of
   scripts; on PostgreSQL, a phrase in an item too long for tsvector positions) is confirmed
   as a substring of the item's title or text, so the match set is exactly the items holding
   every word.
2. Facet filters are EXISTS tests on ``search_facets``, read by item.
3. Every query here is newest-first with a LIMIT, so its cost is bounded by that limit and
   not by how many items match: matches are counted, and their facets read, up to
   ``COUNT_CAP``; beyond, the total reads "1000+" and the facets describe the newest 1,000.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    Select,
    and_,
    cast,
    column,
    exists,
    func,
    literal,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.orm import aliased

from policylens.search.facets import (
    DATE,
    FACT_TYPE,
    KIND,
    LEVEL,
    POLICY_KIND,
    REGION,
    SHOWN_FACETS,
    TOPIC,
)
from policylens.search.model import FacetCount, SearchRequest
from policylens.search.tokens import LONG_ITEM, QueryTerm
from policylens.store.schema import ItemRow
from policylens.store.search_tables import FTS_TABLE, SearchFacetRow, SearchItemRow

COUNT_CAP = 1_000  # matches counted, and whose facets are read (the newest)

_FTS = table(FTS_TABLE, column("rowid", Integer))


# -- index expressions -----------------------------------------------------------------------


def _fts_term(term: QueryTerm) -> str:
    if term.phrase:
        return '"' + " ".join(t.text for t in term.tokens) + '"'
    parts = [f'"{t.text}"' + ("*" if t.prefix else "") for t in term.tokens]
    return parts[0] if len(parts) == 1 else "(" + " AND ".join(parts) + ")"


def fts_expression(terms: list[QueryTerm], title: bool = False) -> str:
    """Return the FTS5 MATCH text of all terms; ``title``: one of them must be in the title."""
    expression = " AND ".join(_fts_term(term) for term in terms)
    if title:
        expression += " AND title : (" + " OR ".join(_fts_term(t) for t in terms) + ")"
    return expression


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


def _pg_token_clause(dialect: str, terms: list[QueryTerm]) -> ColumnElement[bool]:
    """Return the PostgreSQL test of a row's tokens: phrases by position, except in the few
    items too long for tsvector positions, where a phrase's bigrams are ANDed and the word is
    then checked as a substring. One tsquery, so the GIN index answers it in one pass."""
    phrases = [term for term in terms if term.phrase and len(term.tokens) > 1]
    if not phrases:
        return SearchItemRow.terms.op("@@")(_tsquery(tsquery_expression(terms)))
    either = (
        f"({tsquery_expression(terms, positions=True)} & !'{LONG_ITEM}') | "
        f"({tsquery_expression(terms)} & '{LONG_ITEM}')"
    )
    long_item = SearchItemRow.terms.op("@@")(_tsquery(f"'{LONG_ITEM}'"))
    checked = exists().where(
        ItemRow.id == SearchItemRow.item_id, *(_term_check(dialect, t) for t in phrases)
    )
    return and_(SearchItemRow.terms.op("@@")(_tsquery(either)), or_(~long_item, checked))


# -- the match query -------------------------------------------------------------------------


def contains(dialect: str, target: Any, needle: str) -> ColumnElement[bool]:
    """Return "target holds needle", ignoring Latin case."""
    # SQLite's LIKE already ignores ASCII case (and lower() would copy every text);
    # PostgreSQL's LIKE does not.
    if dialect == "sqlite":
        return target.contains(needle, autoescape=True)
    return target.icontains(needle, autoescape=True)


def _term_check(dialect: str, term: QueryTerm) -> ColumnElement[bool]:
    return or_(
        contains(dialect, ItemRow.title, term.text), contains(dialect, ItemRow.text, term.text)
    )


FacetTest = Callable[[Any], ColumnElement[bool]]


def _facet_filter(facets: tuple[str, ...], test: FacetTest) -> ColumnElement[bool]:
    """Return "the item has a value of one of these facets passing the test"."""
    row = aliased(SearchFacetRow)
    return exists().where(row.item_id == SearchItemRow.item_id, row.facet.in_(facets), test(row))


def _region_test(values: tuple[str, ...]) -> FacetTest:
    def test(row: Any) -> ColumnElement[bool]:
        return or_(
            *(
                row.code == value if value.isdigit() else row.value.contains(value, autoescape=True)
                for value in values
            )
        )

    return test


def _date_test(date_from: str | None, date_to: str | None) -> FacetTest:
    def test(row: Any) -> ColumnElement[bool]:
        parts = []
        if date_from is not None:
            # A month "2023-09" or a year "2023" is inside a period from 2023-09-01.
            parts.append(
                or_(row.value >= date_from, row.value == date_from[:4], row.value == date_from[:7])
            )
        if date_to is not None:
            # "--to 2023-09" takes in 2023-09-30.
            parts.append(or_(row.value <= date_to, row.value.startswith(date_to)))
        return and_(*parts)

    return test


def _filters(request: SearchRequest) -> list[ColumnElement[bool]]:
    """Return one EXISTS clause per facet filter of the request."""
    out = []
    if request.region:
        out.append(_facet_filter((REGION,), _region_test(request.region)))
    plain = (
        ((LEVEL,), request.level),
        ((KIND, POLICY_KIND), request.kind),
        ((TOPIC,), request.topic),
        ((FACT_TYPE,), request.fact_type),
    )
    for facets, values in plain:
        if values:
            out.append(_facet_filter(facets, lambda row, v=values: row.value.in_(v)))
    if request.date_from or request.date_to:
        out.append(_facet_filter((DATE,), _date_test(request.date_from, request.date_to)))
    if request.document_id is not None:
        out.append(SearchItemRow.document_id == request.document_id)
    return out


def match_query(
    dialect: str, terms: list[QueryTerm], request: SearchRequest, title: bool = False
) -> Select[Any]:
    """Return the SELECT of matching item ids, newest first (``title``: a term in the title).

    Without terms, every indexed item passing the filters matches, in document order.
    """
    query = select(SearchItemRow.item_id)
    if not terms:
        return query.where(*_filters(request)).order_by(SearchItemRow.id)
    if dialect == "sqlite":
        # The FTS table drives the join, so LIMIT stops it early.
        match = text(f"{FTS_TABLE} MATCH :fts_query").bindparams(
            fts_query=fts_expression(terms, title)
        )
        query = (
            query.select_from(_FTS.join(SearchItemRow, SearchItemRow.id == _FTS.c.rowid))
            .where(match)
            .order_by(_FTS.c.rowid.desc())
        )
    else:
        query = query.where(_pg_token_clause(dialect, terms))
        if title:
            any_term = _tsquery(tsquery_expression(terms, any_term=True))
            query = query.where(SearchItemRow.title_terms.op("@@")(any_term))
        query = query.order_by(SearchItemRow.id.desc())
    checks = [_term_check(dialect, t) for t in terms if t.needs_check()]
    if checks:
        query = query.join(ItemRow, ItemRow.id == SearchItemRow.item_id).where(*checks)
    return query.where(*_filters(request))


def term_count(connection: Connection, term: QueryTerm, cap: int) -> int:
    """Return how many indexed items hold a term's tokens, counting no further than ``cap``."""
    if connection.dialect.name == "sqlite":
        sql = (
            f"SELECT count(*) FROM (SELECT 1 FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :q LIMIT :n)"
        )
        return int(connection.scalar(text(sql), {"q": fts_expression([term]), "n": cap}) or 0)
    tsquery = _tsquery(tsquery_expression([term]))
    inner = select(literal(1)).where(SearchItemRow.terms.op("@@")(tsquery)).limit(cap)
    return int(connection.scalar(select(func.count()).select_from(inner.subquery())) or 0)


# -- counting --------------------------------------------------------------------------------


def count_matches(connection: Connection, matches: Select[Any], cap: int = COUNT_CAP) -> int:
    """Return how many items match, counting no further than ``cap`` + 1."""
    inner = matches.order_by(None).limit(cap + 1).subquery()
    return int(connection.scalar(select(func.count()).select_from(inner)) or 0)


def facet_counts(
    connection: Connection, matches: Select[Any], cap: int = COUNT_CAP
) -> dict[str, list[FacetCount]]:
    """Return, per shown facet, how many of the newest ``cap`` matches have each value."""
    ids = matches.limit(cap).subquery()
    row = SearchFacetRow
    query = (
        select(row.facet, row.value, row.code, func.count())
        .select_from(ids)
        .join(row, row.item_id == ids.c.item_id)
        .where(row.facet.in_(SHOWN_FACETS))
        .group_by(row.facet, row.value, row.code)
    )
    out: dict[str, list[FacetCount]] = {name: [] for name in SHOWN_FACETS}
    for facet, value, code, count in connection.execute(query):
        out[facet].append(FacetCount(value, int(count), code))
    for counts in out.values():
        counts.sort(key=lambda c: (-c.count, c.code or "", c.value))
    return out

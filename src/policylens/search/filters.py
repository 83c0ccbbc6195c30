"""Facet filters as index tokens: each filter becomes the tokens of the values it takes in.

An item carries a token for each of its filterable facet values (``facets.value_tokens``), so
a filter is "one of these tokens", and the index intersects it with the words in one lookup:
a rare filter on a common word costs as little as the rare filter alone.

- ``--level``, ``--kind``, ``--topic``, ``--type``: the tokens of the values asked for.
- ``--region``: a name part takes in every recorded region value holding it (四川 → 四川省,
  四川省成都市 …), a code the values with that code; a value whose parent is taken in too is
  left out, since every item with it has its parent.
- ``--from`` / ``--to``: the recorded date values in the range, as the token of a whole year
  or month when all its values are in, else one by one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, Select, or_, select

from policylens.search.facets import (
    DATE,
    DATE_MONTH,
    DATE_YEAR,
    FACT_TYPE,
    KIND,
    LEVEL,
    POLICY_KIND,
    REGION,
    TOPIC,
    facet_token,
)
from policylens.search.model import SearchRequest
from policylens.store.search_tables import SearchFacetValueRow


@dataclass(frozen=True, slots=True)
class FilterTokens:
    """A request's filters: every group must hold one of its tokens; a document id."""

    groups: tuple[tuple[str, ...], ...] = ()
    document_id: int | None = None

    def impossible(self) -> bool:
        """Return whether some filter takes in no value at all (nothing can match)."""
        return any(not group for group in self.groups)


def in_date_range(value: str, date_from: str | None, date_to: str | None) -> bool:
    """Return whether a date value (YYYY, YYYY-MM or YYYY-MM-DD) is inside a period."""
    # A month "2023-09" or a year "2023" is inside a period from 2023-09-01.
    if date_from is not None and not (
        value >= date_from or value in (date_from[:4], date_from[:7])
    ):
        return False
    # "--to 2023-09" takes in 2023-09-30.
    return date_to is None or value <= date_to or value.startswith(date_to)


def date_range_tokens(
    values: Iterable[str], date_from: str | None, date_to: str | None
) -> list[str]:
    """Return the fewest tokens standing for exactly the given date values inside a period:
    a year's or a month's token when all of its values are inside, else each value's own."""
    by_year: dict[str, list[str]] = {}
    for value in values:
        by_year.setdefault(value[:4], []).append(value)
    tokens = []
    for year, dates in sorted(by_year.items()):
        inside = {d for d in dates if in_date_range(d, date_from, date_to)}
        if len(inside) == len(dates):
            tokens.append(facet_token(DATE_YEAR, year))
            continue
        by_month: dict[str, list[str]] = {}
        for value in dates:
            if len(value) >= 7:
                by_month.setdefault(value[:7], []).append(value)
        for month, days in sorted(by_month.items()):
            if all(d in inside for d in days):
                tokens.append(facet_token(DATE_MONTH, month))
            else:
                tokens += [facet_token(DATE, d) for d in days if d in inside]
        if year in inside:  # the year alone, as a value
            tokens.append(facet_token(DATE, year))
    return tokens


def date_values_query(date_from: str | None, date_to: str | None) -> Select[tuple[str]]:
    """Return the query of the recorded date values in the years a period touches: a year
    wholly outside it gives no token, so its values need not be read."""
    row = SearchFacetValueRow
    query = select(row.value).where(row.facet == DATE)
    if date_from is not None:
        query = query.where(row.value >= date_from[:4])
    if date_to is not None:  # every value of a year sorts at or before "YYYY-99"
        query = query.where(row.value <= f"{date_to[:4]}-99")
    return query


def region_tokens(connection: Connection, values: tuple[str, ...]) -> list[str]:
    """Return the tokens of the recorded region values a region filter takes in."""
    row = SearchFacetValueRow
    tests = [
        row.code == value
        if value.isascii() and value.isdigit()
        else row.value.contains(value, autoescape=True)
        for value in values
    ]
    query = select(row.value, row.code, row.parent).where(row.facet == REGION, or_(*tests))
    matched = connection.execute(query).all()
    names = {value for value, _, _ in matched}
    return sorted(
        {facet_token(REGION, value, code) for value, code, parent in matched if parent not in names}
    )


def filter_tokens(connection: Connection, request: SearchRequest) -> FilterTokens:
    """Return the token groups of a request's filters."""
    groups: list[tuple[str, ...]] = []
    if request.region:
        groups.append(tuple(region_tokens(connection, request.region)))
    plain = (
        ((LEVEL,), request.level),
        ((KIND, POLICY_KIND), request.kind),
        ((TOPIC,), request.topic),
        ((FACT_TYPE,), request.fact_type),
    )
    for facets, values in plain:
        if values:
            groups.append(tuple(facet_token(f, v) for f in facets for v in values))
    if request.date_from or request.date_to:
        dates = connection.scalars(date_values_query(request.date_from, request.date_to))
        groups.append(tuple(date_range_tokens(dates, request.date_from, request.date_to)))
    return FilterTokens(tuple(groups), request.document_id)

"""What a search takes and gives: the request with its filters, the hits, the page."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from policylens.errors import SearchError
from policylens.search.tokens import QueryTerm

MAX_LIMIT = 1000
DATE_VALUE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """A query with its filters and page; every filter takes one or more values (any of)."""

    query: str = ""
    # A place name part (四川, 成都) or a 6-digit code; a province takes in its cities.
    region: tuple[str, ...] = ()
    level: tuple[str, ...] = ()  # national | provincial | municipal | district
    kind: tuple[str, ...] = ()  # item kind (plan_section) or policy kind (行动计划)
    topic: tuple[str, ...] = ()  # taxonomy topic (metaverse) or one of its words (元宇宙)
    fact_type: tuple[str, ...] = ()  # policy | target | funding | deal | event | topic | date
    date_from: str | None = None  # YYYY, YYYY-MM or YYYY-MM-DD
    date_to: str | None = None
    document_id: int | None = None
    limit: int = 10
    offset: int = 0

    def has_filters(self) -> bool:
        """Return whether any filter is set."""
        return bool(
            self.region
            or self.level
            or self.kind
            or self.topic
            or self.fact_type
            or self.date_from
            or self.date_to
            or self.document_id is not None
        )


@dataclass(frozen=True, slots=True)
class FactSummary:
    """A fact of a result that names a query term."""

    kind: str
    label: str
    region: str | None
    date: str | None


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One ranked item: where it is, a highlighted snippet, its score and its facts."""

    document_id: int
    document: str
    document_title: str | None
    item_id: int
    index: int
    title: str
    kind: str
    section: str | None
    snippet: str
    highlights: list[tuple[int, int]]  # [start, end) in snippet
    snippet_html: str  # snippet HTML-escaped, highlights in <mark>
    score: float
    regions: list[str]  # most specific regions, own or from the item's plan
    dates: list[str]
    topics: list[str]
    fact_counts: dict[str, int]
    facts: list[FactSummary]


@dataclass(frozen=True, slots=True)
class FacetCount:
    """How many matches have one facet value (``code`` for regions)."""

    value: str
    count: int
    code: str | None = None


@dataclass(frozen=True, slots=True)
class SearchPage:
    """A page of results, the total number of matches and facet counts over all of them."""

    query: str
    terms: list[str]
    total: int
    offset: int
    limit: int
    results: list[SearchHit] = field(default_factory=list)
    facets: dict[str, list[FacetCount]] = field(default_factory=dict)
    # False when more than ``total`` items match: counting stopped there, and the facets
    # count the newest ``total`` matches only.
    exact: bool = True
    unindexed: int = 0  # items stored but not in the index (reported on empty results)

    def to_json(self) -> dict[str, Any]:
        """Return the page as JSON-ready data: {"results": [...], "facets": {...}, ...}."""
        facets = {
            name: [
                {k: v for k, v in asdict(count).items() if v is not None or k != "code"}
                for count in counts
            ]
            for name, counts in self.facets.items()
        }
        return {
            "query": self.query,
            "terms": self.terms,
            "total": self.total,
            "exact": self.exact,
            "offset": self.offset,
            "limit": self.limit,
            "results": [asdict(hit) for hit in self.results],
            "facets": facets,
            "unindexed": self.unindexed,
        }


def check_request(request: SearchRequest, terms: list[QueryTerm]) -> None:
    """Raise SearchError when a request cannot be run."""
    if not terms and not request.has_filters():
        raise SearchError("nothing to search for: give words (e.g. 区块链) or a filter")
    if not 1 <= request.limit <= MAX_LIMIT:
        raise SearchError(f"--limit must be between 1 and {MAX_LIMIT}")
    if request.offset < 0:
        raise SearchError("--offset must not be negative")
    for value in (request.date_from, request.date_to):
        if value is not None and not DATE_VALUE.match(value):
            raise SearchError(f"dates are YYYY, YYYY-MM or YYYY-MM-DD, not {value!r}")

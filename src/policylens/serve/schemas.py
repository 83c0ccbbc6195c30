"""Request and response bodies of the REST API that the API's own dataclasses do not cover.

Responses are otherwise the dataclasses ``policylens.api`` returns (DocumentSummary,
FactRecord, PolicyDetail, SearchPage, Figure, TimelineEntry …), so the OpenAPI schema
and the Python API describe the same objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field

from policylens.report.compare import Figure
from policylens.store import DocumentSummary, ItemRecord

T = TypeVar("T")
MAX_URLS = 20


class ListPage(BaseModel, Generic[T]):
    """One page of a list: ``results`` after skipping ``offset``, and how many there are."""

    total: int
    offset: int
    limit: int
    results: list[T]


def page_of(rows: Sequence[T], limit: int, offset: int) -> dict[str, Any]:
    """Return the page of ``rows`` as ListPage fields."""
    return {
        "total": len(rows),
        "offset": offset,
        "limit": limit,
        "results": list(rows[offset : offset + limit]),
    }


class ErrorBody(BaseModel):
    """Every error: one line saying what went wrong; ``detail`` lists bad fields (422)."""

    error: str
    detail: list[dict[str, Any]] | None = None


class UrlIngest(BaseModel):
    """URLs to fetch and ingest: ``url``, or several in ``urls``."""

    url: str | None = Field(default=None, max_length=2048, examples=["https://example.gov.cn/x"])
    urls: list[str] = Field(default_factory=list, max_length=MAX_URLS)


class SourceResultBody(BaseModel):
    """What happened to one uploaded file or URL."""

    source: str
    status: str  # stored | duplicate | error
    document_id: int | None = None
    items: int = 0
    facts: int = 0
    problem: str | None = None


class IngestBody(BaseModel):
    """Per-source results of an upload, with counts."""

    results: list[SourceResultBody]
    stored: int
    duplicates: int
    errors: int


class DocumentBody(BaseModel):
    """A stored document with its clean text and items (``raw_text`` when asked for)."""

    summary: DocumentSummary
    clean_text: str
    published: str | None
    metadata: list[list[str]]
    items: list[ItemRecord]
    raw_text: str | None = None


class Deleted(BaseModel):
    """A deleted document's id."""

    deleted: int


class MergeBody(BaseModel):
    """Policies that are one policy."""

    ids: list[int] = Field(min_length=2, max_length=100)


class SplitBody(BaseModel):
    """Mentions (fact ids) that are not this policy's."""

    fact_ids: list[int] = Field(min_length=1, max_length=1000)


class MapValue(BaseModel):
    """A province's value on the compare map, and the figures behind it."""

    name: str  # the map's province name: 四川, 内蒙古, 北京
    value: float
    regions: list[str]


class CompareBody(BaseModel):
    """A comparison: its rows (largest first; conflicts marked) and its map values."""

    metric: str
    sector: str | None
    year: int | None
    level: str | None
    results: list[Figure]
    map: list[MapValue]

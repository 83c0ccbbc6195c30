"""Facts to rows and back: the payload, the filter columns, and the stored document rebuilt."""

from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass
from functools import cache
from typing import Any

from policylens.model import (
    FACT_KINDS,
    CleanText,
    Deal,
    Document,
    Event,
    Fact,
    Funding,
    Item,
    ItemDate,
    OffsetMap,
    PolicyMention,
    RawDocument,
    SourceLink,
    Span,
    Target,
    TopicTag,
)
from policylens.store.schema import DocumentRow, FactRow, ItemRow


@dataclass(frozen=True, slots=True)
class FactRecord:
    """A stored fact, as listed: kind, label, values, where it was read and its exact quote."""

    id: int
    document_id: int
    document: str
    item_index: int | None
    kind: str
    label: str
    region: str | None
    level: str | None
    metric: str | None
    date: str | None
    quote: str
    span: tuple[int, int]
    raw_span: tuple[int, int]
    extractor: str
    values: dict[str, Any]


def label_of(fact: Fact) -> str:
    """Return the few words that name a fact in a list."""
    if isinstance(fact, PolicyMention):
        return fact.title
    if isinstance(fact, Target):
        return fact.metric_text
    if isinstance(fact, Funding):
        return fact.purpose
    if isinstance(fact, Deal):
        return f"{fact.company} {fact.round}"
    if isinstance(fact, Event):
        return fact.name
    if isinstance(fact, TopicTag):
        return fact.topic
    return fact.date.value


def date_of(fact: Fact) -> str | None:
    """Return the date a fact is filtered by: issue date, target year, deal or event date."""
    if isinstance(fact, Target):
        return str(fact.target_year) if fact.target_year else None
    if isinstance(fact, PolicyMention | Deal | Event | ItemDate):
        return fact.date.value if fact.date else None
    return None


@cache
def _field_names(cls: type) -> tuple[str, ...] | None:
    """Return the field names of a dataclass, None for any other type (asked once a type)."""
    return tuple(f.name for f in fields(cls)) if is_dataclass(cls) else None


_LEAVES = (str, int, float, type(None))


def _plain(value: Any) -> Any:
    """Return a value as JSON-ready data: dataclasses as dicts, tuples as lists."""
    if isinstance(value, _LEAVES):
        return value
    names = _field_names(type(value))
    if names is not None:
        return {name: _plain(getattr(value, name)) for name in names}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def fact_payload(fact: Fact) -> dict[str, Any]:
    """Return a fact's values as stored (everything but its provenance)."""
    # dataclasses.asdict deep-copies every leaf: ten times slower on a large load; and
    # fields() and is_dataclass() per value cost as much again as the copying here.
    names = _field_names(type(fact)) or ()
    return {name: _plain(getattr(fact, name)) for name in names if name != "prov"}


def fact_values(fact: Fact) -> dict[str, Any]:
    """Return the column values of a fact's row (all but its ids)."""
    place = getattr(fact, "place", None)
    return {
        "kind": FACT_KINDS[type(fact)],
        "extractor": fact.prov.extractor,
        "start": fact.prov.span.start,
        "end": fact.prov.span.end,
        "raw_start": fact.prov.raw_span.start,
        "raw_end": fact.prov.raw_span.end,
        "quote": fact.prov.quote,
        "label": label_of(fact),
        "region_code": place.code if place else None,
        "region": place.name if place else None,
        "level": place.level if place else None,
        "metric": fact.metric if isinstance(fact, Target) else None,
        "date": date_of(fact),
        "payload": fact_payload(fact),
    }


def fact_row(fact: Fact, item_rows: dict[int, ItemRow]) -> FactRow:
    """Return the row storing a fact, linked to its item's row."""
    return FactRow(item=item_rows.get(fact.prov.item_index), **fact_values(fact))


def fact_record(row: FactRow, item_index: int | None) -> FactRecord:
    """Return a stored fact as a record."""
    return FactRecord(
        id=row.id,
        document_id=row.document_id,
        document=row.document.source,
        item_index=item_index,
        kind=row.kind,
        label=row.label,
        region=row.region,
        level=row.level,
        metric=row.metric,
        date=row.date,
        quote=row.quote,
        span=(row.start, row.end),
        raw_span=(row.raw_start, row.raw_end),
        extractor=row.extractor,
        values=row.payload,
    )


def rebuild_document(row: DocumentRow) -> Document:
    """Return the Document a stored row holds (without facts), to extract it again."""
    raw = RawDocument(
        row.source,
        row.sha256,
        row.format,
        row.encoding,
        row.raw_text,
        row.title,
        row.published,
        row.size,
    )
    offsets = OffsetMap(tuple((a, b, c) for a, b, c in row.offset_runs), len(row.clean_text))
    links_by_item: dict[int | None, list[SourceLink]] = {}
    for link in row.links:
        links_by_item.setdefault(link.item_id, []).append(
            SourceLink(link.url, link.number, Span(link.raw_start, link.raw_end))
        )
    clean = CleanText(
        row.clean_text,
        offsets,
        tuple(link for links in links_by_item.values() for link in links),
        tuple((k, v) for k, v in row.page_metadata),
    )
    items = tuple(
        Item(
            index=i.idx,
            kind=i.kind,
            title=i.title,
            span=Span(i.start, i.end),
            text=i.text,
            path=tuple(i.path),
            section=i.section,
            number=i.number,
            responsible=tuple(i.responsible),
            links=tuple(links_by_item.get(i.id, ())),
        )
        for i in row.items
    )
    return Document(raw=raw, clean=clean, items=items, ingested_at=row.ingested_at)

"""Facts to rows and back: the payload, the filter columns, and the stored document rebuilt."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields, is_dataclass
from functools import cache
from operator import attrgetter
from typing import Any

from policylens.model import (
    FACT_KINDS,
    CleanText,
    DateValue,
    Deal,
    Document,
    Event,
    Fact,
    Funding,
    Item,
    ItemDate,
    OffsetMap,
    Place,
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


# A fact row's filter columns: label, region code, region, level, metric and date.
FilterColumns = tuple[str, str | None, str | None, str | None, str | None, str | None]
_NOWHERE: tuple[None, None, None] = (None, None, None)


def _place_columns(place: Place | None) -> tuple[str | None, str | None, str | None]:
    return _NOWHERE if place is None else (place.code, place.name, place.level)


def _date_value(date: DateValue | None) -> str | None:
    return date.value if date else None


def _topic_columns(fact: TopicTag) -> FilterColumns:
    return fact.topic, None, None, None, None, None


def _policy_columns(fact: PolicyMention) -> FilterColumns:
    return fact.title, *_place_columns(fact.place), None, _date_value(fact.date)


def _target_columns(fact: Target) -> FilterColumns:
    year = str(fact.target_year) if fact.target_year else None
    return fact.metric_text, *_place_columns(fact.place), fact.metric, year


def _funding_columns(fact: Funding) -> FilterColumns:
    return fact.purpose, *_place_columns(fact.place), None, None


def _deal_columns(fact: Deal) -> FilterColumns:
    return f"{fact.company} {fact.round}", None, None, None, None, _date_value(fact.date)


def _event_columns(fact: Event) -> FilterColumns:
    return fact.name, *_place_columns(fact.place), None, _date_value(fact.date)


def _date_columns(fact: ItemDate) -> FilterColumns:
    return fact.date.value, None, None, None, None, _date_value(fact.date)


# By fact type, its kind and its filter columns: one lookup and one call a fact, where
# asking its label, place and date in turn (isinstance chains) cost as much as its payload.
_COLUMNS: dict[type, tuple[str, Callable[[Any], FilterColumns]]] = {
    cls: (FACT_KINDS[cls], columns)
    for cls, columns in (
        (TopicTag, _topic_columns),
        (PolicyMention, _policy_columns),
        (Target, _target_columns),
        (Funding, _funding_columns),
        (Deal, _deal_columns),
        (Event, _event_columns),
        (ItemDate, _date_columns),
    )
}


def filter_columns(fact: Fact) -> FilterColumns:
    """Return the columns a fact is filtered and listed by: its label (the few words that
    name it), its place's code, name and level, its metric, and its date (issue date, target
    year, deal, event or news date)."""
    return _COLUMNS[type(fact)][1](fact)


def label_of(fact: Fact) -> str:
    """Return the few words that name a fact in a list."""
    return filter_columns(fact)[0]


def date_of(fact: Fact) -> str | None:
    """Return the date a fact is filtered by: issue date, target year, deal or event date."""
    return filter_columns(fact)[5]


@cache
def _field_names(cls: type) -> tuple[str, ...] | None:
    """Return the field names of a dataclass, None for any other type (asked once a type)."""
    return tuple(f.name for f in fields(cls)) if is_dataclass(cls) else None


_LEAVES = (str, int, float, type(None))
# The exact types of most leaves, tested by one set lookup before the general rules below.
_LEAF_TYPES = frozenset({str, int, float, bool, type(None)})


def _plain(value: Any) -> Any:
    """Return a value as JSON-ready data: dataclasses as dicts, tuples as lists."""
    if type(value) in _LEAF_TYPES or isinstance(value, _LEAVES):
        return value
    names = _field_names(type(value))
    if names is not None:
        return _plain_fields(value, names)
    if isinstance(value, tuple | list):
        return [v if type(v) in _LEAF_TYPES else _plain(v) for v in value]
    return value


def _plain_fields(value: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """Return a dataclass's fields as JSON-ready data (leaves without a call each)."""
    out = {}
    for name in names:
        own = getattr(value, name)
        out[name] = own if type(own) in _LEAF_TYPES else _plain(own)
    return out


@cache
def _payload_names(cls: type) -> tuple[str, ...]:
    """Return the fields of a fact type that its payload holds (all but its provenance)."""
    return tuple(name for name in _field_names(cls) or () if name != "prov")


def fact_payload(fact: Fact) -> dict[str, Any]:
    """Return a fact's values as stored (everything but its provenance)."""
    # dataclasses.asdict deep-copies every leaf: ten times slower on a large load; and
    # fields() and is_dataclass() per value cost as much again as the copying here.
    return _plain_fields(fact, _payload_names(type(fact)))


# A field's type as written (the model's annotations are strings) or evaluated. Resolving
# them with get_type_hints compiled every annotation: longer than the sharing saves.
_TEXT_TYPES = frozenset({str, "str", tuple[str, ...], "tuple[str, ...]"})


@cache
def _text_only(cls: type) -> bool:
    """Return whether a fact type's payload fields are all text (str, or tuples of str), so
    that facts with equal fields have equal payloads (asked once a type)."""
    names = set(_payload_names(cls))
    return all(f.type in _TEXT_TYPES for f in fields(cls) if f.name in names)


@cache
def _shared_key(cls: type) -> Callable[[Fact], Any] | None:
    """Return what gives a fact's payload fields' values (in C: ``attrgetter``), which key
    it among equal ones; None for a type whose payload is not all text (asked once a type)."""
    if not _text_only(cls):
        return None
    names = _payload_names(cls)
    return attrgetter(*names) if names else lambda fact: ()


@dataclass(frozen=True, slots=True)
class SharedPayloads:
    """Fact payloads made once per distinct value for fact types whose payload is all text
    (topic tags: documents tag the same few topics on item after item). Equal payloads are
    then one object, which the row writer serializes once (``rows.insert_rows``)."""

    made: dict[tuple[type, Any], dict[str, Any]] = field(default_factory=dict)

    def __call__(self, fact: Fact) -> dict[str, Any]:
        cls = type(fact)
        values_of = _shared_key(cls)
        if values_of is None:
            return fact_payload(fact)
        key = (cls, values_of(fact))
        try:
            payload = self.made.get(key)
        except TypeError:  # a list where the type says tuple: not shared
            return fact_payload(fact)
        if payload is None:
            payload = self.made[key] = _plain_fields(fact, _payload_names(cls))
        return payload


def fact_values(
    fact: Fact, payload_of: Callable[[Fact], dict[str, Any]] = fact_payload
) -> dict[str, Any]:
    """Return the column values of a fact's row (all but its ids); the payload made by
    ``payload_of`` (``SharedPayloads`` to share equal ones)."""
    kind, columns = _COLUMNS[type(fact)]
    label, region_code, region, level, metric, date = columns(fact)
    prov = fact.prov
    span, raw_span = prov.span, prov.raw_span
    return {
        "kind": kind,
        "extractor": prov.extractor,
        "start": span.start,
        "end": span.end,
        "raw_start": raw_span.start,
        "raw_end": raw_span.end,
        "quote": prov.quote,
        "label": label,
        "region_code": region_code,
        "region": region,
        "level": level,
        "metric": metric,
        "date": date,
        "payload": payload_of(fact),
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

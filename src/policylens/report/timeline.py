"""A timeline: dated policies and events in order, each with the documents that mention it.

Mentions of one policy (the same normalized title) or one event (the same name)
are one entry. Its date is the earliest date a source gives with a written year;
a date whose year was only inferred counts when no source writes one. Every
source keeps its own date and quote, so a disagreement stays visible.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from policylens.errors import NotFoundError
from policylens.report.tables import Cell, short_name
from policylens.store.facts import FactRecord

TIMELINE_KINDS = ("policy", "event")
# Years read from the text itself; the others were inferred from context.
WRITTEN_YEAR = ("explicit", "item")


@dataclass(frozen=True, slots=True)
class TimelineQuery:
    """Which entries to show: a topic's items, a region (and places under it), a period."""

    topic: str | None = None
    region: str | None = None
    date_from: str | None = None  # YYYY-MM-DD; a month or year overlapping it counts
    date_to: str | None = None


@dataclass(frozen=True, slots=True)
class TimelineSource:
    """One mention: its document, the date it gives and the exact words."""

    document_id: int
    document: str
    item_index: int | None
    date: str | None
    year_from: str | None
    quote: str


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """A dated policy or event with every mention of it."""

    date: str
    kind: str  # policy | event
    title: str
    region: str | None
    level: str | None
    sources: tuple[TimelineSource, ...]


def entry_key(record: FactRecord) -> tuple[str, str]:
    """Return what makes mentions one entry: a policy's normalized title, an event's name."""
    if record.kind == "policy":
        return record.kind, record.values.get("normalized_title") or record.label
    return record.kind, record.label


def _year_from(record: FactRecord) -> str | None:
    date = record.values.get("date")
    return date.get("year_from") if isinstance(date, dict) else None


def _source(record: FactRecord) -> TimelineSource:
    return TimelineSource(
        document_id=record.document_id,
        document=short_name(record.document),
        item_index=record.item_index,
        date=record.date,
        year_from=_year_from(record),
        quote=record.quote,
    )


def _entry_date(records: list[FactRecord]) -> str | None:
    dated = [r for r in records if r.date]
    written = [r for r in dated if _year_from(r) in WRITTEN_YEAR]
    return min(r.date for r in written or dated if r.date) if dated else None


def _entry(records: list[FactRecord]) -> TimelineEntry | None:
    date = _entry_date(records)
    if date is None:
        return None
    placed = next((r for r in records if r.region), records[0])
    sources = {(r.document_id, r.item_index, r.quote): _source(r) for r in records}
    return TimelineEntry(
        date=date,
        kind=records[0].kind,
        title=entry_key(records[0])[1],
        region=placed.region,
        level=placed.level,
        sources=tuple(sources.values()),
    )


def in_period(date: str, date_from: str | None, date_to: str | None) -> bool:
    """Return whether a date (day, month or year) overlaps the period."""
    starts_ok = date_from is None or date >= date_from or date_from.startswith(date)
    return starts_ok and (date_to is None or date <= date_to)


def _wanted(
    entry: TimelineEntry, query: TimelineQuery, topic_items: set[tuple[int, int | None]] | None
) -> bool:
    if query.region and (entry.region is None or query.region not in entry.region):
        return False
    if topic_items is not None and not any(
        (s.document_id, s.item_index) in topic_items for s in entry.sources
    ):
        return False
    return in_period(entry.date, query.date_from, query.date_to)


def topic_items(topics: Iterable[FactRecord], topic: str) -> set[tuple[int, int | None]]:
    """Return the (document id, item index) of every item tagged with a topic."""
    return {(r.document_id, r.item_index) for r in topics if r.kind == "topic" and r.label == topic}


def build_timeline(
    records: Iterable[FactRecord],
    query: TimelineQuery,
    tagged: set[tuple[int, int | None]] | None = None,
) -> list[TimelineEntry]:
    """Return dated policies and events in date order; ``tagged`` limits them to those items."""
    grouped: dict[tuple[str, str], list[FactRecord]] = defaultdict(list)
    for record in records:
        if record.kind in TIMELINE_KINDS:
            grouped[entry_key(record)].append(record)
    entries = [e for e in map(_entry, grouped.values()) if e is not None]
    wanted = [e for e in entries if _wanted(e, query, tagged)]
    return sorted(wanted, key=lambda e: (e.date, e.kind, e.title))


TIMELINE_COLUMNS = ("date", "kind", "title", "region", "sources", "quote")


def entry_row(entry: TimelineEntry) -> list[Cell]:
    """Return an entry's cells in TIMELINE_COLUMNS order."""
    return [
        entry.date,
        entry.kind,
        entry.title,
        entry.region,
        "; ".join(dict.fromkeys(s.document for s in entry.sources)),
        " / ".join(dict.fromkeys(s.quote.replace("\n", " ") for s in entry.sources)),
    ]


def resolve_topic(topic: str, vocabulary: Iterable[tuple[str, str]]) -> str:
    """Return the taxonomy topic a name or trigger word means: 元宇宙 → metaverse."""
    pairs = list(vocabulary)
    if any(topic == name for name, _ in pairs):
        return topic
    for name, trigger in pairs:
        if topic.lower() == trigger.lower():
            return name
    known = ", ".join(dict.fromkeys(name for name, _ in pairs))
    raise NotFoundError(f"unknown topic {topic!r}; topics (data/topics.tsv): {known}")

"""The data model: plain frozen dataclasses shared by every stage."""

from __future__ import annotations

import bisect
import math
import operator
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, TypeVar

import numpy as np

_Class = TypeVar("_Class", bound=type)


def pickled_by_fields(cls: _Class) -> _Class:
    """Make a frozen slots dataclass pickle as its class and its field values, in order.

    Worker processes send every Document back to the one store writer, about 25 small
    objects per item. The default pickle of a slots dataclass looks its fields up again for
    every object on both sides; the class and a tuple of values take half the time and are
    rebuilt through ``__init__`` (so a Span's check still runs).
    """
    names = tuple(f.name for f in fields(cls))
    values = operator.attrgetter(*names)
    single = len(names) == 1  # attrgetter of one name gives the bare value, not a tuple

    def __reduce__(self: Any) -> tuple[type, tuple[Any, ...]]:
        return cls, (values(self),) if single else values(self)

    cls.__reduce__ = __reduce__  # type: ignore[assignment]
    return cls


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Span:
    """A half-open character range ``[start, end)``."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if self.start < 0 or self.end < self.start:
            raise ValueError(f"bad span {self.start}..{self.end}")

    def __len__(self) -> int:
        return self.end - self.start


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class OffsetMap:
    """Maps each clean-text character to the raw-text character it came from.

    Stored as runs ``(clean_start, raw_start, length)``: inside a run, clean
    character ``clean_start + k`` came from raw character ``raw_start + k``.
    Most of a document is one long run, so the map stays small.
    """

    runs: tuple[tuple[int, int, int], ...]
    clean_length: int

    @classmethod
    def from_origins(cls, origins: Sequence[int]) -> OffsetMap:
        """Return the run-length form of a per-character origin list."""
        if not len(origins):
            return cls((), 0)
        values = np.asarray(origins, dtype=np.int64)
        # A run breaks wherever the next origin is not the previous one plus one. A document
        # has a few dozen runs: plain lists for them beat numpy's wrappers (np.diff,
        # np.concatenate), whose overhead was most of the time here.
        starts = [0, *((values[1:] - values[:-1] != 1).nonzero()[0] + 1).tolist()]
        lengths = list(map(operator.sub, [*starts[1:], len(values)], starts))
        runs = tuple(zip(starts, values[starts].tolist(), lengths, strict=True))
        return cls(runs, len(values))

    def origins(self) -> list[int]:
        """Return the raw index of every clean character, in order."""
        if not self.runs:
            return []
        starts = np.array([run[1] for run in self.runs], dtype=np.int64)
        lengths = np.array([run[2] for run in self.runs], dtype=np.int64)
        offsets = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        return (np.repeat(starts, lengths) + offsets).tolist()

    def _run_of(self, clean_index: int) -> tuple[int, int, int]:
        if not 0 <= clean_index < self.clean_length:
            raise IndexError(clean_index)
        # Runs sort by clean start; (index, inf, inf) sorts after every run starting at or
        # before the index, so plain tuple comparison (in C) finds the run.
        return self.runs[bisect.bisect_right(self.runs, (clean_index, math.inf, math.inf)) - 1]

    def to_raw(self, clean_index: int) -> int:
        """Return the raw index of one clean character."""
        run = self._run_of(clean_index)
        return run[1] + (clean_index - run[0])

    def span_to_raw(self, span: Span) -> Span:
        """Return the raw span covering the clean span (empty spans stay empty)."""
        if len(span) == 0:
            if span.start >= self.clean_length:
                end = self.to_raw(self.clean_length - 1) + 1 if self.clean_length else 0
                return Span(end, end)
            point = self.to_raw(span.start)
            return Span(point, point)
        run = self._run_of(span.start)
        last = span.end - 1
        # A quote usually lies inside one run: then one lookup maps both ends.
        if last < run[0] + run[2]:
            return Span(run[1] + (span.start - run[0]), run[1] + (last - run[0]) + 1)
        return Span(run[1] + (span.start - run[0]), self.to_raw(last) + 1)


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class SourceLink:
    """A URL the document cites, e.g. a newsletter footnote."""

    url: str
    number: int | None  # footnote number as printed; None for an unnumbered link
    raw_span: Span  # where the link was written in the raw text
    anchor: int | None = None  # clean-text offset of the reference mark, if found


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Item:
    """One unit of a document: a digest entry, a plan section, front matter…"""

    index: int
    # digest_entry | plan_section | article | front_matter | notice | contents | back_matter
    kind: str
    title: str
    span: Span  # in the clean text
    text: str
    path: tuple[str, ...] = ()
    section: str | None = None
    number: str | None = None  # the entry or heading number as written: "1、", "01", "(一)"
    responsible: tuple[str, ...] = ()  # 责任单位 of a plan task
    links: tuple[SourceLink, ...] = ()


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class RawDocument:
    """What ingest read: bytes decoded into text, with where they came from."""

    source: str  # path or URL
    sha256: str
    format: str  # txt | html | pdf | docx
    encoding: str | None
    raw_text: str
    title: str | None = None
    published: str | None = None  # ISO date from metadata, when the format gives one
    size: int = 0


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class CleanText:
    """Normalized text, its map back to the raw text, and what cleaning set aside."""

    text: str
    offsets: OffsetMap
    links: tuple[SourceLink, ...] = ()
    metadata: tuple[tuple[str, str], ...] = ()  # e.g. ("url", …), ("updated", …) from page footers


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Document:
    """A processed document: raw and clean text, offset map and items."""

    raw: RawDocument
    clean: CleanText
    items: tuple[Item, ...] = ()
    ingested_at: datetime = field(default_factory=datetime.now)
    facts: tuple[Fact, ...] = ()

    @property
    def title(self) -> str:
        """Return the best title known: format, page footer, notice or plan, else an item."""
        if self.raw.title:
            return self.raw.title
        for key, value in self.clean.metadata:
            if key == "title":
                return value.strip("《》")
        for kinds in (("notice", "article"), ("plan_section",), ("digest_entry",)):
            for item in self.items:
                if item.kind in kinds and item.title:
                    return item.title
        return self.raw.source


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a fact was read: its item, its span in the clean and raw text, the exact raw quote."""

    item_index: int
    span: Span  # in the clean text
    raw_span: Span  # in the raw text
    quote: str  # raw_text[raw_span]: the words as the document has them
    extractor: str  # versioned rule name, e.g. "target.v1"

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # Every fact has one, and its two Spans are half the objects a worker process sends
        # back: sent as plain ints, a batch of Documents pickles and unpickles ~15% faster.
        span, raw_span = self.span, self.raw_span
        values = (span.start, span.end, raw_span.start, raw_span.end)
        return _rebuilt_provenance, (self.item_index, *values, self.quote, self.extractor)


def _rebuilt_provenance(
    item_index: int, start: int, end: int, raw_start: int, raw_end: int, quote: str, extractor: str
) -> Provenance:
    """Return a pickled Provenance, its spans rebuilt without the check they passed when made."""
    return Provenance(
        item_index,
        _known_valid_span(start, end),
        _known_valid_span(raw_start, raw_end),
        quote,
        extractor,
    )


_set_span_start = Span.__dict__["start"].__set__
_set_span_end = Span.__dict__["end"].__set__


def _known_valid_span(start: int, end: int) -> Span:
    """Return a Span known to be valid, made at half the cost of its constructor."""
    span = object.__new__(Span)
    _set_span_start(span, start)
    _set_span_end(span, end)
    return span


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Place:
    """A resolved administrative region."""

    code: str  # 6-digit division code; "000000" for the whole country
    name: str  # chain from the province down: "四川省成都市"; "全国"
    level: str  # national | provincial | municipal | district


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class DateValue:
    """A date as read: ISO value, and whether the year was written or inferred (and from what)."""

    value: str  # YYYY-MM-DD or YYYY-MM
    surface: str
    year_from: str  # explicit | item | document | url | metadata | ingest


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class PolicyMention:
    """A policy document named in 《》."""

    title: str  # as written inside 《》
    normalized_title: str
    kind: str | None
    draft: bool
    issuers: tuple[str, ...]  # as written
    issuer_places: tuple[str, ...]  # each issuer's region: "全国", "四川省", "上海市黄浦区"
    issuer_count: int | None  # "等16部门"
    place: Place | None
    date: DateValue | None
    doc_number: str | None
    period: tuple[int, int] | None
    prov: Provenance


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Target:
    """A quantified goal: metric, value or range, unit, qualifier, year, region, sector."""

    metric: str
    metric_text: str
    sector: str | None
    value_low: float
    value_high: float
    unit: str  # CNY | count | percent | USD …
    qualifier: str  # exact | at_least | exceeds | about | range
    target_year: int | None
    place: Place | None
    policy: str | None  # normalized title of the policy the target belongs to
    prov: Provenance


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Funding:
    """Support money a policy offers."""

    amount_cny_max: float
    amount_text: str
    purpose: str
    conditions: str
    place: Place | None
    prov: Provenance


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Deal:
    """A financing round."""

    company: str
    round: str
    amount_text: str | None
    amount_low: float | None
    amount_high: float | None
    vague: bool
    investors: tuple[str, ...]
    date: DateValue | None
    prov: Provenance


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Event:
    """A conference, forum, launch or first-of-its-kind certificate."""

    name: str
    date: DateValue | None
    place: Place | None
    organizers: tuple[str, ...]
    prov: Provenance


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class TopicTag:
    """A taxonomy topic tagged on an item, with the words that triggered it."""

    topic: str
    triggers: tuple[str, ...]
    prov: Provenance


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class ItemDate:
    """The date an item (a news entry) carries."""

    date: DateValue
    prov: Provenance


Fact = PolicyMention | Target | Funding | Deal | Event | TopicTag | ItemDate
FACT_KINDS: dict[type, str] = {
    PolicyMention: "policy",
    Target: "target",
    Funding: "funding",
    Deal: "deal",
    Event: "event",
    TopicTag: "topic",
    ItemDate: "date",
}

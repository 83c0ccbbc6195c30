"""What every extractor needs about the document: text, clues, provenance, places."""

from __future__ import annotations

import bisect
import functools
import math
import re
from dataclasses import dataclass, field

from policylens.extract import dates
from policylens.extract.numbers import Quantity, find_quantities
from policylens.gazetteer import NATION, Division, Gazetteer
from policylens.model import DateValue, Document, Item, Place, Provenance, Span
from policylens.resources import Resources

SENTENCE_END = re.compile(r"[。！？；\n]")
WHOLE_AREA = re.compile(r"全(省|市|区|县)")
NO_CLUES = dates.YearClues()
UNRESOLVED = DateValue("", "", "")  # no date resolves to it: marks a hit not yet resolved
MATCH_END = re.Match.end  # called by map in C, for every sentence mark of an item
# How far from a figure or title an extractor reads for its sentence, clause or paragraph.
# The longest sentence in ~1,100 real and generated documents is ~700 characters; a line
# that runs on with no break (broken or hostile input) would otherwise have every figure
# of it read back to the line's start, and extraction grow with the square of its length.
READING_REACH = 1000


@dataclass
class DocContext:
    """A document being extracted, with its year clues and the places it is about."""

    document: Document
    res: Resources
    document_year: int | None
    metadata_year: int | None
    ingest_year: int
    document_place: Place | None = None
    _item_places: dict[int, list[tuple[int, int, str]]] = field(default_factory=dict)
    _item_quantities: dict[int, list[Quantity]] = field(default_factory=dict)
    _item_dates: dict[int, list[dates.DateHit]] = field(default_factory=dict)
    _item_runs: dict[int, tuple[int, int, int]] = field(default_factory=dict)
    _resolved: dict[tuple[int, dates.DateHit], DateValue | None] = field(default_factory=dict)

    @classmethod
    def build(cls, document: Document, res: Resources) -> DocContext:
        """Return the context of a document: its own year, its metadata's year, its main place."""
        metadata_year = None
        for value in [document.raw.published or ""] + [
            v for k, v in document.clean.metadata if k == "updated"
        ]:
            match = re.search(r"20\d{2}", value)
            if match:
                metadata_year = int(match.group(0))
                break
        ctx = cls(
            document,
            res,
            dates.document_year(document.clean.text),
            metadata_year,
            document.ingested_at.year,
        )
        ctx.document_place = ctx._main_place()
        return ctx

    @property
    def gazetteer(self) -> Gazetteer:
        """Return the gazetteer."""
        return self.res.gazetteer

    def _main_place(self) -> Place | None:
        for item in self.document.items:
            if item.kind in ("notice", "plan_section") and item.path[:1]:
                place = self.gazetteer.resolve_text(item.path[0])
                if place:
                    return place
            if item.kind == "notice":
                place = self.gazetteer.resolve_text(item.title)
                if place:
                    return place
        return None

    def prov(self, item: Item, start: int, end: int, extractor: str) -> Provenance:
        """Return the provenance of ``item.text[start:end]``."""
        clean_start, clean_end = item.span.start + start, item.span.start + end
        span = Span(clean_start, clean_end)
        run = self._item_runs.get(item.index) or self._item_run(item)
        # A quote inside the run the item opens with maps by one addition (span_to_raw's
        # own arithmetic for that case); a fact is made thousands of times per corpus.
        if run[0] <= clean_start < clean_end <= run[1]:
            # A run at the same offsets in both texts (most of a plain text) maps a span to
            # itself: the one (frozen) Span serves as both.
            raw_span = Span(clean_start + run[2], clean_end + run[2]) if run[2] else span
        else:
            raw_span = self.document.clean.offsets.span_to_raw(span)
        quote = self.document.raw.raw_text[raw_span.start : raw_span.end]
        return Provenance(item.index, span, raw_span, quote, extractor)

    def _item_run(self, item: Item) -> tuple[int, int, int]:
        """Return ``(clean start, clean end, raw minus clean offset)`` of the offset-map run
        holding an item's first character ((0, 0, 0), which holds no span, without one)."""
        offsets = self.document.clean.offsets
        start = item.span.start
        run = (0, 0, 0)
        if 0 <= start < offsets.clean_length:
            first, origin, length = offsets.runs[
                bisect.bisect_right(offsets.runs, (start, math.inf, math.inf)) - 1
            ]
            run = (first, first + length, origin - first)
        self._item_runs[item.index] = run
        return run

    def year_clues(self, item: Item, position: int) -> dates.YearClues:
        """Return the year clues for a year-less date at ``position`` in an item."""
        item_year = None
        for hit in self.dates(item):
            if hit.end > position:
                break
            if hit.year is not None and hit.day is not None:
                item_year = hit.year
        url_year = None
        for link in item.links:
            found = dates.url_year(link.url)
            if found:
                url_year = found[0]
                break
        return dates.YearClues(
            item_year, url_year, self.document_year_for_dates(), None, self.ingest_year
        )

    def document_year_for_dates(self) -> int | None:
        """Return the page's own date year if it has one, else the document's written year."""
        return self.metadata_year or self.document_year

    def resolve_date(self, item: Item, hit: dates.DateHit) -> DateValue | None:
        """Return a date hit of an item as an ISO date, its year explicit or inferred."""
        # Several extractors resolve the same hit (an item's first date is its date, its
        # event's and its policy's): once per hit.
        key = (item.index, hit)
        # One look-up for a hit resolved before: hashing a hit hashes each of its fields.
        value = self._resolved.get(key, UNRESOLVED)
        if value is UNRESOLVED:
            value = self._resolved[key] = self._resolve_date(item, hit)
        return value

    def _resolve_date(self, item: Item, hit: dates.DateHit) -> DateValue | None:
        # A hit with its own year takes nothing from the clues.
        clues = NO_CLUES if hit.year is not None else self.year_clues(item, hit.start)
        value = dates.resolve(hit, clues)
        if value and value.year_from == "document" and self.metadata_year:
            return DateValue(value.value, value.surface, "metadata")
        return value

    def quantities(self, item: Item) -> list[Quantity]:
        """Return the quantities of an item's text (read once per item)."""
        if item.index not in self._item_quantities:
            self._item_quantities[item.index] = find_quantities(item.text)
        return self._item_quantities[item.index]

    def dates(self, item: Item) -> list[dates.DateHit]:
        """Return the date expressions of an item's text (read once per item)."""
        if item.index not in self._item_dates:
            self._item_dates[item.index] = dates.find_dates(item.text)
        return self._item_dates[item.index]

    def dates_between(self, item: Item, floor: int, end: int) -> list[dates.DateHit]:
        """Return the date hits of an item starting at or after ``floor`` and ending by ``end``."""
        return hits_between(self.dates(item), floor, end)

    def places(self, item: Item) -> list[tuple[int, int, str]]:
        """Return ``(start, end, code)`` of each place named in an item, resolved in context."""
        if item.index not in self._item_places:
            gazetteer = self.gazetteer
            context = {d.code for d in self._context_chain()}
            found = []
            for start, end, candidates in gazetteer.find_spans(item.text):
                code = gazetteer.resolve(candidates, context)
                context.update(gazetteer.chain_codes.get(code, ()))
                found.append((start, end, code))
            self._item_places[item.index] = found
        return self._item_places[item.index]

    def _last_place(self, item: Item, floor: int, position: int) -> Place | None:
        """Return the last place named at or after ``floor`` and before ``position``."""
        places = self.places(item)
        # Places come in text order: the last one starting before ``position`` by bisection.
        last = bisect.bisect_left(places, position, key=_start) - 1
        if last < 0 or places[last][0] < floor:
            return None
        return self.gazetteer.place(places[last][2])

    def _context_chain(self) -> tuple[Division, ...]:
        if self.document_place is None or self.document_place.code == NATION.code:
            return ()
        return self.gazetteer.chain(self.document_place.code)

    def place_in_paragraph(self, item: Item, position: int) -> Place | None:
        """Return the last place named before ``position`` in its paragraph."""
        return self._last_place(item, paragraph_start(item.text, position), position)

    def place_before(self, item: Item, position: int, same_sentence: bool = True) -> Place | None:
        """Return the last place named before ``position`` (in its sentence, if asked)."""
        floor = sentence_start(item.text, position) if same_sentence else 0
        return self._last_place(item, floor, position)


def _start(place: tuple[int, int, str]) -> int:
    return place[0]


def hits_between(hits: list[dates.DateHit], floor: int, end: int) -> list[dates.DateHit]:
    """Return the hits of ``find_dates`` starting at or after ``floor`` and ending by ``end``.

    Its hits are in order and never overlap, so their ends are in order too: the hits are a
    slice found by bisection (titles and events ask this of date-dense digests).
    """
    low = bisect.bisect_left(hits, floor, key=_hit_start)
    return hits[low : max(low, bisect.bisect_right(hits, end, key=_hit_end))]


def _hit_start(hit: dates.DateHit) -> int:
    return hit.start


def _hit_end(hit: dates.DateHit) -> int:
    return hit.end


def reach_back(position: int) -> int:
    """Return the furthest offset before ``position`` an extractor reads back to."""
    return max(0, position - READING_REACH)


def reach_forward(text: str, position: int) -> int:
    """Return the furthest offset after ``position`` an extractor reads on to."""
    return min(len(text), position + READING_REACH)


def paragraph_start(text: str, position: int) -> int:
    """Return where the paragraph (line) holding ``position`` starts, within reach."""
    floor = position - READING_REACH
    if floor <= 0:
        return text.rfind("\n", 0, position) + 1
    return text.rfind("\n", floor, position) + 1 or floor


def sentence_start(text: str, position: int) -> int:
    """Return where the sentence holding ``position`` starts, within reach."""
    ends = sentence_ends(text)
    start = ends[bisect.bisect_left(ends, position + 1) - 1]
    # Asked thousands of times per document: the reach is tested inline.
    return start if position - start <= READING_REACH else position - READING_REACH


@functools.lru_cache(maxsize=64)
def sentence_ends(text: str) -> tuple[int, ...]:
    """Return 0 and the offset after every sentence mark of a text, in order.

    Extractors ask for sentence starts many times per item; one scan per text serves all.
    """
    return (0, *map(MATCH_END, SENTENCE_END.finditer(text)))


def last_mark_finder(marks: re.Pattern[str]) -> re.Pattern[str]:
    """Return a pattern whose match up to a position ends just after the last character of
    the class ``marks`` before it: ``.*`` jumps to the end and backs off to the nearest
    mark, where listing every mark from the start of a long item was quadratic."""
    return re.compile(f"(?s:.*){marks.pattern}")


def after_last_mark(finder: re.Pattern[str], text: str, position: int) -> int:
    """Return the offset after the last mark before ``position`` (the reach back without
    one), given the ``last_mark_finder`` of the marks."""
    floor = reach_back(position)
    match = finder.match(text, floor, position)
    return match.end() if match else floor


def sentence_end(text: str, position: int) -> int:
    """Return where the sentence holding ``position`` ends (after its mark), within reach."""
    limit = reach_forward(text, position)
    match = SENTENCE_END.search(text, position, limit)
    return match.end() if match else limit

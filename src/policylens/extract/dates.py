"""Dates, periods and deadlines, with the year of a year-less date taken from a named clue."""

from __future__ import annotations

import bisect
import functools
import operator
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from policylens.model import DateValue

# Each pattern starts with a digit and checks the character before it in a lookbehind
# placed after that digit ("not preceded by a digit"): a pattern that opens with a
# lookbehind makes the engine try every position of the text, one opening with a digit
# lets it skip in C to the next digit. tests/test_properties.py holds them to the
# lookbehind-first forms.
FULL_DATE = re.compile(r"((?:20|19)(?<!\d..)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
ISO_DATE = re.compile(r"(2(?<![\d/].)0\d{2})-(\d{1,2})-(\d{1,2})(?!\d)")
MONTH_DAY = re.compile(r"(\d(?<!\d\d)\d?)\s*月\s*(\d{1,2})\s*日")
YEAR_MONTH = re.compile(r"(2(?<!\d.)0\d{2})\s*年\s*(\d{1,2})\s*月(?!\s*\d{1,2}\s*日)")
# "11月，杭州市…": a month opening the text or a clause.
BARE_MONTH = re.compile(r"(\d(?:(?<=^.)|(?<=[，。；：\n].))\d?)\s*月(?=\s*[，,]|份)")
RELATIVE_MONTH = re.compile(r"(今年|去年|明年)\s*(\d{1,2})\s*月(?:\s*(\d{1,2})\s*日)?")
RELATIVE_YEARS = ("今年", "去年", "明年")
# Where BARE_MONTH can end: a month mark before a comma or 份. Its literal opening lets the
# engine skip in C to each 月, where BARE_MONTH tries every digit; few items have one.
BARE_MONTH_END = re.compile(r"月(?=\s*[，,]|份)")
DEADLINE = re.compile(r"(?:到|至|截至|截止到|截止|力争到|力争)\s*(20\d{2})\s*年")
PERIOD = re.compile(r"(20\d{2})\s*[—–\-－~～至]\s*(20\d{2})\s*年?")
# /2023/9/18/ · /20230927/ · /2023-09/22/ · /202309/21/
URL_DATES = (
    re.compile(r"/(20\d{2})/(\d{1,2})/(\d{1,2})/"),
    re.compile(r"/(20\d{2})(\d{2})(\d{2})/"),
    re.compile(r"/(20\d{2})-(\d{2})/(\d{2})/"),
    re.compile(r"/(20\d{2})(\d{2})/(\d{2})/"),
    re.compile(r"[/-](20\d{2})-(\d{2})-(\d{2})/"),
)
YEAR_MENTION = re.compile(r"(2(?<!\d.)0\d{2})(?=\s*年(?!\s*[—–\-－~～至])|\s*[\u4e00-\u9fff])")
RELATIVE_OFFSET = {"今年": 0, "去年": -1, "明年": 1}


@dataclass(frozen=True, slots=True)
class DateHit:
    """A date expression found in a text."""

    start: int
    end: int
    surface: str
    year: int | None  # None: the text gives no year
    month: int
    day: int | None
    relative: str | None = None  # 今年 / 去年 / 明年


HIT_START = operator.attrgetter("start")  # a hit's start, read in C to sort by


@dataclass(frozen=True, slots=True)
class YearClues:
    """Where a year-less date can take its year from, nearest first."""

    item_year: int | None = None
    url_year: int | None = None
    document_year: int | None = None
    metadata_year: int | None = None
    ingest_year: int | None = None

    def year(self) -> tuple[int, str] | None:
        """Return the year and the name of the clue it came from."""
        for name in ("item", "url", "document", "metadata", "ingest"):
            value = getattr(self, f"{name}_year")
            if value is not None:
                return value, name
        return None


def _valid(year: int | None, month: int, day: int | None) -> bool:
    try:
        date(year or 2000, month, day or 1)
    except ValueError:
        return False
    return True


def _full_hit(m: re.Match[str]) -> DateHit:
    """Return the hit of a year-month-day match (2023年9月18日, 2023-9-18)."""
    return DateHit(
        m.start(), m.end(), m.group(0), int(m.group(1)), int(m.group(2)), int(m.group(3))
    )


def month_matches(pattern: re.Pattern[str], text: str, before: str) -> Iterator[re.Match[str]]:
    """Yield the matches of ``pattern.finditer(text)``, read from just before each 月.

    For FULL_DATE, MONTH_DAY and YEAR_MONTH: every match holds a 月, and ahead of its first
    月 only digits, spaces and characters of ``before`` (年). A match holding the next 月
    can start no earlier than the run of such characters before it, and none starts
    between the last match and that run; so each search starts there. The engine tries
    these patterns at every digit of an item; it skips to each 月 with a substring search.
    """
    run_start = _run_start_finder(before)
    read_to = 0
    while (month := text.find("月", read_to)) >= 0:
        # The run before the 月 starts after the last other character since ``read_to``.
        other = run_start.match(text, read_to, month)
        match = pattern.search(text, other.end() if other else read_to)
        if match is None:
            return
        yield match
        read_to = match.end()


@functools.cache
def _run_start_finder(before: str) -> re.Pattern[str]:
    """Return a pattern whose match up to a position ends just after the last character
    that is no digit, space or character of ``before``: ``.*`` jumps to the end and backs
    off in C, where a loop over characters in Python was most of a date search."""
    return re.compile(f"(?s:.*)[^\\d\\s{re.escape(before)}]")


def find_dates(text: str) -> list[DateHit]:
    """Return full, ISO, month-day, year-month and relative dates, in order, without overlaps."""
    hits: list[DateHit] = []
    # The spans taken so far, in order; they never overlap, so a new hit can only overlap
    # the last one starting before it ends (a bisection, not a scan of every hit).
    taken_starts: list[int] = []
    taken_ends: list[int] = []

    def taken(start: int, end: int) -> bool:
        before = bisect.bisect_left(taken_starts, end)
        return before > 0 and taken_ends[before - 1] > start

    def add(hit: DateHit) -> None:
        before = bisect.bisect_left(taken_starts, hit.end)
        if (before and taken_ends[before - 1] > hit.start) or not _valid(
            hit.year, hit.month, hit.day
        ):
            return
        taken_starts.insert(before, hit.start)
        taken_ends.insert(before, hit.end)
        hits.append(hit)

    # Each form needs its marker characters; most items lack some, and a substring test
    # is far cheaper than a regex pass over the item.
    has_month = "月" in text
    has_year = "年" in text
    if has_month and has_year and "日" in text:
        for m in month_matches(FULL_DATE, text, "年"):
            add(_full_hit(m))
    if "-" in text:
        for m in ISO_DATE.finditer(text):
            add(_full_hit(m))
    if not has_month:
        return sorted(hits, key=HIT_START)
    if has_year and any(map(text.__contains__, RELATIVE_YEARS)):
        for m in RELATIVE_MONTH.finditer(text):
            day = int(m.group(3)) if m.group(3) else None
            add(DateHit(m.start(), m.end(), m.group(0), None, int(m.group(2)), day, m.group(1)))
    if "日" in text:
        for m in month_matches(MONTH_DAY, text, ""):
            # Most lie in a full date already taken: no hit is made for those.
            if not taken(m.start(), m.end()):
                add(DateHit(m.start(), m.end(), m.group(0), None, int(m.group(1)), int(m.group(2))))
    if has_year:
        for m in month_matches(YEAR_MONTH, text, "年"):
            add(DateHit(m.start(), m.end(), m.group(0), int(m.group(1)), int(m.group(2)), None))
    for m in BARE_MONTH.finditer(text) if BARE_MONTH_END.search(text) else ():
        add(
            DateHit(
                m.start(1), m.end(), m.group(0).strip("，。；：\n"), None, int(m.group(1)), None
            )
        )
    return sorted(hits, key=HIT_START)


def url_year(url: str) -> tuple[int, int, int] | None:
    """Return the (year, month, day) a URL's path carries, if any."""
    for pattern in URL_DATES:
        match = pattern.search(url)
        if match and _valid(int(match.group(1)), int(match.group(2)), int(match.group(3))):
            return int(match.group(1)), int(match.group(2)), int(match.group(3))
    return None


def document_year(text: str) -> int | None:
    """Return the year a document is about: its most frequent written year, latest on a tie.

    Deadlines (到2025年) and plan periods (2023—2025年) are targets, not the
    document's own time, so they are not counted.
    """
    masked = DEADLINE.sub(lambda m: " " * len(m.group(0)), text)
    masked = PERIOD.sub(lambda m: " " * len(m.group(0)), masked)
    # findall gives each mention's year group; counting their values stays in C.
    years = Counter(map(int, YEAR_MENTION.findall(masked)))
    if not years:
        return None
    return max(years, key=lambda y: (years[y], y))


def resolve(hit: DateHit, clues: YearClues) -> DateValue | None:
    """Return the ISO date of a hit, taking a missing year from the nearest clue."""
    if hit.year is not None:
        year, source = hit.year, "explicit"
    else:
        found = clues.year()
        if found is None:
            return None
        year, source = found
        if hit.relative:
            year += RELATIVE_OFFSET[hit.relative]
    value = f"{year:04d}-{hit.month:02d}" + (f"-{hit.day:02d}" if hit.day else "")
    return DateValue(value, hit.surface, source)


# Asked once per figure of an item: one scan per item serves them all.
@functools.lru_cache(maxsize=64)
def deadline_years(text: str) -> tuple[tuple[int, int], ...]:
    """Return ``(offset, year)`` of each deadline such as 到2025年."""
    return tuple((m.start(), int(m.group(1))) for m in DEADLINE.finditer(text))


def period(text: str) -> tuple[int, int] | None:
    """Return the first plan period written in a text: (2023—2025年) → (2023, 2025)."""
    match = PERIOD.search(text)
    if match and int(match.group(1)) <= int(match.group(2)):
        return int(match.group(1)), int(match.group(2))
    return None

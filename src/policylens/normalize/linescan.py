"""Which lines a list of per-line patterns may match, found in one scan of the whole text.

Boilerplate and metadata rules are searched in each stripped line. Calling a dozen patterns
on every line cost ~150 ns a call, most of those two steps' time; scanning the lines joined
by newlines costs a few ns a character, and only the few lines it points at are then
searched rule by rule, exactly as before.

The scan may point at lines no pattern matches, never miss one that a pattern matches: a
pattern that matches a line also matches the joined text, in multi-line mode, at the same
place, since up to the line's end it sees the same characters and ``^``/``$`` match at line
edges. That holds unless the pattern looks past its match (lookarounds), is atomic or
possessive (it could swallow the newline and then fail), or asks for the text's own start or
end (``\\A``, ``\\Z``); such a pattern makes every line a candidate.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from policylens.normalize.tracked import line_starts

try:  # the standard library's own regex parser: private, so its absence only costs speed
    from re import _constants as sre_constants
    from re import _parser as sre_parser
except ImportError:  # pragma: no cover - a Python without it scans every line
    sre_constants = sre_parser = None  # type: ignore[assignment]


@dataclass(frozen=True, slots=True)
class LineScan:
    """Patterns that find every line some per-line pattern may match."""

    # "\n(?:…|…)" over the joined lines after a newline: patterns opening with ``^`` (their
    # rest after the newline) share one pass that jumps from newline to newline in C.
    anchored: tuple[re.Pattern[str], ...]
    floating: tuple[re.Pattern[str], ...]  # the other patterns in multi-line mode
    every_line: bool  # a pattern the scan cannot stand in for


def _subpatterns(value: Any) -> Iterator[Any]:
    """Yield the parsed subpatterns nested in one parsed item's argument."""
    if isinstance(value, sre_parser.SubPattern):
        yield value
    elif isinstance(value, tuple | list):
        for part in value:
            yield from _subpatterns(part)


def _items(parsed: Any) -> Iterator[tuple[Any, Any]]:
    """Yield every ``(op, argument)`` of a parsed pattern, nested ones included."""
    for op, value in parsed:
        yield op, value
        for sub in _subpatterns(value):
            yield from _items(sub)


def _scannable(parsed: Any) -> bool:
    """Return whether the joined-text scan finds every line the pattern matches."""
    c = sre_constants
    for op, value in _items(parsed):
        if op in (c.ASSERT, c.ASSERT_NOT, c.ATOMIC_GROUP, c.POSSESSIVE_REPEAT):
            return False
        if op is c.AT and value in (c.AT_BEGINNING_STRING, c.AT_END_STRING):
            return False
        if op is c.SUBPATTERN and value[2] & re.MULTILINE:  # (?-m:…) keeps ^ and $ whole-text
            return False
    return True


def _anchored_rest(pattern: re.Pattern[str], parsed: Any) -> str | None:
    """Return what follows a pattern's opening ``^``, when every match starts at the start."""
    numbered = any(
        op in (sre_constants.GROUPREF, sre_constants.GROUPREF_EXISTS) for op, _ in _items(parsed)
    )
    # A top-level alternative would parse as one BRANCH, so an opening AT item anchors all.
    first = parsed.data[0] if len(parsed.data) else None
    # Verbose patterns stay whole: a comment in one would swallow the text joined after it.
    if numbered or pattern.flags & re.VERBOSE or not pattern.pattern.startswith("^"):
        return None
    if first != (sre_constants.AT, sre_constants.AT_BEGINNING):
        return None
    return pattern.pattern[1:]


@lru_cache(maxsize=64)
def line_scan(patterns: tuple[re.Pattern[str], ...]) -> LineScan:
    """Return the scan standing in for searching each line with each of ``patterns``."""
    if sre_parser is None:
        return LineScan((), (), every_line=True)
    rests: dict[int, list[str]] = {}
    floating: list[re.Pattern[str]] = []
    try:
        for pattern in patterns:
            parsed = sre_parser.parse(pattern.pattern, pattern.flags)
            if not _scannable(parsed):
                return LineScan((), (), every_line=True)
            rest = _anchored_rest(pattern, parsed)
            if rest is None:
                floating.append(re.compile(pattern.pattern, pattern.flags | re.MULTILINE))
            else:
                rests.setdefault(pattern.flags, []).append(rest)
        anchored = tuple(
            re.compile(
                r"\n(?:" + "|".join(f"(?:{rest})" for rest in group) + ")", flags | re.MULTILINE
            )
            for flags, group in rests.items()
        )
    except (re.error, AttributeError, TypeError, ValueError, IndexError):
        return LineScan((), (), every_line=True)  # a parser this code does not know
    return LineScan(anchored, tuple(floating), every_line=False)


def candidate_lines(scan: LineScan, lines: list[str]) -> list[int]:
    """Return, in order, the indexes of the lines (none holding a newline) any of the scan's
    patterns may match."""
    if scan.every_line:
        return list(range(len(lines)))
    joined = "\n".join(lines)
    starts: list[int] = []  # where each line starts, made when a pattern first matches
    found: set[int] = set()
    # Line k starts at starts[k] in ``joined``; in "\n" + joined the newline before it is at
    # starts[k] too, so both kinds of pass map a match to its line the same way.
    for pattern in scan.anchored:
        found.update(_hit_lines(pattern, "\n" + joined, lines, starts))
    for pattern in scan.floating:
        found.update(_hit_lines(pattern, joined, lines, starts))
    return sorted(found)


def _hit_lines(
    pattern: re.Pattern[str], text: str, lines: list[str], starts: list[int]
) -> Iterator[int]:
    """Yield the line of each leftmost match, searching again from the next line's start.

    A match may run on over later lines; starting again at the next line, not after the
    match, still finds a line whose own match the run covered. ``starts`` is filled with
    the lines' starts on the first match.
    """
    pos = 0
    while (match := pattern.search(text, pos)) is not None:
        if not starts:
            starts.extend(line_starts(lines))
        line = bisect_right(starts, match.start()) - 1
        yield line
        if line + 1 >= len(starts):
            return
        pos = starts[line + 1]

"""Punctuation and whitespace: doubled marks, ASCII marks in Chinese text, spacing, layout."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from policylens.normalize.tracked import (
    Edit,
    TrackedText,
    code_points,
    contains_any,
    line_spans,
)

HAN = "\u3400-\u9fff"
CJK_PUNCT = "，。、；：！？（）《》“”‘’「」『』【】〔〕—…·"
MASK = re.compile(r"\*{2,}")  # masked words on web pages: "可给予**1000万元"

# ASCII marks next to Chinese text take their Chinese form.
_ASCII_TO_FULL = {",": "，", ";": "；", ":": "：", "!": "！", "?": "？"}
# A mark after Chinese, or (not a colon) before it, or a comma before Chinese after spaces.
# The mark comes first so the engine scans for the five marks in C instead of trying a
# lookbehind at every position.
ASCII_MARK_IN_CHINESE = re.compile(
    rf"[,;:!?](?:(?<=[{HAN}{CJK_PUNCT}].)|(?<=[,;!?])(?=[{HAN}{CJK_PUNCT}])|(?<=,)(?=\s*[{HAN}]))"
)
ASCII_MARKS = ",;:!?"  # every ASCII_MARK_IN_CHINESE match opens with one
PAREN_GROUP = re.compile(r"\(([^()\n]{0,80})\)")
HAN_CHAR = re.compile(f"[{HAN}]")

# A run of marks such as ",、" ",," ",;" "。," left by a bad conversion keeps its strongest mark.
DOUBLED_MARKS = re.compile(r"[，、；。,;](?:[ \t]*[，、；。,;])+")
_MARK_RANK = {"。": 4, "；": 3, ";": 3, "、": 2, "，": 1, ",": 1}

# Spaces a PDF or a careless editor put inside Chinese text: "2023 年 9 月", "举 行".
_TIGHT = rf"[{HAN}{CJK_PUNCT}]"
SPACE_IN_CHINESE = re.compile(rf"(?<={_TIGHT})[ \t]+(?={_TIGHT}|\d)|(?<=\d)[ \t]+(?={_TIGHT})")
# Patterns open with a character, not a repeat: a pattern opening with a repeat is tried at
# every position of the text, one opening with a character skips to where it is in C.
BLANK_RUN = re.compile(r"[ \t\f\v][ \t\f\v]*")
BLANK_LINES = re.compile(r"\n\n\n+")
# One very long line whose paragraphs are separated by single spaces (pages
# flattened by a scraper): a space between two Chinese characters or marks ends a paragraph.
LONG_LINE = 600
PARAGRAPH_SPACE = re.compile(
    rf"(?<=[{HAN}{CJK_PUNCT}）)])[ \t]+(?=[{HAN}（(“《—]|\d{{1,2}}[.．、](?!\d)|\d{{4}}年)"
)


LINE_BREAK = re.compile(r"\r\n?|[\f\v\u2028\u2029\x85]")
LINE_BREAK_CHARS = "\r\f\v\u2028\u2029\x85"
CR, LF = ord("\r"), ord("\n")
SPACE = np.uint32(ord(" "))
BLANK_CODES = np.array([ord(c) for c in " \t\f\v"], dtype=np.uint32)
FORMFEED_CODES = np.array([ord("\f"), ord("\v")], dtype=np.uint32)
# Past this many spaces and tabs, blank runs are tidied in numpy rather than an edit per run.
MANY_BLANKS = 100_000


LINE_BREAK_TABLE = str.maketrans(dict.fromkeys(LINE_BREAK_CHARS, "\n"))


def unify_line_breaks(text: TrackedText) -> TrackedText:
    """Return the text with every line break written as a single newline.

    What ``text.sub(LINE_BREAK, "\n")`` does, in C: each "\r\n" keeps its "\r"'s origin
    and drops its "\n", and the other breaks are one-for-one; an edit per line of a file of
    a million CRLF lines took seconds and hundreds of MB.
    """
    if not contains_any(text.text, LINE_BREAK_CHARS):
        return text
    origins = text.origins
    if "\r\n" in text.text:
        codes = code_points(text.text)
        pair_ends = np.flatnonzero((codes[:-1] == CR) & (codes[1:] == LF)) + 1
        origins = np.delete(origins, pair_ends)
    return TrackedText(text.text.replace("\r\n", "\n").translate(LINE_BREAK_TABLE), origins)


def remove_masks(text: TrackedText) -> TrackedText:
    """Return the text without ``**`` masks."""
    if "*" not in text.text or "**" not in text.text:  # a one-character scan first
        return text
    return text.sub(MASK, "")


def chinese_marks(text: TrackedText) -> TrackedText:
    """Return the text with ASCII , ; : ! ? and () in Chinese context made full-width."""
    # Most Chinese texts hold none of these ASCII marks: ``in`` rules each pattern out.
    if contains_any(text.text, ASCII_MARKS):
        text = text.sub_same_length(ASCII_MARK_IN_CHINESE, lambda m: _ASCII_TO_FULL[m.group(0)])
    if "(" not in text.text:
        return text
    source = text.text

    def paren(match: re.Match[str]) -> str:
        inner = match.group(1)
        before = source[match.start() - 1] if match.start() else ""
        if HAN_CHAR.search(inner) or HAN_CHAR.match(before):
            return f"（{inner}）"
        return match.group(0)

    return text.sub_same_length(PAREN_GROUP, paren)


def collapse_doubled_marks(text: TrackedText) -> TrackedText:
    """Return the text with each run of doubled marks reduced to its strongest mark.

    The kept mark keeps its own origin: the others are deleted around it.
    """
    edits: list[Edit] = []
    for match in DOUBLED_MARKS.finditer(text.text):
        positions = [match.start() + i for i, ch in enumerate(match.group(0)) if ch in _MARK_RANK]
        keep = max(positions, key=lambda pos: _MARK_RANK[text.text[pos]])
        edits.append((match.start(), keep, ""))
        mark = text.text[keep]
        edits.append((keep, keep + 1, _ASCII_TO_FULL.get(mark, mark)))
        edits.append((keep + 1, match.end(), ""))
    return text.apply(edits)


def split_flattened_lines(text: TrackedText) -> TrackedText:
    """Return the text with over-long space-separated lines broken into paragraphs."""
    if not contains_any(text.text, " \t"):  # what every paragraph space is made of
        return text
    edits: list[Edit] = []
    for start, end in line_spans(text.text):
        if end - start < LONG_LINE:
            continue
        line = text.text[start:end]
        edits.extend(
            (start + m.start(), start + m.end(), "\n") for m in PARAGRAPH_SPACE.finditer(line)
        )
    return text.apply(edits)


def _is_tight(char: str) -> bool:
    """Return whether a character is Chinese or a Chinese mark (no space belongs beside it)."""
    return "\u3400" <= char <= "\u9fff" or char in CJK_PUNCT


def _space_edits(text: str) -> list[Edit]:
    """Return the edits that drop spaces inside Chinese and at line edges, and make every
    other run of blanks one space.

    One scan for runs of blanks, each judged by its two neighbours in Python: a regex with
    lookbehinds at its start would try every position of the text instead.
    """
    edits: list[Edit] = []
    end_of_text = len(text)
    for start, end in _blank_runs(text):
        before = text[start - 1] if start else "\n"
        after = text[end] if end < end_of_text else "\n"
        run = text[start:end]
        tabs_only_spaces = "\f" not in run and "\v" not in run
        inside_chinese = tabs_only_spaces and (
            (_is_tight(before) and (_is_tight(after) or after.isdecimal()))
            or (before.isdecimal() and _is_tight(after))
        )
        if inside_chinese or before == "\n" or after == "\n":
            edits.append((start, end, ""))
        elif run != " ":
            edits.append((start, end, " "))
    return edits


def _blank_runs(text: str) -> Iterator[tuple[int, int]]:
    """Yield ``(start, end)`` of every run of blanks (what BLANK_RUN finds), in order."""
    if contains_any(text, "\t\f\v"):
        yield from (match.span() for match in BLANK_RUN.finditer(text))
        return
    # Only spaces: ``find`` skips to each at memory speed, where a character class
    # tests every character.
    start = text.find(" ")
    while start >= 0:
        end = start + 1
        while text.startswith(" ", end):
            end += 1
        yield start, end
        start = text.find(" ", end)


def _tidied_blank_runs(text: TrackedText) -> TrackedText:
    """Return ``text.apply(_space_edits(text.text))``, computed over the code points in numpy:
    for texts of very many blank runs, where an edit per run took gigabytes."""
    codes = code_points(text.text)
    blank = np.isin(codes, BLANK_CODES)
    edges = np.diff(blank.astype(np.int8), prepend=np.int8(0), append=np.int8(0))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    if not len(starts):
        return text
    newline = np.uint32(LF)
    before = np.where(starts > 0, codes[np.maximum(starts - 1, 0)], newline)
    after = np.where(ends < len(codes), codes[np.minimum(ends, len(codes) - 1)], newline)
    tight_before, tight_after = _code_test(before, _is_tight), _code_test(after, _is_tight)
    decimal_before = _code_test(before, str.isdecimal)
    decimal_after = _code_test(after, str.isdecimal)
    formfeeds = np.add.reduceat(np.isin(codes, FORMFEED_CODES), starts)[: len(starts)] > 0
    inside_chinese = ~formfeeds & (
        (tight_before & (tight_after | decimal_after)) | (decimal_before & tight_after)
    )
    dropped = inside_chinese | (before == newline) | (after == newline)
    keep = ~blank
    # A run that stays becomes one space, with its first blank's origin.
    kept_starts = starts[~dropped]
    keep[kept_starts] = True
    out = codes.copy()
    out[kept_starts] = SPACE
    return TrackedText(out[keep].tobytes().decode("utf-32-le", "surrogatepass"), text.origins[keep])


def _code_test(codes: np.ndarray, test: Callable[[str], bool]) -> np.ndarray:
    """Return ``test`` of each code point's character, asked once per distinct one."""
    distinct, where = np.unique(codes, return_inverse=True)
    return np.array([test(chr(code)) for code in distinct.tolist()], dtype=bool)[where]


def tidy_spaces(text: TrackedText) -> TrackedText:
    """Return the text without spaces inside Chinese, line-edge spaces or extra blank lines."""
    if text.text.count(" ") + text.text.count("\t") > MANY_BLANKS:
        text = _tidied_blank_runs(text)
    else:
        text = text.apply(_space_edits(text.text))
    if "\n\n\n" in text.text:
        text = text.sub(BLANK_LINES, "\n\n")
    body = text.text
    leading = len(body) - len(body.lstrip("\n"))
    trailing = len(body) - len(body.rstrip("\n")) if leading < len(body) else 0
    edits = [(0, leading, "")] if leading else []
    if trailing:
        edits.append((len(body) - trailing, len(body), ""))
    return text.apply(edits)


# Hard-wrapped text (PDF text layers): every line of a paragraph is a line of
# its own. Lines that fill the page width continue on the next line.
WRAP_MIN_LINES = 4
WRAP_MIN_SHARE = 0.25
WRAP_FULL = 0.88  # a line this close to the page width is a wrapped line
PARAGRAPH_CLOSERS = "。！？!?"  # a line ending in one of these closes its paragraph
PARAGRAPH_CLOSE = re.compile(f"[{PARAGRAPH_CLOSERS}]\\s*$")
PARAGRAPH_CLOSE_CODES = np.array([ord(c) for c in PARAGRAPH_CLOSERS])
ASCII_ALNUM_CODES = np.array([c for c in range(0x80) if chr(c).isalnum()])


NARROW = re.compile(r"[\u0000-\u2e7f]")
NARROW_END = 0x2E80  # NARROW is every code point below this


@dataclass(frozen=True, slots=True)
class LineShapes:
    """Every line of a text, measured at once: where it ends (its newline, or the text's
    end), where and how long it is stripped of blanks, and its ``visual_width``."""

    ends: np.ndarray  # int64
    first: np.ndarray  # int64: the first character kept (the end, for a blank line)
    kept: np.ndarray  # int64
    widths: np.ndarray  # float64

    @classmethod
    def of(cls, text: str, codes: np.ndarray) -> LineShapes:
        """Return the shapes of the lines of ``text``, whose code points are ``codes``.

        Narrow characters are found for all lines at once among the code points, and
        counted per line by bisection: a pattern call per line cost more than the rest of
        rewrapping.
        """
        lines = text.split("\n")
        count = len(lines)
        narrow_at = (codes < NARROW_END).nonzero()[0]
        lengths = np.fromiter(map(len, lines), dtype=np.int64, count=count)
        kept = np.fromiter(map(len, map(str.strip, lines)), dtype=np.int64, count=count)
        unled = np.fromiter(map(len, map(str.lstrip, lines)), dtype=np.int64, count=count)
        del lines
        ends = np.cumsum(lengths + 1) - 1
        # The stripped line starts where the line's leading blanks end.
        first = ends - unled
        narrow = narrow_at.searchsorted(first + kept) - narrow_at.searchsorted(first)
        return cls(ends, first, kept, kept - 0.5 * narrow)


def visual_widths(text: str) -> list[float]:
    """Return the visual width of each line of ``text`` (``visual_width`` of every line)."""
    widths: list[float] = LineShapes.of(text, code_points(text)).widths.tolist()
    return widths


def visual_width(line: str) -> float:
    """Return a line's printed width in CJK character widths (Latin and symbols count half)."""
    line = line.strip()
    narrow = len(line) - len(NARROW.sub("", line))
    return len(line) - 0.5 * narrow


def page_width(widths: list[float]) -> float | None:
    """Return the width of a full line if the text is hard-wrapped, else None."""
    long_lines = sorted(w for w in widths if w >= 8)
    if len(long_lines) < WRAP_MIN_LINES:
        return None
    width = long_lines[int(len(long_lines) * 0.9) - 1] if len(long_lines) >= 10 else long_lines[-1]
    full = [w for w in long_lines if width * WRAP_FULL <= w <= width + 1]
    if len(full) < WRAP_MIN_LINES or len(full) < len(long_lines) * WRAP_MIN_SHARE:
        return None
    return width


def rewrap_hard_wrapped(text: TrackedText) -> TrackedText:
    """Return the text with hard-wrapped paragraph lines joined back together.

    A line as wide as the page, not closing a paragraph, joins the next non-blank line: its
    newline goes, or becomes a space between two ASCII letters or digits. Every line is
    decided at once in numpy: a file of a million short lines took ~1 KB a line (2 GB) as
    an edit per line.
    """
    codes = code_points(text.text)
    shapes = LineShapes.of(text.text, codes)
    width = page_width(shapes.widths.tolist())
    if width is None:
        return text
    last_code = _code_at(codes, shapes.first + shapes.kept - 1, shapes.kept > 0)[:-1]
    next_code = _code_at(codes, shapes.first, shapes.kept > 0)[1:]
    join = (
        (shapes.kept[1:] > 0)
        & ~np.isin(last_code, PARAGRAPH_CLOSE_CODES)
        & (shapes.widths[:-1] >= width * WRAP_FULL)
    )
    if not join.any():
        return text
    spaced = join & (next_code >= 0) & (next_code < 0x80) & np.isin(last_code, ASCII_ALNUM_CODES)
    newlines = shapes.ends[:-1]
    joined = codes.copy()
    joined[newlines[spaced]] = ord(" ")
    keep = np.ones(len(codes), dtype=bool)
    keep[newlines[join & ~spaced]] = False
    rewrapped = joined[keep].tobytes().decode("utf-32-le", "surrogatepass")
    return TrackedText(rewrapped, text.origins[keep])


def _code_at(codes: np.ndarray, at: np.ndarray, where: np.ndarray) -> np.ndarray:
    """Return ``codes[at]`` where ``where`` holds, else -1, a code point no test matches."""
    found = np.full(len(at), -1, dtype=np.int64)
    found[where] = codes[at[where]]
    return found

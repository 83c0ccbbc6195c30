"""PDF-to-text residue: page numbers, footnotes, stray marks, paragraphs split by page breaks."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import compress, islice

from policylens.model import SourceLink, Span
from policylens.normalize.tracked import Edit, TrackedText, contains_any, line_starts

CJK = re.compile(r"[\u3400-\u9fff]")
LONE_NUMBER = re.compile(r"^\s*(\d{1,3})\s*$")  # "7", "01"
PAGE_MARK = re.compile(
    r"^\s*(?:[-—–]+\s*\d{1,3}\s*[-—–]+|第\s*\d{1,3}\s*页(?:\s*共\s*\d+\s*页)?|\d{1,3}\s*/\s*\d{1,3})\s*$"
)  # "— 1 —", "第2页"
JUNK_LINE = re.compile(r"^\s*(?:[_\-–—~·•.]+|[A-Za-z])\s*$")  # "_", "-", "q"
URL_START = re.compile(r"https?://|www\.")
SUPERSCRIPT_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
SUPERSCRIPT_RUN = re.compile(f"[{SUPERSCRIPT_DIGITS}]+")
# A footnote mark left at a paragraph's end: "…有效性。1", "…1500 亿元。²"
TRAILING_REF = re.compile(rf"(?<=[。！？”」』）)\]])\s*([{SUPERSCRIPT_DIGITS}]+|\d{{1,2}})\s*$")
# Contents page "……3". Four marks written as one and three more: a pattern opening with a
# repeat is tried at every position, one opening with a character class skips to the marks.
DOT_LEADER = re.compile(r"[.·…][.·…]{3,}\s*\d{0,3}\s*$")
# A line that ends mid-sentence, so a page break may have split its paragraph.
SENTENCE_END = re.compile(r"[。！？；：:”」』）)…!?]\s*$")
# A paragraph ending in one of these is complete, so a page break after it splits nothing.
PARAGRAPH_END = re.compile(r"[。！？；：:”」』）)…!?》\"\d]\s*$")
URL_TAIL = re.compile(r"^[\w\-./?=&%#~+]{3,}$")
# Any line that may be a page number, page mark or junk: one match per line rules most out.
RESIDUE_LINE = re.compile("|".join(f"(?:{p.pattern})" for p in (LONE_NUMBER, PAGE_MARK, JUNK_LINE)))
URL_OPENINGS = ("://", "www.")  # every URL_START match holds one: two scans, not three
HEADLINE_MAX = 60

_SUPERSCRIPT_TABLE = str.maketrans(SUPERSCRIPT_DIGITS, "0123456789")


@dataclass(frozen=True, slots=True)
class Residue:
    """What residue removal set aside: links and where their reference marks were (raw offsets)."""

    links: tuple[SourceLink, ...]
    ref_marks: tuple[tuple[int, int], ...]  # (footnote number, raw offset of the mark)


def _number(text: str) -> int | None:
    digits = text.translate(_SUPERSCRIPT_TABLE)
    return int(digits) if digits.isdecimal() else None  # isdigit() takes "①", int() does not


def parse_footnote_line(line: str) -> tuple[int | None, str] | None:
    """Return ``(number, url)`` for a footnote line such as ``¹ https://a.cn/x.html``."""
    if CJK.search(line):
        return None
    match = URL_START.search(line)
    if match is None:
        return None
    marks = re.findall(rf"[\d{SUPERSCRIPT_DIGITS}]+", line[: match.start()])
    number = _number(marks[0]) if marks else None
    url = line[match.start() :].strip().rstrip("$").strip().rstrip("\\").strip()
    # PDF text loses the underscores of underlined links: "art 115c" was "art_115c".
    url = re.sub(r"\s+", "_", url)
    if url.startswith("www."):
        url = "http://" + url
    return number, url


def _is_headline_like(line: str) -> bool:
    stripped = line.strip()
    return 0 < len(stripped) <= HEADLINE_MAX and not SENTENCE_END.search(stripped)


def _entry_numbers(lines: list[str], may_be_residue: Iterable[int] | None = None) -> set[int]:
    """Return indexes of lone-number lines numbering entries (01, 02, 03 … before headlines).

    ``may_be_residue``, the lines RESIDUE_LINE matches, holds every lone-number line: only
    those need be tried.
    """
    candidates: list[tuple[int, int]] = []
    indexes = range(len(lines)) if may_be_residue is None else sorted(may_be_residue)
    for index in indexes:
        match = LONE_NUMBER.match(lines[index])
        if not match:
            continue
        following = next((other for other in islice(lines, index + 1, None) if other.strip()), "")
        if _is_headline_like(following) and not LONE_NUMBER.match(following):
            candidates.append((index, int(match.group(1))))
    keep: set[int] = set()
    chain: list[tuple[int, int]] = []
    for index, value in candidates:
        if chain and value == chain[-1][1] + 1:
            chain.append((index, value))
        else:
            if len(chain) >= 3:
                keep.update(i for i, _ in chain)
            chain = [(index, value)]
    if len(chain) >= 3:
        keep.update(i for i, _ in chain)
    return keep


def _fill_unnumbered(links: list[SourceLink]) -> list[SourceLink]:
    """Return links where an unnumbered one between n and n+2 gets number n+1."""
    out = list(links)
    for i, link in enumerate(out):
        if link.number is not None:
            continue
        before = next((x.number for x in reversed(out[:i]) if x.number is not None), 0)
        after = next((x.number for x in out[i + 1 :] if x.number is not None), None)
        if after is None or after == before + 2:
            out[i] = SourceLink(link.url, before + 1, link.raw_span)
    return out


def remove_residue(text: TrackedText) -> tuple[TrackedText, Residue]:
    """Return the text without PDF residue, and the footnote links and marks it held."""
    lines = text.text.split("\n")
    starts = line_starts(lines)
    # A footnote line holds a URL: without one in the text, no line need be parsed.
    # One-character scans first: most texts hold neither ":" nor "w".
    may_have_footnotes = contains_any(text.text, ":w") and contains_any(text.text, URL_OPENINGS)
    has_footnotes = may_have_footnotes and any(parse_footnote_line(line) for line in lines)
    # The lines a pattern may act on, the pattern called on every line from C (``map``).
    may_be_residue = set(compress(range(len(lines)), map(RESIDUE_LINE.match, lines)))
    entry_numbers = _entry_numbers(lines, may_be_residue)
    # Most texts have no superscripts or dot leaders: then no line need be searched for them.
    has_superscripts = contains_any(text.text, SUPERSCRIPT_DIGITS)
    leaders = (
        set(compress(range(len(lines)), map(DOT_LEADER.search, lines)))
        if _may_have_leaders(text.text)
        else set()
    )
    # Without footnotes or superscripts, a line none of those patterns matches can only be
    # content (or blank), and a run of such lines matters only by its last content line:
    # the loop jumps over the run.
    marked_lines = may_be_residue | leaders
    marked = sorted(marked_lines)
    skip_plain = not may_have_footnotes and not has_superscripts
    edits: list[Edit] = []
    links: list[SourceLink] = []
    marks: list[tuple[int, int]] = []
    last_content: int | None = None  # index of the last kept content line
    last_content_end = 0  # where that line's text ends, before any footnote mark
    residue_since = False
    index = 0
    while index < len(lines):
        if skip_plain and not residue_since and index not in marked_lines:
            following = bisect_left(marked, index)
            stop = marked[following] if following < len(marked) else len(lines)
            last = _last_content_line(lines, index, stop)
            if last is not None:
                last_content, last_content_end = last, starts[last] + len(lines[last])
            index = stop
            continue
        line = lines[index]
        start = starts[index]
        end = start + len(line)
        footnote = parse_footnote_line(line) if may_have_footnotes else None
        if footnote is not None:
            number, url = footnote
            last = index
            # A URL broken over lines continues on a line of bare URL characters.
            while (
                last + 1 < len(lines)
                and URL_TAIL.match(lines[last + 1].strip())
                and not (LONE_NUMBER.match(lines[last + 1]))
            ):
                last += 1
                url += lines[last].strip()
            links.append(
                SourceLink(
                    url,
                    number,
                    Span(text.origin(start), text.origin(starts[last] + len(lines[last]) - 1) + 1),
                )
            )
            edits.append((start, starts[last] + len(lines[last]), ""))
            residue_since = True
            index = last + 1
            continue
        if index in may_be_residue and _is_residue_line(line, index in entry_numbers):
            # Take the newline too, so no blank line is left where the residue was.
            edits.append((start, min(end + 1, len(text.text)), ""))
            residue_since = True
            index += 1
            continue
        if not line.strip():
            index += 1
            continue
        content_end = end
        if has_footnotes:
            ref = TRAILING_REF.search(line)
            if ref:
                number = _number(ref.group(1))
                if number is not None:
                    marks.append((number, text.origin(start + ref.start(1))))
                edits.append((start + ref.start(), end, ""))
                content_end = start + ref.start()
        sups = SUPERSCRIPT_RUN.finditer(line[: content_end - start]) if has_superscripts else ()
        for sup in sups:
            number = _number(sup.group(0))
            if number is not None:
                marks.append((number, text.origin(start + sup.start())))
            edits.append((start + sup.start(), start + sup.end(), ""))
        leader = DOT_LEADER.search(line) if index in leaders else None
        if leader:
            edits.append((start + leader.start(), end, ""))
        if residue_since and last_content is not None and _continues(lines[last_content], line):
            # Join across the page break: drop everything between the two halves.
            edits = [e for e in edits if not (last_content_end <= e[0] < start)]
            edits.append((last_content_end, start, ""))
        last_content = index
        last_content_end = content_end
        residue_since = False
        index += 1
    return text.apply(_merge(edits)), Residue(tuple(_fill_unnumbered(links)), tuple(marks))


def _last_content_line(lines: list[str], start: int, stop: int) -> int | None:
    """Return the index of the last non-blank line in ``lines[start:stop]``, if any."""
    for index in range(stop - 1, start - 1, -1):
        if lines[index].strip():
            return index
    return None


def _may_have_leaders(text: str) -> bool:
    """Return False only when no line can hold a dot leader (a run of four of ``.·…``)."""
    if "…" in text or "·" in text:
        return True
    return "...." in text


def _is_residue_line(line: str, numbers_an_entry: bool) -> bool:
    """Return whether a line is a page number, a page mark or junk, to be dropped."""
    is_page_number = (LONE_NUMBER.match(line) and not numbers_an_entry) or PAGE_MARK.match(line)
    return bool(is_page_number or JUNK_LINE.match(line))


def _continues(previous: str, line: str) -> bool:
    """Return whether ``line`` is the rest of a paragraph that ``previous`` left unfinished."""
    previous = previous.rstrip()
    return (
        len(previous) > 30
        and not PARAGRAPH_END.search(previous)
        and bool(re.match(r"[\u3400-\u9fffa-z]", line.lstrip()))
    )


def _merge(edits: list[Edit]) -> list[Edit]:
    """Return edits with deletions that overlap merged into one."""
    merged: list[Edit] = []
    for start, end, replacement in sorted(edits):
        if merged and start < merged[-1][1]:
            last_start, last_end, last_replacement = merged[-1]
            if replacement or last_replacement:
                raise ValueError("overlapping replacements")
            merged[-1] = (last_start, max(last_end, end), "")
        else:
            merged.append((start, end, replacement))
    return merged

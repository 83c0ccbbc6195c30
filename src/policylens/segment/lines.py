"""Paragraph lines of a clean text, and the item drafts the segmenters build from them."""

from __future__ import annotations

from dataclasses import dataclass, field

from policylens.segment import patterns


@dataclass(frozen=True, slots=True)
class Line:
    """One non-blank line of the clean text."""

    start: int
    end: int
    text: str
    blank_before: bool  # whether a blank line separates it from the previous line


@dataclass(slots=True)
class Draft:
    """An item being built: where it starts, what it is, and its last line so far."""

    kind: str
    title: str
    start: int
    end: int
    path: tuple[str, ...] = ()
    section: str | None = None
    number: str | None = None
    body_lines: list[Line] = field(default_factory=list)

    def add(self, line: Line) -> None:
        """Extend the draft over one more body line."""
        self.body_lines.append(line)
        self.end = max(self.end, line.end)


def split_lines(text: str, start: int = 0, end: int | None = None) -> list[Line]:
    """Return the non-blank lines of ``text[start:end]`` with their offsets."""
    end = len(text) if end is None else end
    lines: list[Line] = []
    blank = False
    pos = start
    while pos < end:
        newline = text.find("\n", pos, end)
        line_end = end if newline == -1 else newline
        body = text[pos:line_end].strip()
        if body:
            lines.append(Line(pos, line_end, body, blank))
            blank = False
        else:
            blank = True
        pos = line_end + 1
    return lines


def is_headline_like(text: str) -> bool:
    """Return whether a line can be a headline: short, and not ending a sentence."""
    return 0 < len(text) <= patterns.HEADLINE_MAX and not patterns.SENTENCE_END.search(text)


def heading_title(text: str) -> str:
    """Return a heading's title: the text before its first 。 when body text follows."""
    head, mark, rest = text.partition("。")
    if mark and rest.strip():
        return head.strip()
    return text.rstrip("。：: ").strip()

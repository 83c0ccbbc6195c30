"""Text that remembers where each character came from.

Every normalization step is an edit list over a ``TrackedText``; applying it
carries each surviving character's raw offset along, so the clean text can
always be mapped back to the words it came from.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

Edit = tuple[int, int, str]  # replace text[start:end] with the string
_FEW = 16  # up to this many origins are spread in Python
_MANY_EDITS = 256  # past this many edits, origins are drawn in one numpy pass


@dataclass(frozen=True, slots=True, eq=False)
class TrackedText:
    """A string plus, for each character, its index in the raw text.

    The origins are a numpy array: edits copy slices of it in C rather than
    one Python int per character, which made origin-keeping the slowest part of
    normalizing.
    """

    text: str
    origins: np.ndarray  # int64, one per character of ``text``, never decreasing

    @classmethod
    def from_raw(cls, raw: str) -> TrackedText:
        """Return raw text mapped onto itself."""
        return cls(raw, np.arange(len(raw), dtype=np.int64))

    def origin(self, index: int) -> int:
        """Return the raw offset of one character, as a plain int."""
        return int(self.origins[index])

    def apply(self, edits: Iterable[Edit]) -> TrackedText:
        """Return the text with non-overlapping edits applied, origins carried along.

        A replacement of the same length maps character to character; one of a
        different length spreads its characters over the replaced range in order,
        so origins never go backwards.
        """
        ordered = sorted(edits)
        cut = _pieces(self.text, ordered)
        if cut is None:
            return self
        pieces, parts = cut
        if len(ordered) > _MANY_EDITS:
            # Every piece's origins in one numpy pass, not a slice object per piece (a
            # million blank lines took gigabytes).
            origins = _spread_all(self.origins, parts)
        else:
            origins = np.concatenate(
                [
                    _spread(self.origins, start, start + width, count)
                    for start, width, count in parts
                ]
            )
        return TrackedText("".join(pieces), origins)

    def sub(
        self, pattern: re.Pattern[str], repl: str | Callable[[re.Match[str]], str]
    ) -> TrackedText:
        """Return the text with every match of ``pattern`` replaced (like ``re.sub``)."""
        if isinstance(repl, str) and "\\" not in repl:
            edits = [(m.start(), m.end(), repl) for m in pattern.finditer(self.text)]
        elif isinstance(repl, str):
            template = repl
            edits = [(m.start(), m.end(), m.expand(template)) for m in pattern.finditer(self.text)]
        else:
            edits = [(m.start(), m.end(), repl(m)) for m in pattern.finditer(self.text)]
        return self.apply(edits)

    def sub_same_length(
        self, pattern: re.Pattern[str], repl: str | Callable[[re.Match[str]], str]
    ) -> TrackedText:
        """Return ``re.sub`` applied in C, for replacements as long as their match.

        Each character keeps its origin, so no edit list is needed.
        """
        replaced = pattern.sub(repl, self.text)
        if len(replaced) != len(self.text):
            raise ValueError("sub_same_length: a replacement changed the length")
        return TrackedText(replaced, self.origins)

    def translate(self, table: dict[int, str]) -> TrackedText:
        """Return the text with a one-to-one character table applied."""
        translated = self.text.translate(table)
        if len(translated) != len(self.text):
            raise ValueError("translate table must map characters one to one")
        return TrackedText(translated, self.origins)


def _pieces(text: str, ordered: list[Edit]) -> tuple[list[str], list[tuple[int, int, int]]] | None:
    """Return the pieces of the edited text, each with ``(start, width, count)``: its
    ``count`` characters stand for ``text[start:start + width]``; None if nothing changes."""
    pieces: list[str] = []
    parts: list[tuple[int, int, int]] = []
    pos = 0
    changed = False
    for start, end, replacement in ordered:
        if start < pos:
            raise ValueError(f"overlapping edit at {start}")
        if text[start:end] == replacement:
            continue
        changed = True
        if start > pos:
            pieces.append(text[pos:start])
            parts.append((pos, start - pos, start - pos))
        if replacement:
            pieces.append(replacement)
            parts.append((start, end - start, len(replacement)))
        pos = end
    if not changed:
        return None
    pieces.append(text[pos:])
    parts.append((pos, len(text) - pos, len(text) - pos))
    return pieces, parts


def _spread(origins: np.ndarray, start: int, end: int, count: int) -> np.ndarray:
    """Return ``count`` origins drawn in order from ``origins[start:end]``."""
    if end > start:
        width = end - start
        if width == count:
            return origins[start:end]
        if count <= _FEW:
            # A few steps (a blank-line run made two newlines) cost less in Python than
            # four numpy calls.
            return origins[[start + min(k * width // count, width - 1) for k in range(count)]]
        steps = np.minimum(np.arange(count) * width // count, width - 1)
        return origins[start + steps]
    # A pure insertion borrows the origin of its neighbour.
    if start > 0:
        return np.full(count, origins[start - 1], dtype=np.int64)
    return np.full(count, origins[0] if len(origins) else 0, dtype=np.int64)


def _spread_all(origins: np.ndarray, parts: list[tuple[int, int, int]]) -> np.ndarray:
    """Return the origins of consecutive pieces, each ``count`` characters drawn as ``_spread``
    draws them from ``origins[start:start + width]``."""
    starts, widths, counts = (
        np.array(column, dtype=np.int64) for column in zip(*parts, strict=True)
    )
    total = int(counts.sum())
    if not len(origins):
        return np.zeros(total, dtype=np.int64)
    k = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
    start, width, count = (np.repeat(column, counts) for column in (starts, widths, counts))
    drawn = start + np.minimum(k * width // np.maximum(count, 1), width - 1)
    # A pure insertion (width 0) borrows the origin of its neighbour.
    return origins[np.where(width > 0, drawn, np.maximum(start - 1, 0))]


def code_points(text: str) -> np.ndarray:
    """Return the code point of every character of a text, as a uint32 array (for steps that
    test every character at once in numpy; lone surrogates pass through as themselves)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def contains_any(text: str, needles: Iterable[str]) -> bool:
    """Return whether a text holds any of a few characters (a string of them) or strings.

    ``in`` scans in C at memory speed; a regex character class over Chinese text is several
    times slower, so steps check for the characters they act on before running a pattern.
    """
    return any(needle in text for needle in needles)


def line_starts(lines: list[str]) -> list[int]:
    """Return where each of a text's lines (``text.split("\\n")``) starts in the text."""
    starts: list[int] = []
    start = 0
    for line in lines:
        starts.append(start)
        start += len(line) + 1
    return starts


def line_spans(text: str) -> list[tuple[int, int]]:
    """Return ``(start, end)`` of every line, without its newline."""
    spans: list[tuple[int, int]] = []
    start = 0
    for line in text.split("\n"):
        end = start + len(line)
        spans.append((start, end))
        start = end + 1
    return spans

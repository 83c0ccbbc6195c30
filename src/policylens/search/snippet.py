"""Snippets: the passage of an item where the query terms are densest, with highlight spans."""

from __future__ import annotations

import html
from dataclasses import dataclass

from policylens.search.rank import occurrences
from policylens.search.tokens import QueryTerm

WIDTH = 120  # characters of item text shown around the hits
ELLIPSIS = "…"


@dataclass(frozen=True, slots=True)
class Snippet:
    """A passage and the [start, end) spans of the query terms in it."""

    text: str
    highlights: tuple[tuple[int, int], ...]

    def html(self) -> str:
        """Return the passage as HTML: text escaped, each highlight in <mark>."""
        parts, cursor = [], 0
        for start, end in self.highlights:
            parts.append(html.escape(self.text[cursor:start]))
            parts.append(f"<mark>{html.escape(self.text[start:end])}</mark>")
            cursor = end
        parts.append(html.escape(self.text[cursor:]))
        return "".join(parts)


def _fold_same_length(text: str) -> str:
    """Return the text lower-cased character by character, so offsets stay valid."""
    folded = text.lower()
    if len(folded) == len(text):
        return folded
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def term_spans(text: str, terms: list[QueryTerm]) -> list[tuple[int, int]]:
    """Return the merged, sorted spans where any term occurs in a text (case-blind)."""
    folded = _fold_same_length(text)
    spans = sorted(
        (start, start + len(term.text))
        for term in terms
        for start in occurrences(folded, term.text)
    )
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _best_window(text: str, spans: list[tuple[int, int]], width: int) -> int:
    """Return where the window of ``width`` covering the most distinct terms starts."""
    if not spans:
        return 0
    best_start, best_key = spans[0][0], (-1, -1)
    for i, (start, _) in enumerate(spans):
        inside = [s for s in spans[i:] if s[1] <= start + width]
        key = (len({text[s:e].lower() for s, e in inside}), len(inside))
        if key > best_key:
            best_start, best_key = start, key
    # Some context before the first hit, but never past the end of the text.
    return max(0, min(best_start - width // 4, len(text) - width))


def make_snippet(text: str, terms: list[QueryTerm], width: int = WIDTH) -> Snippet:
    """Return the passage of ``text`` where the terms are densest, with their spans."""
    spans = term_spans(text, terms)
    start = _best_window(text, spans, width)
    end = min(len(text), start + width)
    body = text[start:end].replace("\n", " ")
    prefix = ELLIPSIS if start > 0 else ""
    suffix = ELLIPSIS if end < len(text) else ""
    shift = len(prefix) - start
    highlights = tuple(
        (max(s, start) + shift, min(e, end) + shift) for s, e in spans if s < end and e > start
    )
    return Snippet(prefix + body + suffix, highlights)

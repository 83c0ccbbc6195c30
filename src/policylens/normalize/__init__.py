"""Raw text → clean simplified Chinese, with an offset map back to the raw text."""

from __future__ import annotations

import re

import numpy as np

from policylens.model import CleanText, OffsetMap, SourceLink
from policylens.normalize import boilerplate, punctuation, residue, script
from policylens.normalize.tracked import TrackedText
from policylens.resources import Resources

# Every character the first three steps act on (line breaks, mojibake openers, full-width
# forms): most texts hold none, and one scan for all of them costs what each step's own did.
FIRST_STEP_CHARS = re.compile(
    f"[{re.escape(punctuation.LINE_BREAK_CHARS)}{script.MOJIBAKE_OPENERS}{script.WIDE_CHARS}]"
)


def normalize(raw_text: str, res: Resources) -> CleanText:
    """Return the clean text of ``raw_text``, its offset map, footnote links and page metadata."""
    text = TrackedText.from_raw(raw_text)
    metadata = boilerplate.page_metadata(raw_text, res)
    # 1. characters: line breaks, mojibake, width, known mis-encodings, pinyin glosses, script
    if FIRST_STEP_CHARS.search(raw_text):
        text = punctuation.unify_line_breaks(text)
        text = script.fix_mojibake(text)
        text = script.fold_width(text)
    text = script.replace_literals(text, res.repairs)
    text = script.remove_pinyin_glosses(text)
    text = script.to_simplified(text, res)
    # 2. layout: one flattened line per page becomes paragraphs again
    text = punctuation.chinese_marks(text)
    text = punctuation.collapse_doubled_marks(text)
    text = punctuation.split_flattened_lines(text)
    # 3. what is not the document's own text: web boilerplate, then PDF residue
    text = boilerplate.remove_boilerplate(text, res)
    text, found = residue.remove_residue(text)
    text = punctuation.rewrap_hard_wrapped(text)
    text = punctuation.remove_masks(text)
    # 4. spacing last, so earlier steps still see the line structure they rely on
    text = punctuation.tidy_spaces(text)
    links = tuple(_anchor(link, found.ref_marks, text.origins) for link in found.links)
    return CleanText(text.text, OffsetMap.from_origins(text.origins), links, metadata)


def _anchor(
    link: SourceLink, marks: tuple[tuple[int, int], ...], origins: np.ndarray
) -> SourceLink:
    """Return the link with the clean offset of its reference mark, when the text has one."""
    raw = next((offset for number, offset in marks if number == link.number), None)
    if raw is None:
        return link
    # The mark itself was removed: anchor at the first clean character after it.
    anchor = min(int(np.searchsorted(origins, raw)), max(len(origins) - 1, 0))
    return SourceLink(link.url, link.number, link.raw_span, anchor)

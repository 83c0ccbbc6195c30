"""Characters: mojibake, character width, pinyin glosses, traditional → simplified."""

from __future__ import annotations

import re
from functools import lru_cache

import ftfy

from policylens.normalize.tracked import TrackedText, line_spans
from policylens.resources import Resources

# Only what ftfy is for: mis-decoded text. Width, quotes and line breaks are
# ours to handle, because Chinese text needs its curly quotes and full-width
# punctuation, and every change must keep the offset map exact.
FTFY_CONFIG = ftfy.TextFixerConfig(
    unescape_html=False,
    fix_character_width=False,
    uncurl_quotes=False,
    fix_line_breaks=False,
    normalization=None,
    explain=False,
)

# Full-width forms that are not Chinese punctuation fold to ASCII: digits,
# letters and symbols such as ％ ＋ ．. Chinese punctuation (，（）：；！？) stays.
_KEEP_FULL_WIDTH = set("，（）：；！？")
WIDTH_TABLE: dict[int, str] = {
    code: chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F) if chr(code) not in _KEEP_FULL_WIDTH
}
WIDTH_TABLE[0x3000] = " "  # ideographic space
WIDTH_TABLE[0x00A0] = " "  # no-break space
WIDTH_TABLE[0xFEFF] = " "  # stray byte-order mark inside text
# str.translate with a dict looks up every character; a character class finds the few
# full-width ones in C, an order of magnitude faster on Chinese text.
WIDE_CHARS = "".join(re.escape(chr(code)) for code in sorted(WIDTH_TABLE))  # a class body
WIDE_CHAR = re.compile(f"[{WIDE_CHARS}]")

_TONE_VOWELS = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü"
# A pinyin gloss glued to a character, as in 產(chǎn)業(yè): a CJK character (or a
# '?' standing for a lost one) followed by lowercase pinyin with a tone mark.
# The bracket comes first so the engine scans for it in C; the lookbehind after it checks
# the character before.
PINYIN_GLOSS = re.compile(
    rf"\((?<=[\u3400-\u9fff?]\()(?=[a-z{_TONE_VOWELS}]*[{_TONE_VOWELS}])[a-z{_TONE_VOWELS}]{{1,7}}\)"
)
# UTF-8 read as Latin-1 or cp1252: a lead byte (Â…ô) followed by a continuation byte, or a
# C1 control or replacement character. Pinyin glosses (chǎn, yè) have no such pairs.
# Written as "[lead byte]([continuation]) | [C1 or U+FFFD]", an alternation the engine
# tries at every position; opening with the class of all first characters and telling the
# two kinds apart by lookbehinds lets it skip to those characters in C (4 × faster).
_MOJIBAKE_CONTINUATION = (
    "[\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u2122]"
)
MOJIBAKE_OPENERS = "\u0080-\u009f\u00c2-\u00f4\ufffd"  # a class body
_SUSPECT_MOJIBAKE = re.compile(
    f"[{MOJIBAKE_OPENERS}]"
    f"(?:(?<=[\u0080-\u009f\ufffd])|{_MOJIBAKE_CONTINUATION}(?<=[\u00c2-\u00f4].))"
)
# Every suspect pair opens with one of these: one character class scans 3 × faster.
_MOJIBAKE_OPENER = re.compile(f"[{MOJIBAKE_OPENERS}]")


def fix_mojibake(text: TrackedText) -> TrackedText:
    """Return the text with mis-decoded lines repaired by ftfy."""
    if not _MOJIBAKE_OPENER.search(text.text) or not _SUSPECT_MOJIBAKE.search(text.text):
        return text
    edits = []
    for start, end in line_spans(text.text):
        line = text.text[start:end]
        if _SUSPECT_MOJIBAKE.search(line):
            fixed = ftfy.fix_text(line, FTFY_CONFIG)
            if fixed != line:
                edits.append((start, end, fixed))
    return text.apply(edits)


def fold_width(text: TrackedText) -> TrackedText:
    """Return the text with full-width digits, letters and spaces made half-width."""
    return text.sub_same_length(WIDE_CHAR, lambda match: WIDTH_TABLE[ord(match.group(0))])


@lru_cache(maxsize=256)
def _literal_pattern(keys: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(key) for key in sorted(keys, key=len, reverse=True)))


@lru_cache(maxsize=256)
def _shared_char(pairs: tuple[tuple[str, str], ...]) -> str | None:
    """Return a character every ``from`` holds (著 in 著力, 随著…), if there is one.

    Keyed by the pairs themselves: building a tuple of keys for the cache cost more per
    text than the lookup.
    """
    shared = set.intersection(*(set(left) for left, _ in pairs)) if pairs else set()
    return min(shared) if shared else None


def replace_literals(text: TrackedText, pairs: tuple[tuple[str, str], ...]) -> TrackedText:
    """Return the text with each literal ``from`` replaced by its ``to``, longest first."""
    # Only the literals the text holds go into the pattern: ``in`` finds a literal at memory
    # speed, an alternation of literals tries each at every character of Chinese text. A
    # character all of them share, absent, rules them all out in one scan.
    shared = _shared_char(pairs)
    if shared is not None and shared not in text.text:
        return text
    table = {left: right for left, right in pairs if left in text.text}
    if not table:
        return text
    return text.sub(_literal_pattern(tuple(table)), lambda m: table[m.group(0)])


def remove_pinyin_glosses(text: TrackedText) -> TrackedText:
    """Return the text without pinyin glosses: 產(chǎn)業(yè) → 產業."""
    return text.sub(PINYIN_GLOSS, "")


def to_simplified(text: TrackedText, res: Resources) -> TrackedText:
    """Return the text in simplified script (OpenCC t2s, then our phrase overrides)."""
    converted = res.t2s.convert(text.text)
    if len(converted) == len(text.text):
        result = TrackedText(converted, text.origins)
    else:
        # Rare phrase conversions change length; convert line by line and
        # fall back to character by character where a line's length changes.
        edits = []
        for start, end in line_spans(text.text):
            line = text.text[start:end]
            simple = res.t2s.convert(line)
            if len(simple) != len(line):
                simple = "".join(res.t2s.convert(ch) or ch for ch in line)
            edits.append((start, end, simple))
        result = text.apply(edits)
    return replace_literals(result, res.t2s_overrides)

"""Search tokens: overlapping CJK bigrams plus whole Latin words, for index and query alike.

A CJK run ``区块链`` is indexed as ``区块 块链 链``: every bigram, then the last character
alone, so that every character starts a token and every run ends with a one-character token.

- a query word of two or more CJK characters is the phrase of its bigrams (``光刻`` is found
  inside ``光刻机``, which a word segmenter would keep as one token); adjacent bigrams never
  straddle two runs, because a run ends with its lone last character;
- a one-character word ``链`` is the prefix query ``链*``;
- Latin letters and digits form whole words (``NFT``, ``5g``, ``2025``), matched case-blind.

A word its tokens cannot prove (a mix of scripts, or several tokens where the index keeps no
positions) is confirmed as a substring afterwards.
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from policylens.normalize.punctuation import ASCII_MARK_IN_CHINESE
from policylens.normalize.script import WIDTH_TABLE

# Han (with extensions and compatibility ideographs), kana, hangul: no spaces between words.
_CJK_BOUNDS = (
    (0x3040, 0x30FF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xAC00, 0xD7AF),
    (0xF900, 0xFAFF),
    (0x20000, 0x3134F),
)
_CJK_RANGES = "".join(f"{chr(low)}-{chr(high)}" for low, high in _CJK_BOUNDS)
_RUNS = re.compile(f"([{_CJK_RANGES}]+)|([^\\W_{_CJK_RANGES}]+)")
_CJK_RUN = re.compile(f"[{_CJK_RANGES}]+")
_WORD_CHAR = re.compile(f"[^\\W_{_CJK_RANGES}]")
MAX_TOKEN = 32  # longer Latin "words" (hashes, glued URLs) are cut; the substring check decides
# Marks a PostgreSQL tsvector kept without positions (an item too long for them); no token
# can look like it, since tokens are letters, digits and CJK characters only.
LONG_ITEM = "~long"
_FULL_MARKS = str.maketrans(",;:!?", "，；：！？")


@dataclass(frozen=True, slots=True)
class Token:
    """One index token a query term needs; ``prefix`` for a lone CJK character."""

    text: str
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class QueryTerm:
    """A query word: its folded text, the tokens it needs, and how they prove a match."""

    text: str
    tokens: tuple[Token, ...]
    latin_edge: bool = False  # starts or ends with a Latin letter or digit: match whole words
    phrase: bool = False  # one CJK run of 2+ characters: its bigrams, adjacent, prove it

    def needs_check(self) -> bool:
        """Return whether token hits must be confirmed by a substring test.

        One token proves a match by itself, and adjacent bigrams prove a CJK word (a run ends
        with a lone character, so adjacent bigrams never straddle two runs). A mix of
        scripts, or a cut token, is checked.
        """
        if len(self.tokens) == 1:
            return len(self.tokens[0].text) == MAX_TOKEN
        return not self.phrase


def fold_text(text: str) -> str:
    """Return stored text as the index sees it: lower-cased (the clean text is simplified)."""
    return text.lower()


def fold_query(text: str) -> str:
    """Return a query folded the way the normalizer folds documents, then lower-cased.

    Full-width letters and digits become half-width and ASCII , ; : ! ? next to Chinese
    become full-width, as in the clean text, so a query word is found where it is written.
    """
    text = text.translate(WIDTH_TABLE)
    text = ASCII_MARK_IN_CHINESE.sub(lambda m: m.group(0).translate(_FULL_MARKS), text)
    return text.lower()


def _run_tokens(cjk: str | None, word: str | None) -> list[Token]:
    if word is not None:
        return [Token(word[:MAX_TOKEN])]
    assert cjk is not None
    if len(cjk) == 1:
        return [Token(cjk, prefix=True)]
    return [Token(cjk[i : i + 2]) for i in range(len(cjk) - 1)]


def text_tokens(text: str) -> list[str]:
    """Return the index tokens of a folded text in order (with repeats, for positions)."""
    tokens: list[str] = []
    for cjk, word in _RUNS.findall(text):
        if word:
            tokens.append(word[:MAX_TOKEN])
        else:
            # Bigrams joined in C (map over two shifted views): the index writer's hot loop.
            tokens.extend(map(operator.add, cjk, cjk[1:]))
            tokens.append(cjk[-1])
    return tokens


def query_terms(query: str) -> list[QueryTerm]:
    """Return the terms of a query (split on spaces; duplicates and bare punctuation dropped)."""
    terms: dict[str, QueryTerm] = {}
    for word in fold_query(query).split():
        tokens = tuple(
            token
            for match in _RUNS.finditer(word)
            for token in _run_tokens(match.group(1), match.group(2))
        )
        if tokens and word not in terms:
            edge = is_word_char(word[0]) or is_word_char(word[-1])
            phrase = _CJK_RUN.fullmatch(word) is not None and len(word) > 1
            terms[word] = QueryTerm(word, tokens, edge, phrase)
    return list(terms.values())


def is_word_char(char: str) -> bool:
    """Return whether a character belongs to a Latin word (a letter or digit, not CJK)."""
    return _WORD_CHAR.fullmatch(char) is not None


@cache
def _t2s() -> Any:
    """Return the OpenCC converter, made once per process: making one reads its dictionaries
    (~15 ms, a search's whole budget); it holds no state between conversions."""
    import opencc  # loaded on first use only

    return opencc.OpenCC("t2s")


def simplified(query: str) -> str:
    """Return a query in simplified script (the stored text is simplified); ASCII as it is."""
    if query.isascii():
        return query
    return str(_t2s().convert(query))


_SPACE = ord(" ")


@cache
def _bmp_word_chars() -> Any:
    """Return, for every code point below 0x10000, whether it is a Latin word character (a
    letter or digit, not CJK): made once per process, then read by index. ``str.isalnum`` is
    what the regex's ``\\w`` tests, so this is ``is_word_char`` four times faster (6 ms against
    24 ms); a property test holds the two tokenizers to each other."""
    import numpy as np

    def asked(low: int, high: int) -> list[bool]:
        return [chr(code).isalnum() for code in range(low, high)]

    table = np.zeros(0x10000, bool)
    start = 0
    # Only the code points between the CJK blocks are asked: the blocks are 60% of the BMP
    # and never word characters (asking them too was most of the cost of making the table).
    for low, high in sorted(_CJK_BOUNDS):
        low, high = min(low, 0x10000), min(high + 1, 0x10000)
        table[start:low] = asked(start, low)
        start = max(start, high)
    table[start:] = asked(start, 0x10000)
    return table


def _classes(codes: Any) -> tuple[Any, Any]:
    """Return which code points are CJK and which are Latin word characters."""
    import numpy as np

    cjk = np.zeros(len(codes), bool)
    for low, high in _CJK_BOUNDS:
        cjk |= (codes >= low) & (codes <= high)
    astral = codes >= 0x10000
    word = _bmp_word_chars()[np.where(astral, 0, codes)]
    if astral.any():
        # Beyond the BMP: each distinct character asked once (a text holds a handful).
        distinct, inverse = np.unique(codes[astral], return_inverse=True)
        word[astral] = np.array([is_word_char(chr(c)) for c in distinct.tolist()], bool)[inverse]
    return cjk, word


JOIN_CHUNK_CHARS = 250_000  # per array pass: ~20 MB of arrays (a longer text is a chunk alone)


def joined_text_tokens(texts: list[str], chunk_chars: int = JOIN_CHUNK_CHARS) -> list[str]:
    """Return ``" ".join(text_tokens(text))`` for each folded text, made a chunk of texts
    (about ``chunk_chars`` characters) at a time.

    The SQLite index writer needs only the joined form; building ~600,000 bigram strings
    one by one, then joining them, was a fifth of storing a document. Here every character
    gives at most three output characters (itself; the next CJK one or a space; a space),
    chosen by array masks over a whole chunk at once.
    """
    joined: list[str] = []
    chunk: list[str] = []
    size = 0
    for text in texts:
        if chunk and size + len(text) > chunk_chars:
            joined += _joined_chunk(chunk)
            chunk, size = [], 0
        chunk.append(text)
        size += len(text)
    return joined + _joined_chunk(chunk) if chunk else joined


def _joined_chunk(texts: list[str]) -> list[str]:
    """Return each text's tokens joined by spaces, from one array pass over all of them."""
    import numpy as np

    whole = "".join(texts)
    codes = np.frombuffer(whole.encode("utf-32-le"), dtype=np.uint32)
    count = len(codes)
    cjk, word = _classes(codes)
    lengths = np.fromiter(map(len, texts), np.int64, len(texts))
    ends = np.cumsum(lengths)
    last = np.zeros(count + 1, bool)  # a text's last character: no run goes on past it
    last[ends] = True
    last = last[1:]
    next_cjk = np.append(cjk[1:], False) & ~last
    next_word = np.append(word[1:], False) & ~last
    # A word's characters from the MAX_TOKEN-th on are cut, as in text_tokens.
    # 32-bit positions: half the memory traffic of the default 64 (a chunk is far shorter).
    position = np.arange(count, dtype=np.int32)
    word_start = word & ~np.insert(word[:-1] & ~last[:-1], 0, False)
    in_word = position - np.maximum.accumulate(np.where(word_start, position, np.int32(0)))
    pair = cjk & next_cjk
    out = np.empty((count, 3), np.uint32)
    out[:, 0] = codes
    out[:, 1] = np.where(pair, np.append(codes[1:], _SPACE), _SPACE)
    out[:, 2] = _SPACE
    keep = np.empty((count, 3), bool)
    keep[:, 0] = cjk | (word & (in_word < MAX_TOKEN))
    keep[:, 1] = cjk | (word & ~next_word)
    keep[:, 2] = pair
    joined = out[keep].tobytes().decode("utf-32-le")
    # Where each text's output starts and ends: the kept slots before its first character
    # and up to its last (an empty text starts and ends where the one before it ended).
    kept = np.zeros(count + 1, np.int64)
    np.cumsum(keep[:, 0].view(np.uint8) + keep[:, 1] + keep[:, 2], out=kept[1:])
    starts = kept[ends - lengths].tolist()
    stops = kept[ends].tolist()
    # Each token ends with a space; the last one of each text loses it.
    return [joined[a : b - 1] if b > a else "" for a, b in zip(starts, stops, strict=True)]

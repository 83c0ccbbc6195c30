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
from collections.abc import Iterator
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
_WORD_RUN = re.compile(f"[^\\W_{_CJK_RANGES}]+")
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


# What each character is to the tokenizer: part of a CJK run, of a Latin word, or neither.
OTHER, CJK, WORD = 0, 1, 2


@cache
def _bmp_kinds() -> Any:
    """Return, for every code point below 0x10000, its kind (``OTHER``, ``CJK`` or ``WORD``):
    made once per process, then read by index (one gather per text instead of a comparison
    pass per CJK block). ``str.isalnum`` is what the regex's ``\\w`` tests, so a word
    character here is one ``is_word_char`` accepts; a property test holds the two tokenizers
    to each other."""
    import numpy as np

    def asked(low: int, high: int) -> list[bool]:
        return [chr(code).isalnum() for code in range(low, high)]

    table = np.zeros(0x10000, np.uint8)
    start = 0
    # Only the code points between the CJK blocks are asked: the blocks are 60% of the BMP
    # and never word characters (asking them too was most of the cost of making the table).
    for low, high in sorted(_CJK_BOUNDS):
        low, high = min(low, 0x10000), min(high + 1, 0x10000)
        table[start:low] = np.array(asked(start, low), bool) * WORD
        table[low:high] = CJK
        start = max(start, high)
    table[start:] = np.array(asked(start, 0x10000), bool) * WORD
    return table


def _astral_kind(code: int) -> int:
    """Return the kind of a character beyond the BMP."""
    if _CJK_RUN.fullmatch(chr(code)):
        return CJK
    return WORD if is_word_char(chr(code)) else OTHER


def _kinds(codes: Any) -> Any:
    """Return the kind of each code point (``OTHER``, ``CJK`` or ``WORD``)."""
    import numpy as np

    if codes.max(initial=0) < 0x10000:
        return _bmp_kinds().take(codes)
    astral = codes >= 0x10000
    kinds = _bmp_kinds().take(np.where(astral, 0, codes))
    # Beyond the BMP: each distinct character asked once (a text holds a handful).
    distinct, inverse = np.unique(codes[astral], return_inverse=True)
    kinds[astral] = np.array([_astral_kind(c) for c in distinct.tolist()], np.uint8)[inverse]
    return kinds


JOIN_CHUNK_CHARS = 250_000  # per array pass: ~20 MB of arrays (a longer text is cut in pieces)


def joined_text_tokens(texts: list[str], chunk_chars: int = JOIN_CHUNK_CHARS) -> list[str]:
    """Return ``" ".join(text_tokens(text))`` for each folded text, made a chunk of texts
    (about ``chunk_chars`` characters) at a time.

    The SQLite index writer needs only the joined form; building ~600,000 bigram strings
    one by one, then joining them, was a fifth of storing a document. Here every character
    gives at most three output characters (itself; the next CJK one or a space; a space),
    chosen by array masks over a whole chunk at once. A text longer than a chunk is cut in
    pieces first: the arrays take ~56 bytes a character, 730 MB for one 13 M-character item.
    """
    short = iter(_joined_chunks([text for text in texts if len(text) <= chunk_chars], chunk_chars))
    return [
        next(short) if len(text) <= chunk_chars else " ".join(_joined_pieces(text, chunk_chars))
        for text in texts
    ]


def token_count_and_distinct(
    text: str, chunk_chars: int = JOIN_CHUNK_CHARS
) -> tuple[int, list[str]]:
    """Return how many index tokens a folded text has, and the distinct ones in the order
    they first appear: ``text_tokens``'s length and its words, made a piece at a time (the
    list of a long text's tokens takes ~80 bytes a token: 1 GB for 13 M characters)."""
    count = 0
    distinct: dict[str, None] = {}
    for joined in _joined_pieces(text, chunk_chars):
        found = joined.split(" ")
        count += len(found)
        distinct.update(dict.fromkeys(found))
    return count, list(distinct)


def _joined_chunks(texts: list[str], chunk_chars: int) -> list[str]:
    """Return each text's tokens joined, from array passes over about ``chunk_chars``
    characters of texts each."""
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


def _pieces(text: str, size: int) -> Iterator[tuple[str, bool]]:
    """Yield a text cut in pieces of about ``size`` characters whose tokens, joined, are the
    text's, each with whether it was cut inside a CJK run.

    A cut between two CJK characters keeps the second in both pieces: the first piece's
    bigrams then end with the one across the cut, and its last token (that character alone)
    is not the text's. A Latin word is never cut (its first MAX_TOKEN characters are its token).
    """
    start = 0
    while len(text) - start > size:
        cut = start + size
        before, after = _kind(text[cut - 1]), _kind(text[cut])
        if before == WORD and after == WORD:
            word = _WORD_RUN.match(text, cut)
            cut = word.end() if word else cut
            if cut == len(text):
                break
        in_run = before == CJK and after == CJK
        yield text[start : cut + 1 if in_run else cut], in_run
        start = cut
    yield text[start:], False


def _joined_pieces(text: str, size: int) -> Iterator[str]:
    """Yield the joined tokens of a text a piece of about ``size`` characters at a time
    (pieces without a token left out)."""
    for piece, in_run in _pieces(text, size):
        (joined,) = _joined_chunk([piece])
        if in_run:  # the lone last character a run ends with: the run goes on in the next piece
            joined = joined.rpartition(" ")[0]
        if joined:
            yield joined


def _kind(char: str) -> int:
    """Return the kind of one character, as the array passes see it."""
    import numpy as np

    return int(_kinds(np.array([ord(char)], np.uint32))[0])


# Ends each text of a chunk: not a token character, so no run goes on past it, and the one
# character kept that is neither a token character nor a space, so the output splits on it.
_TEXT_END = "\n"


def _joined_chunk(texts: list[str]) -> list[str]:
    """Return each text's tokens joined by spaces, from one array pass over all of them."""
    import numpy as np

    if not texts:
        return []
    whole = _TEXT_END.join([*texts, ""])
    # Code points as numpy holds text (UCS-4): a third of the time of encoding to UTF-32.
    codes = np.array(whole).reshape(1).view(np.uint32)
    count = len(codes)
    kinds = _kinds(codes)
    cjk = kinds == CJK
    # The last character is a text end: neither pairs with a next one nor ends a word.
    pair = np.zeros(count, bool)
    np.logical_and(cjk[:-1], cjk[1:], out=pair[:-1])
    word = kinds == WORD
    word_end = np.zeros(count, bool)
    np.greater(word[:-1], word[1:], out=word_end[:-1])
    out = np.empty((count, 3), np.uint32)
    out[:, 0] = codes
    out[:, 1] = _SPACE
    np.copyto(out[:-1, 1], codes[1:], where=pair[:-1])
    out[:, 2] = _SPACE
    keep = np.empty((count, 3), bool)
    keep[:, 0] = kinds != OTHER
    keep[:, 1] = cjk | word_end
    keep[:, 2] = pair
    lengths = np.fromiter(map(len, texts), np.int64, len(texts))
    keep[np.cumsum(lengths + 1) - 1, 0] = True  # each text's end mark
    _cut_long_words(keep[:, 0], word, word_end)
    kept = out[keep]
    # UCS-4 back to text as numpy reads it (the output never ends with NUL, which it drops).
    joined = kept.view(f"U{len(kept)}").item()
    # Each text's output is its tokens, each followed by a space: the last one loses it.
    return [piece[:-1] for piece in joined.split(_TEXT_END)[:-1]]


def _cut_long_words(keep: Any, word: Any, word_end: Any) -> None:
    """Drop from ``keep`` the characters of a word from its MAX_TOKEN-th on, as in
    ``text_tokens`` (words that long are rare: hashes, glued URLs)."""
    import numpy as np

    ends = np.flatnonzero(word_end) + 1
    starts = np.flatnonzero(np.greater(word[1:], word[:-1])) + 1
    if word[0]:
        starts = np.insert(starts, 0, 0)
    long = ends - starts > MAX_TOKEN
    for start, end in zip(starts[long].tolist(), ends[long].tolist(), strict=True):
        keep[start + MAX_TOKEN : end] = False

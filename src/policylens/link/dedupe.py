"""Near-duplicate items: MinHash LSH over character shingles, then an exact check.

News digests copy one another but abridge and add their own commentary: the Chongqing
entry of the weekly brief (000) is a shortened copy of the newsletter's (001), which adds a
短评. Their Jaccard similarity is only about 0.26, yet three quarters of the brief's
shingles are in the newsletter. So similarity here is containment: the share of the
shorter item's shingles found in the longer one. LSH bands tuned for a low Jaccard
similarity give the candidates; each candidate pair is then scored exactly on its shingles.

Every step is decided pair by pair (two items are candidates when they share a band key,
duplicates when their containment reaches the threshold), so linking a new batch against
the stored band keys finds exactly the pairs a run over the whole knowledge base finds.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

SHINGLE = 4  # characters; Chinese words are 1-3 characters, so 4 spans about two words
NUM_PERM = 128
SCHEME = f"char{SHINGLE}-perm{NUM_PERM}-crc32-affine32-v1"
# Fewer characters than this (after punctuation and spaces are dropped) and an item is a
# heading (总体要求, 保障措施) that two unrelated plans share word for word.
MIN_CHARS = 40
# Items are compared within a group only: a news article that quotes a plan's goals is
# not a copy of the plan's section; contents pages and disclaimers are not stories.
KIND_GROUPS = {
    "digest_entry": "news",
    "article": "news",
    "notice": "news",
    "plan_section": "plan",
}
# LSH bands: two items are candidates when all ROWS MinHash values of one of BANDS bands
# agree. datasketch's MinHashLSH chooses (64, 2) for a Jaccard similarity of 0.176 with
# misses weighted 4:1 over false candidates (each candidate is checked exactly anyway):
# 0.176 is what a containment of 0.45 (0.6 less a margin for sketch noise) means between
# items up to twice each other's size. Longer ratios are still found, less surely.
BANDS = 64
ROWS = 2
CANDIDATE_JACCARD = 0.176
CANDIDATE_WEIGHTS = (0.2, 0.8)
BAND_SCHEME = f"{SCHEME}-bands{BANDS}x{ROWS}-splitmix64-v1"
NOT_WORD = re.compile(r"[\W_]+")


@dataclass(frozen=True, slots=True)
class Sketch:
    """An item as the duplicate finder sees it: group, shingle count, MinHash values."""

    item_id: int
    document_id: int
    group: str
    shingles: int
    hashvalues: bytes


@dataclass(frozen=True, slots=True)
class DuplicatePair:
    """Two items found to be near-duplicates, with their containment score."""

    first: int  # item id, the smaller of the two
    second: int
    score: float


def story_text(text: str) -> str:
    """Return the characters compared: letters and digits, lower-cased, no punctuation."""
    return NOT_WORD.sub("", text).lower()


def shingles(text: str, size: int = SHINGLE) -> set[str]:
    """Return the character shingles of an item's text (empty when it is too short)."""
    chars = story_text(text)
    if len(chars) < MIN_CHARS:
        return set()
    return {chars[i : i + size] for i in range(len(chars) - size + 1)}


def hash32(shingle: str) -> int:
    """Return a 32-bit hash of a shingle.

    CRC-32 runs in C, about 7x faster than datasketch's default SHA-1 (0.23 vs 1.6 µs a
    shingle); its weak mixing does not matter, as the affine32 scheme pre-mixes every hash.
    """
    return zlib.crc32(shingle.encode("utf-8"))


def sketch_values(item_shingles: set[str]) -> bytes:
    """Return the MinHash values of a shingle set, as bytes to store (empty for no shingles)."""
    return sketch_many([item_shingles])[0]


def sketch_many(shingle_sets: Sequence[set[str]]) -> list[bytes]:
    """Return the MinHash values of many shingle sets (empty bytes for an empty set).

    One batch shares the permutations, which otherwise cost more than the hashing.
    """
    from datasketch import MinHash  # numpy + scipy: about a second, paid only when linking

    filled = [list(s) for s in shingle_sets if s]  # order does not change a MinHash
    minhashes = iter(MinHash.bulk(filled, num_perm=NUM_PERM, hashfunc=hash32) if filled else [])
    return [
        bytes(next(minhashes).hashvalues.astype(np.uint32).tobytes()) if s else b""
        for s in shingle_sets
    ]


def containment(a: set[str], b: set[str]) -> float:
    """Return the share of the smaller set found in the larger (0 when either is empty)."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def _mix64(x: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """Return splitmix64's finalizer of every value: a bijection that spreads every bit."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def band_keys(sketches: Sequence[Sketch]) -> NDArray[np.int64]:
    """Return each sketch's BANDS band keys as a (sketches, BANDS) array of signed 64-bit ints.

    A key hashes the group, the band's position and its ROWS values, so items of different
    groups (news, plans) never share a key. Sketches without shingles must be left out.
    """
    if not sketches:
        return np.zeros((0, BANDS), dtype=np.int64)
    values = np.frombuffer(b"".join(s.hashvalues for s in sketches), dtype=np.uint32)
    rows = values.reshape(len(sketches), BANDS, ROWS).astype(np.uint64)
    salt = np.array([zlib.crc32(s.group.encode()) for s in sketches], dtype=np.uint64)
    keys = np.zeros((len(sketches), BANDS), dtype=np.uint64)
    with np.errstate(over="ignore"):  # multiplication wraps around 2**64 on purpose
        for row in range(ROWS):
            keys = _mix64(keys * np.uint64(0x100000001B3) + rows[:, :, row])
        position = np.arange(BANDS, dtype=np.uint64) << np.uint64(32)
        keys = _mix64(keys ^ position[None, :] ^ (salt[:, None] << np.uint64(8)))
    return keys.view(np.int64)


def colliding_pairs(item_ids: Sequence[int], keys: NDArray[np.int64]) -> set[tuple[int, int]]:
    """Return the item-id pairs (smaller id first) that share at least one band key.

    A sparse product of the item-by-key incidence matrix with itself counts shared keys
    for every pair at once, in C, however many items share a popular key.
    """
    if len(item_ids) < 2:
        return set()
    from scipy import sparse  # a dependency of datasketch

    flat = keys.ravel()
    _, columns = np.unique(flat, return_inverse=True)
    rows = np.repeat(np.arange(len(item_ids)), keys.shape[1])
    incidence = sparse.csr_matrix(
        (np.ones(len(flat), dtype=np.int32), (rows, columns.ravel())),
        shape=(len(item_ids), int(columns.max()) + 1),
    )
    shared = sparse.triu(incidence @ incidence.T, k=1).tocoo()
    ids = np.asarray(item_ids)
    firsts, seconds = ids[shared.row], ids[shared.col]
    return {(min(a, b), max(a, b)) for a, b in zip(firsts.tolist(), seconds.tolist(), strict=True)}


def score_pairs(
    pairs: Iterable[tuple[int, int]], texts: dict[int, str], threshold: float
) -> list[DuplicatePair]:
    """Return the candidate pairs whose exact containment reaches the threshold, best first."""
    cache: dict[int, set[str]] = {}

    def of(item_id: int) -> set[str]:
        if item_id not in cache:
            cache[item_id] = shingles(texts[item_id])
        return cache[item_id]

    found = []
    for first, second in pairs:
        score = containment(of(first), of(second))
        if score >= threshold:
            found.append(DuplicatePair(first, second, round(score, 4)))
    return sorted(found, key=lambda p: (-p.score, p.first, p.second))


def clusters(
    pairs: Iterable[DuplicatePair], joined: Iterable[Sequence[int]] = ()
) -> list[list[int]]:
    """Return groups of item ids joined by duplicate pairs (each sorted; groups by first id).

    ``joined`` are groups already known to be one (stored clusters the pairs touch).
    """
    parent: dict[int, int] = {}

    def root(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    links = [(p.first, p.second) for p in pairs]
    links += [(group[0], other) for group in joined for other in group]
    for first, second in links:
        a, b = root(first), root(second)
        if a != b:
            parent[max(a, b)] = min(a, b)
    groups: dict[int, list[int]] = {}
    for item_id in parent:
        groups.setdefault(root(item_id), []).append(item_id)
    return sorted((sorted(g) for g in groups.values()), key=lambda g: g[0])


def _preference(pair: DuplicatePair) -> tuple[float, int, int]:
    return -pair.score, pair.first, pair.second


def best_matches(
    pairs: Iterable[DuplicatePair], known: dict[int, DuplicatePair] | None = None
) -> dict[int, DuplicatePair]:
    """Return, for each item in a pair, its best pair: highest score, then smallest ids.

    ``known`` are the best pairs found before (of stored items); a new pair replaces one
    only when it is preferred, so the answer does not depend on the order pairs came in.
    """
    best: dict[int, DuplicatePair] = dict(known or {})
    for pair in pairs:
        for item_id in (pair.first, pair.second):
            current = best.get(item_id)
            if current is None or _preference(pair) < _preference(current):
                best[item_id] = pair
    return best

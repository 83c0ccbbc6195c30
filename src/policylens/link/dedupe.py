"""Near-duplicate items: MinHash LSH over character shingles, then an exact check.

News digests copy one another but abridge and add their own commentary: the Chongqing
entry of the weekly brief (000) is a shortened copy of the newsletter's (001), which adds a
短评. Their Jaccard similarity is only about 0.26, yet three quarters of the brief's
shingles are in the newsletter. So similarity here is containment: the share of the
shorter item's shingles found in the longer one. LSH bands tuned for a low Jaccard
similarity give the candidates; each candidate pair is then scored exactly on its shingles.

Whole-item bands see Jaccard similarity, which a story falls short of when it is a small
part of a long item (a 50-character notice inside a 1,000-character digest entry: about
0.05). Long items therefore also give band keys of windows of their shingles, at sizes
halving down to a few hundred shingles, each window overlapping the next by half: a
contained story lies in a window at most about four times its size, where its similarity
is again one the bands find. An item's band keys are the union of its whole keys and its
windows' keys, so a pair is still a candidate exactly when the two items share a key.

Every step is decided pair by pair (two items are candidates when they share a band key,
duplicates when their containment reaches the threshold), so linking a new batch against
the stored band keys finds exactly the pairs a run over the whole knowledge base finds;
except among the owners of a key shared by more than POPULAR_KEY items in one run, which
are paired in a star and a chain rather than every two (see there).
"""

from __future__ import annotations

import functools
import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray
    from scipy import sparse

SHINGLE = 4  # characters; Chinese words are 1-3 characters, so 4 spans about two words
# (score_pairs keys a shingle as two pairs of characters: it counts on four.)
NUM_PERM = 128
MINHASH_SEED = 1  # datasketch's default: stored sketches were made with it
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
# items up to twice each other's size. Longer ratios are found through windows (below).
BANDS = 64
ROWS = 2
CANDIDATE_JACCARD = 0.176
CANDIDATE_WEIGHTS = (0.2, 0.8)
# Windows (see the module docstring): sizes from WINDOW_START of the item, halved until
# one is at most WINDOW_FLOOR shingles, stepping by half a window. Items shorter than
# LONG_ITEM contain no compared item under a 2.4th of their size (MIN_CHARS), which whole
# bands find. A window keeps its first WINDOW_BANDS bands: windows are many, and on the
# synthetic corpus 32 bands found every contained pair (16 missed some) at half the rows.
WINDOW_START = 1 / 1.2
WINDOW_FLOOR = 200
WINDOW_BANDS = 32
LONG_ITEM = 90
# Windows of one item, at most: past ~100,000 shingles the smallest windows grow instead.
# An item of 14 million characters (one 40 MB text with no headings) got 280,000 windows
# and 18 million band keys: 58 s and 2.2 GB to link it alone. A story copied into such an
# item is found if it fills a good part of a window of ~8 / MAX_WINDOWS of the item.
MAX_WINDOWS = 4096
# Positions whose permuted values are held at once (64 kB each) when an item is sketched.
ROW_BLOCK = 4096
# Positions whose shingle keys and hashes are worked out at once: one item of 16 million
# characters made a dozen arrays of that many 8-byte values at once, 1.2 GB.
POSITIONS_AT_ONCE = 1 << 20
BAND_SCHEME = (
    f"{SCHEME}-bands{BANDS}x{ROWS}-windows{WINDOW_FLOOR}x{WINDOW_BANDS}"
    f"-max{MAX_WINDOWS}-splitmix64-v2"
)
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
    return set(shingle_sequence(text, size))


def shingle_sequence(text: str, size: int = SHINGLE) -> list[str]:
    """Return an item's shingles in text order, repeats kept (empty when it is too short)."""
    chars = story_text(text)
    if len(chars) < MIN_CHARS:
        return []
    return [chars[i : i + size] for i in range(len(chars) - size + 1)]


def hash32(shingle: str) -> int:
    """Return a 32-bit hash of a shingle.

    CRC-32 runs in C, about 7x faster than datasketch's default SHA-1 (0.23 vs 1.6 µs a
    shingle); its weak mixing does not matter, as the affine32 scheme pre-mixes every hash.
    """
    return zlib.crc32(shingle.encode("utf-8"))


def sketch_values(item_shingles: set[str]) -> bytes:
    """Return datasketch's MinHash values of a shingle set as stored bytes (empty for no
    shingles): the reference ``Permutations.item`` is tested against."""
    return sketch_many([item_shingles])[0]


def sketch_many(shingle_sets: Sequence[set[str]]) -> list[bytes]:
    """Return the MinHash values of many shingle sets (empty bytes for an empty set).

    One batch shares the permutations, which otherwise cost more than the hashing.
    """
    from datasketch import MinHash  # loads scipy.integrate: the tests' reference only

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
    salts = np.array([zlib.crc32(s.group.encode()) for s in sketches], dtype=np.uint64)
    return _keys_of(values.reshape(len(sketches), NUM_PERM), salts)


def _keys_of(values: NDArray[np.uint32], salts: NDArray[np.uint64]) -> NDArray[np.int64]:
    """Return the band keys of MinHash value rows: as many bands as ROWS-value groups a row has.

    A window's first bands use the same positions as the whole item's, so their keys match.
    """
    bands = values.shape[1] // ROWS
    rows = values.reshape(len(values), bands, ROWS).astype(np.uint64)
    keys = np.zeros((len(values), bands), dtype=np.uint64)
    with np.errstate(over="ignore"):  # multiplication wraps around 2**64 on purpose
        for row in range(ROWS):
            keys = _mix64(keys * np.uint64(0x100000001B3) + rows[:, :, row])
        position = np.arange(bands, dtype=np.uint64) << np.uint64(32)
        keys = _mix64(keys ^ position[None, :] ^ (salts[:, None] << np.uint64(8)))
    return keys.view(np.int64)


@dataclass(frozen=True, slots=True)
class Permutations:
    """datasketch's MinHash permutations, to hash every shingle position of an item at once.

    datasketch gives a set's minimum only; windows need the permuted hash of every position.
    ``sketch_values`` and ``Permutations.item`` give the same values (tested).
    """

    a: NDArray[np.uint32]
    b: NDArray[np.uint32]

    @classmethod
    def make(cls) -> Permutations:
        """Return the permutations of datasketch's MinHash with NUM_PERM and its default seed.

        Drawn as datasketch draws them for its affine32 scheme (tested against it): an odd
        multiplier each, then the offsets, from numpy's RandomState. Importing datasketch
        loads scipy.integrate, ~0.6 s of every ingest that links, for these two arrays.
        """
        draw = np.random.RandomState(MINHASH_SEED)
        a = draw.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
        b = draw.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
        return cls(a, b)

    def positions(self, hashes: NDArray[np.uint32]) -> NDArray[np.uint32]:
        """Return the (positions, NUM_PERM) permuted values of shingle hashes."""
        with np.errstate(over="ignore"):  # uint32 arithmetic wraps, as datasketch's affine32
            return _fmix32(hashes)[:, None] * self.a[None, :] + self.b[None, :]

    def item(
        self, group: str, hashes: NDArray[np.uint32], row_block: int = ROW_BLOCK
    ) -> tuple[bytes, NDArray[np.int64]]:
        """Return an item's MinHash values and its band keys (whole item and windows, unique)
        from the ``hash32`` of each of its shingle positions, in order.

        The permuted values are made ``row_block`` positions at a time: all of them at once
        took 512 bytes a position, gigabytes for an item of a few million characters.
        """
        bounds = np.array(window_bounds(len(hashes)), dtype=np.int64).reshape(-1, 2)
        whole = np.full(NUM_PERM, np.iinfo(np.uint32).max, dtype=np.uint32)
        windows = np.full((len(bounds), WINDOW_BANDS * ROWS), whole[0], dtype=np.uint32)
        for low in range(0, len(hashes), row_block):
            high = min(low + row_block, len(hashes))
            permuted = self.positions(hashes[low:high])
            np.minimum(whole, permuted.min(axis=0), out=whole)
            for window in np.flatnonzero((bounds[:, 0] < high) & (bounds[:, 1] > low)).tolist():
                start, end = max(int(bounds[window, 0]), low), min(int(bounds[window, 1]), high)
                part = permuted[start - low : end - low, : WINDOW_BANDS * ROWS].min(axis=0)
                np.minimum(windows[window], part, out=windows[window])
        salt = np.array([zlib.crc32(group.encode())], dtype=np.uint64)
        keys = _keys_of(whole[None, :], salt).ravel()
        if len(windows):
            window_keys = _keys_of(windows, np.repeat(salt, len(windows))).ravel()
            keys = np.concatenate([keys, window_keys])
        return whole.tobytes(), np.unique(keys)


def _fmix32(x: NDArray[np.uint32]) -> NDArray[np.uint32]:
    """Return MurmurHash3's 32-bit finalizer of every value (datasketch's pre-mix)."""
    x = x ^ (x >> np.uint32(16))
    x = x * np.uint32(0x85EBCA6B)
    x = x ^ (x >> np.uint32(13))
    x = x * np.uint32(0xC2B2AE35)
    return x ^ (x >> np.uint32(16))


def window_bounds(positions: int) -> list[tuple[int, int]]:
    """Return the (start, end) shingle positions of a long item's windows (none if short)."""
    if positions < LONG_ITEM:
        return []
    # Each size down to ``floor`` has ~2 × positions / width windows: ~8 × positions / floor
    # in all at most, the smallest being over half the floor.
    floor = max(WINDOW_FLOOR, -(-8 * positions // MAX_WINDOWS))
    bounds: list[tuple[int, int]] = []
    size = positions * WINDOW_START
    while True:
        width = max(1, round(size))
        step = max(1, width // 2)
        starts = list(range(0, positions - width + 1, step))
        if starts[-1] != positions - width:
            starts.append(positions - width)  # the tail gets a window of its own
        bounds += [(start, start + width) for start in starts]
        if width <= floor:
            return bounds
        size /= 2


@dataclass(frozen=True, slots=True, eq=False)
class ItemKeys:
    """The band keys of one item (whole and windows): items sharing a key are candidates."""

    item_id: int
    keys: NDArray[np.int64]


def colliding_pairs(item_ids: Sequence[int], keys: NDArray[np.int64]) -> set[tuple[int, int]]:
    """Return the item-id pairs (smaller id first) whose rows of ``keys`` share a key."""
    owners = np.repeat(np.asarray(item_ids, dtype=np.int64), keys.shape[1])
    return shared_key_pairs(owners, keys.ravel())


def keyed_pairs(items: Sequence[ItemKeys]) -> set[tuple[int, int]]:
    """Return the item-id pairs (smaller id first) sharing at least one band key."""
    if not items:
        return set()
    owners = np.repeat([i.item_id for i in items], [len(i.keys) for i in items])
    return shared_key_pairs(owners, np.concatenate([i.keys for i in items]))


# Owners of one band key beyond which it is popular. A key shared by n items makes n²/2
# candidate pairs: a file repeating one paragraph ten thousand times, or forty thousand
# alike headings, made gigabytes of them. A popular key pairs its owners in a star from
# the smallest id and a chain in id order instead: 2n pairs that still join them all, and
# give each exact copy its pair with the first copy, as all pairs would; a near copy's
# best match may then be a lesser one. The 600-document synthetic corpus's busiest key has
# 233 owners (items re-mixed into many documents).
POPULAR_KEY = 1_000
# Pairs the keys of one run may make (summed over keys, so an upper bound of the distinct
# pairs): beyond, the keys with most owners are taken as popular until the rest fit.
# Forty thousand alike headings made ~40 keys of ~900 owners each; the 600-document
# synthetic corpus's keys make 4.2 million, and stay exact.
PAIR_BUDGET = 5_000_000


def shared_key_pairs(
    owners: NDArray[np.int64],
    keys: NDArray[np.int64],
    popular_key: int = POPULAR_KEY,
    pair_budget: int = PAIR_BUDGET,
) -> set[tuple[int, int]]:
    """Return the pairs of distinct owners (smaller first) of equal keys; one key per row.

    A sparse product of the item-by-key incidence matrix with itself counts shared keys
    for every pair at once, in C, however many items share a key. The owners of a popular
    key (``popular_columns``) are paired in a star and a chain instead.
    """
    ids, rows = np.unique(owners, return_inverse=True)
    if len(ids) < 2:
        return set()
    from scipy import sparse  # a dependency of datasketch

    _, columns = np.unique(keys, return_inverse=True)
    # Each (key, owner) once, in key order, then owner order (an owner may hold a key
    # twice, from two windows).
    held = np.unique(columns.ravel().astype(np.int64) * len(ids) + rows.ravel())
    held_columns, held_rows = held // len(ids), held % len(ids)
    owners_of = np.bincount(held_columns)
    popular = popular_columns(owners_of, popular_key, pair_budget)[held_columns]
    incidence = sparse.csr_matrix(
        (
            np.ones(int((~popular).sum()), dtype=np.int32),
            (held_rows[~popular], held_columns[~popular]),
        ),
        shape=(len(ids), len(owners_of)),
    )
    shared = sparse.triu(incidence @ incidence.T, k=1).tocoo()
    # Above the diagonal the row is the smaller index, and ids are sorted: smaller id first.
    pairs = set(zip(ids[shared.row].tolist(), ids[shared.col].tolist(), strict=True))
    return pairs | _star_and_chain(ids, held_columns[popular], held_rows[popular])


def popular_columns(
    owners_of: NDArray[np.int64], popular_key: int, pair_budget: int
) -> NDArray[np.bool_]:
    """Return which keys are popular, given each key's number of owners: those with more
    than ``popular_key``, then the ones with most owners (the first of equals first) until
    the rest make at most ``pair_budget`` pairs."""
    pairs_of = owners_of * (owners_of - 1) // 2
    popular = owners_of > popular_key
    excess = int(pairs_of[~popular].sum()) - pair_budget
    if excess > 0:
        rest = np.flatnonzero(~popular)
        busiest = rest[np.argsort(-owners_of[rest], kind="stable")]
        shed = int(np.searchsorted(np.cumsum(pairs_of[busiest]), excess)) + 1
        popular[busiest[:shed]] = True
    return popular


def _star_and_chain(
    ids: NDArray[np.int64], columns: NDArray[np.int64], rows: NDArray[np.int64]
) -> set[tuple[int, int]]:
    """Return, for each key's owners (``rows``, sorted within each key of ``columns``),
    each owner paired with the key's first owner and with the owner before it."""
    if not len(rows):
        return set()
    opens = np.concatenate(([True], columns[1:] != columns[:-1]))
    first = rows[np.maximum.accumulate(np.where(opens, np.arange(len(rows)), 0))]
    before = np.concatenate((rows[:1], rows[:-1]))
    later = ~opens
    ends = np.concatenate((first[later], before[later]))
    owners = np.concatenate((rows[later], rows[later]))
    # Rows are indexes into the sorted ids, and each later row is larger than both ends.
    return set(zip(ids[ends].tolist(), ids[owners].tolist(), strict=True))


def score_pairs(
    pairs: Iterable[tuple[int, int]], texts: dict[int, str], threshold: float
) -> list[DuplicatePair]:
    """Return the candidate pairs whose exact containment reaches the threshold, best first.

    The same scores as ``containment`` of the two items' ``shingles``, pair by pair, but
    counted in C: a corpus of 1,000 documents gives about 500,000 candidate pairs of items of
    a few hundred shingles, and intersecting Python sets of strings for each took 16 s.
    """
    listed = np.fromiter(chain.from_iterable(pairs), dtype=np.int64).reshape(-1, 2)
    listed = listed[np.lexsort((listed[:, 1], listed[:, 0]))]
    if not len(listed):
        return []
    ids, rows = np.unique(listed, return_inverse=True)
    rows = rows.reshape(-1, 2)
    incidence = shingle_incidence([texts[item_id] for item_id in ids.tolist()])
    sizes = np.diff(incidence.indptr)
    shared = _shared_counts(incidence, rows[:, 0], rows[:, 1])
    smaller = np.minimum(sizes[rows[:, 0]], sizes[rows[:, 1]])
    # int / int in numpy is the same IEEE division as in Python: the same scores exactly.
    scores = np.divide(shared, smaller, out=np.zeros(len(shared)), where=smaller > 0)
    kept = np.flatnonzero(scores >= threshold)
    found = [
        DuplicatePair(first, second, round(score, 4))
        for first, second, score in zip(
            listed[kept, 0].tolist(), listed[kept, 1].tolist(), scores[kept].tolist(), strict=True
        )
    ]
    return sorted(found, key=lambda p: (-p.score, p.first, p.second))


@dataclass(frozen=True, slots=True, eq=False)
class ShingledTexts:
    """Every shingle position of several texts, in text order, as ``shingle_sequence`` gives
    them: text ``t`` has positions ``bounds[t]`` to ``bounds[t + 1]``. Arrays, not a string
    per shingle: a text of a few million characters would take gigabytes as strings."""

    bounds: NDArray[np.int64]
    points: NDArray[np.uint32]  # the code points of the texts' ``story_text``, joined
    starts: NDArray[np.int64]  # where each position's shingle starts in ``points``

    def keys(self, block: int = POSITIONS_AT_ONCE) -> NDArray[np.uint64]:
        """Return an exact 64-bit key of each position's shingle, equal for equal shingles.

        Every pair of adjacent characters gets a dense id (fewer than 2**32, as there are
        fewer pairs than characters; a code point takes 21 bits, so a pair's value fits in
        42), and a shingle, four characters, is the ids of its two halves. The ids are
        looked up ``block`` positions at a time.
        """
        if not len(self.starts):
            return np.zeros(0, dtype=np.uint64)
        halves = self.points[:-1].astype(np.uint64)
        halves <<= np.uint64(21)
        halves |= self.points[1:]
        distinct = np.unique(halves)
        half_ids = np.empty(len(halves), dtype=np.uint64)
        for low in range(0, len(halves), block):
            half_ids[low : low + block] = np.searchsorted(distinct, halves[low : low + block])
        del halves, distinct
        keys = np.empty(len(self.starts), dtype=np.uint64)
        for low in range(0, len(self.starts), block):
            starts = self.starts[low : low + block]
            keys[low : low + block] = (half_ids[starts] << np.uint64(32)) | half_ids[starts + 2]
        return keys

    def hashes(self, block: int = POSITIONS_AT_ONCE) -> NDArray[np.uint32]:
        """Return ``hash32`` of each position's shingle: CRC-32 of its UTF-8 bytes, by the
        byte table, one byte of every shingle at a time, ``block`` positions at a time."""
        table = _crc32_table()
        crcs = np.empty(len(self.starts), dtype=np.uint32)
        for low in range(0, len(self.starts), block):
            crcs[low : low + block] = _crc32(self.points, self.starts[low : low + block], table)
        return crcs


def _crc32(
    points: NDArray[np.uint32], starts: NDArray[np.int64], table: NDArray[np.uint32]
) -> NDArray[np.uint32]:
    """Return the CRC-32 of the UTF-8 bytes of the shingle starting at each of ``starts``."""
    crc = np.full(len(starts), 0xFFFFFFFF, dtype=np.uint32)
    for offset in range(SHINGLE):
        point = points[starts + offset]
        size = 1 + (point >= 0x80) + (point >= 0x800) + (point >= 0x10000)
        for index in range(4):
            step = table[(crc ^ _utf8_byte(point, size, index)) & 0xFF] ^ (crc >> 8)
            crc = np.where(size > index, step, crc)
    return crc ^ np.uint32(0xFFFFFFFF)


def shingle_texts(texts: Sequence[str]) -> ShingledTexts:
    """Return the shingle positions of several texts (none for a text too short for any)."""
    stories = [story_text(text) for text in texts]
    lengths = np.array([len(s) for s in stories], dtype=np.int64)
    counts = np.where(lengths >= MIN_CHARS, np.maximum(lengths - SHINGLE + 1, 0), 0)
    offsets = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
    bounds = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
    # Position k of text t starts at code point offsets[t] + k.
    starts = np.arange(int(bounds[-1]), dtype=np.int64) + np.repeat(offsets - bounds[:-1], counts)
    joined = "".join(stories).encode("utf-32-le", errors="surrogatepass")
    return ShingledTexts(bounds, np.frombuffer(joined, dtype=np.uint32), starts)


@functools.cache
def _crc32_table() -> NDArray[np.uint32]:
    """Return the byte table of CRC-32 (reflected, polynomial 0xEDB88320), as zlib's."""
    table = np.arange(256, dtype=np.uint32)
    for _ in range(8):
        table = np.where(table & 1, (table >> 1) ^ np.uint32(0xEDB88320), table >> 1)
    table.flags.writeable = False
    return table


def _utf8_byte(point: NDArray[np.uint32], size: NDArray[np.intp], index: int) -> NDArray[np.uint32]:
    """Return byte ``index`` of each code point's UTF-8 form of ``size`` bytes (any value
    where the form is shorter)."""
    if index == 0:
        lead = np.array([0, 0, 0xC0, 0xE0, 0xF0], dtype=np.uint32)[size]
        return lead | (point >> (6 * (size - 1)).astype(np.uint32))
    shift = (6 * np.maximum(size - 1 - index, 0)).astype(np.uint32)
    return np.uint32(0x80) | ((point >> shift) & np.uint32(0x3F))


def shingle_incidence(texts: Sequence[str]) -> sparse.csr_matrix:
    """Return a texts-by-shingles matrix with a 1 where a text has a shingle (``shingles``)."""
    from scipy import sparse  # a dependency of datasketch, loaded only when linking

    shingled = shingle_texts(texts)
    keys = shingled.keys()
    owners = np.repeat(np.arange(len(texts)), np.diff(shingled.bounds))
    columns = np.unique(keys, return_inverse=True)[1].ravel()
    incidence = sparse.csr_matrix(
        (np.ones(len(keys), dtype=np.int32), (owners, columns)),
        shape=(len(texts), int(columns.max()) + 1 if len(columns) else 0),
    )
    incidence.sum_duplicates()
    incidence.data[:] = 1  # a shingle repeated in a text counts once, as in a set
    return incidence


def _shared_counts(
    incidence: sparse.csr_matrix, firsts: NDArray[np.intp], seconds: NDArray[np.intp]
) -> NDArray[np.int64]:
    """Return how many shingles each row pair shares; pairs come sorted by first row.

    A first row's shingles are marked in a vector, and all of its partners are counted
    against it in one sparse product.
    """
    shared = np.zeros(len(firsts), dtype=np.int64)
    marks = np.zeros(incidence.shape[1], dtype=np.int32)
    bounds = np.flatnonzero(np.diff(firsts)) + 1
    for low, high in zip([0, *bounds.tolist()], [*bounds.tolist(), len(firsts)], strict=True):
        row = int(firsts[low])
        columns = incidence.indices[incidence.indptr[row] : incidence.indptr[row + 1]]
        marks[columns] = 1
        shared[low:high] = incidence[seconds[low:high]] @ marks
        marks[columns] = 0
    return shared


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

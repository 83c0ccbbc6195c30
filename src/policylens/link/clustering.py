"""The I/O edge of duplicate finding: plan from the stored state, then write the plan.

A plan is computed with reads only. Incrementally, only items without a signature are
hashed, and their candidates among stored items come from an index lookup on their band
keys; the stored clusters they touch are merged with what they join. A full plan hashes
what lacks a signature and compares every item with every other through their band keys:
the stored ones, or, under a new band scheme, keys made again from every item's text (a
window's keys need the text, not only the item's signature). Both find the same pairs
(see ``dedupe``), so both give the same clusters.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any, TypeVar

import numpy as np
from sqlalchemy import Connection, delete, insert, select
from sqlalchemy.orm import Session

from policylens.link import dedupe
from policylens.link.resolve import carry_ids
from policylens.store.link_tables import (
    ClusterMemberRow,
    ItemBandRow,
    ItemClusterRow,
    ItemSignatureRow,
)
from policylens.store.schema import ItemRow

CHUNK = 5_000  # ids per IN (...): under every database's limit on bound parameters
T = TypeVar("T")


@dataclass(slots=True)
class DuplicatePlan:
    """What one run writes for duplicate items."""

    full: bool
    rewrite_bands: bool  # every band key is written again (a new band scheme)
    signatures: list[dict[str, Any]] = field(default_factory=list)  # rows to insert
    bands: list[tuple[int, int]] = field(default_factory=list)  # (band, item id) to insert
    groups: list[list[int]] = field(default_factory=list)  # clusters to write
    best: dict[int, dedupe.DuplicatePair] = field(default_factory=dict)
    replaced: dict[int, int] = field(default_factory=dict)  # item -> cluster it leaves
    items: dict[int, tuple[str, int]] = field(default_factory=dict)  # id -> (title, document)
    new_items: int = 0

    @property
    def empty(self) -> bool:
        """Return whether the plan changes nothing."""
        return not (self.full or self.signatures or self.groups)


def chunks(values: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """Yield the values in slices of at most ``size``."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _unsigned_items(session: Session) -> list[Any]:
    """Return (id, document id, kind, text) of the items without a signature of this scheme."""
    query = (
        select(ItemRow.id, ItemRow.document_id, ItemRow.kind, ItemRow.text)
        .outerjoin(
            ItemSignatureRow,
            (ItemSignatureRow.item_id == ItemRow.id) & (ItemSignatureRow.scheme == dedupe.SCHEME),
        )
        .where(ItemSignatureRow.item_id.is_(None))
        .order_by(ItemRow.id)
    )
    return list(session.execute(query).all())


def _signed_items(session: Session) -> list[Any]:
    """Return (id, document id, kind, text) of the signed items duplicate finding compares."""
    query = (
        select(ItemRow.id, ItemRow.document_id, ItemRow.kind, ItemRow.text)
        .join(ItemSignatureRow, ItemSignatureRow.item_id == ItemRow.id)
        .where(ItemSignatureRow.shingles > 0, ItemSignatureRow.scheme == dedupe.SCHEME)
        .order_by(ItemRow.id)
    )
    return list(session.execute(query).all())


def _sketch(
    rows: Sequence[Any], permutations: dedupe.Permutations
) -> tuple[list[dedupe.ItemKeys], dict[int, str], list[dict[str, Any]]]:
    """Return the band keys and texts of the compared items, and every item's signature row."""
    keyed, texts, signatures = [], {}, []
    for batch in _text_batches(rows):
        compared = [row for row in batch if row[2] in dedupe.KIND_GROUPS]
        shingled = dedupe.shingle_texts([row[3] for row in compared])
        hashes, keys = shingled.hashes(), shingled.keys()
        place = {row[0]: index for index, row in enumerate(compared)}
        for item_id, _document_id, kind, text in batch:
            index = place.get(item_id)
            low, high = (0, 0) if index is None else shingled.bounds[index : index + 2].tolist()
            values = b""
            if high > low:
                values, band_keys = permutations.item(dedupe.KIND_GROUPS[kind], hashes[low:high])
                keyed.append(dedupe.ItemKeys(item_id, band_keys))
                texts[item_id] = text
            signatures.append(
                {
                    "item_id": item_id,
                    "scheme": dedupe.SCHEME,
                    "shingles": len(np.unique(keys[low:high])),
                    "hashvalues": values,
                }
            )
    return keyed, texts, signatures


# Characters of item text shingled at once: the position arrays take ~60 bytes a character.
BATCH_CHARS = 2_000_000


def _text_batches(rows: Sequence[Any]) -> Iterator[Sequence[Any]]:
    """Yield the rows (id, document id, kind, text) in order, about BATCH_CHARS at a time."""
    start, size = 0, 0
    for end, row in enumerate(rows, 1):
        size += len(row[3])
        if size >= BATCH_CHARS:
            yield rows[start:end]
            start, size = end, 0
    if start < len(rows):
        yield rows[start:]


def _stored_keys(session: Session) -> tuple[np.ndarray, np.ndarray]:
    """Return every stored band key and its item, as two arrays."""
    # Plain rows from the connection: about 200 keys an item, too many for ORM rows.
    query = select(ItemBandRow.item_id, ItemBandRow.band)
    flat = chain.from_iterable(session.connection().execute(query))
    pairs = np.fromiter(flat, dtype=np.int64).reshape(-1, 2)
    return pairs[:, 0], pairs[:, 1]


def _band_rows(items: Sequence[dedupe.ItemKeys]) -> list[tuple[int, int]]:
    return [(band, item.item_id) for item in items for band in item.keys.tolist()]


def _stored_partners(session: Session, items: Sequence[dedupe.ItemKeys]) -> set[tuple[int, int]]:
    """Return pairs of a new item and a stored item sharing a band key (smaller id first)."""
    pairs: set[tuple[int, int]] = set()
    # One DISTINCT query an item: a copy of a long item shares thousands of window keys.
    connection = session.connection()
    for item in items:
        for chunk in chunks(item.keys.tolist()):
            query = select(ItemBandRow.item_id).where(ItemBandRow.band.in_(chunk)).distinct()
            for (other,) in connection.execute(query):
                pairs.add((min(other, item.item_id), max(other, item.item_id)))
    return pairs


def _texts(session: Session, ids: Iterable[int], known: dict[int, str]) -> dict[int, str]:
    """Return the texts of these items, reading only those not already known."""
    texts = dict(known)
    missing = sorted(set(ids) - texts.keys())
    for chunk in chunks(missing):
        query = select(ItemRow.id, ItemRow.text).where(ItemRow.id.in_(chunk))
        texts.update((item_id, text) for item_id, text in session.execute(query))
    return texts


def _stored_clusters(
    session: Session, item_ids: Iterable[int]
) -> tuple[dict[int, list[int]], dict[int, int], dict[int, dedupe.DuplicatePair]]:
    """Return the stored clusters holding any of these items: members, item -> cluster, best.

    All members of those clusters are read, each with the best pair stored for it.
    """
    cluster_ids: set[int] = set()
    for chunk in chunks(sorted(set(item_ids))):
        query = select(ClusterMemberRow.cluster_id).where(ClusterMemberRow.item_id.in_(chunk))
        cluster_ids.update(session.scalars(query))
    members: dict[int, list[int]] = {}
    cluster_of: dict[int, int] = {}
    best: dict[int, dedupe.DuplicatePair] = {}
    for chunk in chunks(sorted(cluster_ids)):
        query = select(
            ClusterMemberRow.cluster_id,
            ClusterMemberRow.item_id,
            ClusterMemberRow.matched_item_id,
            ClusterMemberRow.score,
        ).where(ClusterMemberRow.cluster_id.in_(chunk))
        for cluster_id, item_id, matched, score in session.execute(query):
            members.setdefault(cluster_id, []).append(item_id)
            cluster_of[item_id] = cluster_id
            if matched is not None:
                best[item_id] = dedupe.DuplicatePair(
                    min(item_id, matched), max(item_id, matched), score
                )
    return members, cluster_of, best


def _item_titles(session: Session, ids: Iterable[int]) -> dict[int, tuple[str, int]]:
    out: dict[int, tuple[str, int]] = {}
    for chunk in chunks(sorted(set(ids))):
        query = select(ItemRow.id, ItemRow.title, ItemRow.document_id).where(ItemRow.id.in_(chunk))
        out.update((i, (title, document)) for i, title, document in session.execute(query))
    return out


def plan_duplicates(
    session: Session, threshold: float, full: bool, bands_current: bool
) -> DuplicatePlan:
    """Return what to write to link the items without a signature (or all items, ``full``)."""
    permutations = dedupe.Permutations.make()
    new, texts, signatures = _sketch(_unsigned_items(session), permutations)
    plan = DuplicatePlan(full, rewrite_bands=full and not bands_current)
    plan.signatures, plan.new_items = signatures, len(signatures)
    plan.bands = _band_rows(new)
    if full:
        # Every item is compared with every other, through the same band keys.
        if plan.rewrite_bands:
            # Window keys come from the texts: every stored item is shingled again.
            stored, stored_texts, _ = _sketch(_signed_items(session), permutations)
            texts.update(stored_texts)
            plan.bands = _band_rows([*stored, *new])
            candidates = dedupe.keyed_pairs([*stored, *new])
        else:
            owners, keys = _stored_keys(session)
            # Typed: an empty list would repeat into floats, and make every id a float.
            fresh = np.array([i.item_id for i in new], dtype=np.int64)
            candidates = dedupe.shared_key_pairs(
                np.concatenate([owners, np.repeat(fresh, [len(i.keys) for i in new])]),
                np.concatenate([keys, *(i.keys for i in new)]),
            )
        joined: list[list[int]] = []
        known: dict[int, dedupe.DuplicatePair] = {}
        plan.replaced = dict(
            session.execute(select(ClusterMemberRow.item_id, ClusterMemberRow.cluster_id)).all()
        )
    else:
        candidates = dedupe.keyed_pairs(new) | _stored_partners(session, new)
    pairs = dedupe.score_pairs(
        candidates, _texts(session, (i for p in candidates for i in p), texts), threshold
    )
    if not full:
        fresh_ids = {i.item_id for i in new}
        members, plan.replaced, known = _stored_clusters(
            session, (i for p in pairs for i in (p.first, p.second) if i not in fresh_ids)
        )
        joined = list(members.values())
    plan.groups = dedupe.clusters(pairs, joined)
    plan.best = dedupe.best_matches(pairs, known)
    plan.items = _item_titles(session, (i for g in plan.groups for i in g))
    return plan


def write_duplicates(session: Session, plan: DuplicatePlan) -> None:
    """Write a plan's signatures, band keys and clusters."""
    if plan.full:
        session.execute(delete(ItemSignatureRow).where(ItemSignatureRow.scheme != dedupe.SCHEME))
    if plan.rewrite_bands:
        session.execute(delete(ItemBandRow))
    for rows in chunks(plan.signatures):
        session.execute(insert(ItemSignatureRow), list(rows))
    for band_rows in chunks(plan.bands, 50_000):
        _insert_bands(session.connection(), band_rows)
    write_clusters(session, plan)


# The driver's own placeholders, by DB-API paramstyle.
PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}


def _insert_bands(connection: Connection, rows: Sequence[tuple[int, int]]) -> None:
    """Insert (band, item id) rows with the driver's executemany.

    Windows make band keys many (about 200 an item); building SQLAlchemy's parameters for
    each row cost more than the database's own work.
    """
    mark = PLACEHOLDERS.get(connection.dialect.paramstyle)
    if mark is None:
        connection.execute(insert(ItemBandRow), [{"band": b, "item_id": i} for b, i in rows])
        return
    connection.exec_driver_sql(
        f"INSERT INTO item_bands (band, item_id) VALUES ({mark}, {mark})", list(rows)
    )


def _member(cluster_id: int, item_id: int, pair: dedupe.DuplicatePair) -> dict[str, Any]:
    other = pair.second if pair.first == item_id else pair.first
    return {
        "cluster_id": cluster_id,
        "item_id": item_id,
        "matched_item_id": other,
        "score": pair.score,
        "reason": f"{pair.score:.0%} of the shorter item's {dedupe.SHINGLE}-character "
        f"shingles are in the other (item {other})",
    }


def write_clusters(session: Session, plan: DuplicatePlan) -> None:
    """Replace the clusters the plan's items leave, keeping an id when most members stay."""
    ids = carry_ids(plan.groups, plan.replaced)
    if plan.full:
        session.execute(delete(ClusterMemberRow))
        existing = {row.id: row for row in session.scalars(select(ItemClusterRow))}
    else:
        leaving = sorted(set(plan.replaced.values()))
        existing = {}
        for chunk in chunks(leaving):
            session.execute(delete(ClusterMemberRow).where(ClusterMemberRow.cluster_id.in_(chunk)))
            query = select(ItemClusterRow).where(ItemClusterRow.id.in_(chunk))
            existing.update((row.id, row) for row in session.scalars(query))
    rows = []
    for group, cluster_id in zip(plan.groups, ids, strict=True):
        row = existing.pop(cluster_id) if cluster_id is not None else ItemClusterRow()
        row.title = plan.items[group[0]][0]
        row.size = len(group)
        row.documents = len({plan.items[i][1] for i in group})
        if cluster_id is None:
            session.add(row)
        rows.append(row)
    session.flush()  # new clusters get their ids
    # Members in bulk: a big story's hundreds of items are rewritten when one joins it.
    members = [
        _member(row.id, item_id, plan.best[item_id])
        for row, group in zip(rows, plan.groups, strict=True)
        for item_id in group
    ]
    for chunk in chunks(members):
        session.execute(insert(ClusterMemberRow), list(chunk))
    for row in existing.values():
        session.delete(row)
    session.flush()

"""Storing many new documents in one transaction: the same rows as ``Store.save``, written
a table at a time, and the same index writer run over the whole batch.

``Store.save`` writes one document per transaction through the ORM, as ingest needs (a killed
process never leaves half a document). Loading many documents known to be new (the
benchmark's knowledge bases of a million items) would pay that per-document cost a million
times over; here each table takes one multi-row statement per batch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from policylens.errors import StoreError
from policylens.model import Document, Fact, Item
from policylens.search import index as search_index
from policylens.store import Store
from policylens.store.facts import fact_payload, fact_values
from policylens.store.rows import insert_tuples, tuple_getter
from policylens.store.schema import DocumentRow, FactRow, ItemRow, LinkRow


# The records the index reads are not frozen: a frozen dataclass's __init__ costs four times
# as much, and a batch makes thousands of them that nothing changes afterwards.
@dataclass(slots=True)
class StoredItem:
    """An item just written, as the index reads it."""

    id: int
    kind: str
    title: str
    text: str
    path: list[str]


@dataclass(slots=True)
class StoredFact:
    """A fact just written, as the index reads it."""

    item_id: int | None
    kind: str
    label: str
    region_code: str | None
    region: str | None
    level: str | None
    date: str | None
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class StoredDocument:
    """A document just written, with its items and facts, as the index reads it."""

    id: int
    items: list[StoredItem]
    facts: list[StoredFact]


@dataclass(frozen=True, slots=True)
class DocumentRows:
    """The rows of one document before ids exist: its own, its items' and its facts'."""

    document: dict[str, Any]
    items: list[dict[str, Any]]
    links: list[tuple[int, dict[str, Any]]]  # (position of the item citing it, values)
    facts: list[tuple[int | None, dict[str, Any]]]  # (position of its item, values)


def document_rows(
    document: Document, payload_of: Callable[[Fact], dict[str, Any]] = fact_payload
) -> DocumentRows:
    """Return the rows ``Store.save`` writes for a document, as column values (the facts'
    payloads made by ``payload_of``: ``SharedPayloads`` shares equal ones)."""
    raw, clean = document.raw, document.clean
    own = {
        "sha256": raw.sha256,
        "source": raw.source,
        "format": raw.format,
        "encoding": raw.encoding,
        "title": document.title,
        "published": raw.published,
        "size": raw.size,
        "ingested_at": document.ingested_at,
        "raw_text": raw.raw_text,
        "clean_text": clean.text,
        "offset_runs": [list(run) for run in clean.offsets.runs],
        "page_metadata": [list(pair) for pair in clean.metadata],
    }
    position = {item.index: n for n, item in enumerate(document.items)}
    return DocumentRows(
        own,
        [_item_values(document, item) for item in document.items],
        [
            (
                n,
                {
                    "number": x.number,
                    "url": x.url,
                    "raw_start": x.raw_span.start,
                    "raw_end": x.raw_span.end,
                },
            )
            for n, item in enumerate(document.items)
            for x in item.links
        ],
        [
            (position.get(fact.prov.item_index), fact_values(fact, payload_of))
            for fact in document.facts
        ],
    )


def _item_values(document: Document, item: Item) -> dict[str, Any]:
    raw_span = document.clean.offsets.span_to_raw(item.span)
    return {
        "idx": item.index,
        "kind": item.kind,
        "title": item.title,
        "section": item.section,
        "number": item.number,
        "path": list(item.path),
        "responsible": list(item.responsible),
        "start": item.span.start,
        "end": item.span.end,
        "raw_start": raw_span.start,
        "raw_end": raw_span.end,
        "text": item.text,
    }


def _document_ids(session: Session, batch: Sequence[DocumentRows]) -> list[int]:
    """Insert the documents' own rows; return their new ids in order."""
    if not batch:
        return []
    table = DocumentRow.__table__
    values = [rows.document for rows in batch]
    if session.get_bind().dialect.name == "sqlite":
        # SQLAlchemy sends an INSERT … RETURNING one row a statement to SQLite (its rows'
        # order is not promised): the driver's executemany inserts them all, and the ids
        # are read back by hash (unique). A read-only or locked file refuses this INSERT
        # as it refused the other.
        names = list(values[0])
        insert_tuples(session, table, names, list(map(tuple_getter(names), values)))
        hashes = [document["sha256"] for document in values]
        query = select(table.c.sha256, table.c.id).where(table.c.sha256.in_(hashes))
        ids = {sha256: document_id for sha256, document_id in session.execute(query)}
        return [ids[sha256] for sha256 in hashes]
    # A multi-row INSERT … RETURNING, as before: a batch has few documents, and a read-only
    # or locked database refuses this first write with the message users know.
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return [document_id for (document_id,) in session.execute(statement, values)]


def _item_ids(session: Session, batch: Sequence[DocumentRows], documents: list[int]) -> list[int]:
    """Insert the batch's items; return their new ids in order, found by document and position."""
    owned = [
        (document_id, item)
        for rows, document_id in zip(batch, documents, strict=True)
        for item in rows.items
    ]
    if not owned:
        return []
    names = list(owned[0][1])
    values = tuple_getter(names)
    insert_tuples(
        session,
        ItemRow.__table__,
        ["document_id", *names],
        [(document_id, *values(item)) for document_id, item in owned],
    )
    query = select(ItemRow.document_id, ItemRow.idx, ItemRow.id).where(
        ItemRow.document_id.in_(documents)
    )
    ids = {(document_id, idx): item_id for document_id, idx, item_id in session.execute(query)}
    return [ids[document_id, item["idx"]] for document_id, item in owned]


# A fact row's values the index reads, in the order of StoredFact's fields after item_id.
_INDEXED_FACT_VALUES = itemgetter(
    "kind", "label", "region_code", "region", "level", "date", "payload"
)


def _stored(document_id: int, item_ids: list[int], rows: DocumentRows) -> StoredDocument:
    items = [
        StoredItem(i, row["kind"], row["title"], row["text"], row["path"])
        for i, row in zip(item_ids, rows.items, strict=True)
    ]
    facts = [
        StoredFact(None if n is None else item_ids[n], *_INDEXED_FACT_VALUES(values))
        for n, values in rows.facts
    ]
    return StoredDocument(document_id, items, facts)


def _owned_rows(
    document_ids: list[int],
    item_ids: list[list[int]],
    owned: Sequence[Sequence[tuple[int | None, dict[str, Any]]]],
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Return the column names and value tuples of the rows each document owns (its links or
    facts, each with the position of its item), led by their document's and item's ids.

    The rows are made once, as tuples: merging the ids into a copy of each row's dict cost
    as much as making the dict."""
    first = next((rows[0][1] for rows in owned if rows), None)
    if first is None:
        return [], []
    names = list(first)
    values = tuple_getter(names)
    return ["document_id", "item_id", *names], [
        (document_id, None if n is None else ids[n], *values(row))
        for document_id, ids, rows in zip(document_ids, item_ids, owned, strict=True)
        for n, row in rows
    ]


def _write(session: Session, batch: Sequence[DocumentRows]) -> list[StoredDocument]:
    """Write the rows of a batch of documents; return them as the index reads them."""
    document_ids = _document_ids(session, batch)
    all_item_ids = _item_ids(session, batch, document_ids)
    item_ids, start = [], 0
    for rows in batch:
        item_ids.append(all_item_ids[start : start + len(rows.items)])
        start += len(rows.items)
    links = _owned_rows(document_ids, item_ids, [rows.links for rows in batch])
    insert_tuples(session, LinkRow.__table__, *links)
    facts = _owned_rows(document_ids, item_ids, [rows.facts for rows in batch])
    insert_tuples(session, FactRow.__table__, *facts)
    return [
        _stored(document_id, ids, rows)
        for rows, document_id, ids in zip(batch, document_ids, item_ids, strict=True)
    ]


def write_rows(store: Store, batch: Sequence[DocumentRows]) -> list[int]:
    """Write the rows of new documents and their index rows in one transaction; return the
    documents' ids. Bytes stored already raise IntegrityError."""
    try:
        with store.session() as session:
            stored = _write(session, batch)
            search_index.index_documents(session, stored, store.regions)
            return [document.id for document in stored]
    except OperationalError as exc:
        raise StoreError(f"write failed and was rolled back: {exc.orig}") from exc


def save_new_documents(store: Store, documents: Sequence[Document]) -> list[int]:
    """Store documents whose bytes are not stored yet, with their index rows, in one
    transaction; return their ids. Bytes stored already raise IntegrityError."""
    return write_rows(store, [document_rows(document) for document in documents])

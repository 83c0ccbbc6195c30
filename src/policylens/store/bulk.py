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
from policylens.store.rows import insert_rows
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
    # A multi-row INSERT … RETURNING, as before: a batch has few documents, and a read-only
    # or locked database refuses this first write with the message users know.
    table = DocumentRow.__table__
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    values = [rows.document for rows in batch]
    return [document_id for (document_id,) in session.execute(statement, values)]


def _item_ids(session: Session, item_rows: list[dict[str, Any]], documents: list[int]) -> list[int]:
    """Insert items; return their new ids in order, found by document and position."""
    insert_rows(session, ItemRow.__table__, item_rows)
    query = select(ItemRow.document_id, ItemRow.idx, ItemRow.id).where(
        ItemRow.document_id.in_(documents)
    )
    ids = {(document_id, idx): item_id for document_id, idx, item_id in session.execute(query)}
    return [ids[row["document_id"], row["idx"]] for row in item_rows]


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


def _write(session: Session, batch: Sequence[DocumentRows]) -> list[StoredDocument]:
    """Write the rows of a batch of documents; return them as the index reads them."""
    document_ids = _document_ids(session, batch)
    item_rows = [
        {"document_id": document_id, **item}
        for rows, document_id in zip(batch, document_ids, strict=True)
        for item in rows.items
    ]
    all_item_ids = iter(_item_ids(session, item_rows, document_ids))
    stored, links, facts = [], [], []
    for rows, document_id in zip(batch, document_ids, strict=True):
        item_ids = [next(all_item_ids) for _ in rows.items]
        links += [
            {"document_id": document_id, "item_id": item_ids[n], **values}
            for n, values in rows.links
        ]
        facts += [
            {"document_id": document_id, "item_id": None if n is None else item_ids[n], **values}
            for n, values in rows.facts
        ]
        stored.append(_stored(document_id, item_ids, rows))
    insert_rows(session, LinkRow.__table__, links)
    insert_rows(session, FactRow.__table__, facts)
    return stored


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

"""The knowledge base: an SQLite file by default, PostgreSQL by URL, one code path."""

from __future__ import annotations

import functools
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, create_engine, func, inspect, make_url, or_, select
from sqlalchemy.exc import (
    ArgumentError,
    IntegrityError,
    NoSuchModuleError,
    OperationalError,
    ProgrammingError,
)
from sqlalchemy.orm import Session, selectinload

from policylens.config import DEFAULT_LOCK_TIMEOUT_S
from policylens.errors import NotFoundError, StoreError
from policylens.model import Document
from policylens.search import index as search_index  # a module: no cycle on first import
from policylens.search.regions import RegionTable, load_region_table
from policylens.store import connect, migrate
from policylens.store.facts import (
    FactRecord,
    SharedPayloads,
    fact_record,
    fact_row,
    rebuild_document,
)
from policylens.store.schema import (
    SCHEMA_VERSION,
    DocumentRow,
    FactRow,
    ItemRow,
    SchemaInfo,
)
from policylens.store.search_tables import FTS_TABLE, ensure_search_schema


@dataclass(frozen=True, slots=True)
class SaveResult:
    """What saving a document did: its id, and whether it was new."""

    document_id: int
    created: bool
    items: int


@dataclass(frozen=True, slots=True)
class DocumentSummary:
    """One stored document, as listed."""

    id: int
    source: str
    title: str | None
    format: str
    encoding: str | None
    sha256: str
    items: int
    chars: int
    ingested_at: str


@dataclass(frozen=True, slots=True)
class LinkRecord:
    """A footnote link, as shown."""

    number: int | None
    url: str


@dataclass(frozen=True, slots=True)
class ItemRecord:
    """One stored item, as listed: with its document and both spans."""

    id: int
    document_id: int
    document: str
    index: int
    kind: str
    title: str
    section: str | None
    number: str | None
    path: list[str]
    responsible: list[str]
    span: tuple[int, int]
    raw_span: tuple[int, int]
    text: str
    links: list[LinkRecord]


@dataclass(frozen=True, slots=True)
class DocumentDetail:
    """A stored document with its clean text and items."""

    summary: DocumentSummary
    clean_text: str
    published: str | None
    metadata: list[list[str]]
    items: list[ItemRecord]


def open_engine(url: str, lock_timeout_s: float = DEFAULT_LOCK_TIMEOUT_S) -> Engine:
    """Return an engine for the URL with the schema created; raise StoreError with the reason.

    An SQLite file this process may not write is opened read-only (reading commands work).
    """
    try:
        read_only_url = connect.read_only_sqlite_url(make_url(url))
        engine = create_engine(read_only_url or url, json_serializer=connect.json_text)
    except (ArgumentError, NoSuchModuleError) as exc:
        raise StoreError(f"cannot use database URL {url!r}: {exc}") from exc
    except ImportError as exc:
        raise StoreError(
            f"the driver for {url.split(':', 1)[0]} is missing ({exc.name}); "
            "for PostgreSQL: pip install 'policylens[postgres]'"
        ) from exc
    connect.configure(engine, lock_timeout_s, read_only=read_only_url is not None)
    for attempt in range(SCHEMA_ATTEMPTS):
        try:
            _create_schema(engine)
            return engine
        except (OperationalError, IntegrityError, ProgrammingError) as exc:
            # Two processes migrating an empty database at once: the loser finds the
            # tables half made; once the winner is done, it is all there.
            if attempt + 1 < SCHEMA_ATTEMPTS and "exist" in str(exc.orig).lower():
                time.sleep(0.2 * (attempt + 1))
                continue
            raise StoreError(f"cannot open database {engine.url!r}: {exc.orig}") from exc
    return engine


SCHEMA_ATTEMPTS = 5
SCHEMA_LOCK = 7_311_000  # PostgreSQL advisory lock key held while the schema is created


def _schema_is_current(engine: Engine) -> bool:
    # Checked by reading only, so a current database opens without the write lock: while
    # another process holds it, and from a file this process may not write.
    with engine.connect() as connection:
        if not migrate.is_current(connection):
            return False
        tables = inspect(connection).get_table_names()
        if engine.dialect.name == "sqlite" and FTS_TABLE not in tables:
            return False
        return (
            connection.scalar(
                select(SchemaInfo.version).where(SchemaInfo.version == SCHEMA_VERSION)
            )
            is not None
        )


def _create_schema(engine: Engine) -> None:
    if _schema_is_current(engine):
        return
    # Every step takes SQLite's write lock first (BEGIN IMMEDIATE): a deferred transaction
    # that reads, then writes while another process opening the same new database has
    # written, fails at once with "database is locked" instead of waiting its turn.
    immediate = engine.execution_options(sqlite_immediate=True)
    with immediate.connect() as connection, connection.begin():
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({SCHEMA_LOCK})")
        migrate.upgrade(connection)
    ensure_search_schema(immediate)
    with Session(immediate) as session, session.begin():
        if session.get(SchemaInfo, SCHEMA_VERSION) is None:
            session.add(SchemaInfo(version=SCHEMA_VERSION))


class Store:
    """Reads and writes documents and items; a document is never half written (one
    transaction per document, or per batch of whole documents with ``save_many``)."""

    def __init__(self, url: str, lock_timeout_s: float = DEFAULT_LOCK_TIMEOUT_S) -> None:
        self.url = url
        self.lock_timeout_s = lock_timeout_s
        self.engine = open_engine(url, lock_timeout_s)

    @functools.cached_property
    def regions(self) -> RegionTable:
        """Return the region table the index reads facets with, loaded once per store."""
        return load_region_table()

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """Yield a session whose work commits at the end, or rolls back on error."""
        with Session(self.engine) as session, session.begin():
            yield session

    def save(self, document: Document) -> SaveResult:
        """Store a document with its items and links, unless the same bytes are stored already."""
        existing = self.find_by_hash(document.raw.sha256)
        if existing is not None:
            return SaveResult(existing, created=False, items=0)
        # Imported here: the row writer imports this module for Store.
        from policylens.store.bulk import document_rows, write_rows

        try:
            # Rows go in with one multi-row INSERT per table, not through the ORM's unit of
            # work: storage was several times slower than extraction before.
            (document_id,) = write_rows(self, [document_rows(document)])
            return SaveResult(document_id, created=True, items=len(document.items))
        except IntegrityError:
            # Another writer stored the same bytes between our check and insert.
            existing = self.find_by_hash(document.raw.sha256)
            if existing is None:
                raise
            return SaveResult(existing, created=False, items=0)

    def save_many(self, documents: Sequence[Document]) -> list[SaveResult]:
        """Store documents in one transaction: what ``save`` does for each, in order.

        Either every new document of the batch is stored or none is; bytes stored already,
        or met earlier in the batch, come back as not created with the stored id.
        """
        if len(documents) <= 1:
            return [self.save(document) for document in documents]
        from policylens.store.bulk import document_rows, write_rows

        stored = self.find_by_hashes([document.raw.sha256 for document in documents])
        new = new_positions(documents, stored)
        payloads = SharedPayloads()  # the batch's documents tag the same topics
        try:
            rows = [document_rows(documents[n], payloads) for n in new]
            ids = write_rows(self, rows) if new else []
        except IntegrityError:
            # Another writer stored some of these bytes since the check: one document at a
            # time, each finds out for itself (the batch was rolled back whole).
            return [self.save(document) for document in documents]
        return save_results(documents, stored, dict(zip(new, ids, strict=True)))

    def known_hashes(self) -> frozenset[str]:
        """Return the sha256 of every stored document."""
        with Session(self.engine) as session:
            return frozenset(session.scalars(select(DocumentRow.sha256)))

    def find_by_hash(self, sha256: str) -> int | None:
        """Return the id of the document with these bytes, if stored."""
        with Session(self.engine) as session:
            return session.scalar(select(DocumentRow.id).where(DocumentRow.sha256 == sha256))

    def find_by_hashes(self, hashes: Sequence[str]) -> dict[str, int]:
        """Return the ids of the stored documents among these bytes' hashes, by hash."""
        if not hashes:
            return {}
        query = select(DocumentRow.sha256, DocumentRow.id).where(
            DocumentRow.sha256.in_(sorted(set(hashes)))
        )
        with Session(self.engine) as session:
            return {sha256: document_id for sha256, document_id in session.execute(query)}

    def documents(self) -> list[DocumentSummary]:
        """Return every stored document, oldest first."""
        counts = (
            select(ItemRow.document_id, func.count(ItemRow.id).label("n"))
            .group_by(ItemRow.document_id)
            .subquery()
        )
        query = (
            select(DocumentRow, func.coalesce(counts.c.n, 0), func.length(DocumentRow.clean_text))
            .outerjoin(counts, counts.c.document_id == DocumentRow.id)
            .order_by(DocumentRow.id)
        )
        with Session(self.engine) as session:
            return [_summary(row, n, chars) for row, n, chars in session.execute(query)]

    def resolve(self, ref: str) -> int:
        """Return the id of the document named by an id or a unique part of its source."""
        with Session(self.engine) as session:
            # "3" is an id; "003" (leading zero) is part of a file name such as 003_….txt.
            # ASCII only: "¹" and "①" are digits to isdigit() but not numbers to int().
            is_id = ref.isascii() and ref.isdigit() and not ref.startswith("0")
            if is_id and session.get(DocumentRow, int(ref)) is not None:
                return int(ref)
            matches = session.execute(
                select(DocumentRow.id, DocumentRow.source).where(
                    or_(
                        DocumentRow.source.contains(ref, autoescape=True),
                        DocumentRow.sha256.startswith(ref, autoescape=True),
                    )
                )
            ).all()
        if not matches:
            raise NotFoundError(f"no document matches {ref!r} (see `policylens ls`)")
        if len(matches) > 1:
            names = ", ".join(f"{i} {s}" for i, s in matches[:5])
            raise NotFoundError(f"{ref!r} matches {len(matches)} documents: {names}")
        return int(matches[0][0])

    def document(self, ref: str) -> DocumentDetail:
        """Return a document with its clean text and items."""
        document_id = self.resolve(ref)
        with Session(self.engine) as session:
            row = session.get(DocumentRow, document_id)
            assert row is not None  # resolve() found it
            items = self._item_records(
                session, select(ItemRow).where(ItemRow.document_id == document_id)
            )
            summary = _summary(row, len(row.items), len(row.clean_text))
            return DocumentDetail(
                summary,
                row.clean_text,
                row.published,
                [list(pair) for pair in row.page_metadata],
                items,
            )

    def items(
        self,
        document: str | None = None,
        kind: str | None = None,
        section: str | None = None,
        contains: str | None = None,
        limit: int | None = None,
    ) -> list[ItemRecord]:
        """Return items in document order, filtered by document, kind, section and text."""
        query = select(ItemRow)
        if document is not None:
            query = query.where(ItemRow.document_id == self.resolve(document))
        if kind is not None:
            query = query.where(ItemRow.kind == kind)
        if section is not None:
            query = query.where(ItemRow.section == section)
        if contains is not None:
            query = query.where(
                or_(
                    ItemRow.text.contains(contains, autoescape=True),
                    ItemRow.title.contains(contains, autoescape=True),
                )
            )
        if limit is not None:
            query = query.limit(limit)
        with Session(self.engine) as session:
            return self._item_records(session, query)

    def facts(
        self,
        kind: str | None = None,
        region: str | None = None,
        metric: str | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
        document: str | None = None,
        contains: str | None = None,
    ) -> list[FactRecord]:
        """Return stored facts, filtered; a region matches its own name and everything under it."""
        query = select(FactRow).options(selectinload(FactRow.document), selectinload(FactRow.item))
        if kind is not None:
            query = query.where(FactRow.kind == kind)
        if region is not None:
            query = query.where(FactRow.region.contains(region, autoescape=True))
        if metric is not None:
            query = query.where(FactRow.metric == metric)
        if date_from is not None:
            # A target year "2023" or a month "2023-09" is inside a period from 2023-09-01.
            query = query.where(
                or_(
                    FactRow.date >= date_from,
                    FactRow.date == date_from[:4],
                    FactRow.date == date_from[:7],
                )
            )
        if date_to is not None:
            # "2023-12-31" includes a target year "2023" and a month "2023-12".
            query = query.where(FactRow.date <= date_to)
        if document is not None:
            query = query.where(FactRow.document_id == self.resolve(document))
        if contains is not None:
            query = query.where(
                or_(
                    FactRow.label.contains(contains, autoescape=True),
                    FactRow.quote.contains(contains, autoescape=True),
                )
            )
        query = query.order_by(FactRow.document_id, FactRow.start, FactRow.id)
        with Session(self.engine) as session:
            return [
                fact_record(row, row.item.idx if row.item else None)
                for row in session.scalars(query)
            ]

    def reextract(self, extract: Any) -> Iterator[tuple[str, int]]:
        """Replace every document's facts with ``extract(document)``; yield (source, facts).

        Each document is one transaction: a failure leaves its old facts in place.
        """
        with Session(self.engine) as session:
            ids = list(session.scalars(select(DocumentRow.id).order_by(DocumentRow.id)))
        for document_id in ids:
            with self.session() as session:
                row = session.get(DocumentRow, document_id)
                assert row is not None
                facts = extract(rebuild_document(row))
                row.facts.clear()
                session.flush()
                items = {item.idx: item for item in row.items}
                row.facts.extend(fact_row(fact, items) for fact in facts)
                search_index.index_facets(session, row, self.regions)
                source = row.source
            yield source, len(facts)

    @staticmethod
    def _item_records(session: Session, query: Any) -> list[ItemRecord]:
        query = query.options(selectinload(ItemRow.links), selectinload(ItemRow.document)).order_by(
            ItemRow.document_id, ItemRow.idx
        )
        return [_item_record(row) for row in session.scalars(query)]


def new_positions(documents: Sequence[Document], stored: dict[str, int]) -> list[int]:
    """Return the positions of the documents to write: the first of each hash not stored."""
    first: dict[str, int] = {}
    for position, document in enumerate(documents):
        if document.raw.sha256 not in stored:
            first.setdefault(document.raw.sha256, position)
    return list(first.values())


def save_results(
    documents: Sequence[Document], stored: dict[str, int], written: dict[int, int]
) -> list[SaveResult]:
    """Return what saving each document did, in order, given the ids of those written
    (by position) and of those stored before (by hash)."""
    ids = stored | {documents[n].raw.sha256: i for n, i in written.items()}
    return [
        SaveResult(written[n], created=True, items=len(d.items))
        if n in written
        else SaveResult(ids[d.raw.sha256], created=False, items=0)
        for n, d in enumerate(documents)
    ]


def _summary(row: DocumentRow, items: int, chars: int) -> DocumentSummary:
    return DocumentSummary(
        id=row.id,
        source=row.source,
        title=row.title,
        format=row.format,
        encoding=row.encoding,
        sha256=row.sha256,
        items=int(items),
        chars=int(chars or 0),
        ingested_at=row.ingested_at.isoformat(timespec="seconds"),
    )


def _item_record(row: ItemRow) -> ItemRecord:
    return ItemRecord(
        id=row.id,
        document_id=row.document_id,
        document=row.document.source,
        index=row.idx,
        kind=row.kind,
        title=row.title,
        section=row.section,
        number=row.number,
        path=list(row.path),
        responsible=list(row.responsible),
        span=(row.start, row.end),
        raw_span=(row.raw_start, row.raw_end),
        text=row.text,
        links=[
            LinkRecord(link.number, link.url)
            for link in sorted(row.links, key=lambda x: (x.number is None, x.number or 0, x.id))
        ],
    )

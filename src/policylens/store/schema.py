"""SQLAlchemy tables of the knowledge base (the same on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

SCHEMA_VERSION = 3  # kept in schema_info for databases from before Alembic; see migrate.py


class Base(DeclarativeBase):
    """Declarative base of every table."""


class SchemaInfo(Base):
    """One row: the schema version this database was created with."""

    __tablename__ = "schema_info"
    version: Mapped[int] = mapped_column(Integer, primary_key=True)


class DocumentRow(Base):
    """A stored document: its source, bytes' hash, raw and clean text and offset map."""

    __tablename__ = "documents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    source: Mapped[str] = mapped_column(Text)
    format: Mapped[str] = mapped_column(String(16))
    encoding: Mapped[str | None] = mapped_column(String(32))
    title: Mapped[str | None] = mapped_column(Text)
    published: Mapped[str | None] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    ingested_at: Mapped[datetime] = mapped_column(DateTime)
    raw_text: Mapped[str] = mapped_column(Text)
    clean_text: Mapped[str] = mapped_column(Text)
    offset_runs: Mapped[list[Any]] = mapped_column(JSON)
    page_metadata: Mapped[list[Any]] = mapped_column(JSON)
    items: Mapped[list[ItemRow]] = relationship(
        back_populates="document", cascade="all, delete-orphan", order_by="ItemRow.idx"
    )
    links: Mapped[list[LinkRow]] = relationship(
        back_populates="document", cascade="all, delete-orphan"
    )
    facts: Mapped[list[FactRow]] = relationship(
        back_populates="document", cascade="all, delete-orphan", order_by="FactRow.id"
    )


class ItemRow(Base):
    """A stored item with its span in the document's clean text."""

    __tablename__ = "items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    idx: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    title: Mapped[str] = mapped_column(Text)
    section: Mapped[str | None] = mapped_column(Text)
    number: Mapped[str | None] = mapped_column(String(16))
    path: Mapped[list[str]] = mapped_column(JSON)
    responsible: Mapped[list[str]] = mapped_column(JSON)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    raw_start: Mapped[int] = mapped_column(Integer)
    raw_end: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    document: Mapped[DocumentRow] = relationship(back_populates="items")
    links: Mapped[list[LinkRow]] = relationship(back_populates="item")

    __table_args__ = (Index("ix_items_document_idx", "document_id", "idx", unique=True),)


class LinkRow(Base):
    """A URL a document cites (a footnote), attached to the item citing it."""

    __tablename__ = "source_links"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    number: Mapped[int | None] = mapped_column(Integer)
    url: Mapped[str] = mapped_column(Text)
    raw_start: Mapped[int] = mapped_column(Integer)
    raw_end: Mapped[int] = mapped_column(Integer)
    document: Mapped[DocumentRow] = relationship(back_populates="links")
    item: Mapped[ItemRow | None] = relationship(back_populates="links")


class FactRow(Base):
    """An extracted fact: its kind and values, its item, both spans and the exact quote."""

    __tablename__ = "facts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16), index=True)
    extractor: Mapped[str] = mapped_column(String(32))
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    raw_start: Mapped[int] = mapped_column(Integer)
    raw_end: Mapped[int] = mapped_column(Integer)
    quote: Mapped[str] = mapped_column(Text)
    # Columns the filters use, copied out of the payload.
    label: Mapped[str] = mapped_column(Text)  # title, metric phrase, company, event name…
    region_code: Mapped[str | None] = mapped_column(String(6))
    region: Mapped[str | None] = mapped_column(Text)
    level: Mapped[str | None] = mapped_column(String(16))
    metric: Mapped[str | None] = mapped_column(String(32), index=True)
    date: Mapped[str | None] = mapped_column(String(10), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    document: Mapped[DocumentRow] = relationship(back_populates="facts")
    item: Mapped[ItemRow | None] = relationship()


# Tables of later stages register on the same Base when these modules load.
from policylens.store import link_tables, search_tables  # noqa: E402, F401

"""The few reads and writes of the knowledge base the web needs and ``policylens.api`` lacks."""

from __future__ import annotations

from sqlalchemy import delete, select, update

from policylens import api
from policylens.config import Settings
from policylens.errors import NotFoundError
from policylens.link import link_store
from policylens.store.schema import DocumentRow


def raw_text(settings: Settings, document_id: int) -> str:
    """Return a document's raw text (what its facts' ``raw_span`` point into)."""
    with api.open_store(settings=settings) as store, store.session() as session:
        text = session.scalar(select(DocumentRow.raw_text).where(DocumentRow.id == document_id))
    if text is None:
        raise NotFoundError(f"no document {document_id}")
    return text


def rename_source(settings: Settings, document_id: int, name: str) -> None:
    """Record an upload's cleaned file name as its document's source."""
    with api.open_store(settings=settings) as store, store.session() as session:
        session.execute(
            update(DocumentRow).where(DocumentRow.id == document_id).values(source=name)
        )


def delete_document(settings: Settings, document_id: int) -> None:
    """Delete a document with its items, facts and index rows; link the rest again."""
    with api.open_store(settings=settings) as store:
        with store.session() as session:
            # The foreign keys cascade: items, facts, links, search rows, cluster members.
            deleted = session.execute(delete(DocumentRow).where(DocumentRow.id == document_id))
        if not deleted.rowcount:
            raise NotFoundError(f"no document {document_id}")
        link_store(store, settings)

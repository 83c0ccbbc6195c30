"""Tables of the search stage (registered on the shared declarative Base).

- ``search_items``: one row per indexed item. On PostgreSQL ``terms`` and ``title_terms``
  hold the search tokens of the item and of its title as ``tsvector`` values with GIN
  indexes; on SQLite the tokens live in the FTS5 table ``search_fts`` (rowid =
  ``search_items.id``, never reused thanks to AUTOINCREMENT, so a row left behind by a
  deleted item can never point at a new one).
- ``search_items.facet_values``: the facet values of each item (region and its ancestors,
  level, kinds, topics, fact types, dates) packed in one text, read with the match query;
  re-extraction reads them back to replace the item's facet tokens. (Until revision 0007 the
  table ``search_facets`` held them a row each as well.)
- The facet values a filter can ask for are also index tokens of their item (the FTS5 column
  ``facets``; on PostgreSQL lexemes of ``terms``), so a filtered search is one index lookup
  that intersects words and filters, however rare the filter. On SQLite that column also
  holds the title's tokens, marked, so "a word in the title" is such a lookup too.
- ``search_facet_values``: every region and date value ever indexed, once (a region with the
  region above it), to turn ``--region 四川`` or a date range into the tokens of the values
  they take in.
"""

from __future__ import annotations

from sqlalchemy import Engine, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from policylens.store.schema import Base

__all__ = [
    "FTS_DDL",
    "FTS_TABLE",
    "Base",
    "SearchFacetValueRow",
    "SearchItemRow",
    "ensure_search_schema",
]

FTS_TABLE = "search_fts"
# Contentless (the item text is in ``items``), with positions so that a word's adjacent
# bigrams can be asked for as a phrase. The ascii tokenizer splits on ASCII spaces and
# punctuation only, so pre-made CJK bigrams stay whole.
FTS_DDL = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
    "title, body, facets, content='', columnsize=0, tokenize='ascii')"
)
_TOKENS = Text().with_variant(TSVECTOR(), "postgresql")


class SearchItemRow(Base):
    """An indexed item; on PostgreSQL with its tokens as tsvectors."""

    __tablename__ = "search_items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), unique=True, index=True
    )
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    terms: Mapped[str | None] = mapped_column(_TOKENS)
    title_terms: Mapped[str | None] = mapped_column(_TOKENS)
    # Copies of two facets that ranking reads for every candidate, one per line, so that
    # scoring a pool is one query: its regions, and the words that tagged its topics.
    regions: Mapped[str] = mapped_column(Text, default="")
    topic_words: Mapped[str] = mapped_column(Text, default="")
    # Its facet values packed in one text (``facets.pack_facets``):
    # read with the match query itself, so counting facets over 1,000 matches is no second
    # query of ~15,000 rows, and a page's shown facets come with its other columns.
    facet_values: Mapped[str] = mapped_column(Text, default="", server_default="")

    __table_args__ = (
        Index("ix_search_items_terms", "terms", postgresql_using="gin").ddl_if(
            dialect="postgresql"
        ),
        Index("ix_search_items_title_terms", "title_terms", postgresql_using="gin").ddl_if(
            dialect="postgresql"
        ),
        {"sqlite_autoincrement": True},
    )


class SearchFacetValueRow(Base):
    """A region or date value some item has (or had): a filter's values are looked up here."""

    __tablename__ = "search_facet_values"
    facet: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[str] = mapped_column(Text, primary_key=True)
    code: Mapped[str] = mapped_column(String(6), primary_key=True, default="")
    # The region directly above (四川省 for 四川省成都市): every item with a value has its
    # parent too, so a filter taking in both needs only the parent's token.
    parent: Mapped[str | None] = mapped_column(Text)


def ensure_search_schema(engine: Engine) -> None:
    """Create what ``create_all`` cannot: the SQLite FTS5 table (a no-op when it exists)."""
    if engine.dialect.name != "sqlite":
        return
    with engine.begin() as connection:
        connection.execute(text(FTS_DDL))

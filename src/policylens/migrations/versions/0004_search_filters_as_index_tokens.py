"""search filters as index tokens: facet values table, FTS facets column

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 13:51:46.731734

Filterable facet values become index tokens of their items (a ``facets`` column of the SQLite
FTS5 table; lexemes of ``search_items.terms`` on PostgreSQL), and region and date values are
recorded once in ``search_facet_values``. The old index has none of this: it is emptied, and
``policylens reindex`` rebuilds it (a search meanwhile says so).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

FTS_TABLE = "search_fts"
_FTS_COLUMNS = {"0003": "title, body", "0004": "title, body, facets"}


def _fts_ddl(revision: str) -> str:
    return (
        f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5({_FTS_COLUMNS[revision]}, "
        "content='', columnsize=0, tokenize='ascii')"
    )


def _empty_index(revision: str) -> None:
    op.execute("DELETE FROM search_facets")
    op.execute("DELETE FROM search_items")
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
        op.execute(_fts_ddl(revision))


def upgrade() -> None:
    op.create_table(
        "search_facet_values",
        sa.Column("facet", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("code", sa.String(length=6), nullable=False),
        sa.Column("parent", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("facet", "value", "code"),
    )
    _empty_index("0004")


def downgrade() -> None:
    op.drop_table("search_facet_values")
    _empty_index("0003")

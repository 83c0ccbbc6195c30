"""search facet values live only packed in search_items: the search_facets table goes

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 21:30:00.000000

Since revision 0006 every item's facet values are packed in ``search_items.facet_values``,
which searches read; the same values a row each in ``search_facets`` were only read back when
re-extraction replaced an item's facet tokens, and cost every stored document a second insert.
Re-extraction now reads the packed values. A downgrade makes the rows again from them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

PACK_FIELD, PACK_LINE = "\x1f", "\n"  # as search.facets packs them (kept here: a fixed format)


def upgrade() -> None:
    op.drop_table("search_facets")


def downgrade() -> None:
    facets = op.create_table(
        "search_facets",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("facet", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("code", sa.String(length=6), nullable=True),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("item_id", "facet", "value"),
        sqlite_with_rowid=False,
    )
    packed = op.get_bind().execute(sa.text("SELECT item_id, facet_values FROM search_items"))
    rows = {
        (item_id, facet, value): code or None
        for item_id, values in packed
        for facet, value, code in (
            line.split(PACK_FIELD) for line in (values or "").split(PACK_LINE) if line
        )
    }
    if rows:
        op.bulk_insert(
            facets,
            [
                {"item_id": item_id, "facet": facet, "value": value, "code": code}
                for (item_id, facet, value), code in rows.items()
            ],
        )

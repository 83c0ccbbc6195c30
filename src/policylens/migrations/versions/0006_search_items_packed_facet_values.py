"""search items carry their facet values packed in one column

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 16:40:00.000000

``search_items.facet_values`` holds an item's rows of ``search_facets`` as one text (lines of
facet, value and code parted by U+001F), which a search reads with its match query instead of
counting facets in a second query. Existing rows are filled from ``search_facets``, so an
upgraded index needs no reindex; the order of the lines does not matter to a search.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_LINE = {
    "sqlite": "f.facet || char(31) || f.value || char(31) || coalesce(f.code, '')",
    "postgresql": "f.facet || chr(31) || f.value || chr(31) || coalesce(f.code, '')",
}
_JOINED = {
    "sqlite": "group_concat({line}, char(10))",
    "postgresql": "string_agg({line}, chr(10) ORDER BY f.facet, f.value)",
}


def upgrade() -> None:
    with op.batch_alter_table("search_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("facet_values", sa.Text(), nullable=False, server_default=""))
    dialect = op.get_bind().dialect.name
    joined = _JOINED.get(dialect, _JOINED["postgresql"]).format(
        line=_LINE.get(dialect, _LINE["postgresql"])
    )
    op.execute(
        f"UPDATE search_items SET facet_values = coalesce((SELECT {joined} "
        "FROM search_facets f WHERE f.item_id = search_items.item_id), '')"
    )


def downgrade() -> None:
    with op.batch_alter_table("search_items", schema=None) as batch_op:
        batch_op.drop_column("facet_values")

"""facts.region_code loses its index: no query looks facts up by region code

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 03:00:00.000000

Facts are filtered by region name (``facts --region``, a substring of ``facts.region``) and
linked by the region codes read with each policy fact; none asks the index on
``facts.region_code``, which every stored fact paid an insert into.
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("facts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_facts_region_code"))


def downgrade() -> None:
    with op.batch_alter_table("facts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_facts_region_code"), ["region_code"], unique=False)

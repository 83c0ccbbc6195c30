"""LSH band keys of item signatures and the link state, for incremental linking

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 13:52:08.544348

An existing knowledge base has no link state yet, so its next linking run (any ingest, or
``policylens link``) links everything once: it keeps the stored signatures, writes their
band keys and records the state; later runs link only what is new.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "link_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("duplicate_scheme", sa.Text(), nullable=False),
        sa.Column("policy_scheme", sa.Text(), nullable=False),
        sa.Column("signatures", sa.Integer(), nullable=False),
        sa.Column("corrections", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "item_bands",
        sa.Column("band", sa.BigInteger(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("band", "item_id"),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("item_bands", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_item_bands_item_id"), ["item_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("item_bands", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_bands_item_id"))
    op.drop_table("item_bands")
    op.drop_table("link_state")

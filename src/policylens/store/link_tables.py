"""Tables of the link stage (registered on the shared declarative Base).

Linking never deletes what extraction stored: these tables only point at facts and items.
Fact ids change on ``policylens reextract``, so a policy link also records the mention's
stable identity (document sha256 + normalized title), and user corrections are keyed by
identities only.

Signatures, band keys and the link state are derived (``info={"derived": True}``): they are
most of an export's size, so an export leaves them out, and the first link after an import,
finding no link state, makes them again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from policylens.store.schema import Base

__all__ = [
    "Base",
    "ClusterMemberRow",
    "CorrectionRow",
    "ItemBandRow",
    "ItemClusterRow",
    "ItemSignatureRow",
    "LinkStateRow",
    "PolicyLinkRow",
    "PolicyRow",
]


class PolicyRow(Base):
    """One policy document, however many sources mention it, under whichever title."""

    __tablename__ = "policies"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(Text)  # the representative mention's title as written
    normalized_title: Mapped[str] = mapped_column(Text)
    kind: Mapped[str | None] = mapped_column(String(32))
    region_code: Mapped[str | None] = mapped_column(String(6), index=True)
    region: Mapped[str | None] = mapped_column(Text)
    level: Mapped[str | None] = mapped_column(String(16))
    period_start: Mapped[int | None] = mapped_column(Integer)
    period_end: Mapped[int | None] = mapped_column(Integer)
    date: Mapped[str | None] = mapped_column(String(10))
    doc_number: Mapped[str | None] = mapped_column(Text)
    issuers: Mapped[list[Any]] = mapped_column(JSON)
    mentions: Mapped[int] = mapped_column(Integer)
    sources: Mapped[int] = mapped_column(Integer)
    links: Mapped[list[PolicyLinkRow]] = relationship(
        back_populates="policy", cascade="all, delete-orphan", order_by="PolicyLinkRow.id"
    )


class PolicyLinkRow(Base):
    """A policy mention (fact) linked to its policy, with the score and reason of the link."""

    __tablename__ = "policy_links"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    policy_id: Mapped[int] = mapped_column(
        ForeignKey("policies.id", ondelete="CASCADE"), index=True
    )
    # SET NULL, not CASCADE: after reextract the identity below still says which policy
    # the mention belonged to, so re-linking keeps policy ids.
    fact_id: Mapped[int | None] = mapped_column(
        ForeignKey("facts.id", ondelete="SET NULL"), unique=True
    )
    document_sha256: Mapped[str] = mapped_column(String(64))
    normalized_title: Mapped[str] = mapped_column(Text)
    score: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(String(8))  # machine | user
    policy: Mapped[PolicyRow] = relationship(back_populates="links")

    __table_args__ = (Index("ix_policy_links_identity", "document_sha256", "normalized_title"),)


class ItemClusterRow(Base):
    """A story told by several near-duplicate items (within or across documents)."""

    __tablename__ = "item_clusters"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(Text)  # the first member's title
    size: Mapped[int] = mapped_column(Integer)
    documents: Mapped[int] = mapped_column(Integer)
    members: Mapped[list[ClusterMemberRow]] = relationship(
        back_populates="cluster", cascade="all, delete-orphan", order_by="ClusterMemberRow.id"
    )


class ClusterMemberRow(Base):
    """An item in a duplicate cluster: its best match in the cluster and their similarity."""

    __tablename__ = "cluster_members"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cluster_id: Mapped[int] = mapped_column(
        ForeignKey("item_clusters.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), unique=True)
    matched_item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="SET NULL"))
    score: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text)
    cluster: Mapped[ItemClusterRow] = relationship(back_populates="members")


class ItemSignatureRow(Base):
    """An item's MinHash signature, kept so that linking hashes only new items."""

    __tablename__ = "item_signatures"
    __table_args__ = ({"info": {"derived": True}},)  # not exported: see the docstring
    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    scheme: Mapped[str] = mapped_column(String(64))  # shingle size, permutations, hash: all
    shingles: Mapped[int] = mapped_column(Integer)  # 0: the item is not compared (too short …)
    hashvalues: Mapped[bytes] = mapped_column(LargeBinary)


class ItemBandRow(Base):
    """One LSH band key of an item's signature: items sharing a key are duplicate candidates.

    A new item's candidates are an index lookup on its band keys, so linking a small batch
    never rebuilds an LSH index over the whole knowledge base.
    """

    __tablename__ = "item_bands"
    band: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    __table_args__ = ({"sqlite_with_rowid": False, "info": {"derived": True}},)


class LinkStateRow(Base):
    """What the stored links were computed with, and a version bumped by every linking run.

    A run computes outside the write lock and writes only if the version it read is still
    current; different settings or schemes, or deleted items, make the next run a full one.
    """

    __tablename__ = "link_state"
    __table_args__ = ({"info": {"derived": True}},)  # not exported: see the docstring
    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # always 1: one row
    version: Mapped[int] = mapped_column(Integer)
    duplicate_scheme: Mapped[str] = mapped_column(Text)  # sketch + band scheme + threshold
    policy_scheme: Mapped[str] = mapped_column(Text)  # threshold + kind families
    signatures: Mapped[int] = mapped_column(Integer)  # signature rows after the run
    corrections: Mapped[int] = mapped_column(Integer)  # the newest correction applied


class CorrectionRow(Base):
    """A user's decision on two policy mentions: same policy (merge) or not (split).

    Keyed by stable identities (document sha256 + normalized title), never by fact or
    policy ids, so it survives reextract, re-linking and new ingests; for a pair of
    identities the latest decision wins.
    """

    __tablename__ = "corrections"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    action: Mapped[str] = mapped_column(String(8))  # merge | split
    document_sha256: Mapped[str] = mapped_column(String(64))
    normalized_title: Mapped[str] = mapped_column(Text)
    other_sha256: Mapped[str] = mapped_column(String(64))
    other_title: Mapped[str] = mapped_column(Text)
    command: Mapped[str] = mapped_column(Text)  # what the user ran, for the record
    created_at: Mapped[datetime] = mapped_column(DateTime)

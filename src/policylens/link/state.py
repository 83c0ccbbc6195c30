"""What the stored links were made with, and the version that lets a run compute unlocked.

A linking run reads the state, computes without holding any lock, then writes in one short
transaction, and only if no other run wrote in between (the version is unchanged);
otherwise it computes again from the newer state. Each run asks for a full relink when the
stored links cannot be extended: made with other settings or schemes, or items, facts or
corrections changed under them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from policylens.link import dedupe
from policylens.store.link_tables import (
    CorrectionRow,
    ItemSignatureRow,
    LinkStateRow,
    PolicyLinkRow,
)

STATE_ID = 1


class StaleRead(Exception):
    """Another linking run wrote after this one read: its plan must be computed again."""


@dataclass(frozen=True, slots=True)
class Schemes:
    """The settings and rules the links are made with: other schemes, other links."""

    duplicates: str
    policies: str

    @classmethod
    def of(
        cls, duplicate_threshold: float, policy_threshold: float, families: dict[str, str]
    ) -> Schemes:
        """Return the schemes of these settings and kind families."""
        listed = "\n".join(f"{kind}\t{family}" for kind, family in sorted(families.items()))
        digest = hashlib.sha256(listed.encode("utf-8")).hexdigest()[:16]
        return cls(
            duplicates=f"{dedupe.BAND_SCHEME} containment>={duplicate_threshold}",
            policies=f"title>={policy_threshold} families:{digest}",
        )


@dataclass(frozen=True, slots=True)
class LinkState:
    """The stored state as one run read it, and what it says needs a full relink."""

    version: int | None  # None: never linked by this version of PolicyLens
    bands_current: bool  # the stored band keys were made by this band scheme
    full_duplicates: bool
    full_policies: bool
    corrections: int  # the newest correction id


def read_state(session: Session, schemes: Schemes) -> LinkState:
    """Return the stored link state; its version is read first, before anything it guards."""
    row = session.get(LinkStateRow, STATE_ID)
    signatures = session.scalar(select(func.count()).select_from(ItemSignatureRow)) or 0
    corrections = session.scalar(select(func.max(CorrectionRow.id))) or 0
    # A deleted document leaves its mentions' links without a fact.
    orphaned = bool(session.scalar(select(exists().where(PolicyLinkRow.fact_id.is_(None)))))
    if row is None:
        return LinkState(None, False, True, True, corrections)
    return LinkState(
        version=row.version,
        bands_current=row.duplicate_scheme.split(" ")[0] == dedupe.BAND_SCHEME,
        # Fewer signatures than written last time: items were deleted under the clusters.
        full_duplicates=row.duplicate_scheme != schemes.duplicates or signatures < row.signatures,
        full_policies=row.policy_scheme != schemes.policies
        or orphaned
        or corrections > row.corrections,
        corrections=corrections,
    )


def write_state(
    session: Session,
    read: LinkState,
    schemes: Schemes,
    duplicates_done: bool = True,
) -> int:
    """Check that no run wrote since ``read`` and record this run; return the new version.

    Call it first in the write transaction, which holds the write lock. Raises StaleRead.
    ``duplicates_done=False`` (policies only) keeps the stored duplicate scheme.
    """
    row = session.get(LinkStateRow, STATE_ID, populate_existing=True)
    if (row.version if row is not None else None) != read.version:
        raise StaleRead
    if row is None:
        row = LinkStateRow(id=STATE_ID, version=0, duplicate_scheme="", signatures=0)
        session.add(row)
    row.version += 1
    if duplicates_done:
        row.duplicate_scheme = schemes.duplicates
    row.policy_scheme = schemes.policies
    row.corrections = read.corrections
    return row.version


def record_signatures(session: Session) -> None:
    """Record how many signatures are stored now (call last, after they are written)."""
    row = session.get(LinkStateRow, STATE_ID)
    assert row is not None, "write_state comes first"
    session.flush()
    row.signatures = session.scalar(select(func.count()).select_from(ItemSignatureRow)) or 0

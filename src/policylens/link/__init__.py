"""The link stage: near-duplicate items become one story, a policy's mentions one Policy.

Linking runs after every ingest and reextract, over the whole knowledge base, in one
transaction. It only adds links: every item and mention keeps its own source.

>>> from policylens.link import link_store, policies
>>> summary = link_store(store, settings)          # doctest: +SKIP
>>> [p.title for p in policies(store)][:3]          # doctest: +SKIP

The pure parts are ``dedupe`` (shingles, MinHash, LSH, clusters) and ``resolve``
(title stems, conflicts, constrained clustering); ``db`` and ``queries`` are the I/O edge.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from time import perf_counter

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from policylens.config import Settings
from policylens.errors import CorrectionError, NotFoundError, StoreError
from policylens.link import db, queries
from policylens.link.records import (
    DuplicateCluster,
    DuplicateMember,
    LinkSummary,
    MentionRecord,
    PolicyDetail,
    PolicySummary,
    SourceRecord,
)
from policylens.link.resolve import Identity
from policylens.link.rules import PlaceStripper, load_kind_families
from policylens.resources import Resources, load_resources
from policylens.store import Store

__all__ = [
    "DuplicateCluster",
    "DuplicateMember",
    "LinkSummary",
    "MentionRecord",
    "PolicyDetail",
    "PolicySummary",
    "SourceRecord",
    "duplicates",
    "link_store",
    "merge",
    "policies",
    "policy",
    "split",
]


@contextmanager
def _transaction(store: Store) -> Iterator[Session]:
    """Yield one session for the whole run; a database failure becomes a StoreError."""
    try:
        with store.session() as session:
            db.lock_links(session)
            yield session
    except OperationalError as exc:
        raise StoreError(f"linking failed and was rolled back: {exc.orig}") from exc


def _link_policies(
    session: Session, settings: Settings, res: Resources | None, data_dir: Path | None
) -> tuple[int, int, int]:
    res = res or load_resources(data_dir)
    return db.link_policies(
        session,
        settings.policy_match_threshold,
        load_kind_families(data_dir),
        PlaceStripper(res.gazetteer),
    )


def link_store(
    store: Store,
    settings: Settings,
    res: Resources | None = None,
    data_dir: Path | None = None,
    items_changed: bool = True,
) -> LinkSummary:
    """Find duplicate items and resolve policies across the store; return what was found.

    ``items_changed=False`` (after reextract, which keeps items) keeps the stored clusters.
    """
    started = perf_counter()
    with _transaction(store) as session:
        if items_changed:
            clusters, duplicate_items = db.link_duplicates(session, settings.duplicate_threshold)
        else:
            clusters, duplicate_items = db.cluster_counts(session)
        found, mentions, multi = _link_policies(session, settings, res, data_dir)
    return LinkSummary(
        policies=found,
        mentions=mentions,
        multi_source=multi,
        clusters=clusters,
        duplicate_items=duplicate_items,
        seconds=round(perf_counter() - started, 3),
    )


def policies(
    store: Store, region: str | None = None, contains: str | None = None
) -> list[PolicySummary]:
    """Return the linked policies, the most widely mentioned first."""
    with Session(store.engine) as session:
        return queries.list_policies(session, region, contains)


def policy(store: Store, policy_id: int) -> PolicyDetail:
    """Return one policy with all its mentions, targets and sources."""
    with Session(store.engine) as session:
        return queries.policy_detail(session, policy_id)


def duplicates(store: Store) -> list[DuplicateCluster]:
    """Return the clusters of near-duplicate items."""
    with Session(store.engine) as session:
        return queries.duplicate_clusters(session)


def _identities(session: Session, policy_id: int) -> list[Identity]:
    seen: dict[Identity, None] = {}
    for link in queries.policy_links(session, policy_id):
        seen[(link.document_sha256, link.normalized_title)] = None
    return list(seen)


def merge(
    store: Store,
    policy_ids: Sequence[int],
    settings: Settings,
    res: Resources | None = None,
    command: str = "",
) -> PolicyDetail:
    """Record that these policies are one, link again, and return the merged policy.

    The decision is stored per pair of mention identities (document + title), so it
    holds after reextract and new ingests.
    """
    if len(set(policy_ids)) < 2:
        raise CorrectionError("merge needs two or more different policy ids")
    with _transaction(store) as session:
        groups = [_identities(session, policy_id) for policy_id in dict.fromkeys(policy_ids)]
        anchor = groups[0][0]
        pairs = [(anchor, other) for group in groups for other in group if other != anchor]
        db.record_corrections(session, "merge", pairs, command or _command("merge", policy_ids))
        _link_policies(session, settings, res, None)
        merged = queries.policy_of(session, *anchor)
    assert merged is not None  # the anchor's mentions are still stored
    return policy(store, merged)


def split(
    store: Store,
    policy_id: int,
    fact_ids: Sequence[int],
    settings: Settings,
    res: Resources | None = None,
    command: str = "",
) -> PolicyDetail:
    """Record that these mentions are not the policy's, link again, return their new policy.

    The mentions split out stay together; every other mention of the same title in the
    same document goes with them (they are one identity).
    """
    if not fact_ids:
        raise CorrectionError("split needs at least one --mention FACT_ID")
    with _transaction(store) as session:
        links = queries.policy_links(session, policy_id)
        by_fact = {link.fact_id: link for link in links}
        missing = [f for f in fact_ids if f not in by_fact]
        if missing:
            raise NotFoundError(
                f"fact {missing[0]} is not a mention of policy {policy_id} "
                f"(see `policylens policy {policy_id}`)"
            )
        chosen = [by_fact[f] for f in fact_ids]
        moving = list(
            dict.fromkeys((link.document_sha256, link.normalized_title) for link in chosen)
        )
        staying = [i for i in _identities(session, policy_id) if i not in moving]
        if not staying:
            raise CorrectionError(
                f"those are all the mentions of policy {policy_id}: nothing is left to split from"
            )
        note = command or _command("split", [policy_id, *fact_ids])
        db.record_corrections(session, "split", [(m, s) for m in moving for s in staying], note)
        db.record_corrections(session, "merge", [(moving[0], m) for m in moving[1:]], note)
        _link_policies(session, settings, res, None)
        new_policy = queries.policy_of(session, *moving[0])
    assert new_policy is not None
    return policy(store, new_policy)


def _command(action: str, ids: Sequence[int]) -> str:
    return f"{action} " + " ".join(str(i) for i in ids)

"""The link stage: near-duplicate items become one story, a policy's mentions one Policy.

Linking runs after every ingest and reextract. It is incremental: only items and mentions
not linked yet are compared, with the stored band keys and the policies they can reach,
and the result is the same as linking everything again (``link_store(..., full=True)``,
``policylens link``). A run reads and computes without a lock, then writes in one short
transaction. It only adds links: every item and mention keeps its own source.

>>> from policylens.link import link_store, policies
>>> summary = link_store(store, settings)          # doctest: +SKIP
>>> [p.title for p in policies(store)][:3]          # doctest: +SKIP

The pure parts are ``dedupe`` (shingles, MinHash, LSH bands, clusters) and ``resolve``
(title stems, conflicts, constrained clustering); ``clustering``, ``db``, ``state`` and
``queries`` are the I/O edge.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from policylens.config import Settings
from policylens.errors import CorrectionError, NotFoundError, StoreError
from policylens.link import clustering, db, queries
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
from policylens.link.state import (
    LinkState,
    Schemes,
    StaleRead,
    read_state,
    record_signatures,
    write_state,
)
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


# A run that finds another run wrote first computes again; the last try computes while
# holding the write lock, so it always finishes.
ATTEMPTS = 4


@contextmanager
def _transaction(store: Store) -> Iterator[Session]:
    """Yield a session holding the write lock until commit; failures become StoreError."""
    try:
        with Session(store.engine) as session, session.begin():
            # SQLite: BEGIN IMMEDIATE, so a run that reads first cannot lose its write lock.
            session.connection(execution_options={"sqlite_immediate": True})
            db.lock_links(session)
            yield session
    except OperationalError as exc:
        raise StoreError(f"linking failed and was rolled back: {exc.orig}") from exc


@contextmanager
def _reading(store: Store) -> Iterator[Session]:
    """Yield a read-only session (one snapshot on SQLite); failures become StoreError."""
    try:
        with Session(store.engine) as session, session.begin():
            yield session
    except OperationalError as exc:
        raise StoreError(f"linking failed reading the knowledge base: {exc.orig}") from exc


def _policy_rules(
    settings: Settings, res: Resources | None, data_dir: Path | None
) -> db.PolicyRules:
    res = res or load_resources(data_dir)
    return db.PolicyRules(
        settings.policy_match_threshold,
        load_kind_families(data_dir),
        PlaceStripper(res.gazetteer),
    )


@dataclass(frozen=True, slots=True)
class _Plan:
    """What one run will write, computed from the state it read."""

    state: LinkState
    schemes: Schemes
    duplicates: clustering.DuplicatePlan
    policies: db.PolicyPlan | None

    @property
    def empty(self) -> bool:
        """Return whether writing would change nothing."""
        nothing = self.duplicates.empty and self.policies is None
        return nothing and self.state.version is not None


def _plan(
    session: Session,
    settings: Settings,
    rules: db.PolicyRules,
    full_duplicates: bool,
    full_policies: bool,
) -> _Plan:
    schemes = Schemes.of(settings.duplicate_threshold, rules.threshold, rules.families)
    state = read_state(session, schemes)
    found = clustering.plan_duplicates(
        session,
        settings.duplicate_threshold,
        full_duplicates or state.full_duplicates,
        state.bands_current,
    )
    resolved = db.plan_policies(session, rules, full_policies or state.full_policies)
    return _Plan(state, schemes, found, resolved)


def _write(session: Session, plan: _Plan) -> None:
    """Write a plan, unless another run wrote since it was read (then raise StaleRead)."""
    write_state(session, plan.state, plan.schemes)
    clustering.write_duplicates(session, plan.duplicates)
    if plan.policies is not None:
        db.write_policies(session, plan.policies)
    record_signatures(session)


def _summary(store: Store, plan: _Plan | None, started: float) -> LinkSummary:
    with Session(store.engine) as session:
        found, mentions, multi = db.policy_counts(session)
        clusters, duplicate_items = db.cluster_counts(session)
    return LinkSummary(
        policies=found,
        mentions=mentions,
        multi_source=multi,
        clusters=clusters,
        duplicate_items=duplicate_items,
        seconds=round(perf_counter() - started, 3),
        new_items=plan.duplicates.new_items if plan else 0,
        new_mentions=plan.policies.new_mentions if plan and plan.policies else 0,
        full=bool(plan and (plan.duplicates.full or (plan.policies and plan.policies.full))),
    )


def link_store(
    store: Store,
    settings: Settings,
    res: Resources | None = None,
    data_dir: Path | None = None,
    items_changed: bool = True,
    full: bool = False,
) -> LinkSummary:
    """Link the items and mentions not linked yet (all of them, ``full``); return the totals.

    ``items_changed=False`` (after reextract, which keeps items but replaces every fact)
    resolves every policy again and leaves the stored clusters as they are.
    """
    started = perf_counter()
    rules = _policy_rules(settings, res, data_dir)
    full_policies = full or not items_changed
    plan = None
    for attempt in range(ATTEMPTS):
        try:
            if attempt < ATTEMPTS - 1:
                with _reading(store) as session:
                    plan = _plan(session, settings, rules, full, full_policies)
                if not plan.empty:
                    with _transaction(store) as session:
                        _write(session, plan)
            else:
                with _transaction(store) as session:
                    plan = _plan(session, settings, rules, full, full_policies)
                    if not plan.empty:
                        _write(session, plan)
            break
        except StaleRead:
            continue
    return _summary(store, plan, started)


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


def _relink_policies(session: Session, settings: Settings, res: Resources | None) -> None:
    """Resolve every policy again inside the caller's locked transaction (after a correction)."""
    _write(session, _plan(session, settings, _policy_rules(settings, res, None), False, True))


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
        _relink_policies(session, settings, res)
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
        _relink_policies(session, settings, res)
        new_policy = queries.policy_of(session, *moving[0])
    assert new_policy is not None
    return policy(store, new_policy)


def _command(action: str, ids: Sequence[int]) -> str:
    return f"{action} " + " ".join(str(i) for i in ids)

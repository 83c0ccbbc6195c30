"""The I/O edge of policy resolution: read mentions and corrections, plan, write policies.

Every function here works inside a session the caller opened: plans are made with reads
only, and written in one short transaction. Nothing extraction stored is changed or deleted.
Incrementally, only the mentions of new documents and the policies they can reach (see
``resolve.linked_part``) are resolved again; the rest stay as stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from policylens.link.resolve import (
    Cluster,
    Edge,
    Identity,
    MentionFact,
    Node,
    build_nodes,
    carry_ids,
    issue_date,
    linked_part,
    representative,
    resolve,
)
from policylens.store.link_tables import (
    ClusterMemberRow,
    CorrectionRow,
    ItemClusterRow,
    PolicyLinkRow,
    PolicyRow,
)
from policylens.store.schema import DocumentRow, FactRow

# Any constant: the advisory lock that makes concurrent linking runs take turns.
LINK_LOCK = 0x506C4C6B


def lock_links(session: Session) -> None:
    """Wait until no other linking run is writing, then hold the link tables until commit.

    Two ingests finishing at once would otherwise both insert the same new items'
    signatures. PostgreSQL gets a transaction-scoped advisory lock; on SQLite the caller
    begins the transaction IMMEDIATE, which takes the database's write lock.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LINK_LOCK})


def cluster_counts(session: Session) -> tuple[int, int]:
    """Return the stored (clusters, items in clusters)."""
    clusters = session.scalar(select(func.count(ItemClusterRow.id))) or 0
    members = session.scalar(select(func.count(ClusterMemberRow.id))) or 0
    return int(clusters), int(members)


def policy_counts(session: Session) -> tuple[int, int, int]:
    """Return the stored (policies, linked mentions, policies with two or more sources)."""
    policies = session.scalar(select(func.count(PolicyRow.id))) or 0
    mentions = session.scalar(select(func.count(PolicyLinkRow.id))) or 0
    multi = session.scalar(select(func.count(PolicyRow.id)).where(PolicyRow.sources > 1)) or 0
    return int(policies), int(mentions), int(multi)


# --- Policies ----------------------------------------------------------------------------


def load_mentions(session: Session) -> list[MentionFact]:
    """Return every stored policy mention with its document's sha256."""
    query = (
        select(FactRow, DocumentRow.sha256)
        .join(DocumentRow, DocumentRow.id == FactRow.document_id)
        .where(FactRow.kind == "policy")
        .order_by(FactRow.id)
    )
    return [_mention(row, sha256) for row, sha256 in session.execute(query)]


def _mention(row: FactRow, sha256: str) -> MentionFact:
    values: dict[str, Any] = row.payload
    period = values.get("period")
    return MentionFact(
        fact_id=row.id,
        document_id=row.document_id,
        sha256=sha256,
        title=values["title"],
        normalized_title=values["normalized_title"],
        kind=values.get("kind"),
        draft=bool(values.get("draft")),
        region_code=row.region_code,
        region=row.region,
        level=row.level,
        date=row.date,
        period=(int(period[0]), int(period[1])) if period else None,
        doc_number=values.get("doc_number"),
        issuers=tuple(values.get("issuers") or ()),
    )


def latest_decisions(session: Session) -> dict[frozenset[Identity], tuple[str, int]]:
    """Return each pair of identities' latest user decision: (merge | split, correction id)."""
    latest: dict[frozenset[Identity], tuple[str, int]] = {}
    for row in session.scalars(select(CorrectionRow).order_by(CorrectionRow.id)):
        pair = frozenset(
            {(row.document_sha256, row.normalized_title), (row.other_sha256, row.other_title)}
        )
        if len(pair) == 2:
            latest[pair] = (row.action, row.id)
    return latest


def user_constraints(
    nodes: Sequence[Node], decisions: dict[frozenset[Identity], tuple[str, int]]
) -> tuple[list[Edge], set[frozenset[int]], dict[int, int]]:
    """Return user merges as edges, user splits as node pairs, and the split correction per node.

    Decisions about identities no longer stored (a document gone, a title now read
    differently) are ignored.
    """
    index = {node.identity: i for i, node in enumerate(nodes)}
    must: list[Edge] = []
    cannot: set[frozenset[int]] = set()
    split_by: dict[int, int] = {}
    for pair, (action, correction_id) in sorted(decisions.items(), key=lambda kv: kv[1][1]):
        first, second = sorted(pair)
        if first not in index or second not in index:
            continue
        a, b = sorted((index[first], index[second]))
        if action == "merge":
            reason = f"merged by user (correction {correction_id})"
            must.append(Edge(a, b, 1.0, reason, "user"))
        else:
            cannot.add(frozenset((a, b)))
            split_by[a] = split_by[b] = correction_id
    return must, cannot, split_by


@dataclass(frozen=True, slots=True)
class PolicyRules:
    """What policy resolution needs besides the stored mentions."""

    threshold: float
    families: dict[str, str]
    strip_places: Callable[[str], str]


@dataclass(frozen=True, slots=True)
class PolicyPlan:
    """The policies one run writes: the resolved nodes, and the stored policies they replace."""

    full: bool
    nodes: list[Node]
    clusters: list[Cluster]
    split_by: dict[int, int]
    previous: dict[Identity, int]  # the policy each identity was linked to
    new_mentions: int


def _linked_facts(session: Session) -> set[int]:
    query = select(PolicyLinkRow.fact_id).where(PolicyLinkRow.fact_id.is_not(None))
    return set(session.scalars(query))


def _subset(
    nodes: Sequence[Node], chosen: Iterable[int], must: Sequence[Edge], split_by: dict[int, int]
) -> tuple[list[Node], list[Edge], dict[int, int], dict[int, int]]:
    """Return the chosen nodes in their order, and the constraints re-indexed to them."""
    order = sorted(chosen)
    index = {old: new for new, old in enumerate(order)}
    edges = [
        Edge(index[e.a], index[e.b], e.score, e.reason, e.decided_by)
        for e in must
        if e.a in index and e.b in index
    ]
    splits = {index[i]: c for i, c in split_by.items() if i in index}
    return [nodes[i] for i in order], edges, splits, index


def plan_policies(session: Session, rules: PolicyRules, full: bool) -> PolicyPlan | None:
    """Return the policies to write for mentions without a link (every mention, ``full``).

    None when there is nothing new to link (and the run is not full).
    """
    nodes = build_nodes(load_mentions(session), rules.families, rules.strip_places)
    linked = set() if full else _linked_facts(session)
    seeds = [i for i, n in enumerate(nodes) if any(f.fact_id not in linked for f in n.facts)]
    if not seeds:
        # A full run over no mentions (every document deleted) still clears the stored ones.
        return PolicyPlan(True, [], [], {}, {}, 0) if full else None
    # User decisions are read over every node: a split keeps its note on both sides.
    must, cannot, split_by = user_constraints(nodes, latest_decisions(session))
    # An incremental run scores the candidate pairs once, finding the part to resolve again.
    part = None if full else linked_part(nodes, seeds, rules.threshold, must)
    chosen = seeds if part is None else part.nodes
    sub_nodes, sub_must, sub_splits, index = _subset(nodes, chosen, must, split_by)
    sub_cannot = {
        frozenset(index[i] for i in pair) for pair in cannot if all(i in index for i in pair)
    }
    edges = None if part is None else part.reindexed(index)
    clusters = resolve(sub_nodes, rules.threshold, sub_must, sub_cannot, edges)
    stored = session.execute(
        select(
            PolicyLinkRow.document_sha256, PolicyLinkRow.normalized_title, PolicyLinkRow.policy_id
        )
    ).all()
    wanted = {n.identity for n in sub_nodes}
    previous = {(sha, title): p for sha, title, p in stored if full or (sha, title) in wanted}
    replaced = set(previous.values())
    if not full and any(p in replaced and (sha, title) not in wanted for sha, title, p in stored):
        # A stored policy reaches past the component: it was not made by these rules.
        return plan_policies(session, rules, full=True)
    new_mentions = sum(1 for n in nodes for f in n.facts if f.fact_id not in linked)
    return PolicyPlan(full, sub_nodes, clusters, sub_splits, previous, new_mentions)


def write_policies(session: Session, plan: PolicyPlan) -> None:
    """Replace the policies the plan's mentions were linked to, keeping ids where they stay."""
    nodes, clusters, split_by = plan.nodes, plan.clusters, plan.split_by
    # One vote per mention: after a split, the side with most mentions keeps the id.
    groups = [[f.identity for i in c.nodes for f in nodes[i].facts] for c in clusters]
    ids = carry_ids(groups, plan.previous)
    if plan.full:
        session.execute(delete(PolicyLinkRow))
        existing = {row.id: row for row in session.scalars(select(PolicyRow))}
    else:
        replaced = sorted(set(plan.previous.values()))
        session.execute(delete(PolicyLinkRow).where(PolicyLinkRow.policy_id.in_(replaced)))
        query = select(PolicyRow).where(PolicyRow.id.in_(replaced))
        existing = {row.id: row for row in session.scalars(query)}
    for cluster, policy_id in zip(clusters, ids, strict=True):
        row = existing.pop(policy_id) if policy_id is not None else PolicyRow()
        fill_policy(row, [nodes[i] for i in cluster.nodes])
        if policy_id is None:
            session.add(row)
        for i in cluster.nodes:
            score, reason, decided_by = _link_of(cluster.links.get(i), split_by.get(i))
            for fact in nodes[i].facts:
                row.links.append(
                    PolicyLinkRow(
                        fact_id=fact.fact_id,
                        document_sha256=fact.sha256,
                        normalized_title=fact.normalized_title,
                        score=score,
                        reason=reason,
                        decided_by=decided_by,
                    )
                )
    for row in existing.values():
        session.delete(row)
    session.flush()


def _link_of(edge: Edge | None, split_correction: int | None) -> tuple[float, str, str]:
    if edge is not None:
        return edge.score, edge.reason, edge.decided_by
    if split_correction is not None:
        return 1.0, f"split by user (correction {split_correction})", "user"
    return 1.0, "no other mention matched", "machine"


def fill_policy(row: PolicyRow, members: Sequence[Node]) -> None:
    """Set a policy row's fields from its mentions, the representative one first."""
    best = representative(members)
    ordered = [best, *(n for n in members if n is not best)]
    facts = [f for n in ordered for f in n.facts]

    def first(name: str) -> Any:
        return next((getattr(f, name) for f in facts if getattr(f, name)), None)

    period = first("period")
    row.title = best.first.title
    row.normalized_title = best.identity[1]
    row.kind = first("kind")
    row.region_code = first("region_code")
    row.region = first("region")
    row.level = first("level")
    row.period_start, row.period_end = period if period else (None, None)
    row.date = issue_date(f.date for f in facts if f.date)
    row.doc_number = first("doc_number")
    # The longest list, full names (四川省经济和信息化厅) before short ones (经济和信息化厅).
    row.issuers = list(max((f.issuers for f in facts), key=_issuer_rank, default=()))
    row.mentions = len(facts)
    row.sources = len({f.document_id for f in facts})


def _issuer_rank(issuers: tuple[str, ...]) -> tuple[int, int]:
    return len(issuers), sum(len(name) for name in issuers)


def record_corrections(
    session: Session, action: str, pairs: Sequence[tuple[Identity, Identity]], command: str
) -> None:
    """Store user decisions on pairs of identities."""
    now = datetime.now()
    for (sha, title), (other_sha, other_title) in pairs:
        session.add(
            CorrectionRow(
                action=action,
                document_sha256=sha,
                normalized_title=title,
                other_sha256=other_sha,
                other_title=other_title,
                command=command,
                created_at=now,
            )
        )
    session.flush()

"""The I/O edge of the link stage: read facts and items, write clusters and policies.

Every function here works inside a session the caller opened, so one linking run is one
transaction. Nothing extraction stored is changed or deleted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from policylens.link import dedupe
from policylens.link.resolve import (
    Cluster,
    Edge,
    Identity,
    MentionFact,
    Node,
    build_nodes,
    carry_ids,
    issue_date,
    representative,
    resolve,
)
from policylens.store.link_tables import (
    ClusterMemberRow,
    CorrectionRow,
    ItemClusterRow,
    ItemSignatureRow,
    PolicyLinkRow,
    PolicyRow,
)
from policylens.store.schema import DocumentRow, FactRow, ItemRow

# Any constant: the advisory lock that makes concurrent linking runs take turns.
LINK_LOCK = 0x506C4C6B


def lock_links(session: Session) -> None:
    """Wait until no other linking run is writing, then hold the link tables until commit.

    Two ingests finishing at once would otherwise both insert the same new items'
    signatures. PostgreSQL gets a transaction-scoped advisory lock; SQLite needs none, as
    a linking run's first statement is a write, which takes the database's write lock.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LINK_LOCK})


# --- Duplicate items -------------------------------------------------------------------


def update_signatures(session: Session) -> int:
    """Compute and store the MinHash of every item lacking one (or made by old settings).

    Returns how many items were hashed.
    """
    session.execute(delete(ItemSignatureRow).where(ItemSignatureRow.scheme != dedupe.SCHEME))
    query = (
        select(ItemRow.id, ItemRow.kind, ItemRow.text)
        .outerjoin(ItemSignatureRow, ItemSignatureRow.item_id == ItemRow.id)
        .where(ItemSignatureRow.item_id.is_(None))
    )
    rows = session.execute(query).all()
    found = [
        dedupe.shingles(text) if kind in dedupe.KIND_GROUPS else set() for _, kind, text in rows
    ]
    for (item_id, _, _), shingles, values in zip(
        rows, found, dedupe.sketch_many(found), strict=True
    ):
        session.add(
            ItemSignatureRow(
                item_id=item_id, scheme=dedupe.SCHEME, shingles=len(shingles), hashvalues=values
            )
        )
    session.flush()
    return len(rows)


def load_sketches(session: Session) -> list[dedupe.Sketch]:
    """Return the sketches of every item that takes part in duplicate finding."""
    query = (
        select(
            ItemSignatureRow.item_id,
            ItemRow.document_id,
            ItemRow.kind,
            ItemSignatureRow.shingles,
            ItemSignatureRow.hashvalues,
        )
        .join(ItemRow, ItemRow.id == ItemSignatureRow.item_id)
        .where(ItemSignatureRow.shingles > 0, ItemSignatureRow.scheme == dedupe.SCHEME)
        .order_by(ItemSignatureRow.item_id)
    )
    return [
        dedupe.Sketch(item_id, document_id, dedupe.KIND_GROUPS[kind], shingles, bytes(values))
        for item_id, document_id, kind, shingles, values in session.execute(query)
    ]


def link_duplicates(session: Session, threshold: float) -> tuple[int, int]:
    """Find near-duplicate items and store them as clusters; return (clusters, items)."""
    update_signatures(session)
    candidates = dedupe.candidate_pairs(load_sketches(session), threshold)
    ids = sorted({i for pair in candidates for i in pair})
    texts = dict(session.execute(select(ItemRow.id, ItemRow.text).where(ItemRow.id.in_(ids))).all())
    pairs = dedupe.score_pairs(candidates, texts, threshold)
    groups = dedupe.clusters(pairs)
    write_clusters(session, groups, dedupe.best_matches(pairs))
    return len(groups), sum(len(g) for g in groups)


def cluster_counts(session: Session) -> tuple[int, int]:
    """Return the stored (clusters, items in clusters)."""
    clusters = session.scalar(select(func.count(ItemClusterRow.id))) or 0
    members = session.scalar(select(func.count(ClusterMemberRow.id))) or 0
    return int(clusters), int(members)


def write_clusters(
    session: Session, groups: Sequence[list[int]], best: dict[int, dedupe.DuplicatePair]
) -> None:
    """Replace the stored clusters, keeping a cluster's id when most of its items stay."""
    previous = dict(
        session.execute(select(ClusterMemberRow.item_id, ClusterMemberRow.cluster_id)).all()
    )
    ids = carry_ids(groups, previous)
    session.execute(delete(ClusterMemberRow))
    existing = {row.id: row for row in session.scalars(select(ItemClusterRow))}
    members = [i for g in groups for i in g]
    items = {
        row[0]: row
        for row in session.execute(
            select(ItemRow.id, ItemRow.title, ItemRow.document_id).where(ItemRow.id.in_(members))
        )
    }
    for group, cluster_id in zip(groups, ids, strict=True):
        row = existing.pop(cluster_id) if cluster_id is not None else ItemClusterRow()
        row.title = items[group[0]].title
        row.size = len(group)
        row.documents = len({items[i].document_id for i in group})
        if cluster_id is None:
            session.add(row)
        for item_id in group:
            pair = best[item_id]
            other = pair.second if pair.first == item_id else pair.first
            row.members.append(
                ClusterMemberRow(
                    item_id=item_id,
                    matched_item_id=other,
                    score=pair.score,
                    reason=f"{pair.score:.0%} of the shorter item's {dedupe.SHINGLE}-character "
                    f"shingles are in the other (item {other})",
                )
            )
    for row in existing.values():
        session.delete(row)
    session.flush()


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


def link_policies(
    session: Session,
    threshold: float,
    families: dict[str, str],
    strip_places: Callable[[str], str],
) -> tuple[int, int, int]:
    """Link every policy mention to a policy and store them; return (policies, mentions, multi)."""
    nodes = build_nodes(load_mentions(session), families, strip_places)
    must, cannot, split_by = user_constraints(nodes, latest_decisions(session))
    clusters = resolve(nodes, threshold, must, cannot)
    write_policies(session, nodes, clusters, split_by)
    multi = sum(1 for c in clusters if len({nodes[i].first.document_id for i in c.nodes}) > 1)
    return len(clusters), sum(len(n.facts) for n in nodes), multi


def write_policies(
    session: Session, nodes: Sequence[Node], clusters: Sequence[Cluster], split_by: dict[int, int]
) -> None:
    """Replace the stored policies and links, keeping a policy's id when its mentions stay."""
    previous = {
        (sha, title): policy_id
        for sha, title, policy_id in session.execute(
            select(
                PolicyLinkRow.document_sha256,
                PolicyLinkRow.normalized_title,
                PolicyLinkRow.policy_id,
            )
        )
    }
    # One vote per mention: after a split, the side with most mentions keeps the id.
    groups = [[f.identity for i in c.nodes for f in nodes[i].facts] for c in clusters]
    ids = carry_ids(groups, previous)
    session.execute(delete(PolicyLinkRow))
    existing = {row.id: row for row in session.scalars(select(PolicyRow))}
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

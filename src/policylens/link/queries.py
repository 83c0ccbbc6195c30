"""Reading the link tables: policies with their mentions, targets and sources; clusters."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from policylens.errors import NotFoundError
from policylens.link.records import (
    DuplicateCluster,
    DuplicateMember,
    MentionRecord,
    PolicyDetail,
    PolicySummary,
    SourceRecord,
)
from policylens.store.facts import FactRecord, fact_record
from policylens.store.link_tables import (
    ClusterMemberRow,
    ItemClusterRow,
    PolicyLinkRow,
    PolicyRow,
)
from policylens.store.schema import DocumentRow, FactRow, ItemRow


def policy_summary(row: PolicyRow) -> PolicySummary:
    """Return a stored policy as listed."""
    period = f"{row.period_start}-{row.period_end}" if row.period_start else None
    return PolicySummary(
        id=row.id,
        title=row.title,
        normalized_title=row.normalized_title,
        region=row.region,
        level=row.level,
        kind=row.kind,
        period=period,
        date=row.date,
        doc_number=row.doc_number,
        issuers=list(row.issuers),
        mentions=row.mentions,
        sources=row.sources,
    )


def list_policies(
    session: Session, region: str | None = None, contains: str | None = None
) -> list[PolicySummary]:
    """Return policies, the most widely mentioned first; filter by region or title text."""
    query = select(PolicyRow).order_by(
        PolicyRow.sources.desc(), PolicyRow.mentions.desc(), PolicyRow.id
    )
    if region is not None:
        query = query.where(PolicyRow.region.contains(region, autoescape=True))
    if contains is not None:
        query = query.where(PolicyRow.normalized_title.contains(contains, autoescape=True))
    return [policy_summary(row) for row in session.scalars(query)]


def policy_row(session: Session, policy_id: int) -> PolicyRow:
    """Return a stored policy, or raise NotFoundError naming the id."""
    row = session.get(PolicyRow, policy_id)
    if row is None:
        raise NotFoundError(f"no policy {policy_id} (see `policylens policies`)")
    return row


def policy_detail(session: Session, policy_id: int) -> PolicyDetail:
    """Return a policy with all its mentions, the targets under it and its sources."""
    row = policy_row(session, policy_id)
    query = (
        select(PolicyLinkRow, FactRow)
        .join(FactRow, FactRow.id == PolicyLinkRow.fact_id)
        .where(PolicyLinkRow.policy_id == policy_id)
        .options(
            selectinload(FactRow.document),
            selectinload(FactRow.item).selectinload(ItemRow.links),
        )
        .order_by(FactRow.document_id, FactRow.start, FactRow.id)
    )
    pairs = list(session.execute(query))
    mentions = [_mention_record(link, fact) for link, fact in pairs]
    return PolicyDetail(
        policy_summary(row),
        mentions,
        _targets(session, {(f.document_id, link.normalized_title) for link, f in pairs}),
        _sources([fact for _, fact in pairs]),
    )


def _mention_record(link: PolicyLinkRow, fact: FactRow) -> MentionRecord:
    return MentionRecord(
        fact_id=fact.id,
        document_id=fact.document_id,
        document=fact.document.source,
        item_index=fact.item.idx if fact.item else None,
        title=str(fact.payload.get("title", fact.label)),
        normalized_title=link.normalized_title,
        region=fact.region,
        date=fact.date,
        quote=fact.quote,
        span=(fact.start, fact.end),
        raw_span=(fact.raw_start, fact.raw_end),
        score=link.score,
        reason=link.reason,
        decided_by=link.decided_by,
    )


def _targets(session: Session, identities: set[tuple[int, str]]) -> list[FactRecord]:
    """Return the targets extraction placed under one of these (document, title) mentions."""
    documents = {document_id for document_id, _ in identities}
    query = (
        select(FactRow)
        .where(FactRow.kind == "target", FactRow.document_id.in_(documents))
        .options(selectinload(FactRow.document), selectinload(FactRow.item))
        .order_by(FactRow.document_id, FactRow.start, FactRow.id)
    )
    return [
        fact_record(row, row.item.idx if row.item else None)
        for row in session.scalars(query)
        if (row.document_id, row.payload.get("policy")) in identities
    ]


def _sources(facts: list[FactRow]) -> list[SourceRecord]:
    by_document: dict[int, list[FactRow]] = {}
    for fact in facts:
        by_document.setdefault(fact.document_id, []).append(fact)
    out = []
    for document_id, mentions in by_document.items():
        document: DocumentRow = mentions[0].document
        urls = sorted({link.url for f in mentions if f.item for link in f.item.links})
        out.append(SourceRecord(document_id, document.source, document.title, len(mentions), urls))
    return out


def duplicate_clusters(session: Session) -> list[DuplicateCluster]:
    """Return every duplicate cluster with its members, each with its own source."""
    query = select(ItemClusterRow).order_by(ItemClusterRow.id)
    clusters = list(session.scalars(query))
    members_query = (
        select(ClusterMemberRow, ItemRow, DocumentRow.source)
        .join(ItemRow, ItemRow.id == ClusterMemberRow.item_id)
        .join(DocumentRow, DocumentRow.id == ItemRow.document_id)
        .order_by(ItemRow.document_id, ItemRow.idx)
    )
    members: dict[int, list[DuplicateMember]] = {}
    for member, item, source in session.execute(members_query):
        members.setdefault(member.cluster_id, []).append(
            DuplicateMember(
                item_id=item.id,
                document_id=item.document_id,
                document=source,
                index=item.idx,
                kind=item.kind,
                title=item.title,
                span=(item.start, item.end),
                raw_span=(item.raw_start, item.raw_end),
                score=member.score,
                matched_item_id=member.matched_item_id,
                reason=member.reason,
            )
        )
    return [
        DuplicateCluster(c.id, c.title, c.size, c.documents, members.get(c.id, []))
        for c in clusters
    ]


def policy_links(session: Session, policy_id: int) -> list[PolicyLinkRow]:
    """Return a policy's link rows, in order."""
    policy_row(session, policy_id)
    query = select(PolicyLinkRow).where(PolicyLinkRow.policy_id == policy_id)
    return list(session.scalars(query.order_by(PolicyLinkRow.id)))


def policy_of(session: Session, sha256: str, normalized_title: str) -> int | None:
    """Return the id of the policy an identity is linked to."""
    query = select(PolicyLinkRow.policy_id).where(
        PolicyLinkRow.document_sha256 == sha256,
        PolicyLinkRow.normalized_title == normalized_title,
    )
    return session.scalars(query.limit(1)).first()

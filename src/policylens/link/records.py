"""What the link API returns: plain dataclasses, serializable with ``asdict``."""

from __future__ import annotations

from dataclasses import dataclass

from policylens.store.facts import FactRecord


@dataclass(frozen=True, slots=True)
class LinkSummary:
    """What one linking run found."""

    policies: int
    mentions: int
    multi_source: int  # policies mentioned by two or more documents
    clusters: int  # stories told by two or more near-duplicate items
    duplicate_items: int
    seconds: float
    new_items: int = 0  # items hashed and compared in this run
    new_mentions: int = 0  # policy mentions not linked before this run
    full: bool = False  # everything was linked again, not only what was new


@dataclass(frozen=True, slots=True)
class PolicySummary:
    """One policy, as listed."""

    id: int
    title: str
    normalized_title: str
    region: str | None
    level: str | None
    kind: str | None
    period: str | None  # "2023-2025"
    date: str | None
    doc_number: str | None
    issuers: list[str]
    mentions: int
    sources: int


@dataclass(frozen=True, slots=True)
class MentionRecord:
    """A mention of a policy: where, as which words, and why it is linked."""

    fact_id: int | None
    document_id: int
    document: str
    item_index: int | None
    title: str  # as written
    normalized_title: str
    region: str | None
    date: str | None
    quote: str
    span: tuple[int, int]
    raw_span: tuple[int, int]
    score: float
    reason: str
    decided_by: str  # machine | user


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """A document that mentions a policy, with the URLs its mentioning items cite."""

    document_id: int
    source: str
    title: str | None
    mentions: int
    urls: list[str]


@dataclass(frozen=True, slots=True)
class PolicyDetail:
    """A policy with every mention, the targets set under it and the sources naming it."""

    policy: PolicySummary
    mentions: list[MentionRecord]
    targets: list[FactRecord]
    sources: list[SourceRecord]


@dataclass(frozen=True, slots=True)
class DuplicateMember:
    """An item of a duplicate cluster, with its own source and its best match."""

    item_id: int
    document_id: int
    document: str
    index: int
    kind: str
    title: str
    span: tuple[int, int]
    raw_span: tuple[int, int]
    score: float
    matched_item_id: int | None
    reason: str


@dataclass(frozen=True, slots=True)
class DuplicateCluster:
    """One story told by several near-duplicate items; nothing of theirs is deleted."""

    id: int
    title: str
    size: int
    documents: int
    members: list[DuplicateMember]

"""What a brief is made of: plain frozen dataclasses, from the query to the footnotes."""

from __future__ import annotations

from dataclasses import dataclass

from policylens.link.records import DuplicateCluster, PolicyDetail
from policylens.store import DocumentSummary, ItemRecord
from policylens.store.facts import FactRecord

STYLES = ("weekly", "newsletter", "roundup")


@dataclass(frozen=True, slots=True)
class BriefQuery:
    """Which brief to write: a period (YYYY-MM-DD, inclusive), a style, topics, a region."""

    date_from: str
    date_to: str
    style: str = "weekly"  # weekly | newsletter | roundup
    topics: tuple[str, ...] = ()  # taxonomy topics (data/topics.tsv); empty: all
    region: str | None = None  # a place name part: 四川 includes 四川省成都市


@dataclass(frozen=True, slots=True)
class Knowledge:
    """A read-only snapshot of the knowledge base a brief is written from."""

    documents: tuple[DocumentSummary, ...]
    items: tuple[ItemRecord, ...]
    facts: tuple[FactRecord, ...]
    policies: tuple[PolicyDetail, ...]
    clusters: tuple[DuplicateCluster, ...]
    topic_names: tuple[tuple[str, str], ...] = ()  # (topic, trigger) from data/topics.tsv
    metric_names: tuple[tuple[str, str], ...] = ()  # (metric, keyword) from data/metrics.tsv


@dataclass(frozen=True, slots=True)
class Source:
    """A footnote: the document (and item) an entry cites, by URL where one is known."""

    number: int
    document_id: int
    document: str  # the stored source: a path or URL
    title: str | None  # the document's title
    item_id: int | None
    url: str | None  # the link the item cites, else the document's own URL


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence of a summary: as printed, and the source words it was trimmed from."""

    text: str
    quote: str  # the sentence as the item's clean text has it
    item_id: int
    start: int  # offset of ``quote`` in the item's text


@dataclass(frozen=True, slots=True)
class Claim:
    """A sentence of commentary and the stored facts it is drawn from."""

    kind: str  # rank | region_history | new_topic | deal_history
    text: str
    fact_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Entry:
    """One story: headline, date, summary, commentary, and every source telling it."""

    number: str  # as printed: "1", "01"
    section: str
    headline: str
    headline_item: int
    date: str | None  # ISO; None when no source dates the story
    summary: tuple[Sentence, ...]
    commentary: tuple[Claim, ...]
    item_ids: tuple[int, ...]  # the items telling the story in the period
    policy_ids: tuple[int, ...]  # the linked policies whose issue it reports
    cluster_ids: tuple[int, ...]  # the near-duplicate clusters it merges
    source_numbers: tuple[int, ...]  # footnotes
    fact_ids: tuple[int, ...]  # every fact used: date, policies, commentary

    @property
    def anchor(self) -> str:
        """Return an id for links to this entry: e-<section>-<number>."""
        return f"e-{self.section}-{self.number}"


@dataclass(frozen=True, slots=True)
class Section:
    """A heading of a brief and its entries, in order."""

    name: str
    entries: tuple[Entry, ...]


@dataclass(frozen=True, slots=True)
class TargetRow:
    """A row of the targets-by-region table: one policy's headline figure."""

    region: str
    policy: str
    metric: str  # as printed: 元宇宙产业规模
    value: str  # as printed: 2500亿元, 2000亿元以上
    target_year: int | None
    policy_id: int
    fact_id: int


@dataclass(frozen=True, slots=True)
class Brief:
    """A written brief, ready to render as Markdown, HTML or DOCX."""

    query: BriefQuery
    title: str
    period: str  # 2023年9月17日—2023年9月24日
    overview: tuple[Claim, ...]
    sections: tuple[Section, ...]
    table: tuple[TargetRow, ...]
    sources: tuple[Source, ...]  # footnote n is sources[n - 1]
    facts: tuple[FactRecord, ...]  # every fact an entry, claim or row uses (for --explain)
    quotes: tuple[tuple[int, str], ...] = ()  # (fact id, its words in the clean text)

    @property
    def entries(self) -> tuple[Entry, ...]:
        """Return every entry, in printed order."""
        return tuple(entry for section in self.sections for entry in section.entries)

    def source(self, number: int) -> Source:
        """Return footnote ``number``."""
        return self.sources[number - 1]

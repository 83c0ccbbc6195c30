"""Footnotes: every story cites each item telling it and each document naming its policy.

A source is cited by the URL its item links to (a newsletter's footnote), else by the
document's own URL, else by the document's title and file name. The same document and
URL is one footnote however many entries cite it; footnotes are numbered in the order
the brief first cites them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from policylens.brief.model import Source
from policylens.brief.selection import Index, Story
from policylens.store import DocumentSummary, ItemRecord

SourceKey = tuple[int, str | None]  # (document id, URL)


@dataclass(frozen=True, slots=True)
class Citation:
    """A source before it is numbered."""

    key: SourceKey
    item_id: int | None


def document_url(document: DocumentSummary) -> str | None:
    """Return the document's own URL, if it was read from one."""
    return document.source if document.source.startswith(("http://", "https://")) else None


def item_citations(item: ItemRecord, documents: dict[int, DocumentSummary]) -> list[Citation]:
    """Return the sources an item stands for: each URL it links to, else its document."""
    if item.links:
        urls = dict.fromkeys(link.url for link in item.links)
        return [Citation((item.document_id, url), item.id) for url in urls]
    document = documents[item.document_id]
    return [Citation((item.document_id, document_url(document)), item.id)]


def story_citations(
    story: Story, index: Index, documents: dict[int, DocumentSummary]
) -> list[Citation]:
    """Return a story's sources: its items, their near-duplicates, the mentions of its policies."""
    items = list(story.items)
    for cluster_id in story.cluster_ids:
        items += [index.items[i] for i in index.cluster_items[cluster_id] if i in index.items]
    for policy_id in story.policy_ids:
        for mention in index.policies[policy_id].mentions:
            item = index.by_key.get((mention.document_id, mention.item_index or 0))
            if item is not None and mention.item_index is not None:
                items.append(item)
    found: dict[SourceKey, Citation] = {}
    for item in items:
        for citation in item_citations(item, documents):
            found.setdefault(citation.key, citation)
    return list(found.values())


def document_titles(index: Index, documents: dict[int, DocumentSummary]) -> dict[int, str | None]:
    """Return each document's title, None where it is only its first entry's headline.

    A digest saved as text has no title of its own; the store then names it after an
    item, which would make a footnote cite one story for the whole digest.
    """
    headlines: dict[int, set[str]] = {}
    for item in index.items.values():
        if item.kind == "digest_entry":
            headlines.setdefault(item.document_id, set()).add(item.title)
    return {
        document_id: None if document.title in headlines.get(document_id, set()) else document.title
        for document_id, document in documents.items()
    }


def number_sources(
    cited: Sequence[Sequence[Citation]],
    documents: dict[int, DocumentSummary],
    titles: dict[int, str | None] | None = None,
) -> tuple[tuple[Source, ...], list[tuple[int, ...]]]:
    """Return the numbered footnotes and, per story in order, the numbers it cites."""
    numbers: dict[SourceKey, int] = {}
    sources: list[Source] = []
    per_story = []
    for citations in cited:
        mine = []
        for citation in citations:
            if citation.key not in numbers:
                document = documents[citation.key[0]]
                numbers[citation.key] = len(sources) + 1
                sources.append(
                    Source(
                        number=len(sources) + 1,
                        document_id=document.id,
                        document=document.source,
                        title=titles.get(document.id) if titles else document.title,
                        item_id=citation.item_id,
                        url=citation.key[1],
                    )
                )
            mine.append(numbers[citation.key])
        per_story.append(tuple(dict.fromkeys(mine)))
    return tuple(sources), per_story

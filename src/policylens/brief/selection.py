"""Which stories a brief tells: items of the period, merged into stories, filtered, sectioned.

1. Candidates are news-like items (digest entries, articles, cover notices), dated by their
   date fact; an undated item counts when every dated item of its digest is in the period.
2. Items become one story when they are near-duplicates (a link/ cluster) or report the
   issue of the same linked Policy (its subject: the first policy it names that is in
   its headline, or dated the day the item is, and issued within a month of it).
3. A story is kept when one of its items has a wanted topic and names the wanted region,
   then placed in the first section whose rule (data/brief_sections.tsv) it meets.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from policylens.brief.model import BriefQuery, Knowledge
from policylens.brief.rules import SectionRule
from policylens.link.records import PolicyDetail
from policylens.report.timeline import in_period
from policylens.store import ItemRecord
from policylens.store.facts import FactRecord

NEWS_KINDS = ("digest_entry", "article", "notice")
WRITTEN_YEAR = ("explicit", "item")  # years read in the text; others were inferred
SUBJECT_WINDOW_DAYS = 31  # a policy issued this close to an item's date may be its subject
HEADLINE_PREFIX = 48  # opening characters read as the headline of an item without one
BACKGROUND_WINDOW = 12  # characters before a 《title》 read for background words
OTHER_SECTION = "其他"

ItemKey = tuple[int, int]  # (document id, item index)


@dataclass(frozen=True, slots=True)
class Index:
    """Lookups over a knowledge snapshot, built once per brief."""

    items: dict[int, ItemRecord]
    by_key: dict[ItemKey, ItemRecord]
    facts: dict[int, FactRecord]
    item_facts: dict[int, tuple[FactRecord, ...]]  # item id → its facts, in text order
    policies: dict[int, PolicyDetail]
    policy_of_fact: dict[int, int]
    cluster_of_item: dict[int, int]
    cluster_items: dict[int, tuple[int, ...]]
    topic_names: tuple[tuple[str, str], ...]  # (topic, trigger)


def build_index(kb: Knowledge) -> Index:
    """Return the lookups a brief needs over ``kb``."""
    by_key = {(item.document_id, item.index): item for item in kb.items}
    item_facts: dict[int, list[FactRecord]] = defaultdict(list)
    for fact in sorted(kb.facts, key=lambda f: (f.document_id, f.span[0], f.id)):
        if fact.item_index is None:
            continue
        item = by_key.get((fact.document_id, fact.item_index))
        if item is not None:
            item_facts[item.id].append(fact)
    cluster_items = {
        cluster.id: tuple(member.item_id for member in cluster.members) for cluster in kb.clusters
    }
    return Index(
        items={item.id: item for item in kb.items},
        by_key=by_key,
        facts={fact.id: fact for fact in kb.facts},
        item_facts={key: tuple(value) for key, value in item_facts.items()},
        policies={detail.policy.id: detail for detail in kb.policies},
        policy_of_fact={
            m.fact_id: detail.policy.id
            for detail in kb.policies
            for m in detail.mentions
            if m.fact_id is not None
        },
        cluster_of_item={i: cid for cid, members in cluster_items.items() for i in members},
        cluster_items=cluster_items,
        topic_names=kb.topic_names,
    )


@dataclass(frozen=True, slots=True)
class Story:
    """Items telling one story, the one to quote first; the policies whose issue it reports."""

    items: tuple[ItemRecord, ...]
    date: FactRecord | None
    policy_ids: tuple[int, ...]
    cluster_ids: tuple[int, ...]
    section: str = OTHER_SECTION
    headline: str = ""  # as printed; set once the story is headed


def year_from(fact: FactRecord) -> str | None:
    """Return how a dated fact's year was found: explicit, item, document, url …"""
    value = fact.values.get("date")
    return value.get("year_from") if isinstance(value, dict) else None


def item_date(item: ItemRecord, index: Index) -> FactRecord | None:
    """Return the fact dating an item: its date fact; a cover notice's policy date else."""
    facts = index.item_facts.get(item.id, ())
    dated = [f for f in facts if f.kind == "date" and f.date]
    if dated:
        return dated[0]
    if item.kind == "notice":
        return next(
            (f for f in facts if f.kind == "policy" and f.date and year_from(f) in WRITTEN_YEAR),
            None,
        )
    return None


def _digest_inside(dated: Iterable[str], query: BriefQuery) -> bool:
    dates = list(dated)
    return bool(dates) and all(in_period(d, query.date_from, query.date_to) for d in dates)


def period_items(index: Index, query: BriefQuery) -> list[tuple[ItemRecord, FactRecord | None]]:
    """Return the news items of the period with their date facts, in document order.

    An undated item counts when its document's dated news items all fall in the period
    (a weekly digest's "近日" items are that week's).
    """
    news = sorted(
        (i for i in index.items.values() if i.kind in NEWS_KINDS),
        key=lambda i: (i.document_id, i.index),
    )
    dates = {item.id: item_date(item, index) for item in news}
    by_document: dict[int, list[str]] = defaultdict(list)
    for item in news:
        fact = dates[item.id]
        if fact is not None and fact.date:
            by_document[item.document_id].append(fact.date)
    chosen: list[tuple[ItemRecord, FactRecord | None]] = []
    for item in news:
        fact = dates[item.id]
        if fact is not None and fact.date:
            if in_period(fact.date, query.date_from, query.date_to):
                chosen.append((item, fact))
        elif _digest_inside(by_document[item.document_id], query):
            chosen.append((item, None))
    return chosen


def as_day(value: str) -> date:
    """Return the first day of an ISO day, month or year."""
    parts = [*value.split("-"), "01", "01"][:3]
    return date(int(parts[0]), int(parts[1]), int(parts[2]))


def headline_line(item: ItemRecord) -> str:
    """Return the item's first line (its headline, when it has one)."""
    return item.text.split("\n", 1)[0]


LIST_JOINERS = re.compile(r"^[\s、，,和及与]*$")


def background_mentions(
    item: ItemRecord, facts: Sequence[FactRecord], patterns: Sequence[re.Pattern[str]]
) -> set[int]:
    """Return the ids of policy mentions the item gives as background, not as its news.

    A mention is background when the words before it match a pattern (已出台了《…》,
    根据《…》), or when it follows such a mention in a list (《甲》《乙》、《丙》).
    """
    found: set[int] = set()
    previous: FactRecord | None = None
    for fact in facts:
        start = fact.span[0] - item.span[0]
        before = item.text[max(0, start - BACKGROUND_WINDOW) : max(0, start)]
        listed = (
            previous is not None
            and previous.id in found
            and LIST_JOINERS.match(item.text[previous.span[1] - item.span[0] : start]) is not None
        )
        if listed or any(p.search(before) for p in patterns):
            found.add(fact.id)
        previous = fact
    return found


def subject_policy(
    item: ItemRecord,
    dated: FactRecord | None,
    index: Index,
    background: Sequence[re.Pattern[str]] = (),
) -> int | None:
    """Return the linked policy whose issue the item reports, if any.

    It is the first policy named in the headline, else the first named on the item's own
    date that was issued within SUBJECT_WINDOW_DAYS of it and is not introduced as
    background (data/brief_text.tsv: 已出台了《…》, 根据《…》).
    """
    named = [f for f in index.item_facts.get(item.id, ()) if f.kind == "policy"]
    skipped = background_mentions(item, named, background)
    mentions = [
        (f, index.policy_of_fact[f.id])
        for f in named
        if f.id in index.policy_of_fact and f.id not in skipped
    ]
    line = headline_line(item)
    for fact, policy_id in mentions:
        if str(fact.values.get("title") or fact.label) in line:
            return policy_id
    if dated is None or not dated.date:
        return None
    for fact, policy_id in mentions:
        issued = index.policies[policy_id].policy.date
        if fact.date != dated.date:
            continue
        if issued is None or abs((as_day(issued) - as_day(dated.date)).days) <= SUBJECT_WINDOW_DAYS:
            return policy_id
    return None


class _Groups:
    """Union-find over item ids."""

    def __init__(self, ids: Iterable[int]) -> None:
        self.parent = {i: i for i in ids}

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def groups(self) -> list[list[int]]:
        found: dict[int, list[int]] = defaultdict(list)
        for i in self.parent:
            found[self.find(i)].append(i)
        return [sorted(g) for g in found.values()]


def _preference(item: ItemRecord, dated: FactRecord | None) -> tuple[int, int, int, int]:
    """Return a sort key: the item to quote first has a written year, a date, links, length."""
    return (
        0 if dated is not None and year_from(dated) in WRITTEN_YEAR else 1,
        0 if dated is not None else 1,
        0 if item.links else 1,
        -len(item.text),
    )


def story_date(dates: Sequence[FactRecord]) -> FactRecord | None:
    """Return the date fact dating a story: the earliest with a written year, else earliest."""
    written = [d for d in dates if year_from(d) in WRITTEN_YEAR]
    pool = written or list(dates)
    return min(pool, key=lambda d: (d.date or "", d.id)) if pool else None


def group_stories(
    chosen: Sequence[tuple[ItemRecord, FactRecord | None]],
    index: Index,
    background: Sequence[re.Pattern[str]] = (),
) -> list[Story]:
    """Return the period's items merged into stories (clusters and shared subject policies)."""
    dates = {item.id: dated for item, dated in chosen}
    subjects = {item.id: subject_policy(item, dated, index, background) for item, dated in chosen}
    groups = _Groups(dates)
    first_of: dict[tuple[str, int], int] = {}
    for item_id in dates:
        keys = [("policy", subjects[item_id])] if subjects[item_id] is not None else []
        if item_id in index.cluster_of_item:
            keys.append(("cluster", index.cluster_of_item[item_id]))
        for key in keys:
            assert key[1] is not None
            typed = (key[0], key[1])
            if typed in first_of:
                groups.union(first_of[typed], item_id)
            else:
                first_of[typed] = item_id
    stories = []
    for member_ids in groups.groups():
        items = sorted(
            (index.items[i] for i in member_ids), key=lambda i: _preference(i, dates[i.id])
        )
        member_dates = [d for i in member_ids if (d := dates[i]) is not None]
        stories.append(
            Story(
                items=tuple(items),
                date=story_date(member_dates),
                policy_ids=tuple(dict.fromkeys(p for i in member_ids if (p := subjects[i]))),
                cluster_ids=tuple(
                    dict.fromkeys(
                        index.cluster_of_item[i] for i in member_ids if i in index.cluster_of_item
                    )
                ),
            )
        )
    return stories


def story_facts(story: Story, index: Index) -> list[FactRecord]:
    """Return the facts of every item of the story."""
    return [f for item in story.items for f in index.item_facts.get(item.id, ())]


def story_topics(story: Story, index: Index) -> set[str]:
    """Return the topics tagged on the story's items."""
    return {f.label for f in story_facts(story, index) if f.kind == "topic"}


def main_topics(story: Story, index: Index) -> set[str]:
    """Return what a story is mainly about: the topics its headline names, else all its topics."""
    line = (story.headline or story.items[0].text[:HEADLINE_PREFIX]).lower()
    tagged = story_topics(story, index)
    named = {topic for topic, trigger in index.topic_names if trigger.lower() in line}
    return (named & tagged) or tagged


def wanted(story: Story, index: Index, query: BriefQuery) -> bool:
    """Return whether the story has a wanted topic and names the wanted region."""
    if query.topics and not story_topics(story, index) & set(query.topics):
        return False
    if query.region is None:
        return True
    regions = [f.region for f in story_facts(story, index) if f.region]
    regions += [index.policies[p].policy.region or "" for p in story.policy_ids]
    return any(query.region in region for region in regions)


RULE_TESTS: dict[str, Callable[[str, Story, Index], bool]] = {
    "*": lambda _value, _story, _index: True,
    "subject": lambda value, story, _index: value == "policy" and bool(story.policy_ids),
    "section": lambda value, story, _index: any(i.section == value for i in story.items),
    "fact": lambda value, story, index: any(f.kind == value for f in story_facts(story, index)),
    "topic": lambda value, story, index: value in main_topics(story, index),
    "word": lambda value, story, _index: any(value in i.text for i in story.items),
}


def rule_holds(rule: SectionRule, story: Story, index: Index) -> bool:
    """Return whether a section rule (data/brief_sections.tsv) holds for any item of a story."""
    return RULE_TESTS[rule.kind](rule.value, story, index)


def section_of(story: Story, rules: Sequence[SectionRule], index: Index) -> str:
    """Return the section of the first rule (in file order) that holds for the story."""
    return next((r.section for r in rules if rule_holds(r, story, index)), OTHER_SECTION)


def known_dates(index: Index) -> dict[int, str]:
    """Return a date for every item with one: its own, else its document's earliest.

    Plan sections take their plan's date this way (the cover notice's); the history of
    topics (what is new this period) is read from these.
    """
    own = {
        item.id: fact.date
        for item in index.items.values()
        if (fact := item_date(item, index)) is not None and fact.date
    }
    by_document: dict[int, list[str]] = defaultdict(list)
    for item_id, value in own.items():
        by_document[index.items[item_id].document_id].append(value)
    return {
        item.id: own.get(item.id) or min(by_document[item.document_id])
        for item in index.items.values()
        if item.id in own or by_document[item.document_id]
    }

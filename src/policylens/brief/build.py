"""Write a brief: the numbered sequence from a knowledge snapshot and a query to a ``Brief``."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date

from policylens.brief import commentary
from policylens.brief.cite import document_titles, number_sources, story_citations
from policylens.brief.model import (
    Brief,
    BriefQuery,
    Claim,
    Entry,
    Knowledge,
    Section,
    TargetRow,
)
from policylens.brief.rules import BriefRules
from policylens.brief.selection import (
    Index,
    Story,
    build_index,
    group_stories,
    known_dates,
    period_items,
    section_of,
    story_facts,
    story_topics,
    wanted,
)
from policylens.brief.summarize import candidates, has_headline, headline, summarize
from policylens.brief.text import chinese_date, chinese_period
from policylens.errors import PolicyLensError
from policylens.store import ItemRecord
from policylens.store.facts import FactRecord

ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
UNDATED = "9999-12-31"
TITLE_TOPICS = 3  # topics named in a title; more are "等"


class BriefError(PolicyLensError):
    """A brief cannot be written as asked (the message says why)."""


@dataclass(frozen=True, slots=True)
class StyleSpec:
    """How a style writes: its title, summary length, commentary and numbering."""

    title: str  # {subject} is the topics (and region) covered
    budget: int  # characters of summary per entry
    commentary: bool
    numbering: str  # section: 1, 2 … per section | running: 1, 2 … | padded: 01, 02 …


STYLE_SPECS = {
    "weekly": StyleSpec("{subject}周报", 200, False, "section"),
    "newsletter": StyleSpec("{subject}政策通讯", 300, True, "running"),
    "roundup": StyleSpec("{subject}政策汇总", 160, False, "padded"),
}


def topic_name(topic: str, names: Sequence[tuple[str, str]]) -> str:
    """Return a topic as printed: its first Chinese trigger word (数字人民币), else its first."""
    triggers = [trigger for name, trigger in names if name == topic]
    chinese = next((t for t in triggers if re.search(r"[\u3400-\u9fff]", t)), None)
    return chinese or (triggers[0] if triggers else topic)


def check_query(query: BriefQuery, rules: BriefRules) -> None:
    """Raise BriefError unless the query names a known style and a period of two ISO days."""
    if query.style not in STYLE_SPECS or query.style not in rules.styles():
        raise BriefError(f"style must be one of {', '.join(STYLE_SPECS)}, not {query.style!r}")
    for value in (query.date_from, query.date_to):
        try:
            valid = bool(ISO_DAY.match(value)) and date.fromisoformat(value) is not None
        except ValueError:
            valid = False
        if not valid:
            raise BriefError(f"dates are YYYY-MM-DD days, not {value!r}")
    if query.date_from > query.date_to:
        raise BriefError(f"the period ends ({query.date_to}) before it starts ({query.date_from})")


def brief_title(query: BriefQuery, names: Sequence[tuple[str, str]]) -> str:
    """Return the brief's title: region and topics, then the style's word (元宇宙·区块链周报)."""
    shown = [topic_name(t, names) for t in query.topics[:TITLE_TOPICS]]
    subject = "·".join(shown) + ("等" if len(query.topics) > TITLE_TOPICS else "") or "新兴科技"
    if query.region:
        subject = f"{query.region}{subject}"
    return STYLE_SPECS[query.style].title.format(subject=subject)


def ordered_stories(
    stories: Sequence[Story], section_order: Sequence[str]
) -> list[tuple[str, list[Story]]]:
    """Return stories by section (in the rules' order), each section by date, undated last."""
    sections: dict[str, list[Story]] = {name: [] for name in section_order}
    for story in stories:
        sections.setdefault(story.section, []).append(story)
    return [(name, sorted(group, key=_story_order)) for name, group in sections.items() if group]


def _story_order(story: Story) -> tuple[str, int, int]:
    first = story.items[0]
    day = story.date.date if story.date is not None and story.date.date else UNDATED
    return day, first.document_id, first.index


def entry_numbers(sections: Sequence[tuple[str, list[Story]]], numbering: str) -> list[list[str]]:
    """Return each story's number as printed, per section."""
    total = sum(len(group) for _, group in sections)
    width = max(2, len(str(total)))
    running = 0
    numbers = []
    for _, group in sections:
        mine = []
        for position, _story in enumerate(group, 1):
            running += 1
            if numbering == "section":
                mine.append(str(position))
            elif numbering == "padded":
                mine.append(str(running).zfill(width))
            else:
                mine.append(str(running))
        numbers.append(mine)
    return numbers


def earlier_topics(index: Index, date_from: str) -> set[str]:
    """Return the topics of every item dated before the period."""
    dates = known_dates(index)
    return {
        f.label
        for item_id, value in dates.items()
        if value < date_from
        for f in index.item_facts.get(item_id, ())
        if f.kind == "topic"
    }


def new_topic_claims(
    stories: Sequence[Story], index: Index, kb: Knowledge, date_from: str
) -> dict[int, list[Claim]]:
    """Return, by story position, a claim for each topic first seen in the period there."""
    seen = earlier_topics(index, date_from)
    order = [name for name, _ in kb.topic_names]
    claims: dict[int, list[Claim]] = {}
    for position, story in enumerate(stories):
        facts = [f for f in story_facts(story, index) if f.kind == "topic"]
        for topic in sorted(story_topics(story, index) - seen, key=_topic_rank(order)):
            seen.add(topic)
            fact = next(f for f in facts if f.label == topic)
            name = topic_name(topic, kb.topic_names)
            claims.setdefault(position, []).append(
                commentary.new_topic_claim(topic, name, fact, date_from)
            )
    return claims


def _topic_rank(order: Sequence[str]) -> Callable[[str], tuple[int, str]]:
    """Return a sort key putting topics in taxonomy order (data/topics.tsv)."""

    def rank(topic: str) -> tuple[int, str]:
        return (order.index(topic) if topic in order else len(order), topic)

    return rank


def overview_claims(new_topics: dict[int, list[Claim]], date_from: str) -> tuple[Claim, ...]:
    """Return the brief's overview: the topics new this period, with the facts showing them."""
    claims = [claim for position in sorted(new_topics) for claim in new_topics[position]]
    if not claims:
        return ()
    names = "、".join(claim.text.split("」", 1)[0].lstrip("「") for claim in claims)
    text = f"本期新出现的主题：{names}（知识库中{chinese_date(date_from)}以前的条目均未涉及）。"
    return (Claim("new_topic", text, tuple(i for c in claims for i in c.fact_ids)),)


def story_commentary(story: Story, index: Index, kb: Knowledge, date_to: str) -> list[Claim]:
    """Return the claims about a story's policies (rank, region history) and deals."""
    claims: list[Claim] = []
    for policy_id in story.policy_ids:
        detail = index.policies[policy_id]
        for claim in (
            commentary.rank_claim(detail, index, date_to, kb.metric_names),
            commentary.region_history_claim(detail, index),
        ):
            if claim is not None:
                claims.append(claim)
    deal = next((f for f in story_facts(story, index) if f.kind == "deal"), None)
    if deal is not None:
        claims.append(commentary.deal_history_claim(deal, index))
    return claims


def target_rows(stories: Sequence[Story], index: Index, kb: Knowledge) -> tuple[TargetRow, ...]:
    """Return the headline targets of the policies the brief reports, largest first.

    Only like is compared with like: the rows are those of the metric (with its sector)
    most policies state, and the table is worth showing with two regions or more.
    """
    rows: list[tuple[float, TargetRow]] = []
    for policy_id in dict.fromkeys(p for s in stories for p in s.policy_ids):
        detail = index.policies[policy_id]
        target = commentary.headline_target(detail)
        if target is None:
            continue
        row = TargetRow(
            region=detail.policy.region or "",
            policy=detail.policy.title,
            metric=commentary.metric_phrase(target, kb.metric_names),
            value=commentary.value_phrase(target),
            target_year=target.values.get("target_year"),
            policy_id=policy_id,
            fact_id=target.id,
        )
        rows.append((-target.values["value_high"], row))
    if not rows:
        return ()
    counts: dict[str, int] = {}
    for _, row in rows:
        counts[row.metric] = counts.get(row.metric, 0) + 1
    metric = max(counts, key=lambda m: (counts[m], -list(counts).index(m)))
    table = tuple(row for _, row in sorted(rows, key=lambda pair: pair[0]) if row.metric == metric)
    return table if len({row.region for row in table}) >= 2 else ()


def headline_item(story: Story) -> ItemRecord:
    """Return the item whose headline heads the story: the first with one of its own."""
    return next((i for i in story.items if has_headline(i)), story.items[0])


def story_headline(story: Story, rules: BriefRules) -> str:
    """Return the story's headline as printed."""
    year = int(story.date.date[:4]) if story.date is not None and story.date.date else None
    return headline(headline_item(story), rules.text, year)


def _entry(
    story: Story,
    number: str,
    rules: BriefRules,
    spec: StyleSpec,
    claims: Sequence[Claim],
    index: Index,
) -> Entry:
    """Return a story as an entry, before its footnotes are numbered."""
    day = story.date.date if story.date is not None else None
    quoted = next((i for i in story.items if candidates(i, rules.text)), story.items[0])
    policy_facts = [
        f.id
        for f in story_facts(story, index)
        if f.kind == "policy" and index.policy_of_fact.get(f.id) in story.policy_ids
    ]
    used = [story.date.id] if story.date is not None else []
    used += policy_facts + [i for claim in claims for i in claim.fact_ids]
    return Entry(
        number=number,
        section=story.section,
        headline=story.headline,
        headline_item=headline_item(story).id,
        date=day,
        summary=summarize(quoted, rules.text, spec.budget, day),
        commentary=tuple(claims),
        item_ids=tuple(item.id for item in story.items),
        policy_ids=story.policy_ids,
        cluster_ids=story.cluster_ids,
        source_numbers=(),
        fact_ids=tuple(dict.fromkeys(used)),
    )


def build_brief(kb: Knowledge, query: BriefQuery, rules: BriefRules) -> Brief:
    """Return the brief ``query`` asks for, written from the knowledge snapshot ``kb``."""
    check_query(query, rules)
    spec = STYLE_SPECS[query.style]
    index = build_index(kb)
    # 1. The period's items, merged into stories, filtered by topic and region.
    chosen = period_items(index, query)
    stories = [
        s for s in group_stories(chosen, index, rules.text.background) if wanted(s, index, query)
    ]
    # 2. Headlines; sections by the style's rules, in the rules' order; entries by date.
    stories = [replace(s, headline=story_headline(s, rules)) for s in stories]
    style_rules = [r for r in rules.sections if r.style == query.style]
    stories = [replace(s, section=section_of(s, style_rules, index)) for s in stories]
    sections = ordered_stories(stories, rules.section_order(query.style))
    flat = [story for _, group in sections for story in group]
    # 3. Commentary from the knowledge base: topics new this period, ranks, histories.
    new_topics = new_topic_claims(flat, index, kb, query.date_from)
    claims = [
        [*(story_commentary(s, index, kb, query.date_to) if spec.commentary else [])]
        + (new_topics.get(position, []) if spec.commentary else [])
        for position, s in enumerate(flat)
    ]
    # 4. Entries, then footnotes numbered in the order they are first cited.
    documents = {d.id: d for d in kb.documents}
    sources, cited = number_sources(
        [story_citations(s, index, documents) for s in flat],
        documents,
        document_titles(index, documents),
    )
    numbers = [n for group in entry_numbers(sections, spec.numbering) for n in group]
    entries = [
        replace(
            _entry(story, numbers[position], rules, spec, claims[position], index),
            source_numbers=cited[position],
        )
        for position, story in enumerate(flat)
    ]
    built, position = [], 0
    for name, group in sections:
        built.append(Section(name, tuple(entries[position : position + len(group)])))
        position += len(group)
    table = target_rows(flat, index, kb)
    overview = overview_claims(new_topics, query.date_from)
    used = {i for e in entries for i in e.fact_ids}
    used |= {i for c in overview for i in c.fact_ids} | {row.fact_id for row in table}
    return Brief(
        query=query,
        title=brief_title(query, kb.topic_names),
        period=chinese_period(query.date_from, query.date_to),
        overview=overview,
        sections=tuple(built),
        table=table,
        sources=sources,
        facts=tuple(index.facts[i] for i in sorted(used) if i in index.facts),
        quotes=tuple(
            (i, clean_quote(index.facts[i], index)) for i in sorted(used) if i in index.facts
        ),
    )


def clean_quote(fact: FactRecord, index: Index) -> str:
    """Return a fact's words as its item's clean text has them (the stored quote is raw)."""
    item = index.by_key.get((fact.document_id, fact.item_index or 0))
    if item is None or fact.item_index is None:
        return fact.quote
    start, end = fact.span[0] - item.span[0], fact.span[1] - item.span[0]
    if not 0 <= start <= end <= len(item.text):
        return fact.quote
    return item.text[start:end]

"""Items → facts: policies, targets, funding, deals, events, topics and item dates, with provenance.

Each extractor is a plain function over an item and the document's context; its
facts carry a versioned extractor name (``target.v1``) in their provenance.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable

from policylens.extract.context import DocContext
from policylens.extract.events import extract_events, extract_item_date, extract_topics
from policylens.extract.money import extract_deals, extract_funding
from policylens.extract.policies import (
    complete_main_policy,
    consolidate,
    extract_policies,
    normalize_title,
)
from policylens.extract.targets import extract_targets
from policylens.model import Document, Fact, Item, Place, PolicyMention
from policylens.resources import Resources

SKIPPED_KINDS = ("contents", "back_matter")
FACT_ORDER = operator.attrgetter("prov.item_index", "prov.span.start")  # in C, per fact
ItemExtractor = Callable[[Item, DocContext], Iterable[Fact]]
# The per-item extractors that need nothing but the item and its document, in order.
DEFAULT_EXTRACTORS: tuple[tuple[str, ItemExtractor], ...] = (
    ("deal.v1", extract_deals),
    ("event.v1", extract_events),
    ("topic.v1", extract_topics),
    ("item_date.v1", extract_item_date),
)
EXTRACTOR_NAMES = ("policy.v1", "target.v1", "funding.v1", *(n for n, _ in DEFAULT_EXTRACTORS))


def _anchor(
    item: Item,
    own: list[PolicyMention],
    plan_policies: dict[str, PolicyMention],
    ctx: DocContext,
) -> tuple[Place | None, str | None]:
    """Return the place and title of the policy an item is about, for its targets and money,
    given the item's own mentions."""
    if item.kind == "plan_section" and item.path:
        key = normalize_title(item.path[0].removeprefix("附："), ctx.res.t2s)
        plan = plan_policies.get(key)
        if plan is not None:
            return plan.place, plan.normalized_title
        return ctx.gazetteer.resolve_text(item.path[0]) or ctx.document_place, key
    if own:
        return own[0].place, own[0].normalized_title
    return None, None


def extract_document(document: Document, res: Resources) -> tuple[Fact, ...]:
    """Return every fact of a document, in item order."""
    ctx = DocContext.build(document, res)
    items = [item for item in document.items if item.kind not in SKIPPED_KINDS]
    mentions = consolidate([m for item in items for m in extract_policies(item, ctx)])
    mentions = complete_main_policy(mentions, document, ctx)
    plan_policies = {m.normalized_title: m for m in mentions}
    # Grouped once: a plan of thousands of sections and mentions made a scan per item quadratic.
    by_item: dict[int, list[PolicyMention]] = {}
    for mention in mentions:
        by_item.setdefault(mention.prov.item_index, []).append(mention)
    facts: list[Fact] = list(mentions)
    for item in items:
        own = by_item.get(item.index, [])
        place, policy = _anchor(item, own, plan_policies, ctx)
        facts.extend(extract_targets(item, ctx, place, policy, own))
        facts.extend(extract_funding(item, ctx, place))
        for _, extractor in DEFAULT_EXTRACTORS:
            facts.extend(extractor(item, ctx))
    return tuple(sorted(facts, key=FACT_ORDER))

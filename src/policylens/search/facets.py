"""The facet values of an item, read from its facts (and, for a plan section, its plan's).

A plan section rarely names its own region or date: it belongs to the plan its path starts
with. When that plan is a policy mentioned in the same document, the section takes the
policy's region, level, kind and date, so ``--region 四川`` finds the tasks of the Sichuan plan.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from policylens.extract.policies import DASHES
from policylens.search.regions import RegionTable

REGION, LEVEL, KIND, POLICY_KIND = "region", "level", "kind", "policy_kind"
TOPIC, TRIGGER, FACT_TYPE, DATE, YEAR = "topic", "trigger", "fact_type", "date", "year"
# Facets shown to users; "date" serves the date filter, "trigger" (the words that tagged a
# topic) only feeds ranking and is kept in search_items.topic_words.
SHOWN_FACETS = (REGION, LEVEL, KIND, POLICY_KIND, TOPIC, FACT_TYPE, YEAR)


class IndexedItem(Protocol):
    """A stored item as the index reads it (an ItemRow, or a bulk load's record)."""

    @property
    def id(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def path(self) -> Sequence[str]: ...


class IndexedFact(Protocol):
    """A stored fact as the index reads it (a FactRow, or a bulk load's record)."""

    @property
    def item_id(self) -> int | None: ...
    @property
    def kind(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def region_code(self) -> str | None: ...
    @property
    def region(self) -> str | None: ...
    @property
    def level(self) -> str | None: ...
    @property
    def date(self) -> str | None: ...
    @property
    def payload(self) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class FacetValue:
    """One facet value of an item; ``code`` and ``parent`` (the region above) for regions."""

    facet: str
    value: str
    code: str | None = None
    parent: str | None = None


# Facets a search can filter by; their values are index tokens of the item.
FILTERED_FACETS = (REGION, LEVEL, KIND, POLICY_KIND, TOPIC, FACT_TYPE, DATE)
# A date value is also a token of its year and of its month, so a date range is a few
# year and month tokens plus the exact values at its ends.
DATE_YEAR, DATE_MONTH = "date_year", "date_month"


def facet_token(facet: str, value: str, code: str | None = None) -> str:
    """Return the index token of a facet value: ASCII letters and digits only, so that no
    tokenizer splits it, and never one of the words of a text (those are bigrams or words)."""
    key = f"{facet}\x1f{value}\x1f{code or ''}".encode()
    return "f" + hashlib.blake2b(key, digest_size=8).hexdigest()


def date_tokens(date: str) -> list[str]:
    """Return the tokens of a date value: itself, its year and (for a day) its month."""
    tokens = [facet_token(DATE, date), facet_token(DATE_YEAR, date[:4])]
    if len(date) >= 7:
        tokens.append(facet_token(DATE_MONTH, date[:7]))
    return tokens


def value_tokens(values: Iterable[FacetValue]) -> list[str]:
    """Return the sorted index tokens of an item's filterable facet values."""
    tokens: set[str] = set()
    for v in values:
        if v.facet == DATE:
            tokens.update(date_tokens(v.value))
        elif v.facet in FILTERED_FACETS:
            tokens.add(facet_token(v.facet, v.value, v.code))
    return sorted(tokens)


# An item's facet values packed in one text (``search_items.facet_values``): one value a
# line, its facet, value and code parted by a unit separator, which no value holds.
PACK_FIELD, PACK_LINE = "\x1f", "\n"


def pack_facets(values: Iterable[FacetValue]) -> str:
    """Return an item's facet values (trigger words aside) packed as one text, sorted."""
    lines = {
        f"{v.facet}{PACK_FIELD}{v.value}{PACK_FIELD}{v.code or ''}"
        for v in values
        if v.facet != TRIGGER
    }
    return PACK_LINE.join(sorted(lines))


def unpack_facets(packed: str) -> list[FacetValue]:
    """Return the facet values of a packed text (``pack_facets``)."""
    out = []
    for line in packed.split(PACK_LINE) if packed else ():
        facet, value, code = line.split(PACK_FIELD)
        out.append(FacetValue(facet, value, code or None))
    return out


def count_packed(packed: Iterable[str]) -> Counter[str]:
    """Return how many of some items have each facet value, keyed by packed line."""
    # One split of all items' values at once and a count in C: no Python work per value.
    joined = PACK_LINE.join(filter(None, packed))
    return Counter(joined.split(PACK_LINE)) if joined else Counter()


def plan_key(title: str) -> str:
    """Return a plan or policy title folded for comparison (width, dashes, brackets, spaces)."""
    text = unicodedata.normalize("NFKC", title).translate(DASHES)
    return re.sub(r"\s+", "", text).strip("《》")


def policies_by_plan(policies: Iterable[IndexedFact]) -> dict[str, list[IndexedFact]]:
    """Return a document's policy mentions grouped by folded title (``plan_key``), in order."""
    # Folded once per document: folding them again for each of a big plan's thousands of
    # sections made indexing quadratic.
    by_key: dict[str, list[IndexedFact]] = {}
    for fact in policies:
        by_key.setdefault(plan_key(fact.payload["normalized_title"]), []).append(fact)
    return by_key


@dataclass(frozen=True, slots=True)
class PlanFacets:
    """What a plan section takes from its plan's policy mentions: their region, level and
    policy kind values, and their dates (the section's when it has none of its own)."""

    values: frozenset[FacetValue] = frozenset()
    dates: frozenset[str] = frozenset()


NO_PLAN = PlanFacets()


def _region_values(facts: Iterable[IndexedFact], regions: RegionTable) -> set[FacetValue]:
    values: set[FacetValue] = set()
    for fact in facts:
        if fact.region_code and fact.region:
            parent = None
            for code, name in regions.lineage(fact.region_code, fact.region):
                values.add(FacetValue(REGION, name, code, parent))
                parent = name
        if fact.level:
            values.add(FacetValue(LEVEL, fact.level))
    return values


def _policy_kinds(facts: Iterable[IndexedFact]) -> set[FacetValue]:
    return {
        FacetValue(POLICY_KIND, fact.payload["kind"])
        for fact in facts
        if fact.kind == "policy" and fact.payload.get("kind")
    }


def _dates(facts: Iterable[IndexedFact], kind: str) -> set[str]:
    return {fact.date for fact in facts if fact.kind == kind and fact.date}


def plan_facets(mentions: Sequence[IndexedFact], regions: RegionTable) -> PlanFacets:
    """Return what the sections of a plan take from the plan's policy mentions."""
    values = _region_values(mentions, regions) | _policy_kinds(mentions)
    return PlanFacets(frozenset(values), frozenset(_dates(mentions, "policy")))


def item_dates(facts: Sequence[IndexedFact], plan: PlanFacets) -> set[str]:
    """Return an item's dates: its own news date, else its policies' dates, else its plan's."""
    return _dates(facts, "date") or _dates(facts, "policy") or set(plan.dates)


def fact_facets(fact: IndexedFact, regions: RegionTable) -> frozenset[FacetValue]:
    """Return the facet values a fact gives its own item (its dates aside: ``item_dates``)."""
    values = _region_values((fact,), regions) | _policy_kinds((fact,))
    values.add(FacetValue(FACT_TYPE, fact.kind))
    if fact.kind == "topic":
        values.add(FacetValue(TOPIC, fact.label))
        values.update(FacetValue(TRIGGER, t.lower()) for t in fact.payload["triggers"])
    return frozenset(values)


FactKey = tuple[Any, ...]
FacetPart = frozenset[FacetValue]


def fact_facets_key(fact: IndexedFact) -> FactKey:
    """Return what ``fact_facets`` reads of a fact: facts with equal keys give equal values."""
    kind = fact.kind
    if kind == "topic":
        named: tuple[Any, ...] = (fact.label, tuple(fact.payload["triggers"]))
    else:
        named = (fact.payload.get("kind") if kind == "policy" else None,)
    return (kind, fact.region_code, fact.region, fact.level, *named)


def date_facets(dates: frozenset[str]) -> FacetPart:
    """Return the facet values of an item's dates: each date, and its year."""
    return frozenset(
        value for date in dates for value in (FacetValue(DATE, date), FacetValue(YEAR, date[:4]))
    )


@dataclass(frozen=True, slots=True)
class FacetParts:
    """The parts an item's facet values are the union of, each made once for many items:
    its kind's, its plan's, each of its facts' (``fact_facets``) and its dates'. Documents
    state the same topics, places and kinds over and over, and making and hashing each value
    again for each item was most of the index writer's Python time."""

    regions: RegionTable
    made: dict[Any, FacetPart]

    def fact(self, fact: IndexedFact) -> FacetPart:
        """Return ``fact_facets(fact)``, made once per distinct fact."""
        key = fact_facets_key(fact)
        part = self.made.get(key)
        if part is None:
            part = self.made[key] = fact_facets(fact, self.regions)
        return part

    def kind(self, kind: str) -> FacetPart:
        """Return the facet value of an item's kind, as a part."""
        key = (KIND, kind)
        part = self.made.get(key)
        if part is None:
            part = self.made[key] = frozenset({FacetValue(KIND, kind)})
        return part

    def dates(self, dates: frozenset[str]) -> FacetPart:
        """Return ``date_facets(dates)``, made once per distinct set of dates."""
        part = self.made.get(dates)
        if part is None:
            part = self.made[dates] = date_facets(dates)
        return part


def item_facet_parts(
    item: IndexedItem, facts: Sequence[IndexedFact], plan: PlanFacets, parts: FacetParts
) -> list[FacetPart]:
    """Return the distinct parts whose union is ``item_facets`` of an item."""
    # A set of frozensets: a part met again is the same object, whose hash is kept.
    own = {parts.kind(item.kind), plan.values, *map(parts.fact, facts)}
    dates = item_dates(facts, plan)
    if dates:
        own.add(parts.dates(frozenset(dates)))
    return list(own)


def item_facets(
    item: IndexedItem,
    facts: Sequence[IndexedFact],
    plan: PlanFacets,
    regions: RegionTable,
) -> set[FacetValue]:
    """Return every facet value of an item, given its facts and what it takes from its plan."""
    return set().union(*item_facet_parts(item, facts, plan, FacetParts(regions, {})))


def document_facet_parts(
    items: Iterable[IndexedItem], facts: Sequence[IndexedFact], parts: FacetParts
) -> dict[int, list[FacetPart]]:
    """Return, by item id, the parts of the facet values of every item of one document
    (``item_facet_parts``; ``parts`` may serve many documents)."""
    by_item: dict[int | None, list[IndexedFact]] = {}
    for fact in facts:
        by_item.setdefault(fact.item_id, []).append(fact)
    items = list(items)
    plans = plans_by_path_start(items, facts, parts.regions)
    return {
        item.id: item_facet_parts(item, by_item.get(item.id, []), _plan_of(item, plans), parts)
        for item in items
    }


def _plan_of(item: IndexedItem, plans: Mapping[str, PlanFacets]) -> PlanFacets:
    """Return what an item takes from the plan its path starts with (``plans``, from
    ``plans_by_path_start``): nothing unless it is a plan section whose plan the document
    mentions."""
    if item.kind != "plan_section" or not item.path:
        return NO_PLAN
    return plans.get(item.path[0], NO_PLAN)


def plans_by_path_start(
    items: Iterable[IndexedItem], facts: Iterable[IndexedFact], regions: RegionTable
) -> dict[str, PlanFacets]:
    """Return what a document's plan sections take from their plans (``_plan_of``), keyed
    by the first step of a section's path; only sections whose plan the document mentions.

    Each plan's values are made once, not once per section: a big plan has thousands of
    sections and mentions, and per-section work over the mentions was quadratic. Only the
    plans some section names are made, and none when the document has no plan sections
    (most have none: making every mentioned policy's values was a third of the facet work).
    """
    starts = {item.path[0] for item in items if item.kind == "plan_section" and item.path}
    if not starts:
        return {}
    policies = policies_by_plan(fact for fact in facts if fact.kind == "policy")
    made: dict[str, PlanFacets] = {}
    out = {}
    for start in starts:
        key = plan_key(start)
        mentions = policies.get(key)
        if mentions:
            plan = made.get(key)
            if plan is None:
                plan = made[key] = plan_facets(mentions, regions)
            out[start] = plan
    return out


def document_facets(
    items: Iterable[IndexedItem], facts: Sequence[IndexedFact], regions: RegionTable
) -> dict[int, set[FacetValue]]:
    """Return the facet values of every item of one document, by item id."""
    by_parts = document_facet_parts(items, facts, FacetParts(regions, {}))
    # Unions of sets: each value's hash is taken from its set, not computed again.
    return {item_id: set().union(*parts) for item_id, parts in by_parts.items()}

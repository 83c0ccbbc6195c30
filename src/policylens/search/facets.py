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
from collections.abc import Iterable, Sequence
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


def plan_policies(item: IndexedItem, policies: Sequence[IndexedFact]) -> list[IndexedFact]:
    """Return the document's mentions of the plan a plan section belongs to (maybe none)."""
    if item.kind != "plan_section" or not item.path:
        return []
    key = plan_key(item.path[0])
    return [fact for fact in policies if plan_key(fact.payload["normalized_title"]) == key]


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


def item_dates(facts: Sequence[IndexedFact], plan: Sequence[IndexedFact]) -> set[str]:
    """Return an item's dates: its own news date, else its policies' dates, else its plan's."""
    for kinds, source in ((("date",), facts), (("policy",), facts), (("policy",), plan)):
        dates = {fact.date for fact in source if fact.kind in kinds and fact.date}
        if dates:
            return dates
    return set()


def item_facets(
    item: IndexedItem,
    facts: Sequence[IndexedFact],
    plan: Sequence[IndexedFact],
    regions: RegionTable,
) -> set[FacetValue]:
    """Return every facet value of an item, given its facts and its plan's policy mentions."""
    values = {FacetValue(KIND, item.kind)}
    values |= _region_values([*facts, *plan], regions)
    for fact in facts:
        values.add(FacetValue(FACT_TYPE, fact.kind))
        if fact.kind == "topic":
            values.add(FacetValue(TOPIC, fact.label))
            values.update(FacetValue(TRIGGER, t.lower()) for t in fact.payload["triggers"])
    for fact in [*facts, *plan]:
        if fact.kind == "policy" and fact.payload.get("kind"):
            values.add(FacetValue(POLICY_KIND, fact.payload["kind"]))
    for date in item_dates(facts, plan):
        values.add(FacetValue(DATE, date))
        values.add(FacetValue(YEAR, date[:4]))
    return values

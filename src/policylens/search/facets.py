"""The facet values of an item, read from its facts (and, for a plan section, its plan's).

A plan section rarely names its own region or date: it belongs to the plan its path starts
with. When that plan is a policy mentioned in the same document, the section takes the
policy's region, level, kind and date, so ``--region 四川`` finds the tasks of the Sichuan plan.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from policylens.extract.policies import DASHES
from policylens.search.regions import RegionTable

if TYPE_CHECKING:  # at run time only attributes are read: no import cycle with the store
    from policylens.store.schema import FactRow, ItemRow

REGION, LEVEL, KIND, POLICY_KIND = "region", "level", "kind", "policy_kind"
TOPIC, TRIGGER, FACT_TYPE, DATE, YEAR = "topic", "trigger", "fact_type", "date", "year"
# Facets shown to users; "date" serves the date filter, "trigger" (the words that tagged a
# topic) only feeds ranking and is kept in search_items.topic_words.
SHOWN_FACETS = (REGION, LEVEL, KIND, POLICY_KIND, TOPIC, FACT_TYPE, YEAR)


@dataclass(frozen=True, slots=True)
class FacetValue:
    """One facet value of an item; ``code`` is set for regions only."""

    facet: str
    value: str
    code: str | None = None


def plan_key(title: str) -> str:
    """Return a plan or policy title folded for comparison (width, dashes, brackets, spaces)."""
    text = unicodedata.normalize("NFKC", title).translate(DASHES)
    return re.sub(r"\s+", "", text).strip("《》")


def plan_policies(item: ItemRow, policies: list[FactRow]) -> list[FactRow]:
    """Return the document's mentions of the plan a plan section belongs to (maybe none)."""
    if item.kind != "plan_section" or not item.path:
        return []
    key = plan_key(item.path[0])
    return [fact for fact in policies if plan_key(fact.payload["normalized_title"]) == key]


def _region_values(facts: Iterable[FactRow], regions: RegionTable) -> set[FacetValue]:
    values: set[FacetValue] = set()
    for fact in facts:
        if fact.region_code and fact.region:
            for code, name in regions.lineage(fact.region_code, fact.region):
                values.add(FacetValue(REGION, name, code))
        if fact.level:
            values.add(FacetValue(LEVEL, fact.level))
    return values


def item_dates(facts: list[FactRow], plan: list[FactRow]) -> set[str]:
    """Return an item's dates: its own news date, else its policies' dates, else its plan's."""
    for kinds, source in ((("date",), facts), (("policy",), facts), (("policy",), plan)):
        dates = {fact.date for fact in source if fact.kind in kinds and fact.date}
        if dates:
            return dates
    return set()


def item_facets(
    item: ItemRow, facts: list[FactRow], plan: list[FactRow], regions: RegionTable
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

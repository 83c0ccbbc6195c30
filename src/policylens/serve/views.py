"""Pure helpers that shape API results for the pages: marked text, facet trees, chart data."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from policylens.gazetteer import NATION, Gazetteer
from policylens.report.compare import Figure
from policylens.report.tables import format_amount
from policylens.search.model import FacetCount
from policylens.serve.schemas import MapValue
from policylens.store import ItemRecord
from policylens.store.facts import FactRecord

Spans = Sequence[tuple[int, int, int]]  # (start, end, fact id)


@dataclass(frozen=True, slots=True)
class Piece:
    """A run of text and the facts whose quote covers all of it."""

    text: str
    facts: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Block:
    """An item's stretch of the clean text (``item`` None: text between items)."""

    item: ItemRecord | None
    pieces: list[Piece]


def pieces(text: str, start: int, end: int, spans: Spans) -> list[Piece]:
    """Return ``text[start:end]`` cut wherever a fact's span starts or ends."""
    inside = [(s, e, i) for s, e, i in spans if s < end and e > start and e > s]
    cuts = sorted({start, end, *(min(max(p, start), end) for s, e, _ in inside for p in (s, e))})
    out = []
    for a, b in pairwise(cuts):
        ids = tuple(i for s, e, i in inside if s <= a and b <= e)
        out.append(Piece(text[a:b], ids))
    return out


def clean_blocks(
    text: str, items: Sequence[ItemRecord], facts: Iterable[FactRecord]
) -> list[Block]:
    """Return the clean text as item blocks and the gaps between them, facts marked."""
    spans = [(f.span[0], f.span[1], f.id) for f in facts]
    blocks: list[Block] = []
    position = 0
    for item in sorted(items, key=lambda i: i.span[0]):
        start, end = max(item.span[0], position), item.span[1]
        if start > position:
            blocks.append(Block(None, pieces(text, position, start, spans)))
        if end > start:
            blocks.append(Block(item, pieces(text, start, end, spans)))
        position = max(position, end)
    if position < len(text):
        blocks.append(Block(None, pieces(text, position, len(text), spans)))
    return blocks


def raw_pieces(raw_text: str, facts: Iterable[FactRecord]) -> list[Piece]:
    """Return the raw text cut at each fact's raw span."""
    spans = [(f.raw_span[0], f.raw_span[1], f.id) for f in facts]
    return pieces(raw_text, 0, len(raw_text), spans)


def fact_value(fact: FactRecord, t: Callable[[str], str] | None = None) -> str:
    """Return the few words saying what a fact found: 2500亿元 (不低于) → 2025, ≤ 200万元.

    ``t`` translates a target's qualifier (its key is ``q_`` + the qualifier).
    """
    values = fact.values
    if fact.kind == "target":
        low, high, unit = values["value_low"], values["value_high"], values["unit"]
        shown = format_amount(low, unit)
        if high != low:
            shown += "–" + format_amount(high, unit)
        qualifier = t(f"q_{values['qualifier']}") if t else values["qualifier"]
        year = values.get("target_year")
        return f"{shown} ({qualifier})" + (f" → {year}" if year else "")
    if fact.kind == "funding":
        return "≤ " + format_amount(values["amount_cny_max"], "CNY")
    if fact.kind == "deal":
        return values.get("amount_text") or values.get("round") or ""
    if fact.kind == "policy":
        return " · ".join(filter(None, [values.get("kind"), values.get("doc_number"), fact.date]))
    return fact.date or ""


@dataclass(slots=True)
class RegionNode:
    """A region facet value with the values under it (a province's cities, a city's districts)."""

    value: str
    count: int
    code: str | None
    children: list[RegionNode] = field(default_factory=list)
    label: str = ""  # the name shown under its parent: 成都市 under 四川省


def _parent_codes(code: str) -> list[str]:
    """Return the codes a division code may sit under, nearest first."""
    return [c for c in (code[:4] + "00", code[:2] + "0000") if c != code]


def region_tree(counts: Sequence[FacetCount]) -> list[RegionNode]:
    """Return region facet counts as a tree by division code (nation and unknown at the top)."""
    nodes = {c.code: RegionNode(c.value, c.count, c.code, label=c.value) for c in counts if c.code}
    roots = [RegionNode(c.value, c.count, None, label=c.value) for c in counts if not c.code]
    for code, node in nodes.items():
        parent = next((nodes[p] for p in _parent_codes(code) if p in nodes), None)
        if parent is None or code == NATION.code:
            roots.append(node)
        else:
            parent.children.append(node)
            node.label = node.value.removeprefix(parent.value) or node.value
    return sorted(roots, key=lambda n: -n.count)


def web_url(url: str) -> str | None:
    """Return the URL if it is an http(s) link (fit for an href), else None."""
    return url if url.lower().startswith(("http://", "https://")) else None


def highlighted(snippet: str, highlights: Sequence[Sequence[int]]) -> list[Piece]:
    """Return a snippet cut into pieces, the highlighted ones marked (fact id 1)."""
    spans = [(int(start), int(end), 1) for start, end in highlights]
    return pieces(snippet, 0, len(snippet), spans)


def province_of(region: str, gazetteer: Gazetteer) -> str | None:
    """Return the map name of the province a region lies in (四川省成都市 → 四川)."""
    place = gazetteer.resolve_text(region)
    if place is None or place.code == NATION.code:
        return None
    chain = gazetteer.chain(place.code)
    if not chain:
        return None
    return chain[0].short or chain[0].name


def map_values(figures: Sequence[Figure], gazetteer: Gazetteer) -> list[MapValue]:
    """Return each province's value: its own figure, else its largest city's or district's.

    A province's own (provincial) figure wins over those of the places in it, so a map
    never adds a city's target to its province's.
    """
    by_province: dict[str, list[Figure]] = defaultdict(list)
    for figure in figures:
        province = province_of(figure.region, gazetteer)
        if province is not None:
            by_province[province].append(figure)
    out = []
    for name, group in by_province.items():
        own = [f for f in group if f.level == "provincial"] or group
        best = max(own, key=lambda f: f.middle)
        regions = sorted({f.region for f in own})
        out.append(MapValue(name=name, value=best.middle, regions=regions))
    return sorted(out, key=lambda v: -v.value)

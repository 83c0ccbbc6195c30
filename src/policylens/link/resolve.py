"""Policy resolution: mentions of one policy under variant titles become one Policy.

Two mentions are one policy when nothing rules it out (region, kind family, period,
draft or final, document number, a year in the title, and, for titles that carry no year
or period, issue dates more than a year apart) and their title stems are alike (rapidfuzz
ratio over the title without places, period, kind and function words). Clusters grow from
the best pair down, and never over a pair that is ruled out or that a user split: so a
mention without a period cannot bridge the 2022-2025 and the 2023-2025 plans of a city.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.process import cdist, cpdist

from policylens.extract.policies import title_core

Identity = tuple[str, str]  # (document sha256, normalized title): survives reextract
Scored = tuple[float, int, int]  # (score, a, b), a < b: a candidate edge
YEAR = re.compile(r"(20\d{2})\s*年?")
FUNCTION_WORDS = re.compile(r"^(?:关于印发|关于)|的$")
NOT_WORD = re.compile(r"[\W_]+")
MAX_DATE_GAP_DAYS = 366
MAX_SCORED_CELLS = 1 << 24  # title pairs scored at once: a 16 MB score matrix
# A block of more nodes than this compares each node with its NEIGHBOURS nearest on each
# side in two sort orders, not with every other node: see ``_Neighbours``.
MAX_EXACT_BLOCK = 2_000
NEIGHBOURS = 16
K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True, slots=True)
class MentionFact:
    """A stored policy mention, as linking reads it."""

    fact_id: int
    document_id: int
    sha256: str
    title: str
    normalized_title: str
    kind: str | None
    draft: bool
    region_code: str | None
    region: str | None
    level: str | None
    date: str | None
    period: tuple[int, int] | None
    doc_number: str | None
    issuers: tuple[str, ...]

    @property
    def identity(self) -> Identity:
        """Return the stable identity: document sha256 and normalized title."""
        return (self.sha256, self.normalized_title)


@dataclass(frozen=True, slots=True)
class Node:
    """The mentions of one title in one document (one identity), compared as one."""

    identity: Identity
    facts: tuple[MentionFact, ...]
    stem: str  # the title without places …: compared when both regions are known
    placed_stem: str  # the same with its places: compared when a region is unknown
    family: str | None
    title_years: frozenset[int]  # every year written in the title, its period's included
    dates: tuple[str, ...]  # of the node's mentions, sorted: compared for every undated pair
    # The fields every comparison asks for, looked up once (see ``value``).
    known: dict[str, object] = field(default_factory=dict, compare=False, repr=False)

    @property
    def first(self) -> MentionFact:
        """Return the node's first mention."""
        return self.facts[0]

    def value(self, name: str) -> object:
        """Return the first non-empty value of a mention field among the node's mentions."""
        if name in self.known:
            return self.known[name]
        return next((getattr(f, name) for f in self.facts if getattr(f, name)), None)


@dataclass(frozen=True, slots=True)
class Edge:
    """Why two nodes are one policy: a score in 0..1 and the reason, by machine or user."""

    a: int
    b: int
    score: float
    reason: str
    decided_by: str = "machine"


@dataclass(slots=True)
class Cluster:
    """Node indexes of one policy, each with the edge that links it (None for a lone node)."""

    nodes: list[int]
    links: dict[int, Edge | None] = field(default_factory=dict)


def family_of(kind: str | None, families: dict[str, str]) -> str | None:
    """Return the kind family of a policy kind (the kind itself when in no family)."""
    if kind is None:
        return None
    return families.get(kind, kind)


def title_stem(normalized_title: str, kind: str | None, strip_places: Callable[[str], str]) -> str:
    """Return what names a policy in its title: no places, years, period, kind or 关于…的.

    成都市元宇宙产业发展行动方案(2022-2025年) → 元宇宙产业发展.
    """
    core = title_core(normalized_title)
    if kind and core.endswith(kind):
        core = core[: -len(kind)]
    core = YEAR.sub("", strip_places(core))
    core = FUNCTION_WORDS.sub("", core)
    return NOT_WORD.sub("", core)


def _keep(text: str) -> str:
    return text


def build_nodes(
    mentions: Iterable[MentionFact],
    families: dict[str, str],
    strip_places: Callable[[str], str],
) -> list[Node]:
    """Return one node per identity, in order of first fact id."""
    grouped: dict[Identity, list[MentionFact]] = {}
    for mention in sorted(mentions, key=lambda m: m.fact_id):
        grouped.setdefault(mention.identity, []).append(mention)
    # Many documents cite the same title: its stems are worked out once per run.
    stems: dict[tuple[str, str | None], tuple[str, str]] = {}
    nodes = []
    for identity, facts in grouped.items():
        kind = next((f.kind for f in facts if f.kind), None)
        key = (identity[1], kind)
        if key not in stems:
            stems[key] = (
                title_stem(identity[1], kind, strip_places),
                title_stem(identity[1], kind, _keep),
            )
        nodes.append(
            Node(
                identity=identity,
                facts=tuple(facts),
                stem=stems[key][0],
                placed_stem=stems[key][1],
                family=family_of(kind, families),
                title_years=frozenset(int(y) for y in YEAR.findall(identity[1])),
                dates=tuple(sorted({f.date for f in facts if f.date})),
                known=_first_values(facts),
            )
        )
    return nodes


COMPARED_FIELDS = ("region_code", "region", "period", "doc_number")


def _first_values(facts: Sequence[MentionFact]) -> dict[str, object]:
    return {
        name: next((getattr(f, name) for f in facts if getattr(f, name)), None)
        for name in COMPARED_FIELDS
    }


def _days_apart(a: str, b: str) -> int:
    def parse(value: str) -> date:
        return date.fromisoformat(value if len(value) == 10 else f"{value[:7]}-01")

    return abs((parse(a) - parse(b)).days)


def conflict(a: Node, b: Node) -> str | None:
    """Return why two nodes cannot be one policy, or None when nothing rules it out."""
    region_a, region_b = a.value("region_code"), b.value("region_code")
    if region_a and region_b and region_a != region_b:
        return f"regions differ ({a.value('region')} / {b.value('region')})"
    if a.family and b.family and a.family != b.family:
        return f"kinds differ ({a.first.kind} / {b.first.kind})"
    if a.first.draft != b.first.draft:
        return "a draft and a final version"
    period_a, period_b = a.value("period"), b.value("period")
    if period_a and period_b and period_a != period_b:
        return f"periods differ ({_period(period_a)} / {_period(period_b)})"
    number_a, number_b = a.value("doc_number"), b.value("doc_number")
    if number_a and number_b and _squash(number_a) != _squash(number_b):
        return f"document numbers differ ({number_a} / {number_b})"
    # 2023年…工作方案 (one year) is not …行动方案(2022-2025年) (a period) of the same body.
    if a.title_years and b.title_years and a.title_years != b.title_years:
        years_a, years_b = sorted(a.title_years), sorted(b.title_years)
        return f"years in the titles differ ({years_a} / {years_b})"
    undated_titles = not (period_a or period_b or a.title_years or b.title_years)
    if undated_titles and a.dates and b.dates:
        gap = min(_days_apart(x, y) for x in a.dates for y in b.dates)
        if gap > MAX_DATE_GAP_DAYS:
            return f"titles without a year, dated {gap} days apart"
    return None


def _squash(text: object) -> str:
    return re.sub(r"\s+", "", str(text))


def _period(value: object) -> str:
    start, end = value  # type: ignore[misc]
    return f"{start}-{end}"


def similarity(a: Node, b: Node) -> float:
    """Return the similarity of two nodes (0..1), assuming no conflict: ``compare``'s score
    without its evidence, for the pairs only tested against the threshold."""
    if a.value("doc_number") and b.value("doc_number"):
        return 1.0
    return round(fuzz.ratio(*_compared_stems(a, b)) / 100, 4)


def _compared_stems(a: Node, b: Node) -> tuple[str, str]:
    # Without both regions, the places written in the titles must agree too.
    if a.value("region") and b.value("region"):
        return a.stem, b.stem
    return a.placed_stem, b.placed_stem


def compare(a: Node, b: Node) -> tuple[float, str]:
    """Return the similarity of two nodes (0..1) and the evidence, assuming no conflict."""
    number_a, number_b = a.value("doc_number"), b.value("doc_number")
    if number_a and number_b:
        return 1.0, f"same document number {number_a}"
    region_a, region_b = a.value("region"), b.value("region")
    stem_a, stem_b = _compared_stems(a, b)
    score = fuzz.ratio(stem_a, stem_b) / 100
    evidence = [f"title {score:.2f} ({stem_a or '-'} ~ {stem_b or '-'})"]
    if region_a and region_b:
        evidence.append(f"same region {region_a}")
    else:
        evidence.append("region unknown on one side")
    period_a, period_b = a.value("period"), b.value("period")
    if period_a and period_b:
        evidence.append(f"same period {_period(period_a)}")
    kinds = sorted({str(a.first.kind), str(b.first.kind)})
    evidence.append("kind " + "/".join(kinds))
    return round(score, 4), "; ".join(evidence)


def _similar(
    left: Sequence[int],
    right: Sequence[int],
    texts: Sequence[str],
    cutoff: float,
    near: _Neighbours | None = None,
    cells: int = MAX_SCORED_CELLS,
) -> set[tuple[int, int]]:
    """Return node pairs (smaller index first) whose texts are at least ``cutoff`` alike:
    of every left node with every right node or, given ``near``, with its neighbours there.

    rapidfuzz's ``cdist`` scores a whole block in C++ (on every core), so only likely pairs
    reach Python. Its scores are a matrix of ``len(left) × len(right)`` bytes, 1.6 GB for
    a block of 40,000 titles: it scores at most ``cells`` of them at a time.
    """
    if not left or not right:
        return set()
    if near is not None:
        return _similar_neighbours(near.pairs(left, right), texts, cutoff)
    choices = [texts[j] for j in right]
    rows_at_once = max(1, cells // len(right))
    pairs: set[tuple[int, int]] = set()
    for start in range(0, len(left), rows_at_once):
        queries = left[start : start + rows_at_once]
        scores = cdist(
            [texts[i] for i in queries],
            choices,
            scorer=fuzz.ratio,
            score_cutoff=cutoff * 100,
            dtype=np.uint8,
            workers=-1,
        )
        rows, columns = np.nonzero(scores)
        pairs.update(
            (queries[r], right[c]) for r, c in zip(rows.tolist(), columns.tolist(), strict=True)
        )
    return {(min(i, j), max(i, j)) for i, j in pairs if i != j}


def _similar_neighbours(
    pairs: set[tuple[int, int]], texts: Sequence[str], cutoff: float
) -> set[tuple[int, int]]:
    """Return the pairs whose texts are at least ``cutoff`` alike, scored in C++."""
    if not pairs:
        return set()
    listed = sorted(pairs)
    scores = cpdist(
        [texts[i] for i, _ in listed],
        [texts[j] for _, j in listed],
        scorer=fuzz.ratio,
        score_cutoff=cutoff * 100,
        dtype=np.uint8,
        workers=-1,
    )
    return {listed[k] for k in np.flatnonzero(scores).tolist()}


@dataclass(frozen=True, slots=True)
class _Neighbours:
    """A large block's nodes in two sort orders, by text and by text read backwards, so
    that titles differing at their end and those differing at their start each sit close.

    Two nodes are neighbours when either order has them at most NEIGHBOURS apart: each
    node is compared with at most 4 × NEIGHBOURS others, not with the whole block, and
    the relation is symmetric and fixed by the block, so comparing from any of its nodes
    (as an incremental run does) finds the pairs comparing them all finds.
    """

    orders: tuple[list[int], ...]
    places: tuple[dict[int, int], ...]  # node -> its position in each order

    @classmethod
    def of(cls, members: Sequence[int], texts: Sequence[str] | None) -> _Neighbours:
        """Sort by text both ways or, without texts (nodes sharing a document number,
        whose titles may differ in any way), keep node order."""
        if texts is None:
            return cls.over([list(members)])
        by_text = sorted(members, key=lambda i: (texts[i], i))
        return cls.over([by_text, sorted(members, key=lambda i: (texts[i][::-1], i))])

    @classmethod
    def over(cls, orders: list[list[int]]) -> _Neighbours:
        return cls(tuple(orders), tuple({node: at for at, node in enumerate(o)} for o in orders))

    def around(self, node: int) -> set[int]:
        """Return the node's neighbours (itself among them)."""
        near: set[int] = set()
        for order, place in zip(self.orders, self.places, strict=True):
            at = place[node]
            near.update(order[max(0, at - NEIGHBOURS) : at + NEIGHBOURS + 1])
        return near

    def pairs(self, left: Sequence[int], right: Sequence[int]) -> set[tuple[int, int]]:
        """Return every pair (smaller index first) of a left node and a right neighbour."""
        wanted = set(right)
        return {(min(i, j), max(i, j)) for i in left for j in self.around(i) & wanted if i != j}


def candidate_pairs(nodes: Sequence[Node], threshold: float) -> list[Scored]:
    """Return (score, a, b) for the node pairs that may be one policy, best first.

    Only nodes of the same kind family and region are compared (a node without a region
    with every node of its family), and of those only titles alike enough or sharing a
    document number: the rest could never link. In a block of more than MAX_EXACT_BLOCK
    nodes only neighbours are compared (``_Neighbours``).
    """
    blocks = _Blocks.of(nodes)
    stems = [n.stem for n in nodes]
    placed = [n.placed_stem for n in nodes]
    pairs: set[tuple[int, int]] = set()
    for (family, region), members in blocks.by_region.items():
        if region is None:  # with the whole family, the regionless among them
            everyone = blocks.by_family[family]
            near = blocks.near(("family", family), everyone, placed)
            pairs |= _similar(members, everyone, placed, threshold, near)
        else:
            near = blocks.near(("region", family, region), members, stems)
            pairs |= _similar(members, members, stems, threshold, near)
    for key, members in blocks.by_number.items():
        near = blocks.near(("number", *key), members, None)
        pairs |= _numbered_pairs(members, members, near)
    scored = []
    for i, j in pairs:
        score = _edge_score(nodes[i], nodes[j], threshold)
        if score is not None:
            scored.append((score, i, j))
    return _best_first(scored)


def _edge_score(a: Node, b: Node, threshold: float) -> float | None:
    """Return the score of the edge between two nodes, or None where there is none (a
    conflict, or titles not alike enough)."""
    if conflict(a, b) is not None:
        return None
    score = similarity(a, b)
    return score if score >= threshold else None


def _best_first(edges: Iterable[Scored]) -> list[Scored]:
    """Return edges by score, best first, then by their nodes."""
    return sorted(edges, key=lambda edge: (-edge[0], edge[1], edge[2]))


def _numbered_pairs(
    left: Sequence[int], members: Sequence[int], near: _Neighbours | None
) -> set[tuple[int, int]]:
    """Return the pairs of a left node and another node sharing its document number: all
    of them or, past MAX_EXACT_BLOCK nodes (a policy cited by thousands of documents),
    its neighbours in node order (``near``)."""
    if near is not None:
        return near.pairs(left, members)
    return {(min(i, j), max(i, j)) for i in left for j in members if i != j}


@dataclass(frozen=True, slots=True)
class _Blocks:
    """The nodes ``candidate_pairs`` compares, grouped as it groups them, and the sort
    orders of the large blocks, made once when first asked for."""

    by_region: dict[tuple[str | None, object], list[int]]  # (family, region code)
    by_family: dict[str | None, list[int]]
    by_number: dict[tuple[str | None, str], list[int]]  # (family, document number)
    neighbours: dict[tuple[object, ...], _Neighbours] = field(default_factory=dict)

    def near(
        self, key: tuple[object, ...], members: Sequence[int], texts: Sequence[str] | None
    ) -> _Neighbours | None:
        """Return the neighbours in a block of more than MAX_EXACT_BLOCK nodes, else None."""
        if len(members) <= MAX_EXACT_BLOCK:
            return None
        if key not in self.neighbours:
            self.neighbours[key] = _Neighbours.of(members, texts)
        return self.neighbours[key]

    @classmethod
    def of(cls, nodes: Sequence[Node]) -> _Blocks:
        by_region: dict[tuple[str | None, object], list[int]] = {}
        by_family: dict[str | None, list[int]] = {}
        by_number: dict[tuple[str | None, str], list[int]] = {}
        for index, node in enumerate(nodes):
            by_region.setdefault((node.family, node.value("region_code")), []).append(index)
            by_family.setdefault(node.family, []).append(index)
            if node.value("doc_number"):
                key = (node.family, _squash(node.value("doc_number")))
                by_number.setdefault(key, []).append(index)
        return cls(by_region, by_family, by_number)


def _linked_to(
    nodes: Sequence[Node],
    blocks: _Blocks,
    sources: Sequence[int],
    threshold: float,
    scored: dict[tuple[int, int], float | None],
) -> set[int]:
    """Return the nodes ``candidate_pairs`` gives an edge to one of the sources (and those),
    noting in ``scored`` each pair compared (its score, or None for no edge).

    The same comparisons as ``candidate_pairs``, from the sources only: a node with a
    region meets its region's and the regionless nodes of its family, a regionless node
    all of its family, and a document number every node of its family sharing it. A pair
    in ``scored`` already (met from its other node earlier) is not scored again.
    """
    stems = [n.stem for n in nodes]
    placed = [n.placed_stem for n in nodes]
    asked: dict[tuple[str | None, object], list[int]] = {}
    for index in sources:
        asked.setdefault((nodes[index].family, nodes[index].value("region_code")), []).append(index)
    pairs: set[tuple[int, int]] = set()
    for (family, region), members in asked.items():
        everyone = blocks.by_family[family]
        family_near = blocks.near(("family", family), everyone, placed)
        if region is None:
            pairs |= _similar(members, everyone, placed, threshold, family_near)
            continue
        block = blocks.by_region[(family, region)]
        near = blocks.near(("region", family, region), block, stems)
        pairs |= _similar(members, block, stems, threshold, near)
        regionless = blocks.by_region.get((family, None), [])
        pairs |= _similar(members, regionless, placed, threshold, family_near)
    numbered: dict[tuple[str | None, str], list[int]] = {}
    for index in sources:
        number = nodes[index].value("doc_number")
        if number:
            numbered.setdefault((nodes[index].family, _squash(number)), []).append(index)
    for key, members in numbered.items():
        block = blocks.by_number[key]
        pairs |= _numbered_pairs(members, block, blocks.near(("number", *key), block, None))
    found: set[int] = set()
    for pair in pairs - scored.keys():
        scored[pair] = _edge_score(nodes[pair[0]], nodes[pair[1]], threshold)
        if scored[pair] is not None:
            found.update(pair)
    return found


@dataclass(frozen=True, slots=True)
class LinkedPart:
    """Nodes linked to some seeds, and the candidate edges among them, best first."""

    nodes: set[int]
    edges: list[Scored]

    def reindexed(self, index: dict[int, int]) -> list[Scored]:
        """Return the edges with each node's index in the part's own list (``index``), in
        the order ``candidate_pairs`` gives them over that list (an increasing renumbering
        keeps the order of equal scores)."""
        return [(score, index[a], index[b]) for score, a, b in self.edges]


def linked_part(
    nodes: Sequence[Node], seeds: Iterable[int], threshold: float, must: Sequence[Edge] = ()
) -> LinkedPart:
    """Return the seeds and every node linked to them by candidate edges or user merges,
    with the candidate edges among them.

    ``resolve`` over these nodes alone links them exactly as ``resolve`` over all nodes
    does: no edge leaves the part, and edge order and conflicts stay within it. Its
    edges are what ``candidate_pairs`` over those nodes would score again.
    """
    merged: dict[int, set[int]] = {}
    for edge in must:
        merged.setdefault(edge.a, set()).add(edge.b)
        merged.setdefault(edge.b, set()).add(edge.a)
    blocks = _Blocks.of(nodes)
    scored: dict[tuple[int, int], float | None] = {}
    component = set(seeds)
    frontier = sorted(component)
    while frontier:
        reached = _linked_to(nodes, blocks, frontier, threshold, scored)
        reached.update(j for i in frontier for j in merged.get(i, ()))
        frontier = sorted(reached - component)
        component.update(frontier)
    edges = _best_first((score, a, b) for (a, b), score in scored.items() if score is not None)
    return LinkedPart(component, edges)


@dataclass(slots=True)
class _Traits:
    """What the nodes of a cluster hold of each field ``conflict`` compares.

    Some node of one cluster conflicts with some node of another exactly when these say
    so: whether a union is ruled out takes a few set operations, where comparing every
    pair of members grew with the square of a cluster (a document naming thousands of
    alike titles took minutes to link).
    """

    regions: set[object]
    families: set[str]
    drafts: set[bool]
    periods: set[object]
    numbers: set[str]
    title_years: set[frozenset[int]]
    undated_dates: set[tuple[str, ...]]  # of each node whose title has no year or period

    @classmethod
    def of(cls, node: Node) -> _Traits:
        region, period, number = (node.value(n) for n in ("region_code", "period", "doc_number"))
        undated = not (period or node.title_years)
        return cls(
            regions={region} if region else set(),
            families={node.family} if node.family else set(),
            drafts={node.first.draft},
            periods={period} if period else set(),
            numbers={_squash(number)} if number else set(),
            title_years={node.title_years} if node.title_years else set(),
            undated_dates={node.dates} if undated and node.dates else set(),
        )

    def absorb(self, other: _Traits) -> None:
        """Add another cluster's traits to these."""
        for name in self.__slots__:
            getattr(self, name).update(getattr(other, name))

    def size(self) -> int:
        return sum(len(getattr(self, name)) for name in self.__slots__)

    def conflicts_with(self, other: _Traits) -> bool:
        """Return whether ``conflict`` rules out some pair of a node here and one there."""
        return (
            _differ(self.regions, other.regions)
            or _differ(self.families, other.families)
            or _differ(self.drafts, other.drafts)
            or _differ(self.periods, other.periods)
            or _differ(self.numbers, other.numbers)
            or _differ(self.title_years, other.title_years)
            or any(
                min(_days_apart(x, y) for x in mine for y in theirs) > MAX_DATE_GAP_DAYS
                for mine in self.undated_dates
                for theirs in other.undated_dates
            )
        )


def _differ(mine: set[Any], theirs: set[Any]) -> bool:
    """Return whether some value of one set differs from some value of the other."""
    return bool(mine) and bool(theirs) and (len(mine) > 1 or mine != theirs)


class _Partition:
    """Union-find over node indexes that refuses a union across a conflict."""

    def __init__(self, nodes: Sequence[Node], cannot: set[frozenset[int]]) -> None:
        self.nodes = nodes
        self.parent = list(range(len(nodes)))
        self.members = {i: [i] for i in range(len(nodes))}
        # Made when a node is first in a union: most nodes never are.
        self.traits: dict[int, _Traits] = {}
        # For each cluster, the nodes a user split from one of its members.
        self.barred: dict[int, set[int]] = {}
        for pair in cannot:
            if len(pair) == 2:
                x, y = pair
                self.barred.setdefault(x, set()).add(y)
                self.barred.setdefault(y, set()).add(x)

    def root(self, x: int) -> int:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def blocked(self, a: int, b: int) -> bool:
        """Return whether clusters ``a`` and ``b`` (roots) may not be joined."""
        barred = self.barred.get(a)
        if barred and not barred.isdisjoint(self.members[b]):
            return True
        return self._traits(a).conflicts_with(self._traits(b))

    def _traits(self, root: int) -> _Traits:
        """Return a cluster's traits; a root without any is a node never joined to another."""
        if root not in self.traits:
            self.traits[root] = _Traits.of(self.nodes[root])
        return self.traits[root]

    def union(self, a: int, b: int, force: bool = False) -> bool:
        ra, rb = self.root(a), self.root(b)
        if ra == rb or (not force and self.blocked(ra, rb)):
            return False
        keep, gone = min(ra, rb), max(ra, rb)
        self.parent[gone] = keep
        self.members[keep] = _joined(self.members.pop(keep), self.members.pop(gone))
        barred = self.barred.pop(keep, set()) | self.barred.pop(gone, set())
        if barred:
            self.barred[keep] = barred
        mine, theirs = self._traits(keep), self._traits(gone)
        del self.traits[gone]
        # The larger absorbs the smaller, so each value is copied O(log n) times in all.
        larger, smaller = (mine, theirs) if mine.size() >= theirs.size() else (theirs, mine)
        larger.absorb(smaller)
        self.traits[keep] = larger
        return True


def _joined(left: list[int], right: list[int]) -> list[int]:
    """Return two member lists as one, the shorter added to the longer."""
    longer, shorter = (left, right) if len(left) >= len(right) else (right, left)
    longer.extend(shorter)
    return longer


def resolve(
    nodes: Sequence[Node],
    threshold: float,
    must: Sequence[Edge] = (),
    cannot: set[frozenset[int]] | None = None,
    edges: Sequence[Scored] | None = None,
) -> list[Cluster]:
    """Return the policies: clusters of node indexes, each node with the edge that links it.

    ``must`` are user merges (applied first, whatever the rules say); ``cannot`` are pairs a
    user split, which no machine edge may join again; ``edges``: ``candidate_pairs`` of
    the nodes, when scored already (``LinkedPart.reindexed``).
    """
    partition = _Partition(nodes, cannot or set())
    accepted: list[Edge] = []
    for edge in must:
        partition.union(edge.a, edge.b, force=True)
        accepted.append(edge)
    for score, a, b in candidate_pairs(nodes, threshold) if edges is None else edges:
        if partition.union(a, b):
            # Only the pairs that join two clusters are given their evidence (of ~280,000
            # candidate pairs among 10,000 alike titles, 10,000 at most).
            accepted.append(Edge(a, b, score, compare(nodes[a], nodes[b])[1]))
    best: dict[int, Edge] = {}
    for edge in accepted:
        for index in (edge.a, edge.b):
            known = best.get(index)
            if known is None or _rank(edge) > _rank(known):
                best[index] = edge
    clusters = []
    for root in sorted(partition.members):
        members = sorted(partition.members[root])
        clusters.append(Cluster(members, {i: best.get(i) for i in members}))
    return clusters


def _rank(edge: Edge) -> tuple[bool, float]:
    return edge.decided_by == "user", edge.score


def representative(nodes: Sequence[Node]) -> Node:
    """Return the node whose title names the policy: numbered, placed, fullest, most cited."""
    return min(
        nodes,
        key=lambda n: (
            n.value("doc_number") is None,
            n.value("region_code") is None,
            -len(title_core(n.identity[1])),
            -len(n.facts),
            n.dates[0] if n.dates else "9999",
            n.identity,
        ),
    )


def issue_date(dates: Iterable[str]) -> str | None:
    """Return the earliest date, a full date before a bare month of the same month."""
    ordered = sorted(set(dates), key=lambda d: (d[:7], len(d) != 10, d))
    return ordered[0] if ordered else None


def carry_ids(groups: Sequence[Sequence[K]], previous: dict[K, int]) -> list[int | None]:
    """Return, per group, the previous id most of its members had (each id once), else None.

    This keeps policy and cluster ids stable when linking runs again.
    """
    order = sorted(range(len(groups)), key=lambda g: -len(groups[g]))
    taken: set[int] = set()
    out: list[int | None] = [None] * len(groups)
    for g in order:
        votes = Counter(previous[m] for m in groups[g] if m in previous)
        for old_id, _ in sorted(votes.items(), key=lambda kv: (-kv[1], kv[0])):
            if old_id not in taken:
                out[g] = old_id
                taken.add(old_id)
                break
    return out

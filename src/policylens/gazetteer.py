"""Places and government bodies: a gazetteer of China's divisions and a table of agencies."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import ahocorasick_rs

from policylens.model import Place

NATION = Place("000000", "全国", "national")
LEVEL_NAMES = {"province": "provincial", "city": "municipal", "district": "district"}


@dataclass(frozen=True, slots=True)
class Division:
    """One row of the gazetteer."""

    code: str
    name: str
    level: str  # province | city | district
    parent: str
    short: str


@dataclass(frozen=True, slots=True)
class PlaceMention:
    """A division named in a text: where, as what, and which candidates it may be."""

    start: int
    end: int
    surface: str
    candidates: tuple[str, ...]  # division codes


@dataclass(frozen=True, slots=True)
class Agency:
    """A government body from the agencies table."""

    name: str
    level: str
    full_name: str


class Gazetteer:
    """Finds and resolves place names; built once from data files."""

    def __init__(
        self, divisions: list[Division], abbreviations: dict[str, str], stoplist: frozenset[str]
    ) -> None:
        self.divisions = {d.code: d for d in divisions}
        self.abbreviations = abbreviations
        names: dict[str, set[str]] = {}
        for division in divisions:
            names.setdefault(division.name, set()).add(division.code)
            # Short forms for provinces and prefecture cities only: county-level
            # short forms (合作, 东方, 瑞金) are ordinary words too often.
            if division.short and division.short not in stoplist:
                names.setdefault(division.short, set()).add(division.code)
        self.names = {name: tuple(sorted(codes)) for name, codes in names.items()}
        # Aho-Corasick finds all 6,000 names in one pass (a regex alternation tries each);
        # the Rust automaton is ~10x faster than pyahocorasick, whose root node is a list
        # of thousands of first characters searched one by one.
        self.name_list = list(self.names)
        self.automaton = ahocorasick_rs.AhoCorasick(
            self.name_list, matchkind=ahocorasick_rs.MatchKind.LeftmostLongest
        )
        # Extraction asks for chains and places thousands of times per corpus: built once.
        self.chains = {code: self._walk_up(code) for code in self.divisions}
        self.chain_codes = {
            code: tuple(d.code for d in chain) for code, chain in self.chains.items()
        }
        self.places = {code: self._place_of_chain(chain) for code, chain in self.chains.items()}
        # Titles, issuers and section paths recur within and across documents; the gazetteer
        # never changes, so a text's place is kept (per gazetteer, bounded).
        self._resolved = functools.lru_cache(maxsize=4096)(self._resolve_text)

    def find(self, text: str) -> list[PlaceMention]:
        """Return the place names in a text: leftmost, longest, not overlapping."""
        return [
            PlaceMention(start, end, text[start:end], candidates)
            for start, end, candidates in self.find_spans(text)
        ]

    def find_spans(self, text: str) -> list[tuple[int, int, tuple[str, ...]]]:
        """Return ``(start, end, candidates)`` of each place name ``find`` returns, without
        building a mention for each (extraction asks this of every item)."""
        if not text or not self.names:
            return []
        names, candidates = self.name_list, self.names
        return [
            (start, end, candidates[names[index]])
            for index, start, end in self.automaton.find_matches_as_indexes(text)
        ]

    def _walk_up(self, code: str) -> tuple[Division, ...]:
        out: list[Division] = []
        current = self.divisions.get(code)
        while current is not None:
            out.append(current)
            current = self.divisions.get(current.parent) if current.parent else None
        return tuple(out[::-1])

    @staticmethod
    def _place_of_chain(chain: tuple[Division, ...]) -> Place:
        return Place(chain[-1].code, "".join(d.name for d in chain), LEVEL_NAMES[chain[-1].level])

    def chain(self, code: str) -> tuple[Division, ...]:
        """Return the division and its ancestors, province first (empty for an unknown code)."""
        return self.chains.get(code, ())

    def place(self, code: str) -> Place:
        """Return the Place of a division code."""
        if code == NATION.code:
            return NATION
        return self.places[code]

    def resolve(self, candidates: tuple[str, ...], context: set[str]) -> str:
        """Return the candidate whose ancestors the context names, else the first."""
        if len(candidates) == 1:
            return candidates[0]
        for code in candidates:
            if any(d.code in context for d in self.chain(code)[:-1]):
                return code
        return candidates[0]

    def resolve_text(self, text: str) -> Place | None:
        """Return the most specific place a short text names ("上海市黄浦区", "四川", "全国")."""
        return self._resolved(text)

    def _resolve_text(self, text: str) -> Place | None:
        if not text:
            return None
        if text in ("全国", "中国", "国家"):
            return NATION
        mentions = self.find(text)
        if not mentions:
            return None
        context: set[str] = set()
        best: str | None = None
        for mention in mentions:
            code = self.resolve(mention.candidates, context)
            context.update(d.code for d in self.chain(code))
            if best is None or len(self.chain(code)) >= len(self.chain(best)):
                best = code
        return self.place(best) if best else None

    def province_of_abbreviation(self, char: str) -> str | None:
        """Return the province code of a one-character form (川 → 510000)."""
        return self.abbreviations.get(char)


def parse_divisions(lines: list[str]) -> list[Division]:
    """Return gazetteer rows from regions.tsv lines."""
    divisions = []
    for line in lines:
        code, name, level, parent, *rest = line.split("\t")
        divisions.append(Division(code, name, level, parent, rest[0] if rest else ""))
    return divisions


def parse_agencies(lines: list[str]) -> dict[str, Agency]:
    """Return the agencies table keyed by name."""
    table = {}
    for line in lines:
        name, level, *rest = line.split("\t")
        table[name] = Agency(name, level, (rest[0] if rest and rest[0] else name))
    return table

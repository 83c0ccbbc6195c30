"""Loads the rule data in ``policylens/data`` once into a ``Resources`` object."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources as importlib_resources
from pathlib import Path
from typing import Any

import ahocorasick_rs
import opencc

from policylens.gazetteer import Agency, Gazetteer, parse_agencies, parse_divisions


@dataclass(frozen=True, slots=True)
class BoilerplateRule:
    """One web/print boilerplate pattern; ``action`` is ``drop`` or ``cut``."""

    action: str
    pattern: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class Resources:
    """Everything the pure stages need from data files, loaded once per process."""

    t2s: Any  # opencc.OpenCC; untyped C++ binding
    t2s_overrides: tuple[tuple[str, str], ...]
    repairs: tuple[tuple[str, str], ...]
    boilerplate: tuple[BoilerplateRule, ...]
    metadata_lines: tuple[tuple[str, re.Pattern[str]], ...]
    digest_sections: frozenset[str]
    back_matter: frozenset[str]
    gazetteer: Gazetteer
    agencies: dict[str, Agency]
    agency_suffixes: tuple[str, ...]
    policy_kinds: tuple[str, ...]  # longest first
    metrics: tuple[tuple[str, str], ...]  # (metric, keyword), in priority order
    sectors: tuple[str, ...]  # longest first
    topics: tuple[tuple[str, str], ...]  # (topic, trigger)
    agency_abbreviations: tuple[tuple[str, str], ...]  # (short ending, full ending), longest first
    national_agencies: tuple[str, ...]  # names of national bodies, from ``agencies``
    topic_triggers: Any  # ahocorasick_rs.AhoCorasick over the triggers of ``topics``

    def canonical_agency(self, name: str) -> str:
        """Return an agency's full name: 工信部 → 工业和信息化部, 上海市科委 → …科学技术委员会."""
        if name in self.agencies:
            return self.agencies[name].full_name
        for short, full in self.agency_abbreviations:
            if name.endswith(short):
                return name[: -len(short)] + full
        return name

    def is_agency(self, name: str) -> bool:
        """Return whether a name is a government body (in the table, or ending like one)."""
        return name in self.agencies or (len(name) >= 3 and name.endswith(self.agency_suffixes))

    def first_topic_triggers(self, text: str) -> list[tuple[int, int]]:
        """Return ``(index in topics, first offset)`` of each topic trigger in a text, in
        the order of ``topics``: one automaton pass instead of a search per trigger."""
        first: dict[int, int] = {}
        for index, start, _ in self.topic_triggers.find_matches_as_indexes(text, overlapping=True):
            if index not in first or start < first[index]:
                first[index] = start
        return sorted(first.items())

    def national_agency_in(self, text: str) -> bool:
        """Return whether a text names a national body (工信部, 国务院 …)."""
        return _names_any(text, self.national_agencies)


# Titles and issuers recur within and across documents: each text is looked through once.
@functools.lru_cache(maxsize=4096)
def _names_any(text: str, names: tuple[str, ...]) -> bool:
    return any(name in text for name in names)


def _data_lines(name: str, data_dir: Path | None) -> list[str]:
    if data_dir is not None and (data_dir / name).exists():
        text = (data_dir / name).read_text(encoding="utf-8")
    else:
        text = importlib_resources.files("policylens.data").joinpath(name).read_text("utf-8")
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


def _pairs(name: str, data_dir: Path | None) -> tuple[tuple[str, str], ...]:
    pairs = []
    for line in _data_lines(name, data_dir):
        left, _, right = line.partition("\t")
        pairs.append((left, right.strip()))
    return tuple(pairs)


def load_resources(data_dir: Path | None = None) -> Resources:
    """Return the resources, taking files from ``data_dir`` where it has them."""
    boilerplate = tuple(
        BoilerplateRule(action, re.compile(pattern))
        for action, pattern in _pairs("boilerplate.tsv", data_dir)
    )
    metadata = tuple(
        (key, re.compile(pattern)) for key, pattern in _pairs("metadata_lines.tsv", data_dir)
    )
    agencies = parse_agencies(_data_lines("agencies.tsv", data_dir))
    topics = _pairs("topics.tsv", data_dir)
    return Resources(
        t2s=opencc.OpenCC("t2s"),
        t2s_overrides=_pairs("t2s_overrides.tsv", data_dir),
        repairs=_pairs("repairs.tsv", data_dir),
        boilerplate=boilerplate,
        metadata_lines=metadata,
        digest_sections=frozenset(
            line.strip() for line in _data_lines("digest_sections.txt", data_dir)
        ),
        back_matter=frozenset(line.strip() for line in _data_lines("back_matter.txt", data_dir)),
        gazetteer=Gazetteer(
            parse_divisions(
                _data_lines("regions.tsv", data_dir) + _data_lines("regions_extra.tsv", data_dir)
            ),
            dict(_pairs("region_abbreviations.tsv", data_dir)),
            frozenset(_words("place_short_stoplist.txt", data_dir)),
        ),
        agencies=agencies,
        agency_suffixes=tuple(_words("agency_suffixes.txt", data_dir)),
        policy_kinds=tuple(sorted(_words("policy_kinds.txt", data_dir), key=len, reverse=True)),
        metrics=_pairs("metrics.tsv", data_dir),
        sectors=tuple(sorted(_words("sectors.txt", data_dir), key=len, reverse=True)),
        topics=topics,
        agency_abbreviations=tuple(
            sorted(_pairs("agency_abbreviations.tsv", data_dir), key=lambda p: -len(p[0]))
        ),
        national_agencies=tuple(n for n, a in agencies.items() if a.level == "national"),
        topic_triggers=ahocorasick_rs.AhoCorasick([trigger for _, trigger in topics]),
    )


def _words(name: str, data_dir: Path | None) -> list[str]:
    return [line.strip() for line in _data_lines(name, data_dir)]

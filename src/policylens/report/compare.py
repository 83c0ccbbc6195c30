"""Compare regions on a target metric: one row per region and figure, with every source.

The same figure stated in several documents (same region, metric, sector, value,
unit and target year) is one row citing all of them. Different figures for the
same region, metric, sector and year are a conflict: each is its own row, marked,
kept next to the others with its own sources, and never resolved silently.

Sectors. A target's sector (``payload["sector"]``) says what the figure is about,
so ``--sector 元宇宙`` keeps a digital-economy (数字经济) figure out of a metaverse
comparison. A core industry (``元宇宙核心产业``) is part of its sector, so
``--sector 元宇宙`` matches both 元宇宙 and 元宇宙核心产业 targets, while
``--sector 元宇宙核心产业`` matches only the core. Core and related-industry figures
are never compared with each other: they are told apart by the metric, and an
``industry_scale`` figure whose sector is a core industry (元宇宙核心产业收入) counts
as ``core_industry_scale``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace

from policylens.report.tables import Cell, format_range, short_name
from policylens.store.facts import FactRecord

CORE_SUFFIX = "核心产业"
SCALE_METRIC = "industry_scale"
CORE_SCALE_METRIC = "core_industry_scale"


@dataclass(frozen=True, slots=True)
class CompareQuery:
    """Which targets to compare: a metric, and optionally a sector, target year and level."""

    metric: str = SCALE_METRIC
    sector: str | None = None
    year: int | None = None
    level: str | None = None  # national | provincial | municipal | district


@dataclass(frozen=True, slots=True)
class FigureSource:
    """One document stating a figure: its policy, the policy's date and the exact words."""

    document_id: int
    document: str
    policy: str | None
    date: str | None
    quotes: tuple[str, ...]
    fact_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Figure:
    """One region's figure for a metric, with every document that states it."""

    region: str
    level: str | None
    metric: str
    sector: str | None
    value_low: float
    value_high: float
    unit: str
    qualifiers: tuple[str, ...]  # exact | at_least | exceeds | about | range, as the sources say
    target_year: int | None
    policies: tuple[str, ...]
    date: str | None  # the earliest date known for its policy
    sources: tuple[FigureSource, ...]
    conflict: bool = False  # the same region, metric, sector and year has other figures too

    @property
    def value(self) -> str:
        """Return the value or range as analysts write it."""
        return format_range(self.value_low, self.value_high, self.unit)

    @property
    def middle(self) -> float:
        """Return the middle of the range (the value itself for a single figure)."""
        return (self.value_low + self.value_high) / 2


def effective_metric(record: FactRecord) -> str | None:
    """Return a target's metric, with a core industry's scale read as core_industry_scale."""
    sector = record.values.get("sector") or ""
    if record.metric == SCALE_METRIC and sector.endswith(CORE_SUFFIX):
        return CORE_SCALE_METRIC
    return record.metric


def sector_matches(sector: str | None, wanted: str) -> bool:
    """Return whether a target's sector is the one wanted, or that sector's core industry."""
    return sector is not None and sector in (wanted, wanted + CORE_SUFFIX)


def selects(record: FactRecord, query: CompareQuery) -> bool:
    """Return whether a stored target belongs in the comparison."""
    values = record.values
    return (
        record.kind == "target"
        and record.region is not None
        and effective_metric(record) == query.metric
        and (query.sector is None or sector_matches(values.get("sector"), query.sector))
        and (query.year is None or values.get("target_year") == query.year)
        and (query.level is None or record.level == query.level)
    )


def policy_dates(policies: Iterable[FactRecord]) -> dict[tuple[int | None, str], str]:
    """Return the earliest date of each policy title, per document and (key None) overall."""
    dates: dict[tuple[int | None, str], str] = {}
    for record in policies:
        title, date = record.values.get("normalized_title"), record.date
        if record.kind != "policy" or not title or not date:
            continue
        for key in ((record.document_id, title), (None, title)):
            if key not in dates or date < dates[key]:
                dates[key] = date
    return dates


def _figure_key(record: FactRecord) -> tuple[object, ...]:
    values = record.values
    return (
        record.region,
        effective_metric(record),
        values.get("sector"),
        values["value_low"],
        values["value_high"],
        values["unit"],
        values.get("target_year"),
    )


def _sources(
    records: list[FactRecord], dates: dict[tuple[int | None, str], str]
) -> tuple[FigureSource, ...]:
    by_document: dict[int, list[FactRecord]] = defaultdict(list)
    for record in records:
        by_document[record.document_id].append(record)
    sources = []
    for document_id, group in by_document.items():
        policy = next((r.values.get("policy") for r in group if r.values.get("policy")), None)
        date = None
        if policy:
            # The date this document gives the policy, else the earliest any document gives.
            date = dates.get((document_id, policy)) or dates.get((None, policy))
        sources.append(
            FigureSource(
                document_id=document_id,
                document=group[0].document,
                policy=policy,
                date=date,
                quotes=tuple(dict.fromkeys(r.quote for r in group)),
                fact_ids=tuple(r.id for r in group),
            )
        )
    return tuple(sources)


def _figure(records: list[FactRecord], dates: dict[tuple[int | None, str], str]) -> Figure:
    first, values = records[0], records[0].values
    sources = _sources(records, dates)
    known_dates = [s.date for s in sources if s.date]
    return Figure(
        region=first.region or "",
        level=first.level,
        metric=effective_metric(first) or "",
        sector=values.get("sector"),
        value_low=values["value_low"],
        value_high=values["value_high"],
        unit=values["unit"],
        qualifiers=tuple(dict.fromkeys(r.values["qualifier"] for r in records)),
        target_year=values.get("target_year"),
        policies=tuple(dict.fromkeys(s.policy for s in sources if s.policy)),
        date=min(known_dates) if known_dates else None,
        sources=sources,
    )


def _position(figure: Figure) -> tuple[object, ...]:
    """Return what two figures must share to be in conflict when their values differ."""
    return (figure.region, figure.metric, figure.sector, figure.target_year)


def _ordered(figures: list[Figure]) -> list[Figure]:
    """Return figures marked for conflicts, largest first, each conflict's figures together."""
    groups: dict[tuple[object, ...], list[Figure]] = defaultdict(list)
    for figure in figures:
        groups[_position(figure)].append(figure)
    ordered = sorted(groups.values(), key=lambda g: (-max(f.middle for f in g), g[0].region))
    out: list[Figure] = []
    for group in ordered:
        group.sort(key=lambda f: -f.middle)
        out.extend(replace(f, conflict=True) if len(group) > 1 else f for f in group)
    return out


def compare_figures(
    targets: Iterable[FactRecord], policies: Iterable[FactRecord], query: CompareQuery
) -> list[Figure]:
    """Return the figures regions state for a metric, largest first, conflicts side by side."""
    dates = policy_dates(policies)
    grouped: dict[tuple[object, ...], list[FactRecord]] = defaultdict(list)
    for record in targets:
        if selects(record, query):
            grouped[_figure_key(record)].append(record)
    return _ordered([_figure(records, dates) for records in grouped.values()])


COMPARE_COLUMNS = (
    "region",
    "level",
    "value",
    "qualifier",
    "target_year",
    "sector",
    "policy",
    "date",
    "conflict",
    "quote",
    "sources",
    "value_low",
    "value_high",
    "unit",
)
# The terminal shows the words; CSV and XLSX add the level and the numbers for spreadsheets.
TABLE_COLUMNS = tuple(c for c in COMPARE_COLUMNS[:11] if c != "level")


def figure_cells(figure: Figure) -> dict[str, Cell]:
    """Return a figure's cells by column name (COMPARE_COLUMNS)."""
    return {
        "region": figure.region,
        "level": figure.level,
        "value": figure.value,
        "qualifier": ", ".join(figure.qualifiers),
        "target_year": figure.target_year,
        "sector": figure.sector,
        "policy": " / ".join(figure.policies),
        "date": figure.date,
        "conflict": "conflict" if figure.conflict else "",
        "quote": " / ".join(dict.fromkeys(q for s in figure.sources for q in s.quotes)),
        "sources": "; ".join(short_name(s.document) for s in figure.sources),
        "value_low": figure.value_low,
        "value_high": figure.value_high,
        "unit": figure.unit,
    }


def figure_row(figure: Figure, columns: tuple[str, ...] = COMPARE_COLUMNS) -> list[Cell]:
    """Return a figure's cells in the order of ``columns``."""
    cells = figure_cells(figure)
    return [cells[column] for column in columns]


LEVEL_NAMES = {
    "national": "国家级",
    "provincial": "省级",
    "municipal": "市级",
    "district": "区县级",
}


def metric_label(metric: str, vocabulary: Iterable[tuple[str, str]]) -> str:
    """Return a metric's Chinese name: the first keyword data/metrics.tsv gives it."""
    return next((keyword for name, keyword in vocabulary if name == metric), metric)


def comparison_title(query: CompareQuery, label: str) -> str:
    """Return a chart's title: 元宇宙产业规模目标（2025年，省级）."""
    qualifiers = [f"{query.year}年" if query.year else "", LEVEL_NAMES.get(query.level or "", "")]
    shown = "，".join(q for q in qualifiers if q)
    return f"{query.sector or '各行业'}{label}目标" + (f"（{shown}）" if shown else "")

"""The benchmark's goals, each set against the figure a run measured.

A goal on a figure the run did not measure (search at 1 M items without ``--large``, or on
PostgreSQL without ``--pg``) is left out. The text-only pipeline ratio is held to the
pipeline's goal too: the corpus's PDFs count by their bytes, which cost the pipeline little.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Goal:
    """A bound on one figure of the report (``key``: its path in the JSON)."""

    name: str
    key: tuple[str, ...]
    bound: float
    at_least: bool  # the figure must be >= bound; else < bound

    def text(self) -> str:
        return f"{'≥' if self.at_least else '<'} {self.bound:g}"

    def met_by(self, value: float) -> bool:
        return value >= self.bound if self.at_least else value < self.bound


GOALS = (
    Goal("pipeline ÷ floor", ("pipeline_ratio",), 0.10, True),
    Goal("pipeline ÷ floor, text documents alone", ("text_pipeline_ratio",), 0.10, True),
    Goal("pipeline ÷ jieba", ("jieba_ratio",), 2.0, True),
    Goal("with SQLite storage ÷ floor", ("store_ratio",), 0.05, True),
    Goal("search p95 ms, SQLite, 100 k items", ("search", "sqlite", "100000", "p95_ms"), 50, False),
    Goal(
        "search p95 ms, PostgreSQL, 100 k items",
        ("search", "postgresql", "100000", "p95_ms"),
        50,
        False,
    ),
    Goal("search p95 ms, SQLite, 1 M items", ("search", "sqlite", "1000000", "p95_ms"), 150, False),
    Goal(
        "search p95 ms, PostgreSQL, 1 M items",
        ("search", "postgresql", "1000000", "p95_ms"),
        150,
        False,
    ),
    Goal("peak RSS MB (the run, its children included)", ("peak_rss_mb",), 1500, False),
    Goal("--workers 2 over one worker", ("workers_speedup",), 1.7, True),
)


@dataclass(frozen=True, slots=True)
class GoalCheck:
    """One goal and the figure the run measured for it."""

    name: str
    value: float
    goal: str
    met: bool

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value, "goal": self.goal, "met": self.met}


def _figure(report: dict[str, Any], key: tuple[str, ...]) -> float | None:
    value: Any = report
    for part in key:
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return float(value) if isinstance(value, int | float) else None


def goal_checks(report: dict[str, Any]) -> list[GoalCheck]:
    """Return each goal whose figure the report holds, with that figure and whether it is met."""
    checks = []
    for goal in GOALS:
        value = _figure(report, goal.key)
        if value is not None:
            checks.append(GoalCheck(goal.name, value, goal.text(), goal.met_by(value)))
    return checks

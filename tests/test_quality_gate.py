"""Extraction quality gate: F1 per fact type on both gold folders stays above its pinned floor."""

from __future__ import annotations

import hashlib
import json

import pytest

from conftest import GOLD
from policylens.config import load_settings
from policylens.evaluate import Tally, evaluate

BASELINE = json.loads((GOLD / "baseline.json").read_text("utf-8"))


def folder_hash(folder):
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.parent.name in ("docs", "gold") and path.suffix != ".md":
            digest.update(path.relative_to(folder).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.mark.parametrize("name", ["seeds", "unseen"])
def test_quality_gate_f1_floors(name, res):
    folder = GOLD / name
    assert folder_hash(folder) == BASELINE[name]["sha256"], (
        f"tests/gold/{name} changed: re-measure with `policylens eval tests/gold/{name}` "
        "and update tests/gold/baseline.json in the same commit"
    )
    report = evaluate(folder, load_settings(env={}), res).to_json()
    assert report["errors"] == {}
    for fact_type, floor in BASELINE[name]["f1_floor"].items():
        assert report["overall"][fact_type]["f1"] >= floor, (
            fact_type,
            report["overall"][fact_type],
        )


def test_quality_gate_seed_goal_is_met():
    # The goal of the extraction work: F1 ≥ 0.95 for every fact type on the seeds.
    assert all(floor >= 0.95 for floor in BASELINE["seeds"]["f1_floor"].values())


@pytest.mark.parametrize(
    ("gold", "found", "matched", "precision", "recall"),
    [(0, 0, 0, 1.0, 1.0), (0, 2, 0, 0.0, 1.0), (4, 2, 2, 1.0, 0.5), (2, 4, 2, 0.5, 1.0)],
)
def test_quality_gate_scores_follow_the_gold_format(gold, found, matched, precision, recall):
    scores = Tally(gold=gold, found=found, matched=matched).scores()
    assert (scores["precision"], scores["recall"]) == (precision, recall)

"""Scores extraction against a gold folder (DIR/docs/NAME.ext + DIR/gold/NAME.json).

Matching follows the gold format: policies on normalized title, targets on
(metric, value_low, value_high, target_year), funding on amount, deals on
(company, round), dated items on the sentence their quote starts. Gold facts marked
optional are neither misses when absent nor false positives when found.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from policylens.config import Settings, load_settings
from policylens.errors import PolicyLensError
from policylens.extract import extract_document
from policylens.extract.policies import normalize_title, title_core
from policylens.ingest import Source, load
from policylens.model import Deal, Document, Funding, ItemDate, PolicyMention, Target
from policylens.pipeline import process
from policylens.resources import Resources, load_resources

FACT_TYPES = ("policies", "targets", "funding", "deals", "dated_items")
FIELDS = {
    "policies": ("date", "region", "issuers", "doc_number"),
    "targets": ("region", "qualifier", "sector"),
    "funding": ("region",),
    "deals": ("amount_text",),
    "dated_items": (),
}


@dataclass
class Tally:
    """Matches, misses and false positives of one fact type, with field agreement."""

    gold: int = 0
    found: int = 0
    matched: int = 0
    fields: dict[str, list[int]] = field(default_factory=dict)  # name: [right, compared]

    def add(self, other: Tally) -> None:
        """Add another tally into this one."""
        self.gold += other.gold
        self.found += other.found
        self.matched += other.matched
        for name, (right, total) in other.fields.items():
            mine = self.fields.setdefault(name, [0, 0])
            mine[0] += right
            mine[1] += total

    def scores(self) -> dict[str, float | int]:
        """Return precision, recall, F1 and counts (no gold and nothing found scores 1.0)."""
        # No gold and nothing found is perfect; no gold but something found has precision 0.
        precision = self.matched / self.found if self.found else (0.0 if self.gold else 1.0)
        recall = self.matched / self.gold if self.gold else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "gold": self.gold,
            "found": self.found,
            "matched": self.matched,
        }


@dataclass(frozen=True, slots=True)
class Record:
    """A fact reduced to its match key and its scored fields."""

    key: Hashable
    fields: dict[str, Any]
    optional: bool = False


def _number(value: Any) -> float | None:
    return None if value is None else round(float(value), 2)


def _norm(text: str | None, res: Resources) -> str:
    return normalize_title(text or "", res.t2s)


def _region_code(text: str | None, res: Resources) -> str | None:
    place = res.gazetteer.resolve_text(text or "")
    return place.code if place else None


def _sector(text: str | None, res: Resources) -> str | None:
    """Return a sector folded for comparison: simplified, without 相关 or a trailing 产业/业."""
    if not text:
        return None
    return re.sub(r"(?:产业|业)$", "", _norm(text, res).replace("相关", "")) or None


def _company(text: str, res: Resources) -> str:
    name = _norm(text, res)
    return re.sub(r"^.{0,8}旗下|[\"“”'‘’「」]", "", name)


# --- predictions → records -------------------------------------------------------------


def predicted(
    document: Document, facts: tuple[Any, ...], res: Resources
) -> dict[str, list[Record]]:
    """Return the document's facts as records, one per match key (first mention kept)."""
    out: dict[str, list[Record]] = {name: [] for name in FACT_TYPES}
    for fact in facts:
        if isinstance(fact, PolicyMention):
            out["policies"].append(
                Record(
                    fact.normalized_title,
                    {
                        "date": fact.date.value if fact.date else None,
                        "region": fact.place.code if fact.place else None,
                        "issuers": [_norm(res.canonical_agency(i), res) for i in fact.issuers],
                        "doc_number": _norm(fact.doc_number, res) or None,
                    },
                )
            )
        elif isinstance(fact, Target):
            key = (fact.metric, _number(fact.value_low), _number(fact.value_high), fact.target_year)
            out["targets"].append(
                Record(
                    key,
                    {
                        "region": fact.place.code if fact.place else None,
                        "qualifier": fact.qualifier,
                        "sector": _sector(fact.sector, res),
                    },
                )
            )
        elif isinstance(fact, Funding):
            out["funding"].append(
                Record(
                    _number(fact.amount_cny_max),
                    {"region": fact.place.code if fact.place else None},
                )
            )
        elif isinstance(fact, Deal):
            out["deals"].append(
                Record(
                    (_company(fact.company, res), fact.round),
                    {"amount_text": _norm(fact.amount_text, res) or None},
                )
            )
        elif isinstance(fact, ItemDate):
            out["dated_items"].append(Record(fact.prov.raw_span.start, {"date": fact.date.value}))
    return {name: _first_per_key(records) for name, records in out.items()}


def _first_per_key(records: list[Record]) -> list[Record]:
    seen: dict[Hashable, Record] = {}
    for record in records:
        if record.key not in seen:
            seen[record.key] = record
        else:  # fill fields the first mention lacked
            first = seen[record.key]
            for name, value in record.fields.items():
                # "exact" is what a figure gets when no qualifier word is written, so
                # a later mention that writes one (以上, 超过) says more.
                weak = name == "qualifier" and first.fields.get(name) == "exact"
                if (not first.fields.get(name) or weak) and value:
                    first.fields[name] = value
    return list(seen.values())


# --- gold → records --------------------------------------------------------------------


def gold_records(gold: dict[str, Any], raw_text: str, res: Resources) -> dict[str, list[Record]]:
    """Return a gold file's facts as records."""
    out: dict[str, list[Record]] = {name: [] for name in FACT_TYPES}
    for p in gold.get("policies", []):
        out["policies"].append(
            Record(
                _norm(p["title"], res),
                {
                    "date": p.get("date"),
                    "region": _region_code(p.get("region"), res),
                    "issuers": [
                        _norm(res.canonical_agency(i), res) for i in p.get("issuers") or []
                    ],
                    "doc_number": _norm(p.get("doc_number"), res) or None,
                },
                bool(p.get("optional")),
            )
        )
    for t in gold.get("targets", []):
        key = (t["metric"], _number(t["value_low"]), _number(t["value_high"]), t.get("target_year"))
        out["targets"].append(
            Record(
                key,
                {
                    "region": _region_code(t.get("region"), res),
                    "qualifier": t.get("qualifier"),
                    "sector": _sector(t.get("sector"), res),
                },
                bool(t.get("optional")),
            )
        )
    for f in gold.get("funding", []):
        out["funding"].append(
            Record(
                _number(f["amount_cny_max"]),
                {"region": _region_code(f.get("region"), res)},
                bool(f.get("optional")),
            )
        )
    for d in gold.get("deals", []):
        key = (_company(d["company"], res), re.sub(r"\s+", "", d["round"]))
        out["deals"].append(
            Record(
                key,
                {"amount_text": _norm(d.get("amount_text"), res) or None},
                bool(d.get("optional")),
            )
        )
    for item in gold.get("dated_items", []):
        at = raw_text.find(item["quote"])
        if at != -1:
            out["dated_items"].append(
                Record(
                    (at, at + len(item["quote"])),
                    {"date": item["date"]},
                    bool(item.get("optional")),
                )
            )
    return out


# --- scoring ---------------------------------------------------------------------------


def _field_right(name: str, gold_value: Any, found_value: Any) -> bool:
    if name == "issuers":
        if not gold_value:
            return not found_value
        lead = gold_value[0]
        return any(lead == f or lead in f or f in lead for f in found_value or [])
    if name == "date" and gold_value and found_value:
        return str(found_value).startswith(str(gold_value))
    return gold_value == found_value


def _match(
    gold: list[Record],
    found: list[Record],
    same: Callable[[Record, Record], bool],
    fields: tuple[str, ...],
) -> Tally:
    tally = Tally(fields={name: [0, 0] for name in fields})
    unmatched = list(found)
    for record in gold:
        hit = next((f for f in unmatched if same(record, f)), None)
        if hit is None:
            if not record.optional:
                tally.gold += 1
            continue
        unmatched.remove(hit)
        if record.optional:
            continue  # found or not, an optional fact does not count
        tally.gold += 1
        tally.found += 1
        tally.matched += 1
        for name in fields:
            if record.fields.get(name) is None and name != "issuers":
                continue  # the gold does not say
            tally.fields[name][1] += 1
            tally.fields[name][0] += _field_right(
                name, record.fields.get(name), hit.fields.get(name)
            )
    tally.found += len(unmatched)
    return tally


def _same_key(gold: Record, found: Record) -> bool:
    return gold.key == found.key


def _same_title(gold: Record, found: Record) -> bool:
    """Return whether two normalized titles name one policy (trailing notes aside)."""
    return gold.key == found.key or title_core(str(gold.key)) == title_core(str(found.key))


def _same_dated_item(gold: Record, found: Record) -> bool:
    start, end = gold.key  # type: ignore[misc]
    return start <= found.key < end + 4 and found.fields["date"] == gold.fields["date"]  # type: ignore[operator]


def score_document(
    gold: dict[str, Any], document: Document, facts: tuple[Any, ...], res: Resources
) -> dict[str, Tally]:
    """Return one tally per fact type for a document."""
    expected = gold_records(gold, document.raw.raw_text, res)
    found = predicted(document, facts, res)
    # Only dates of the items the gold dates are compared: a dated item outside the
    # gold's list is not an error of the extractor.
    spans = [r.key for r in expected["dated_items"]]
    found["dated_items"] = [
        r for r in found["dated_items"] if any(s <= r.key < e + 4 for s, e in spans)
    ]  # type: ignore[operator]
    return {
        name: _match(expected[name], found[name], MATCHERS.get(name, _same_key), FIELDS[name])
        for name in FACT_TYPES
    }


MATCHERS = {"policies": _same_title, "dated_items": _same_dated_item}


@dataclass
class Evaluation:
    """Scores per document and overall."""

    documents: dict[str, dict[str, Tally]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def overall(self) -> dict[str, Tally]:
        """Return the tallies summed over documents."""
        total = {name: Tally(fields={f: [0, 0] for f in FIELDS[name]}) for name in FACT_TYPES}
        for tallies in self.documents.values():
            for name, tally in tallies.items():
                total[name].add(tally)
        return total

    def to_json(self) -> dict[str, Any]:
        """Return the report in the gold format's JSON shape."""
        overall = self.overall()
        fields = {
            f"{name}.{f}": round(r / n, 4) if n else None
            for name, tally in overall.items()
            for f, (r, n) in tally.fields.items()
        }
        return {
            "overall": {name: tally.scores() for name, tally in overall.items()},
            "fields": fields,
            "documents": {
                doc: {name: t.scores() for name, t in tallies.items()}
                for doc, tallies in self.documents.items()
            },
            "errors": self.errors,
        }


def evaluate(
    folder: Path, settings: Settings | None = None, res: Resources | None = None
) -> Evaluation:
    """Extract every document of a gold folder and score it against its gold file."""
    settings = settings or load_settings()
    res = res or load_resources()
    docs, golds = folder / "docs", folder / "gold"
    if not docs.is_dir() or not golds.is_dir():
        raise PolicyLensError(f"{folder}: a gold folder holds docs/ and gold/ (see GOLD_FORMAT)")
    evaluation = Evaluation()
    for gold_path in sorted(golds.glob("*.json")):
        name = gold_path.stem
        matches = sorted(p for p in docs.iterdir() if p.stem == name)
        if not matches:
            evaluation.errors[name] = f"no document docs/{name}.* for gold/{gold_path.name}"
            continue
        try:
            gold = json.loads(gold_path.read_text("utf-8"))
            document = process(load(Source(str(matches[0])), settings), res)
        except (PolicyLensError, ValueError) as exc:
            evaluation.errors[name] = str(exc)
            continue
        facts = extract_document(document, res)
        evaluation.documents[name] = score_document(gold, document, facts, res)
    return evaluation

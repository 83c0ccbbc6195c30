"""Knowledge bases of any size from a small processed pool: copies of processed documents
whose places, years and figures change the same way in their text and in their facts.

Running the whole pipeline over a million items takes hours; searching needs realistic items
and facet values, not fresh extraction. So a pool of synthetic documents goes through the
real pipeline once, and each copy of a pool document gets its own places (a province for a
province, a city for a city), a year shift and other figures. Every change keeps the length
of what it replaces, so items' spans, facts' spans and the offset map all stay valid.
Facts follow the text: a fact placed in 四川 is placed in the province that replaced it, and
its dates move with the years. (Figures inside fact values keep the pool's numbers: search
reads no figure.)
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from policylens.model import Place
from policylens.search.regions import RegionTable
from policylens.store.bulk import DocumentRows

# Short names of the places a copy swaps, by kind, with their division codes; every name is
# two characters, so a swap keeps lengths (四川省 → 浙江省, 成都市 → 杭州市).
PROVINCES = {
    "四川": "510000",
    "浙江": "330000",
    "广东": "440000",
    "河南": "410000",
    "山东": "370000",
    "江苏": "320000",
    "湖北": "420000",
    "安徽": "340000",
}
MUNICIPALITIES = {"北京": "110000", "上海": "310000", "重庆": "500000", "天津": "120000"}
CITIES = {
    "成都": "510100",
    "杭州": "330100",
    "苏州": "320500",
    "武汉": "420100",
    "合肥": "340100",
    "青岛": "370200",
    "广州": "440100",
    "郑州": "410100",
}
PLACE_GROUPS = (PROVINCES, MUNICIPALITIES, CITIES)
# One pass finds all three: a place, a year (20xx年) and another figure of 2 or 3 digits.
_CHANGED = re.compile(
    "(" + "|".join(name for group in PLACE_GROUPS for name in group) + ")"
    r"|(?<![\d.])(?:(20[12]\d)(?=\s*年)|(\d{2,3}))(?![\d.])"
)
YEAR_SHIFTS = (-3, -2, -1, 0, 1)


@dataclass(frozen=True, slots=True)
class Variation:
    """What one copy changes: place names, a shift of years, and a salt for figures."""

    copy: int
    places: dict[str, str]  # short name -> the short name replacing it
    places_by_code: dict[str, Place]  # division code -> the place replacing it
    years: int
    salt: int

    def text(self, value: str) -> str:
        """Return a text with this copy's places, years and figures (same length)."""
        return _CHANGED.sub(self._changed, value)

    def _changed(self, match: re.Match[str]) -> str:
        place, year, digits = match.groups()
        if place:
            return self.places[place]
        if year:
            return str(int(year) + self.years)
        low = 10 ** (len(digits) - 1)
        return str(low + (int(digits) * 7919 + self.salt) % (10 * low - low))

    def date(self, value: str | None) -> str | None:
        """Return a date (YYYY, YYYY-MM or YYYY-MM-DD) moved by this copy's years."""
        if not value or not value[:4].isdigit():
            return value
        return f"{int(value[:4]) + self.years}{value[4:]}"

    def place(self, place: Place | None) -> Place | None:
        """Return the place replacing a fact's place (itself when this copy keeps it)."""
        if place is None:
            return None
        return self.places_by_code.get(place.code, place)


def swappable_places(regions: RegionTable) -> dict[str, Place]:
    """Return the place each short name stands for, with its full chain name."""
    places = {}
    for group in PLACE_GROUPS:
        level = "municipal" if group is CITIES else "provincial"
        for name, code in group.items():
            places[name] = Place(code, regions.lineage(code, name)[-1][1], level)
    return places


def make_variation(copy: int, places: dict[str, Place], rng: random.Random) -> Variation:
    """Return a random variation: places shuffled within their kind, years shifted."""
    swaps: dict[str, str] = {}
    for group in PLACE_GROUPS:
        names = list(group)
        swaps.update(zip(names, rng.sample(names, len(names)), strict=True))
    by_code = {places[old].code: places[new] for old, new in swaps.items()}
    return Variation(copy, swaps, by_code, rng.choice(YEAR_SHIFTS), rng.randrange(1 << 20))


def _payload(payload: dict[str, Any], place: Place | None, variation: Variation) -> dict[str, Any]:
    """Return a fact's stored values as the copy states them (place, dates, titles)."""
    out = dict(payload)
    if place is not None and out.get("place"):
        out["place"] = {"code": place.code, "name": place.name, "level": place.level}
    if isinstance(out.get("date"), dict):
        out["date"] = out["date"] | {"value": variation.date(out["date"]["value"])}
    if out.get("target_year"):
        out["target_year"] += variation.years
    if out.get("period"):
        out["period"] = [year + variation.years for year in out["period"]]
    for key in ("title", "normalized_title", "metric_text", "name", "purpose"):
        if isinstance(out.get(key), str):
            out[key] = variation.text(out[key])
    return out


def _fact(values: dict[str, Any], variation: Variation) -> dict[str, Any]:
    """Return a fact row as the copy states it: quote, label, place and dates changed alike."""
    place = variation.places_by_code.get(values["region_code"] or "")
    out = values | {
        "quote": variation.text(values["quote"]),
        "label": variation.text(values["label"]),
        "date": variation.date(values["date"]),
        "payload": _payload(values["payload"], place, variation),
    }
    if place is not None:
        out |= {"region_code": place.code, "region": place.name, "level": place.level}
    return out


def _item(values: dict[str, Any], variation: Variation) -> dict[str, Any]:
    section = values["section"]
    return values | {
        "title": variation.text(values["title"]),
        "text": variation.text(values["text"]),
        "path": [variation.text(p) for p in values["path"]],
        "section": variation.text(section) if section else None,
    }


def copy_rows(template: DocumentRows, variation: Variation) -> DocumentRows:
    """Return the rows of a copy of a document: its items and facts varied, its own row
    with a new source and hash (its raw and clean texts stay the pool's: search reads
    items, and varying whole texts would double the cost of a copy)."""
    name = template.document["source"].rsplit("/", 1)[-1]
    source = f"kb/{variation.copy:07d}/{name}"
    document = template.document | {
        "source": source,
        "sha256": hashlib.sha256(source.encode()).hexdigest(),
    }
    return DocumentRows(
        document,
        [_item(item, variation) for item in template.items],
        template.links,
        [(n, _fact(values, variation)) for n, values in template.facts],
    )


def remixed(
    pool: list[DocumentRows], items: int, regions: RegionTable, seed: int = 7
) -> Iterator[DocumentRows]:
    """Yield copies of pool documents' rows, in a seeded random order, until ``items`` items."""
    rng = random.Random(seed)
    places = swappable_places(regions)
    usable = [rows for rows in pool if rows.items]
    made, copy = 0, 0
    while made < items:
        template = rng.choice(usable)
        copy += 1
        made += len(template.items)
        yield copy_rows(template, make_variation(copy, places, rng))

"""Quantities: Arabic and Chinese numerals, 万/亿 magnitudes, units, ranges, qualifiers."""

from __future__ import annotations

import functools
import operator
import re
from dataclasses import dataclass

import cn2an

MAGNITUDE = {"万亿": 1e12, "亿": 1e8, "千万": 1e7, "百万": 1e6, "万": 1e4, "千": 1e3}
COUNT_UNITS = "个家项座款条所名批只台套部"
CURRENCY = {
    "元": "CNY",
    "人民币": "CNY",
    "美元": "USD",
    "韩元": "KRW",
    "欧元": "EUR",
    "港元": "HKD",
}
MONEY_UNITS = frozenset(CURRENCY.values())
EXCEEDS = ("超过", "突破", "逾", "超", "高于", "多于")
AT_LEAST = ("不少于", "不低于", "至少")
AT_MOST = ("不超过", "不高于", "最多")
ABOUT = ("近", "约", "接近", "大约")

UNIT = (
    r"人民币|美元|韩元|欧元|港元|元(?!宇宙)|%|％"
    r"|[个家项座款条所名批只台套部](?![\u4e00-\u9fff]?[年月日])|平方米"
)
# 超过2500 亿元 · 2—3个 · 20多个 · 数亿元 · 一亿元 · 194% · 15家 · 1.8亿
QUANTITY = re.compile(
    # The lookahead lets the engine skip, cheaply, every position no quantity can start at.
    r"(?=[\s\d不最超突至高多接大逾近约零一二两三四五六七八九十百千])"
    r"(?P<pre>不超过|不高于|最多|超过|突破|不少于|不低于|至少|高于|多于|接近|大约|逾|超|近|约)?\s*"
    # A numeral run is read from its first numeral and never given back: a run that no
    # magnitude or counter follows is not a number from any of its other numerals either,
    # and trying each of them made a long run of numerals quadratic.
    r"(?P<num>\d+(?:\.\d+)?|(?<![零一二两三四五六七八九十百千])[零一二两三四五六七八九十百千]++"
    r"(?=\s*(?:万|亿|[个家项])))"
    r"(?:\s*[—–\-~～至到]\s*(?P<num2>\d+(?:\.\d+)?))?"
    r"(?P<more>多|余)?\s*"
    r"(?P<mag>万亿|千万|百万|亿|万|千(?=[元万亿]))?(?P<more2>多|余)?\s*"
    rf"(?P<unit>{UNIT})?"
    r"(?P<post>以上|以内|左右|多)?"
)
# Where QUANTITY may keep a match: in a run of digits and numerals that a range mark, 多/余,
# a magnitude or a unit follows (the number of every match QUANTITY keeps lies in such a
# run, whose end is where its number ends or just after a 千/百 of its magnitude). Bare
# numbers (years, article numbers) are runs nothing of the kind follows.
RUN_CHARACTER = r"[\d.零一二两三四五六七八九十百千]"
AFTER_NUMBER = re.compile(r"\s*[—–\-~～至到多余万亿千元人美韩欧港%％个家项座款条所名批只台套部平]")
# A run that such a mark follows, found whole from its first character: the lookbehind,
# placed after that character (see extract.dates), lets the engine skip in C to each run
# character and give up at once inside a run, so the runs nothing follows are passed over
# in C and a long run is read once.
QUANTITY_RUN = re.compile(
    f"{RUN_CHARACTER}(?<!{RUN_CHARACTER}.){RUN_CHARACTER}*+(?={AFTER_NUMBER.pattern})"
)
# The rest of a run from a position inside it (a match may end there: 2023.5.6亿).
REST_OF_RUN = re.compile(f"(?<={RUN_CHARACTER}){RUN_CHARACTER}++")
# Every character a QUANTITY match can consume besides spaces and digits. A match never
# runs over any other character, so QUANTITY read from just after one finds what it finds
# reading from the start of the text.
QUANTITY_CHARACTERS = frozenset(
    ".—–-~～至到多余以上内左右零一二两三四五六七八九十百千万亿人民币美韩欧港元%％"
    "个家项座款条所名批只台套部平方米不超过高于最突破少低接近大约逾"
)
# Those of them that are no run character: a run before a quantity's run is one nothing
# follows, so QUANTITY is read from no earlier than its end.
QUALIFIER_CHARACTERS = QUANTITY_CHARACTERS - frozenset(".零一二两三四五六七八九十百千")
# The last character before a position that is none of these nor a space: ``.*`` jumps to
# the position and backs off to it in C (\s is str.isspace).
LAST_NON_QUALIFIER = re.compile(f"(?s:.*)[^\\s{re.escape(''.join(sorted(QUALIFIER_CHARACTERS)))}]")
# Sorting by start in C: quantities are sorted once per item.
QUANTITY_START = operator.attrgetter("start")
VAGUE = re.compile(r"(?P<num>数|几|上)(?P<mag>千万|百万|万亿|亿|万)(?P<unit>元|美元)?")


@dataclass(frozen=True, slots=True)
class Quantity:
    """A number as read from text, normalized to plain units."""

    start: int
    end: int
    surface: str
    low: float
    high: float
    unit: str  # CNY | USD | … | count | percent | "" (a bare number)
    qualifier: str  # exact | at_least | at_most | exceeds | about | range
    vague: bool = False

    @property
    def is_money(self) -> bool:
        """Return whether the quantity is an amount of money."""
        return self.unit in MONEY_UNITS


# cn2an validates its input at length; the same few numerals (一, 两, 十) recur in every text.
@functools.lru_cache(maxsize=1024)
def to_number(text: str) -> float:
    """Return the value of Arabic or Chinese numerals: "2500" → 2500, "一千五百" → 1500.

    Raise ValueError for numerals that are no number.
    """
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    try:
        return float(cn2an.cn2an(text, "smart"))
    except KeyError as exc:  # cn2an's own lookup fails on some (零十五): no number either
        raise ValueError(f"not a number: {text}") from exc


def _qualifier(parts: dict[str, str]) -> str:
    pre, post = parts["pre"], parts["post"]
    if parts["num2"]:
        return "range"
    if pre in AT_MOST or post == "以内":
        return "at_most"
    if pre in EXCEEDS or parts["more"] or parts["more2"] or post == "多":
        return "exceeds"
    if pre in AT_LEAST or post == "以上":
        return "at_least"
    if pre in ABOUT or post == "左右":
        return "about"
    return "exact"


def _unit(parts: dict[str, str]) -> str:
    unit = parts["unit"]
    if unit in CURRENCY:
        return CURRENCY[unit]
    if unit in ("%", "％"):
        return "percent"
    if unit and unit in COUNT_UNITS:
        return "count"
    if unit == "平方米":
        return "m2"
    # "产业规模逾2000亿": a magnitude without a unit is money in this field.
    return "CNY" if parts["mag"] in ("亿", "万亿", "千万") else ""


def _reading_start(text: str, position: int, floor: int) -> int:
    """Return the first position at or after ``floor`` from which QUANTITY, read up to a run
    starting at ``position``, matches as it would from the start: just after the last
    character before ``position`` that no match can consume or that ends an earlier run."""
    other = LAST_NON_QUALIFIER.match(text, floor, position)
    return other.end() if other else floor


def _quantity(match: re.Match[str], text: str) -> Quantity | None:
    """Return the quantity a QUANTITY match reads (None for a bare number)."""
    groups = match.groups("")  # one call for every group: this runs for every number
    reading = _reading(groups)
    if reading is None:
        return None
    low, high, unit, qualifier = reading
    start, end = match.start("pre") if groups[0] else match.start("num"), match.end()
    return Quantity(start, end, text[start:end], low, high, unit, qualifier)


# QUANTITY's group names in group order (every group is named): pre, num, num2, …
QUANTITY_GROUPS = tuple(sorted(QUANTITY.groupindex, key=QUANTITY.groupindex.__getitem__))


# The same figures and words recur (2家, 超过100亿元): what a match's groups read is kept.
@functools.lru_cache(maxsize=4096)
def _reading(groups: tuple[str, ...]) -> tuple[float, float, str, str] | None:
    """Return low, high, unit and qualifier read from QUANTITY's groups (None for a bare
    number, or numerals that are not a number)."""
    parts = dict(zip(QUANTITY_GROUPS, groups, strict=True))
    if not (parts["unit"] or parts["mag"]):
        return None
    try:
        low = to_number(parts["num"])
    except ValueError:
        return None
    high = float(parts["num2"]) if parts["num2"] else low
    scale = MAGNITUDE.get(parts["mag"], 1.0)
    return low * scale, high * scale, _unit(parts), _qualifier(parts)


def find_quantities(text: str) -> list[Quantity]:
    """Return every quantity in a text, in order.

    QUANTITY reads each quantity, but read over the whole text it matches at every number
    and qualifier word, most of them bare numbers it then drops; it is read only at the runs
    of digits and numerals a quantity may be in (QUANTITY_RUN), from a character no match
    can consume, with the same result. Every step moves on past what it read, so the time
    is linear in the text.
    """
    found: list[Quantity] = []
    read_to = run_end = 0
    while (run := _next_quantity_run(text, read_to, run_end)) is not None:
        seen, run_end = run
        # A match holds a number, whose first character is in this run or after it: the
        # first match read from here ends past ``seen``.
        match = QUANTITY.search(text, _reading_start(text, seen, read_to))
        if match is None:
            break  # QUANTITY matches nothing more in the text
        read_to = match.end()
        quantity = _quantity(match, text)
        if quantity is not None:
            found.append(quantity)
    # Every vague amount names 万 or 亿: most texts name neither, and skip the pattern.
    for match in VAGUE.finditer(text) if "万" in text or "亿" in text else ():
        scale = MAGNITUDE[match.group("mag")]
        unit = CURRENCY.get(match.group("unit") or "元", "CNY")
        # 数亿 is "several hundred million": a range from one to ten times the magnitude.
        found.append(
            Quantity(
                match.start(),
                match.end(),
                match.group(0),
                scale,
                10 * scale,
                unit,
                "range",
                vague=True,
            )
        )
    return sorted(found, key=QUANTITY_START)


def _next_quantity_run(text: str, read_to: int, run_end: int) -> tuple[int, int] | None:
    """Return where to read the next quantity from, at or after ``read_to``, and the end of
    the run a quantity may be in that holds it (None without one), given the end of the
    last such run found.

    A match may end inside a run (2023.5.6亿): the rest of the run is read from there, its
    end found once, so that a long run read in many matches is not rescanned for each.
    """
    if read_to < run_end:
        return read_to, run_end
    rest = REST_OF_RUN.match(text, read_to)
    if rest is not None:
        if AFTER_NUMBER.match(text, rest.end()):
            return read_to, rest.end()
        read_to = rest.end()
    run = QUANTITY_RUN.search(text, read_to)
    return (run.start(), run.end()) if run else None

"""Quantities: Arabic and Chinese numerals, 万/亿 magnitudes, units, ranges, qualifiers."""

from __future__ import annotations

import functools
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
EXCEEDS = ("超过", "突破", "逾", "超", "高于", "多于")
AT_LEAST = ("不少于", "不低于", "至少")
AT_MOST = ("不超过", "不高于", "最多")
ABOUT = ("近", "约", "接近", "大约")

# 超过2500 亿元 · 2—3个 · 20多个 · 数亿元 · 一亿元 · 194% · 15家 · 1.8亿
QUANTITY = re.compile(
    # The lookahead lets the engine skip, cheaply, every position no quantity can start at.
    r"(?=[\s\d不最超突至高多接大逾近约零一二两三四五六七八九十百千])"
    r"(?P<pre>不超过|不高于|最多|超过|突破|不少于|不低于|至少|高于|多于|接近|大约|逾|超|近|约)?\s*"
    r"(?P<num>\d+(?:\.\d+)?|[零一二两三四五六七八九十百千]+(?=\s*(?:万|亿|[个家项])))"
    r"(?:\s*[—–\-~～至到]\s*(?P<num2>\d+(?:\.\d+)?))?"
    r"(?P<more>多|余)?\s*"
    r"(?P<mag>万亿|千万|百万|亿|万|千(?=[元万亿]))?(?P<more2>多|余)?\s*"
    r"(?P<unit>人民币|美元|韩元|欧元|港元|元(?!宇宙)|%|％|[个家项座款条所名批只台套部](?![\u4e00-\u9fff]?[年月日])|平方米)?"
    r"(?P<post>以上|以内|左右|多)?"
)
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
        return self.unit in CURRENCY.values()


# cn2an validates its input at length; the same few numerals (一, 两, 十) recur in every text.
@functools.lru_cache(maxsize=1024)
def to_number(text: str) -> float:
    """Return the value of Arabic or Chinese numerals: "2500" → 2500, "一千五百" → 1500."""
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    return float(cn2an.cn2an(text, "smart"))


def _qualifier(match: re.Match[str]) -> str:
    pre, post = match.group("pre") or "", match.group("post") or ""
    if match.group("num2"):
        return "range"
    if pre in AT_MOST or post == "以内":
        return "at_most"
    if pre in EXCEEDS or match.group("more") or match.group("more2") or post == "多":
        return "exceeds"
    if pre in AT_LEAST or post == "以上":
        return "at_least"
    if pre in ABOUT or post == "左右":
        return "about"
    return "exact"


def _unit(match: re.Match[str]) -> str:
    unit = match.group("unit") or ""
    if unit in CURRENCY:
        return CURRENCY[unit]
    if unit in ("%", "％"):
        return "percent"
    if unit and unit in COUNT_UNITS:
        return "count"
    if unit == "平方米":
        return "m2"
    # "产业规模逾2000亿": a magnitude without a unit is money in this field.
    return "CNY" if match.group("mag") in ("亿", "万亿", "千万") else ""


def find_quantities(text: str) -> list[Quantity]:
    """Return every quantity in a text, in order."""
    found: list[Quantity] = []
    for match in QUANTITY.finditer(text):
        if not (match.group("unit") or match.group("mag")):
            continue
        try:
            low = to_number(match.group("num"))
        except ValueError:
            continue
        high = float(match.group("num2")) if match.group("num2") else low
        scale = MAGNITUDE.get(match.group("mag") or "", 1.0)
        unit = _unit(match)
        start = match.start("pre") if match.group("pre") else match.start("num")
        found.append(
            Quantity(
                start,
                match.end(),
                text[start : match.end()],
                low * scale,
                high * scale,
                unit,
                _qualifier(match),
            )
        )
    for match in VAGUE.finditer(text):
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
    return sorted(found, key=lambda q: q.start)

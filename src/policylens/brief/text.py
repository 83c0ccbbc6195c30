"""Words a brief prints itself: dates with years, counts and ordinals, amounts with qualifiers."""

from __future__ import annotations

import cn2an

from policylens.report.tables import format_amount, format_range

QUALIFIER_FORMS = {
    "exact": "{}",
    "at_least": "{}以上",
    "exceeds": "超过{}",
    "about": "约{}",
}
LEVEL_NAMES = {
    "national": "国家级",
    "provincial": "省级",
    "municipal": "市级",
    "district": "区县级",
}


def chinese_date(iso: str) -> str:
    """Return an ISO day, month or year as written in Chinese: 2023年9月18日, 2023年1月, 2023年."""
    parts = iso.split("-")
    suffixes = ("年", "月", "日")
    return "".join(f"{int(part)}{suffix}" for part, suffix in zip(parts, suffixes, strict=False))


def chinese_period(date_from: str, date_to: str) -> str:
    """Return a period as written in Chinese: 2023年9月17日—2023年9月24日."""
    return f"{chinese_date(date_from)}—{chinese_date(date_to)}"


def count_word(n: int) -> str:
    """Return a small count in Chinese numerals, as prose writes it: 两, 三, 十二."""
    return "两" if n == 2 else str(cn2an.an2cn(n))


def ordinal(n: int) -> str:
    """Return an ordinal in Chinese numerals: 第二, 第十二."""
    return f"第{cn2an.an2cn(n)}"


def amount_phrase(low: float, high: float, unit: str, qualifier: str) -> str:
    """Return a target value as analysts write it: 2500亿元, 2000亿元以上, 超过20, 2–3."""
    if low != high or qualifier == "range":
        return format_range(low, high, unit)
    return QUALIFIER_FORMS.get(qualifier, "{}").format(format_amount(low, unit))

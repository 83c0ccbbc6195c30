"""Quantified targets: 到2025年…产业规模达到2500亿元, 培育10家头部企业, 建成2—3个园区."""

from __future__ import annotations

import re
from collections.abc import Iterator

from policylens.extract import dates
from policylens.extract.context import WHOLE_AREA, DocContext, sentence_start
from policylens.extract.numbers import Quantity, find_quantities
from policylens.model import Item, Place, Target

GOAL_HEADING = re.compile(r"目标|发展目标|主要目标|总体目标")
FUTURE = re.compile(r"到\s*20\d{2}|至\s*20\d{2}|力争|目标|计划|预计|将")
CLAUSE_BREAK = re.compile(r"[，,；;。：:！？（(\n]")
# Clause breaks inside a count's noun phrase are 、 only when a new figure or verb follows.
NEXT_FIGURE = re.compile(r"、\s*(?=\d|[一二两三四五六七八九十]+[个家项]|打造|培育|引育|建设|建成|形成|推广|新增)")
SCALE_VERBS = re.compile(r"(?:力争|实现|达到|突破|超过|达|逾|超|为|增长|将|计划)+$")
AREA_PREFIX = re.compile(r"^(?:全[省市区县]|带动|其中|力争|实现|到20\d{2}年|和|及|与|、)+")
COUNT_VERBS = re.compile(
    r"(?:打造|培育|引育|引进|建成|建设|形成|推广|新增|布局|创建|集聚|发展|遴选|认定|制定|研制|申请|建立)$"
)
NOT_TARGETS = re.compile(r"任务|工程|行动|方面|措施|条|投资|签约|融资|同比|上半年|共计")
MONEY_OR_SHARE = ("CNY", "USD", "KRW", "EUR", "HKD", "percent")
SCALE_METRICS = ("industry_scale", "core_industry_scale", "other")


def metric_of(phrase: str, metrics: tuple[tuple[str, str], ...]) -> str | None:
    """Return the metric whose keyword the phrase holds first, by table order."""
    return next((metric for metric, keyword in metrics if keyword in phrase), None)


def sector_of(phrase: str, sectors: tuple[str, ...]) -> str | None:
    """Return the sector the phrase names (longest name wins)."""
    return next((sector for sector in sectors if sector in phrase), None)


def _goal_year(item: Item, position: int, ctx: DocContext) -> int | None:
    """Return the deadline year in force at a position: the last 到20XX年 before it, else the plan's end."""
    before = [year for offset, year in dates.deadline_years(item.text) if offset < position]
    if before:
        return before[-1]
    for text in item.path[:1] or (item.title,):
        found = dates.period(text)
        if found:
            return found[1]
    return None


def _in_goal_context(item: Item, position: int) -> bool:
    """Return whether a figure at ``position`` is stated as a goal."""
    if any(GOAL_HEADING.search(part) for part in item.path[1:]) or GOAL_HEADING.search(item.title):
        return True
    paragraph_start = item.text.rfind("\n", 0, position) + 1
    return bool(FUTURE.search(item.text, paragraph_start, position))


def _scale_phrase(text: str, quantity: Quantity) -> tuple[str, int, int]:
    """Return what a money or share figure measures, and the quote's span.

    全省元宇宙相关产业规模达到2500亿元 → 元宇宙相关产业规模
    """
    breaks = [m.end() for m in CLAUSE_BREAK.finditer(text, 0, quantity.start)]
    start = breaks[-1] if breaks else 0
    phrase = SCALE_VERBS.sub("", text[start : quantity.start].strip())
    return AREA_PREFIX.sub("", phrase).strip(), start, quantity.end


def _count_phrase(text: str, quantity: Quantity) -> tuple[str, int, int]:
    """Return what a count counts, and the quote's span: 10 家行业头部企业 → 行业头部企业."""
    end = len(text)
    for pattern in (CLAUSE_BREAK, NEXT_FIGURE):
        match = pattern.search(text, quantity.end)
        if match:
            end = min(end, match.start())
    return text[quantity.end : end].strip().removeprefix("以上").strip(), quantity.start, end


def _place(item: Item, position: int, ctx: DocContext, policy_place: Place | None) -> Place | None:
    floor = sentence_start(item.text, position)
    if WHOLE_AREA.search(item.text, floor, position) and policy_place:
        return policy_place
    return policy_place or ctx.place_before(item, position, same_sentence=False) or ctx.document_place


def extract_targets(item: Item, ctx: DocContext, policy_place: Place | None,
                    policy: str | None) -> Iterator[Target]:
    """Yield the quantified goals stated in an item."""
    text = item.text
    for quantity in find_quantities(text):
        if quantity.unit not in (*MONEY_OR_SHARE, "count") or quantity.vague:
            continue
        if not _in_goal_context(item, quantity.start):
            continue
        if quantity.unit == "count":
            phrase, quote_start, quote_end = _count_phrase(text, quantity)
            before = text[sentence_start(text, quantity.start) : quantity.start]
            if not COUNT_VERBS.search(before.rstrip()) and not re.search(r"[，、]\s*$", before):
                continue
        else:
            phrase, quote_start, quote_end = _scale_phrase(text, quantity)
        if not phrase or NOT_TARGETS.search(phrase):
            continue
        metric = metric_of(phrase, ctx.res.metrics)
        if metric is None:
            if quantity.unit != "percent":
                continue
            metric = "other"
        if quantity.unit in MONEY_OR_SHARE and metric not in SCALE_METRICS:
            continue
        yield Target(
            metric=metric,
            metric_text=phrase,
            sector=sector_of(phrase, ctx.res.sectors),
            value_low=quantity.low,
            value_high=quantity.high,
            unit=quantity.unit,
            qualifier=quantity.qualifier,
            target_year=_goal_year(item, quantity.start, ctx),
            place=_place(item, quantity.start, ctx, policy_place),
            policy=policy,
            prov=ctx.prov(item, quote_start, quote_end, "target.v1"),
        )

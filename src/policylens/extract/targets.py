"""Quantified targets: 到2025年…产业规模达到2500亿元, 培育10家头部企业, 建成2—3个园区."""

from __future__ import annotations

import bisect
import functools
import operator
import re
from collections.abc import Iterator

from policylens.extract import dates
from policylens.extract.context import (
    WHOLE_AREA,
    DocContext,
    after_last_mark,
    last_mark_finder,
    paragraph_start,
    reach_forward,
    sentence_start,
)
from policylens.extract.numbers import Quantity
from policylens.model import Item, Place, PolicyMention, Target

GOAL_HEADING = re.compile(r"目标|发展目标|主要目标|总体目标")
GOAL_WORD = "目标"  # every GOAL_HEADING alternative holds it: a substring test finds the same
FUTURE = re.compile(r"到\s*20\d{2}|至\s*20\d{2}|力争|目标|计划|预计|将|提出|工作安排|建议")
# A figure right after a plan's title is one of the plan's goals: 《…行动计划》孵化20多个…
TITLE_TO_FIGURE = 30
TITLE_TEXT = re.compile(r"《[^《》]*》")
# Digit first, the lookbehind after it (see extract.dates): the engine skips to each 2 in C.
FUTURE_YEAR = re.compile(r"(2(?<![\d—\-].)0\d{2})年(?![\d—\-以])")
POLICY_TITLE = re.compile(
    r"《[^《》]{2,80}(?:计划|方案|意见|规划|报告|办法|措施|政策)[^《》]{0,12}》"
)
CLAUSE_BREAK = re.compile(r"[，,；;。：:！？（(\n]")
SCALE_BREAK = re.compile(r"[，,；;。：:！？（(\n、]")  # 核心产业规模超过300亿元、带动相关产业规模…
# Clause breaks inside a count's noun phrase are 、 only when a new figure or verb follows.
NEXT_FIGURE = re.compile(
    r"(?:、|和|及|与)\s*(?=\d|[一二两三四五六七八九十]+[个家项]|打造|培育|引育|建设|建成|形成|推广|新增)"
)
# The last clause break before a figure, and the first break or next figure after it.
LAST_CLAUSE_BREAK = last_mark_finder(CLAUSE_BREAK)
LAST_SCALE_BREAK = last_mark_finder(SCALE_BREAK)
# Leftmost of the two alternatives: where the first of either pattern starts.
COUNT_PHRASE_END = re.compile(f"{CLAUSE_BREAK.pattern}|{NEXT_FIGURE.pattern}")
SCALE_VERBS = re.compile(r"(?:力争|实现|达到|突破|超过|达|逾|超|为|增长|将|计划)+$")
AREA_PREFIX = re.compile(r"^(?:全[省市区县]|带动|其中|力争|实现|到20\d{2}年|和|及|与|、)+")
COUNT_VERB_WORDS = (
    *("打造", "培育", "引育", "引进", "建成", "建设", "形成", "推广", "新增", "布局", "创建"),
    *("集聚", "发展", "遴选", "认定", "制定", "研制", "申请", "建立", "创造", "推出", "孵化"),
    *("引导", "带动", "实现", "等"),
)
COUNT_VERBS = re.compile(f"(?:{'|'.join(COUNT_VERB_WORDS)})$")
# What may end the words before a count that follows a list mark: [，、和及与]\s*$.
LIST_MARKS = "，、和及与"
NOT_TARGETS = re.compile(r"任务|工程|行动|方面|措施|条|投资|签约|融资|同比|上半年|共计")
MONEY_OR_SHARE = ("CNY", "USD", "KRW", "EUR", "HKD", "percent")
TARGET_UNITS = frozenset((*MONEY_OR_SHARE, "count"))
SCALE_METRICS = ("industry_scale", "core_industry_scale", "other")
SUPPORT_MONEY = re.compile(r"奖励|补贴|补助|资助|扶持|启动")


def metric_of(phrase: str, metrics: tuple[tuple[str, str], ...]) -> str | None:
    """Return the metric whose keyword the phrase holds first, by table order."""
    metric = next((metric for metric, keyword in metrics if keyword in phrase), None)
    # 数字经济核心产业营业收入: any size measure of a core industry is its core scale.
    if metric == "industry_scale" and "核心产业" in phrase:
        return "core_industry_scale"
    return metric


def sector_of(phrase: str, sectors: tuple[str, ...]) -> str | None:
    """Return the sector the phrase names (longest name wins)."""
    return next((sector for sector in sectors if sector in phrase), None)


REPORT_YEAR = re.compile(r"(20\d{2})年?[^《》。]{0,12}(?:工作报告|工作安排|工作要点)")


def _goal_year(item: Item, position: int, policy: str | None) -> int | None:
    """Return the year a goal is set for.

    The last deadline (到2025年) before it in the item; else the end of the plan's
    period (2022-2024年); else the year of a work report (2023年政府工作报告).
    """
    deadlines = dates.deadline_years(item.text)
    # Deadlines come in text order: the last one before ``position`` by bisection.
    before = bisect.bisect_left(deadlines, position, key=operator.itemgetter(0))
    if before:
        return deadlines[before - 1][1]
    paragraph = item.text[paragraph_start(item.text, position) : position]
    for text in (*item.path[:1], policy or "", item.title, paragraph):
        found = dates.period(text)
        if found:
            return found[1]
        report = REPORT_YEAR.search(text)
        if report:
            return int(report.group(1))
    return None


def _future_year_before(item: Item, position: int, floor: int, ctx: DocContext) -> int | None:
    """Return a year later than the document's own, written earlier in the figure's sentence
    (which starts at ``floor``).

    "2028年，合肥发布了元宇宙产业规划，规模超过800亿元": 2028 is when the figure is due.
    """
    own = ctx.document_year_for_dates()
    if own is None or item.text.find("年", floor, position) < 0:
        return None
    head = item.text[floor:position]
    if "《" in head:
        head = TITLE_TEXT.sub("", head)
    years = [int(m.group(1)) for m in FUTURE_YEAR.finditer(head) if int(m.group(1)) > own]
    return years[-1] if years else None


def _under_goal_heading(item: Item) -> bool:
    """Return whether an item sits under a goals heading (发展目标), or is one."""
    return any(GOAL_WORD in part for part in item.path[1:]) or GOAL_WORD in item.title


def _in_goal_context(item: Item, position: int) -> bool:
    """Return whether a figure at ``position``, outside a goals heading, is stated as a goal."""
    start = paragraph_start(item.text, position)
    if item.text.find("《", start, position) < 0:
        # No title before the figure in its paragraph, so none in its sentence either.
        return _first_future_end(item.text, start) <= position
    # Words inside a title (《…行动计划》) say nothing about this figure.
    if FUTURE.search(TITLE_TEXT.sub("", item.text[start:position])):
        return True
    # 《…三年行动计划》孵化20多个…: a figure the plan's title leads straight into.
    titles = list(POLICY_TITLE.finditer(item.text, sentence_start(item.text, position), position))
    return bool(titles) and position - titles[-1].end() <= TITLE_TO_FIGURE


@functools.lru_cache(maxsize=256)
def _first_future_end(text: str, start: int) -> int:
    """Return where the first FUTURE word at or after ``start`` ends (past the text without one).

    Asked for every figure of a paragraph. No FUTURE alternative holds another inside it,
    so a FUTURE word lies in ``text[start:position]`` exactly when the first one from
    ``start`` ends by ``position``.
    """
    # Figures are read from at most the reach after ``start``: a search past it is wasted.
    found = FUTURE.search(text, start, reach_forward(text, start))
    return found.end() if found else len(text) + 1


def _scale_phrase(text: str, quantity: Quantity) -> tuple[str, int, int]:
    """Return what a money or share figure measures, and the quote's span.

    全省元宇宙相关产业规模达到2500亿元 → 元宇宙相关产业规模
    """
    start = after_last_mark(LAST_SCALE_BREAK, text, quantity.start)
    phrase = SCALE_VERBS.sub("", text[start : quantity.start].strip())
    return AREA_PREFIX.sub("", phrase).strip(), start, quantity.end


def _count_phrase(text: str, quantity: Quantity) -> tuple[str, int, int]:
    """Return what a count counts, and the quote's span: 10 家行业头部企业 → 行业头部企业."""
    # One search stops at the first break or next figure (NEXT_FIGURE alone ran on to the
    # end of the item when no figure followed).
    limit = reach_forward(text, quantity.end)
    found = COUNT_PHRASE_END.search(text, quantity.end, limit)
    end = found.start() if found else limit
    phrase = text[quantity.end : end].strip().removeprefix("以上").strip()
    if phrase:
        return phrase, quantity.start, end
    # The noun can come first: 培育元宇宙核心企业200多家
    start = after_last_mark(LAST_CLAUSE_BREAK, text, quantity.start)
    before = COUNT_VERBS.sub("", text[start : quantity.start].strip())
    before = re.sub(r"^(?:到20\d{2}年|提出|培育|打造|引育|建设|形成)+", "", before)
    return before, start, quantity.end


def _sector_nearby(
    text: str, position: int, floor: int, policy: str | None, sectors: tuple[str, ...]
) -> str | None:
    """Return the sector of a figure whose own phrase names none (相关产业规模, 头部企业).

    The sentence before it (from ``floor``) says what it is about; a plan's title says what
    all of its goals are about.
    """
    # The sector named last before the figure (the longest of those starting there): one
    # search each, in the text itself, not in a copy of the sentence.
    named = [(at, len(s), s) for s in sectors if (at := text.rfind(s, floor, position)) >= 0]
    found = max(named)[2] if named else sector_of(policy or "", sectors)
    # 核心产业规模…、带动相关产业规模: "related industries" are the sector as a whole.
    if found and text.find("相关产业", max(floor, position - 12), position) >= 0:
        return found.replace("核心产业", "")
    return found


def _mention_starts(item: Item, mentions: list[PolicyMention]) -> list[int]:
    """Return where each of an item's mentions starts in its text, in order."""
    return [m.prov.span.start - item.span.start for m in mentions]


def _policy_before(
    text: str, position: int, mentions: list[PolicyMention], starts: list[int]
) -> tuple[Place | None, str | None]:
    """Return the place and title of the policy named last before a figure in its paragraph.

    The mentions are the item's, in text order, and ``starts`` where each starts: the last
    one before ``position`` by bisection (a paragraph of many titles and figures asked a
    scan of every mention for each figure).
    """
    last = bisect.bisect_left(starts, position) - 1
    if last < 0 or starts[last] < paragraph_start(text, position):
        return None, None
    return mentions[last].place, mentions[last].normalized_title


def _place(
    item: Item, position: int, floor: int, ctx: DocContext, policy_place: Place | None
) -> Place | None:
    if WHOLE_AREA.search(item.text, floor, position) and policy_place:
        return policy_place
    return (
        policy_place or ctx.place_before(item, position, same_sentence=False) or ctx.document_place
    )


def extract_targets(
    item: Item,
    ctx: DocContext,
    anchor: Place | None,
    anchor_policy: str | None,
    mentions: list[PolicyMention],
) -> Iterator[Target]:
    """Yield the quantified goals stated in an item.

    A goal belongs to the policy named last before it in its paragraph (成都's
    plan inside an entry on Sichuan's), else to the item's own policy.
    """
    text = item.text
    quantities = [q for q in ctx.quantities(item) if q.unit in TARGET_UNITS and not q.vague]
    under_goal_heading = bool(quantities) and _under_goal_heading(item)
    starts = _mention_starts(item, mentions)
    for quantity in quantities:
        floor = sentence_start(text, quantity.start)  # of the figure's sentence, asked often
        stated_as_goal = under_goal_heading or _in_goal_context(item, quantity.start)
        # The year is needed when the figure is not otherwise a goal, or has no goal year.
        future_year = (
            None if stated_as_goal else _future_year_before(item, quantity.start, floor, ctx)
        )
        if not stated_as_goal and future_year is None:
            continue
        policy_place, policy = _policy_before(text, quantity.start, mentions, starts)
        if policy is None:
            policy_place, policy = anchor, anchor_policy
        if quantity.unit == "count":
            phrase, quote_start, quote_end = _count_phrase(text, quantity)
            # COUNT_VERBS and a list mark are anchored at the end: a suffix test each.
            before = text[floor : quantity.start].rstrip()
            noun_first = quote_start < quantity.start
            if (
                not noun_first
                and not before.endswith(COUNT_VERB_WORDS)
                and not (before and before[-1] in LIST_MARKS)
            ):
                continue
        else:
            phrase, quote_start, quote_end = _scale_phrase(text, quantity)
        if not phrase or NOT_TARGETS.search(phrase):
            continue
        # A share (占GDP比重15%) is not a size; percentages are "other".
        metric = "other" if quantity.unit == "percent" else metric_of(phrase, ctx.res.metrics)
        if metric is None:
            if quantity.unit != "percent":
                continue
            metric = "other"
        if quantity.unit in MONEY_OR_SHARE and metric not in SCALE_METRICS:
            continue
        if quantity.is_money and (metric == "other" or SUPPORT_MONEY.search(phrase)):
            continue  # support money is funding, not a goal
        yield Target(
            metric=metric,
            metric_text=phrase,
            sector=sector_of(phrase, ctx.res.sectors)
            or _sector_nearby(text, quantity.start, floor, policy, ctx.res.sectors),
            value_low=quantity.low,
            value_high=quantity.high,
            unit=quantity.unit,
            qualifier=quantity.qualifier,
            target_year=_goal_year(item, quantity.start, policy)
            or future_year
            or _future_year_before(item, quantity.start, floor, ctx),
            place=_place(item, quantity.start, floor, ctx, policy_place),
            policy=policy,
            prov=ctx.prov(item, quote_start, quote_end, "target.v1"),
        )

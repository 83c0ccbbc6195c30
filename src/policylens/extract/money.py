"""Support money (funding) and financing rounds (deals)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from policylens.extract.context import (
    DocContext,
    after_last_mark,
    last_mark_finder,
    reach_forward,
    sentence_end,
    sentence_start,
)
from policylens.extract.numbers import find_quantities
from policylens.model import Deal, Funding, Item, Place

SUPPORT = re.compile(r"奖励|补贴|补助|资助|扶持|启动资金|支持资金|贴息|一次性")
NOT_SUPPORT = re.compile(r"融资|投资机遇|产业规模|营收|签约|投资额(?!的)|总投资|估值")
CLAUSE = re.compile(r"[，,；;。！？\n]")
CONDITION = re.compile(r"对[^，。；]{2,40}的|(?:符合|经认定|达到)[^，。；]{2,30}")
FINANCING = re.compile(r"\s*(?:融资|战略投资|投资|募资)")  # within 6 characters after 轮
ROUND = re.compile(r"(?P<round>(?:Pre-?)?[A-F]\d?\+?|天使|种子|战略|新一)\s*轮")
COMPANY_BEFORE = re.compile(
    r"(?:[，。\n“”\"]|^)\s*(?:近日，?|日前，?|据[^，。]{1,12}报道，?)?"
    r"(?P<name>[\u4e00-\u9fffA-Za-z0-9（）()“”\"]{2,40}?)\s*"
    r"(?:宣布|正式|已|近日)?(?:完成|获得?|宣布完成)"
)
SHORT_NAME = re.compile(r"[（(]\s*简称\s*[“\"]?(?P<short>[^”\"）)]{2,12})[”\"]?\s*[）)]")
INVESTORS = (
    re.compile(r"由(?P<who>[^，。；]{2,60}?)(?:共同|联合)?(?:领投|投资|独家投资|战略投资)"),
    re.compile(r"投资方(?:系|为|是)(?P<who>[^，。；]{2,60})"),
    re.compile(r"获(?P<who>[^，。；]{2,40}?)(?:[A-F]\d?|天使|战略)\s*轮"),
)


LAST_CLAUSE = last_mark_finder(CLAUSE)


def _clause_bounds(text: str, position: int) -> tuple[int, int]:
    """Return the clause holding ``position``: after the last mark before it, to the next.

    Only money figures ask, a few per item: a search each way beats listing every mark
    of a long item.
    """
    limit = reach_forward(text, position)
    following = CLAUSE.search(text, position, limit)
    return after_last_mark(LAST_CLAUSE, text, position), (following.start() if following else limit)


def extract_funding(item: Item, ctx: DocContext, place: Place | None) -> Iterator[Funding]:
    """Yield each support amount an item offers (奖励最高200万元, 给予1亿元资助)."""
    text = item.text
    seen: set[float] = set()
    for quantity in ctx.quantities(item):
        if not quantity.is_money or quantity.vague:
            continue
        start, end = _clause_bounds(text, quantity.start)
        # The support word may sit in the clause or open the sentence (对…给予…奖励).
        sentence = text[sentence_start(text, quantity.start) : sentence_end(text, quantity.start)]
        clause = text[start:end]
        # 给予一次性奖励，最高100万元: a 最高 clause takes its support word from its sentence.
        supported = SUPPORT.search(clause) or ("最高" in clause and SUPPORT.search(sentence))
        if not supported or NOT_SUPPORT.search(clause):
            continue
        if quantity.high in seen:
            continue
        seen.add(quantity.high)
        condition = CONDITION.search(sentence)
        yield Funding(
            amount_cny_max=quantity.high,
            amount_text=quantity.surface,
            purpose=clause.strip(),
            conditions=condition.group(0) if condition else "",
            place=ctx.place_before(item, quantity.start)
            or ctx.place_in_paragraph(item, quantity.start)
            or place
            or ctx.place_before(item, quantity.start, same_sentence=False),
            prov=ctx.prov(item, start, end, "funding.v1"),
        )


def _company(text: str, position: int) -> str | None:
    head = re.sub(r"^\d{1,2}、", "", text[sentence_start(text, position) : position])
    short = SHORT_NAME.search(head)
    if short:
        return short.group("short").strip('“”"')
    matches = list(COMPANY_BEFORE.finditer(head))
    if not matches:
        return None
    name = SHORT_NAME.sub("", matches[-1].group("name"))
    name = re.sub(r"^.{0,10}旗下", "", name)
    # "杭州区块链技术服务商链衡科技": the name follows the description.
    name = re.sub(
        r"^.*?(?:服务商|供应商|企业|公司|平台|机构|品牌|初创|独角兽)(?=[\u4e00-\u9fffA-Za-z]{2,}$)",
        "",
        name,
    ).strip('“”"（）() ')
    return name or None


def _investors(sentence: str) -> tuple[str, ...]:
    for pattern in INVESTORS:
        match = pattern.search(sentence)
        if match:
            who = re.sub(r"^(?:国家信息中心旗下|旗下)", "", match.group("who").strip())
            return tuple(p.strip() for p in re.split(r"、|以及|及|，", who) if p.strip())
    return ()


def _has_financed_round(text: str) -> bool:
    """Return whether some 轮 is followed by FINANCING, as every round a deal is read from is
    (each ROUND match ends with its 轮): most items are spared ROUND's pass."""
    at = text.find("轮")
    while at >= 0:
        if FINANCING.match(text[at + 1 : at + 7]):
            return True
        at = text.find("轮", at + 1)
    return False


def extract_deals(item: Item, ctx: DocContext) -> Iterator[Deal]:
    """Yield each financing round in an item, once per company and round."""
    text = item.text
    if not _has_financed_round(text):
        return
    seen: set[tuple[str, str]] = set()
    for match in ROUND.finditer(text):
        following = text[match.end() : match.end() + 6]
        if not FINANCING.match(following):
            continue
        company = _company(text, match.start())
        if company is None:
            continue
        round_name = re.sub(r"\s+", "", match.group(0))
        if (company, round_name) in seen:
            continue
        seen.add((company, round_name))
        start, end = sentence_start(text, match.start()), sentence_end(text, match.start())
        sentence = text[start:end]
        money = [q for q in find_quantities(sentence) if q.is_money]
        amount = money[0] if money else None
        item_date = next((h for h in ctx.dates(item) if h.day), None)
        yield Deal(
            company=company,
            round=round_name,
            amount_text=amount.surface if amount else None,
            amount_low=amount.low if amount else None,
            amount_high=amount.high if amount else None,
            vague=bool(amount and amount.vague),
            investors=_investors(sentence) or _investors(text),
            date=ctx.resolve_date(item, item_date) if item_date else None,
            prov=ctx.prov(item, start, end, "deal.v1"),
        )

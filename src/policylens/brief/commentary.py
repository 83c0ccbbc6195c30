"""Commentary drawn from the knowledge base: every claim is a template filled with stored facts.

- rank: where a policy's headline target stands among the known policies of the same
  level with a target of the same metric and sector (这是知识库中已知的第二个…，其2500亿元
  目标在已知三者中最高);
- region_history: what the same region (and the places under it) issued before;
- new_topic: a topic no item dated before the period carries;
- deal_history: a company's other financing rounds, or that none is known.

Each ``Claim`` lists the ids of the facts its words come from; ``--explain`` prints them.
Counts and ordinals are written in Chinese numerals, as prose writes them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from policylens.brief.model import Claim
from policylens.brief.selection import Index
from policylens.brief.text import (
    LEVEL_NAMES,
    amount_phrase,
    chinese_date,
    count_word,
    ordinal,
)
from policylens.link.records import PolicyDetail
from policylens.store.facts import FactRecord

HEADLINE_METRICS = ("industry_scale", "core_industry_scale")  # preferred, in this order
QUALIFIER_ORDER = ("exact", "at_least", "exceeds", "about", "range")
CORE = "核心产业"
LISTED = 3  # earlier policies of a region named in a claim
NATIONAL = "全国"


def _qualifier_rank(fact: FactRecord) -> int:
    qualifier = fact.values.get("qualifier", "")
    return (
        QUALIFIER_ORDER.index(qualifier) if qualifier in QUALIFIER_ORDER else len(QUALIFIER_ORDER)
    )


def best_target(targets: Iterable[FactRecord]) -> FactRecord | None:
    """Return the largest target (ties: the plainest qualifier, then the first stored)."""
    pool = [t for t in targets if t.kind == "target" and t.values.get("value_high") is not None]
    if not pool:
        return None
    return min(pool, key=lambda t: (-t.values["value_high"], _qualifier_rank(t), t.id))


def headline_target(detail: PolicyDetail) -> FactRecord | None:
    """Return a policy's headline target: its industry scale, else its core scale.

    A figure about the field the policy is named for comes first (苏州培育元宇宙…意见:
    its 元宇宙 figure, not the larger 电子信息产业 one it also states).
    """
    title = detail.policy.normalized_title or detail.policy.title
    for metric in HEADLINE_METRICS:
        targets = [t for t in detail.targets if t.metric == metric]
        own = [t for t in targets if str(t.values.get("sector") or "\0") in title]
        found = best_target(own or targets)
        if found is not None:
            return found
    return None


def target_key(fact: FactRecord) -> tuple[object, ...]:
    """Return what two targets must share to be compared: metric, sector and unit."""
    return (fact.metric, fact.values.get("sector"), fact.values.get("unit"))


def metric_phrase(fact: FactRecord, metric_names: Sequence[tuple[str, str]]) -> str:
    """Return a target's metric as printed: its sector and the metric's name (元宇宙产业规模)."""
    label = next((k for name, k in metric_names if name == fact.metric), fact.label)
    sector = str(fact.values.get("sector") or "")
    for shared in (CORE, "产业"):
        if label.startswith(shared) and sector.endswith(shared):
            sector = sector[: -len(shared)]
            break
    return sector + label


def value_phrase(fact: FactRecord) -> str:
    """Return a target's value as printed: 2500亿元, 2000亿元以上."""
    v = fact.values
    return amount_phrase(v["value_low"], v["value_high"], v["unit"], v.get("qualifier", "exact"))


def date_fact(detail: PolicyDetail, index: Index) -> FactRecord | None:
    """Return the mention fact that gives a policy its date."""
    for mention in detail.mentions:
        fact = index.facts.get(mention.fact_id or -1)
        if fact is not None and fact.date == detail.policy.date:
            return fact
    return None


def peers(
    detail: PolicyDetail, target: FactRecord, index: Index, date_to: str
) -> list[tuple[PolicyDetail, FactRecord]]:
    """Return the dated policies of the same level with a comparable target, oldest first."""
    found = []
    for other in index.policies.values():
        summary = other.policy
        if summary.level != detail.policy.level or summary.date is None or summary.date > date_to:
            continue
        best = best_target(t for t in other.targets if target_key(t) == target_key(target))
        if best is not None:
            found.append((other, best))
    return sorted(found, key=lambda pair: (pair[0].policy.date or "", pair[0].policy.id))


def _rank_phrase(value: float, others: Sequence[float], total: int) -> str:
    above = sum(1 for v in others if v > value)
    tied = any(v == value for v in others)
    if above == 0:
        return "并列最高" if tied else "最高"
    if above == total - 1:
        return "最低"
    return f"居{ordinal(above + 1)}"


def rank_claim(
    detail: PolicyDetail, index: Index, date_to: str, metric_names: Sequence[tuple[str, str]]
) -> Claim | None:
    """Return how a policy's headline target ranks among known peers, or None without peers."""
    target = headline_target(detail)
    if target is None or detail.policy.date is None:
        return None
    group = peers(detail, target, index, date_to)
    ids = [other.policy.id for other, _ in group]
    if detail.policy.id not in ids or len(group) < 2:
        return None
    position = ids.index(detail.policy.id) + 1
    earlier = group[: position - 1]
    others = [(o, t) for o, t in group if o.policy.id != detail.policy.id]
    level = LEVEL_NAMES.get(detail.policy.level or "", "")
    metric = metric_phrase(target, metric_names)
    text = f"这是知识库中已知的{ordinal(position)}个提出{metric}目标的{level}政策"
    if earlier:
        text += "，此前有" + "、".join(_dated_title(o) for o, _ in earlier)
    year = target.values.get("target_year")
    text += f"；其{value_phrase(target)}目标" + (f"（{year}年）" if year else "")
    text += f"在已知{count_word(len(group))}者中"
    text += _rank_phrase(
        target.values["value_high"], [t.values["value_high"] for _, t in others], len(group)
    )
    listed = sorted(others, key=lambda pair: -pair[1].values["value_high"])
    text += "（" + "，".join(f"{o.policy.region}{value_phrase(t)}" for o, t in listed) + "）。"
    used = [target.id, *(t.id for _, t in others)]
    used += [f.id for o, _ in earlier if (f := date_fact(o, index)) is not None]
    return Claim("rank", text, tuple(used))


def _dated_title(detail: PolicyDetail) -> str:
    summary = detail.policy
    when = f"（{chinese_date(summary.date)}）" if summary.date else ""
    return f"{summary.region or ''}《{summary.title}》{when}"


def region_history_claim(detail: PolicyDetail, index: Index) -> Claim | None:
    """Return what the policy's region (and the places under it) issued before it, if any."""
    region, issued = detail.policy.region, detail.policy.date
    if not region or region == NATIONAL or issued is None:
        return None
    earlier = [
        other
        for other in index.policies.values()
        if other.policy.id != detail.policy.id
        and (other.policy.region or "").startswith(region)
        and other.policy.date is not None
        and other.policy.date < issued
    ]
    if not earlier:
        return None
    earlier.sort(key=lambda o: (o.policy.date or "", o.policy.id), reverse=True)
    shown = earlier[:LISTED]
    listed = "、".join(_dated_title(o) for o in shown)
    text = f"在{region}，知识库此前已收录：{listed}。"
    used = tuple(f.id for o in shown if (f := date_fact(o, index)) is not None)
    return Claim("region_history", text, used)


def new_topic_claim(topic: str, name: str, fact: FactRecord, date_from: str) -> Claim:
    """Return the claim that a topic is new this period (no earlier item carries it)."""
    text = f"「{name}」是本期新出现的主题：知识库中{chinese_date(date_from)}以前的条目均未涉及。"
    return Claim("new_topic", text, (fact.id,))


def deal_history_claim(deal: FactRecord, index: Index) -> Claim:
    """Return a company's other known financing rounds, or that none is known."""
    company = str(deal.values.get("company") or deal.label)
    others = sorted(
        (
            f
            for f in index.facts.values()
            if f.kind == "deal" and f.id != deal.id and f.values.get("company") == company
        ),
        key=lambda f: (f.date or "", f.id),
    )
    if not others:
        return Claim("deal_history", f"知识库中尚无{company}其他融资轮次的记录。", (deal.id,))
    rounds = "、".join(
        str(f.values.get("round") or f.label) + (f"（{chinese_date(f.date)}）" if f.date else "")
        for f in others
    )
    return Claim(
        "deal_history",
        f"据知识库，{company}另有融资：{rounds}。",
        (deal.id, *(f.id for f in others)),
    )

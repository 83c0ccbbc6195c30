"""Property tests holding extraction's fast forms to the forms they replaced.

Each reference below is the earlier code, kept here: the fast form must give the same
result on every input (the same matches, spans and values, or the same gate answer).
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from dataclasses import replace
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import QUANTITY_PIECES
from policylens.extract import context, dates, events, money, numbers, policies, targets
from policylens.extract.context import DocContext
from policylens.model import (
    CleanText,
    DateValue,
    Document,
    Item,
    OffsetMap,
    PolicyMention,
    Provenance,
    RawDocument,
    Span,
)


def texts(pieces: list[str], max_size: int = 24) -> st.SearchStrategy[str]:
    """Return texts joined from pieces: the characters a pattern turns on, and others."""
    return st.lists(st.sampled_from(pieces), max_size=max_size).map("".join)


def spans_and_groups(matches: object) -> list[tuple[tuple[int, int], tuple[str | None, ...]]]:
    return [(m.span(), m.groups()) for m in matches]  # type: ignore[attr-defined]


# -- dates -------------------------------------------------------------------------------

DATE_PIECES = [
    *"0123456789２٣年月日号份，,。；：\n -/—至",
    " ",
    "\u3000",
    "2023",
    "2019",
    "1999",
    "12",
    "今年",
    "去年",
    "明年",
    "个月",
    "发布",
    "元宇宙",
    # Whole dates and their parts, so that most texts hold some.
    "2023年",
    "2019 年",
    "9月",
    "12 月",
    "18日",
    "1日",
    "2023年9月18日",
    "2023-9-18",
    "11月，",
    "5月份",
]


@settings(max_examples=1500)
@given(text=texts(DATE_PIECES))
def test_month_matches_are_the_patterns_matches(text):
    for pattern, before in (
        (dates.FULL_DATE, "年"),
        (dates.MONTH_DAY, ""),
        (dates.YEAR_MONTH, "年"),
    ):
        assert spans_and_groups(dates.month_matches(pattern, text, before)) == spans_and_groups(
            pattern.finditer(text)
        )


@settings(max_examples=1000)
@given(text=texts(DATE_PIECES))
def test_date_gates_pass_every_text_their_patterns_match(text):
    if dates.BARE_MONTH.search(text):
        assert dates.BARE_MONTH_END.search(text)
    if dates.RELATIVE_MONTH.search(text):
        assert any(word in text for word in dates.RELATIVE_YEARS)


def _find_dates_reference(text: str) -> list[dates.DateHit]:
    """find_dates as it was: every pattern over the whole text."""
    hits: list[dates.DateHit] = []
    taken_starts: list[int] = []
    taken_ends: list[int] = []

    def add(hit: dates.DateHit) -> None:
        before = bisect.bisect_left(taken_starts, hit.end)
        if (before and taken_ends[before - 1] > hit.start) or not dates._valid(
            hit.year, hit.month, hit.day
        ):
            return
        taken_starts.insert(before, hit.start)
        taken_ends.insert(before, hit.end)
        hits.append(hit)

    has_month = "月" in text
    has_year = "年" in text
    if has_month and has_year and "日" in text:
        for m in dates.FULL_DATE.finditer(text):
            add(dates._full_hit(m))
    if "-" in text:
        for m in dates.ISO_DATE.finditer(text):
            add(dates._full_hit(m))
    if not has_month:
        return sorted(hits, key=lambda h: h.start)
    if has_year:
        for m in dates.RELATIVE_MONTH.finditer(text):
            day = int(m.group(3)) if m.group(3) else None
            add(
                dates.DateHit(
                    m.start(), m.end(), m.group(0), None, int(m.group(2)), day, m.group(1)
                )
            )
    if "日" in text:
        for m in dates.MONTH_DAY.finditer(text):
            add(
                dates.DateHit(
                    m.start(), m.end(), m.group(0), None, int(m.group(1)), int(m.group(2))
                )
            )
    if has_year:
        for m in dates.YEAR_MONTH.finditer(text):
            add(
                dates.DateHit(
                    m.start(), m.end(), m.group(0), int(m.group(1)), int(m.group(2)), None
                )
            )
    for m in dates.BARE_MONTH.finditer(text):
        add(
            dates.DateHit(
                m.start(1), m.end(), m.group(0).strip("，。；：\n"), None, int(m.group(1)), None
            )
        )
    return sorted(hits, key=lambda h: h.start)


@settings(max_examples=1500)
@given(text=texts(DATE_PIECES, max_size=30))
def test_find_dates_finds_what_every_pattern_over_the_text_finds(text):
    assert dates.find_dates(text) == _find_dates_reference(text)


def _document_year_reference(text: str) -> int | None:
    masked = dates.DEADLINE.sub(lambda m: " " * len(m.group(0)), text)
    masked = dates.PERIOD.sub(lambda m: " " * len(m.group(0)), masked)
    years = Counter(int(m.group(1)) for m in dates.YEAR_MENTION.finditer(masked))
    if not years:
        return None
    return max(years, key=lambda y: (years[y], y))


@given(text=texts([*DATE_PIECES, "到", "力争", "2025", "—", "产业", "2024"]))
def test_document_year_counts_as_before(text):
    assert dates.document_year(text) == _document_year_reference(text)


@given(
    year=st.integers(2000, 2030),
    month=st.integers(1, 12),
    day=st.none() | st.integers(1, 28),
    clues=st.builds(
        dates.YearClues,
        *(st.none() | st.integers(2000, 2030) for _ in range(5)),
    ),
)
def test_a_hit_with_its_own_year_resolves_without_clues(year, month, day, clues):
    hit = dates.DateHit(0, 8, "…", year, month, day)
    assert dates.resolve(hit, context.NO_CLUES) == dates.resolve(hit, clues)


@settings(max_examples=1000)
@given(text=texts(DATE_PIECES, max_size=30), data=st.data())
def test_hits_between_are_those_the_filter_keeps(text, data):
    hits = dates.find_dates(text)
    # Bounds at, just before and just after the hits' own ends, where a slip would show.
    edges = sorted({e + d for h in hits for e in (h.start, h.end) for d in (-1, 0, 1)} | {0})
    bounds = st.sampled_from(edges) | st.integers(0, len(text) + 1)
    floor, end = data.draw(bounds), data.draw(bounds)
    assert context.hits_between(hits, floor, end) == [
        h for h in hits if floor <= h.start and h.end <= end
    ]


# -- sentence and clause marks -----------------------------------------------------------

MARK_PIECES = [*"，,；;。：:！？（(\n、和及与 ", "元宇宙", "打造", "培育", "2", "3个", "企业"]


def _after_last_listed(pattern: re.Pattern[str], text: str, position: int) -> int:
    breaks = [m.end() for m in pattern.finditer(text, 0, position)]
    return breaks[-1] if breaks else 0


@settings(max_examples=1000)
@given(text=texts(MARK_PIECES), data=st.data())
def test_last_mark_finders_find_the_last_listed_break(text, data):
    position = data.draw(st.integers(0, len(text)))
    for marks, finder in (
        (targets.CLAUSE_BREAK, targets.LAST_CLAUSE_BREAK),
        (targets.SCALE_BREAK, targets.LAST_SCALE_BREAK),
        (money.CLAUSE, money.LAST_CLAUSE),
    ):
        assert context.after_last_mark(finder, text, position) == _after_last_listed(
            marks, text, position
        )


@settings(max_examples=1000)
@given(text=texts(MARK_PIECES), data=st.data())
def test_count_phrase_end_is_the_nearer_of_break_and_next_figure(text, data):
    position = data.draw(st.integers(0, len(text)))
    end = len(text)
    for pattern in (targets.CLAUSE_BREAK, targets.NEXT_FIGURE):
        match = pattern.search(text, position)
        if match:
            end = min(end, match.start())
    found = targets.COUNT_PHRASE_END.search(text, position)
    assert (found.start() if found else len(text)) == end


def _clause_bounds_reference(text: str, position: int) -> tuple[int, int]:
    marks = tuple(match.start() for match in money.CLAUSE.finditer(text))
    after = bisect.bisect_left(marks, position)
    start = marks[after - 1] + 1 if after else 0
    return start, (marks[after] if after < len(marks) else len(text))


@given(text=texts(MARK_PIECES), data=st.data())
def test_clause_bounds_are_those_of_the_listed_marks(text, data):
    position = data.draw(st.integers(0, len(text)))
    assert money._clause_bounds(text, position) == _clause_bounds_reference(text, position)


# -- targets -----------------------------------------------------------------------------

FUTURE_PIECES = [
    *"到至将，。\n 《》",
    "2025",
    "20",
    "力争",
    "目标",
    "计划",
    "预计",
    "预计划",
    "提出",
    "工作安排",
    "建议",
    "规模",
]


@settings(max_examples=1000)
@given(text=texts(FUTURE_PIECES), data=st.data())
def test_first_future_end_tells_whether_a_future_word_precedes(text, data):
    start = data.draw(st.integers(0, len(text)))
    position = data.draw(st.integers(start, len(text)))
    targets._first_future_end.cache_clear()
    assert (targets._first_future_end(text, start) <= position) == bool(
        targets.FUTURE.search(text[start:position])
    )


@settings(max_examples=1000)
@given(text=texts([*targets.COUNT_VERB_WORDS, *"，、和及与 \n\u3000x", "建设等"]))
def test_count_verb_and_list_mark_suffix_tests_are_the_patterns(text):
    stripped = text.rstrip()
    assert stripped.endswith(targets.COUNT_VERB_WORDS) == bool(targets.COUNT_VERBS.search(stripped))
    assert bool(stripped and stripped[-1] in targets.LIST_MARKS) == bool(
        re.search(r"[，、和及与]\s*$", text)
    )


@given(text=texts(["目标", "发展目标", "目", "标", "总体", "主要", "任务"]))
def test_goal_word_is_goal_heading(text):
    assert (targets.GOAL_WORD in text) == bool(targets.GOAL_HEADING.search(text))


def _goal_year_reference(item: Item, position: int, policy: str | None) -> int | None:
    before = [year for offset, year in dates.deadline_years(item.text) if offset < position]
    if before:
        return before[-1]
    paragraph = item.text[item.text.rfind("\n", 0, position) + 1 : position]
    for text in (*item.path[:1], policy or "", item.title, paragraph):
        found = dates.period(text)
        if found:
            return found[1]
        report = targets.REPORT_YEAR.search(text)
        if report:
            return int(report.group(1))
    return None


@given(
    text=texts(["到", "至", "力争到", "2025", "2023", "年", "，", "\n", "规模", "—"]),
    data=st.data(),
)
def test_goal_year_takes_the_last_deadline_before(text, data):
    item = Item(0, "plan_section", "", Span(0, len(text)), text)
    position = data.draw(st.integers(0, len(text)))
    assert targets._goal_year(item, position, None) == _goal_year_reference(item, position, None)


# -- policies ----------------------------------------------------------------------------

VERB_PIECES = [
    *"等个部门今去年月日的了就 \n，。由",
    *"0123五十",
    "联合",
    "正式",
    "近日",
    "日前",
    "印发",
    "发布",
    "出台",
    "审议通过",
    "关于印发",
    "工业和信息化部",
    "牵头",
    "主办",
    "中央网信办",
]


@settings(max_examples=1500)
@given(prefix=texts(VERB_PIECES))
def test_issuing_verbs_are_found_from_their_reading_start(prefix):
    start = policies._verb_reading_start(prefix)
    for pattern in (policies.ISSUE_VERB, policies.DEPARTMENTS_BEFORE):
        found, reference = pattern.search(prefix, start), pattern.search(prefix)
        assert (found and (found.span(), found.groups())) == (
            reference and (reference.span(), reference.groups())
        )
    if policies.LED_BY.search(prefix):
        assert "由" in prefix


def test_national_agency_test_kept_per_text_is_its_definition(res):
    for text in ("工业和信息化部办公厅", "四川省经济和信息化厅", "国务院", "", "上海市人民政府"):
        for _ in range(2):  # asked again, the kept answer
            assert res.national_agency_in(text) == any(
                name in text for name in res.national_agencies
            )


def _mention(title: str, kind: str | None) -> PolicyMention:
    span = Span(0, 1)
    return PolicyMention(
        title=title,
        normalized_title=title,
        kind=kind,
        draft=False,
        issuers=(),
        issuer_places=(),
        issuer_count=None,
        place=None,
        date=None,
        doc_number=None,
        period=None,
        prov=Provenance(0, span, span, "《", "policy.v1"),
    )


def _unify_short_forms_reference(mentions: list[PolicyMention]) -> list[PolicyMention]:
    titles = {m.normalized_title: m for m in mentions}
    out = []
    for mention in mentions:
        core = policies.title_core(mention.normalized_title)
        full = next(
            (
                t
                for t, other in titles.items()
                if t != mention.normalized_title
                and other.kind == mention.kind
                and (
                    policies.title_core(t) == core
                    or policies._is_short_form(core, policies.title_core(t))
                )
                and len(t) > len(mention.normalized_title)
            ),
            None,
        )
        out.append(replace(mention, normalized_title=full) if full else mention)
    return out


@given(
    mentions=st.lists(
        st.builds(
            _mention,
            texts(["创新", "基地", "申报", "指南", "(2023)", "行动", "计划"], max_size=5),
            st.sampled_from([None, "指南", "行动计划"]),
        ),
        max_size=8,
    )
)
def test_short_forms_unify_as_before(mentions):
    assert policies.unify_short_forms(mentions) == _unify_short_forms_reference(mentions)
    # Past FEW_TITLES, only the titles holding every character of a core are compared.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(policies, "FEW_TITLES", 0)
        assert policies.unify_short_forms(mentions) == _unify_short_forms_reference(mentions)


# -- numbers, money, events --------------------------------------------------------------


def _quantity_reference(match: re.Match[str], text: str) -> numbers.Quantity | None:
    parts = match.groupdict("")
    if not (parts["unit"] or parts["mag"]):
        return None
    try:
        low = numbers.to_number(parts["num"])
    except ValueError:
        return None
    high = float(parts["num2"]) if parts["num2"] else low
    scale = numbers.MAGNITUDE.get(parts["mag"], 1.0)
    start, end = match.start("pre") if parts["pre"] else match.start("num"), match.end()
    return numbers.Quantity(
        start,
        end,
        text[start:end],
        low * scale,
        high * scale,
        numbers._unit(parts),
        numbers._qualifier(parts),
    )


@settings(max_examples=1500)
@given(text=texts(QUANTITY_PIECES, max_size=16))
def test_quantities_read_from_kept_readings_are_as_before(text):
    for match in numbers.QUANTITY.finditer(text):
        assert numbers._quantity(match, text) == _quantity_reference(match, text)
    # Vague amounts are read only from texts naming 万 or 亿.
    if numbers.VAGUE.search(text):
        assert "万" in text or "亿" in text
    for quantity in numbers.find_quantities(text):
        assert quantity.is_money == (quantity.unit in numbers.CURRENCY.values())


@settings(max_examples=1000)
@given(text=texts([*"轮 A天使BPre-+，。", "融资", "投资", "战略投资", "募资", "数亿元", "完成"]))
def test_a_text_without_a_financed_round_has_no_round_to_read(text):
    if not money._has_financed_round(text):
        assert not [
            m
            for m in money.ROUND.finditer(text)
            if re.match(r"\s*(?:融资|战略投资|投资|募资)", text[m.end() : m.end() + 6])
        ]


@given(
    text=texts([*events.EVENT_WORDS, "2023", "第三届", "“", "”", "会", "全国首个", "平台", "，"])
)
def test_event_gates_pass_every_text_their_patterns_match(text):
    if events.EVENT.search(text):
        assert any(word in text for word in events.EVENT_WORDS)
        assert "会" in text or "坛" in text or "式" in text
    if events.FIRST_OF_KIND.search(text):
        assert "首" in text


# -- places and provenance ---------------------------------------------------------------


@given(
    text=texts(["四川", "成都", "成都市", "上海市黄浦区", "黄浦", "朝阳区", "，", "发布", "全国"])
)
def test_place_spans_are_the_mentions(res, text):
    gazetteer = res.gazetteer
    assert gazetteer.find_spans(text) == [
        (m.start, m.end, m.candidates) for m in gazetteer.find(text)
    ]
    assert gazetteer.resolve_text(text) == gazetteer._resolve_text(text)


def test_chain_codes_are_the_chains(res):
    gazetteer = res.gazetteer
    for code in gazetteer.chains:
        assert gazetteer.chain_codes[code] == tuple(d.code for d in gazetteer.chain(code))


@settings(max_examples=300)
@given(
    origins=st.lists(st.integers(0, 3), min_size=1, max_size=40).map(
        lambda steps: [sum(steps[: i + 1]) + i for i in range(len(steps))]
    ),
    data=st.data(),
)
def test_provenance_in_an_items_run_is_that_of_the_offset_map(res, origins, data):
    offsets = OffsetMap.from_origins(origins)
    clean = "文" * len(origins)
    raw = "原" * (origins[-1] + 2)
    item_start = data.draw(st.integers(0, len(clean)))
    item_end = data.draw(st.integers(item_start, len(clean)))
    item = Item(0, "article", "", Span(item_start, item_end), clean[item_start:item_end])
    document = Document(
        RawDocument("x", "", "txt", None, raw),
        CleanText(clean, offsets),
        (item,),
        datetime(2024, 1, 1),
    )
    ctx = DocContext(document, res, None, None, 2024)
    start = data.draw(st.integers(0, len(item.text)))
    end = data.draw(st.integers(start, len(item.text)))
    span = Span(item_start + start, item_start + end)
    raw_span = offsets.span_to_raw(span)
    assert ctx.prov(item, start, end, "x.v1") == Provenance(
        0, span, raw_span, raw[raw_span.start : raw_span.end], "x.v1"
    )


def test_a_resolved_date_is_kept_per_hit(res):
    text = "9月18日，2023年10月1日"
    item = Item(0, "digest_entry", "", Span(0, len(text)), text)
    document = Document(
        RawDocument("x", "", "txt", None, text),
        CleanText(text, OffsetMap.from_origins(range(len(text)))),
        (item,),
        datetime(2024, 1, 1),
    )
    ctx = DocContext(document, res, 2022, None, 2024)
    first, second = ctx.dates(item)
    assert ctx.resolve_date(item, first) == DateValue("2022-09-18", "9月18日", "document")
    assert ctx.resolve_date(item, second) == DateValue("2023-10-01", "2023年10月1日", "explicit")
    assert ctx.resolve_date(item, first) is ctx.resolve_date(item, first)

"""Numbers and money, including the cases where JioNLP's parse_money goes wrong on our text."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import QUANTITY_PIECES
from policylens.extract import numbers
from policylens.extract.numbers import find_quantities


def only(text):
    found = find_quantities(text)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    ("text", "low", "high", "unit", "qualifier"),
    [
        ("产业规模达到2500亿元", 2.5e11, 2.5e11, "CNY", "exact"),
        ("超60个元宇宙案例", 60, 60, "count", "exceeds"),  # jionlp: 6 元
        ("2万多个岗位", 2e4, 2e4, "count", "exceeds"),  # jionlp: money
        ("建成2—3个元宇宙产业园区", 2, 3, "count", "range"),
        ("孵化20多个区块链特色应用", 20, 20, "count", "exceeds"),
        ("一次性奖励最高200万元", 2e6, 2e6, "CNY", "exact"),
        ("给予1亿元资助", 1e8, 1e8, "CNY", "exact"),
        ("给予一亿元资助", 1e8, 1e8, "CNY", "exact"),
        ("同比增长194%", 194, 194, "percent", "exact"),
        ("规模逾2000亿", 2e11, 2e11, "CNY", "exceeds"),
        ("2000亿元以上", 2e11, 2e11, "CNY", "at_least"),
        ("约1.8亿元", 1.8e8, 1.8e8, "CNY", "about"),
        ("不超过20个", 20, 20, "count", "at_most"),
        ("3000多亿元", 3e11, 3e11, "CNY", "exceeds"),
        ("上云企业3万家", 3e4, 3e4, "count", "exact"),
    ],
)
def test_numbers_quantities(text, low, high, unit, qualifier):
    q = only(text)
    assert (q.low, q.high, q.unit, q.qualifier) == (
        pytest.approx(low),
        pytest.approx(high),
        unit,
        qualifier,
    )


def test_numbers_vague_amount_is_a_flagged_range():
    q = only("完成数亿元C轮融资")
    assert q.vague and q.unit == "CNY" and (q.low, q.high) == (1e8, 1e9)


@pytest.mark.parametrize("text", ["2023 元宇宙产业图谱", "2023元宇宙", "第23届中国国际工业博览会"])
def test_numbers_years_before_yuanyuzhou_are_not_money(text):
    # jionlp.extract_money("2023 元宇宙…") gives "2023 元"
    assert not [q for q in find_quantities(text) if q.is_money]


@given(value=st.integers(min_value=1, max_value=99999), magnitude=st.sampled_from(["万", "亿"]))
def test_numbers_money_round_trips(value, magnitude):
    q = only(f"达到{value}{magnitude}元")
    assert q.low == pytest.approx(value * {"万": 1e4, "亿": 1e8}[magnitude]) and q.is_money


def _quantities_read_over_the_whole_text(text: str) -> list[numbers.Quantity]:
    found = (numbers._quantity(m, text) for m in numbers.QUANTITY.finditer(text))
    return [q for q in found if q is not None]


QUANTITY_TEXT = st.lists(st.sampled_from(QUANTITY_PIECES), max_size=16)


@settings(max_examples=2000)
@given(pieces=QUANTITY_TEXT)
def test_quantities_read_where_the_seeker_points_are_those_of_the_whole_text(pieces):
    text = "".join(pieces)
    # find_quantities reads QUANTITY only around the places its seeker finds.
    assert [
        q for q in find_quantities(text) if not q.vague
    ] == _quantities_read_over_the_whole_text(text)


# QUANTITY as first written: its numeral run could start at any numeral and give numerals
# back; read from a run's first numeral and never given back, it must match the same.
_QUANTITY_FIRST_FORM = re.compile(
    numbers.QUANTITY.pattern.replace(
        "(?<![零一二两三四五六七八九十百千])[零一二两三四五六七八九十百千]++",
        "[零一二两三四五六七八九十百千]+",
    )
)


@settings(max_examples=1000)
@given(pieces=QUANTITY_TEXT)
def test_quantity_pattern_matches_its_first_form(pieces):
    text = "".join(pieces)
    assert _QUANTITY_FIRST_FORM.pattern != numbers.QUANTITY.pattern
    found = [(m.span(), m.groups()) for m in numbers.QUANTITY.finditer(text)]
    assert found == [(m.span(), m.groups()) for m in _QUANTITY_FIRST_FORM.finditer(text)]


@pytest.mark.parametrize(
    "run",
    ["1234567890" * 6000, "1.2." * 15000, "一二三四五六七八九十" * 6000],
    ids=["digits", "dotted", "numerals"],
)
def test_long_runs_of_digits_and_numerals_are_read_in_one_pass(run):
    # Each of these took minutes: the seeker, then the numeral run, rescanned the rest of
    # the run from every position in it.
    text = f"规模达到{run}亿元，培育{run}个"
    assert find_quantities(text) == _quantities_read_over_the_whole_text(text)

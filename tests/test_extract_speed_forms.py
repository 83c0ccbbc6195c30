"""Property tests holding extraction's second round of fast forms to the forms they replaced.

Each reference below is the earlier code, kept here as the old form: the fast form must give
the same result on every input. Hostile inputs (long runs, many figures in one line) are
timed against a bound far above what a linear reading takes.
"""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import QUANTITY_PIECES
from policylens.extract import context, dates, events, numbers, policies, targets


def texts(pieces: list[str], max_size: int = 24) -> st.SearchStrategy[str]:
    """Return texts joined from pieces: the characters a pattern turns on, and others."""
    return st.lists(st.sampled_from(pieces), max_size=max_size).map("".join)


# -- quantities --------------------------------------------------------------------------

# Other scripts' decimal digits are \d to the engine and decimal to str: both forms must
# treat them as digits.
# "2023..5个": a match may end inside a run of numerals, whose rest is read on its own.
SPEED_QUANTITY_PIECES = [*QUANTITY_PIECES, "٣", "０", "..", "2023..", "1.2.", "5个", "x", "，"]
OLD_NUMBER_RUN = re.compile(r"[\d.零一二两三四五六七八九十百千]+")


def _old_reading_start(text: str, position: int, floor: int) -> int:
    while position > floor and (
        text[position - 1] in numbers.QUANTITY_CHARACTERS
        or text[position - 1].isspace()
        or text[position - 1].isdecimal()
    ):
        position -= 1
    return position


def _find_quantities_old_form(text: str) -> list[numbers.Quantity]:
    """find_quantities as it was: every run of numerals found in Python, and QUANTITY read
    from each run that a mark follows (vague amounts aside)."""
    found: list[numbers.Quantity] = []
    read_to = 0
    run_end, in_quantity_run = 0, False
    while True:
        if read_to >= run_end:
            run = OLD_NUMBER_RUN.search(text, read_to)
            if run is None:
                break
            seen, run_end = run.start(), run.end()
            in_quantity_run = numbers.AFTER_NUMBER.match(text, run_end) is not None
        else:
            seen = read_to
        if not in_quantity_run:
            read_to = run_end
            continue
        for match in numbers.QUANTITY.finditer(text, _old_reading_start(text, seen, read_to)):
            read_to = match.end()
            quantity = numbers._quantity(match, text)
            if quantity is not None:
                found.append(quantity)
            if read_to > seen:
                break
        else:
            break
    return found


@settings(max_examples=2000)
@given(text=texts(SPEED_QUANTITY_PIECES, max_size=20))
def test_quantities_are_those_of_the_old_form(text):
    assert [q for q in numbers.find_quantities(text) if not q.vague] == (
        _find_quantities_old_form(text)
    )


@pytest.mark.parametrize("text", ["2023..5个", "2—3.5.6个", "1.2.3万", "三.5亿元", "十元5个"])
def test_quantities_read_from_inside_a_run_are_those_of_the_old_form(text):
    assert numbers.find_quantities(text) == _find_quantities_old_form(text)


@settings(max_examples=1000)
@given(text=texts(SPEED_QUANTITY_PIECES, max_size=20))
def test_quantity_runs_are_the_runs_a_mark_follows(text):
    assert [m.span() for m in numbers.QUANTITY_RUN.finditer(text)] == [
        run.span()
        for run in OLD_NUMBER_RUN.finditer(text)
        if numbers.AFTER_NUMBER.match(text, run.end())
    ]


def _qualifier_reading_start(text: str, position: int, floor: int) -> int:
    while position > floor and (
        text[position - 1] in numbers.QUALIFIER_CHARACTERS or text[position - 1].isspace()
    ):
        position -= 1
    return position


@settings(max_examples=1000)
@given(text=texts([*SPEED_QUANTITY_PIECES, "\u3000", "\t"]), data=st.data())
def test_reading_start_is_found_as_by_the_loop_over_characters(text, data):
    floor = data.draw(st.integers(0, len(text)))
    position = data.draw(st.integers(floor, len(text)))
    assert numbers._reading_start(text, position, floor) == _qualifier_reading_start(
        text, position, floor
    )


@pytest.mark.parametrize(
    "text",
    [
        "1234567890" * 6000,
        "1.2." * 15000,
        "2—3.5." * 10000 + "个",
        "，".join(f"{i}个" for i in range(20000)),
        "".join(f"超过{i}亿元" for i in range(20000)),
        "超过" * 30000 + "5个",
        "1" + " " * 60000 + "个",
    ],
    ids=["digits", "dotted", "ranges", "figures", "figures-no-break", "qualifiers", "spaces"],
)
def test_hostile_quantity_texts_are_read_in_linear_time(text):
    started = time.perf_counter()
    found = numbers.find_quantities(text)
    # A linear reading takes well under a second; a quadratic one takes minutes.
    assert time.perf_counter() - started < 5
    assert found == [q for q in found if q.end <= len(text)]


# -- dates -------------------------------------------------------------------------------

DATE_RUN_PIECES = [*"0123456789٣年月日 \n\u3000x，", "2023", "12"]


def _old_run_start(text: str, month: int, read_to: int, before: str) -> int:
    start = month
    while start > read_to and (
        text[start - 1].isdecimal() or text[start - 1].isspace() or text[start - 1] in before
    ):
        start -= 1
    return start


@settings(max_examples=1500)
@given(text=texts(DATE_RUN_PIECES), data=st.data())
def test_run_before_a_month_starts_where_the_loop_over_characters_stopped(text, data):
    month = data.draw(st.integers(0, len(text)))
    read_to = data.draw(st.integers(0, month))
    for before in ("年", ""):
        other = dates._run_start_finder(before).match(text, read_to, month)
        assert (other.end() if other else read_to) == _old_run_start(text, month, read_to, before)


# -- events ------------------------------------------------------------------------------

EVENT_PIECES = [
    *events.EVENT_WORDS,
    *"会坛式博览年大，。、；：\n”“x ",
    "2023",
    "第三届",
    "第12届",
    "世界元宇宙",
    "工博",
    "委员会",
]


def test_every_event_word_ends_with_one_of_the_last_characters():
    assert all(word[-1] in events.EVENT_WORD_LAST_CHARACTERS for word in events.EVENT_WORDS)
    assert not any(set(events.NAME_BREAK.pattern) & set(word) for word in events.EVENT_WORDS)


@settings(max_examples=2000)
@given(text=texts(EVENT_PIECES, max_size=30))
def test_event_matches_are_those_of_the_pattern_over_the_text(text):
    assert [(m.span(), m.group("name")) for m in events.event_matches(text)] == [
        (m.span(), m.group("name")) for m in events.EVENT.finditer(text)
    ]
    assert events.event_word_ends(text) == sorted(
        {
            at + len(word)
            for word in events.EVENT_WORDS
            for at in range(len(text))
            if text.startswith(word, at)
        }
    )


# -- targets -----------------------------------------------------------------------------

SECTORS = ("数字经济核心产业", "元宇宙核心产业", "数字经济", "元宇宙", "区块链", "算力")
SECTOR_PIECES = [*SECTORS, "相关产业", "核心产业", "规模", "，", "。", "带动", "x", "元宇"]


def _sector_nearby_old_form(
    text: str, position: int, policy: str | None, sectors: tuple[str, ...]
) -> str | None:
    head = text[context.sentence_start(text, position) : position]
    named = [(head.rfind(s), -len(s), s) for s in sectors if s in head]
    found = (
        min(named, key=lambda n: (-n[0], n[1]))[2]
        if named
        else targets.sector_of(policy or "", sectors)
    )
    if found and "相关产业" in text[context.sentence_start(text, position) : position][-12:]:
        return found.replace("核心产业", "")
    return found


@settings(max_examples=1500)
@given(
    text=texts(SECTOR_PIECES, max_size=16),
    policy=st.sampled_from([None, "", "元宇宙行动计划", "区块链方案"]),
    data=st.data(),
)
def test_sector_nearby_is_that_of_the_old_form(text, policy, data):
    position = data.draw(st.integers(0, len(text)))
    floor = context.sentence_start(text, position)
    assert targets._sector_nearby(text, position, floor, policy, SECTORS) == (
        _sector_nearby_old_form(text, position, policy, SECTORS)
    )


# -- policies ----------------------------------------------------------------------------


def _old_verb_reading_start(prefix: str) -> int:
    start = len(prefix)
    while start and (
        prefix[start - 1] in policies.VERB_CHARACTERS
        or prefix[start - 1].isspace()
        or prefix[start - 1].isdecimal()
    ):
        start -= 1
    return start


@settings(max_examples=1500)
@given(
    prefix=texts([*policies.VERB_CHARACTERS, *"x，。 \n\u30000129٣", "工业和信息化部", "《", "》"])
)
def test_verb_reading_start_is_where_the_loop_over_characters_stopped(prefix):
    assert policies._verb_reading_start(prefix) == _old_verb_reading_start(prefix)


# -- sentences ---------------------------------------------------------------------------


@given(text=texts([*"。！？；\n，x ", "元宇宙"]))
def test_sentence_ends_are_the_ends_of_the_marks(text):
    assert context.sentence_ends(text) == (
        0,
        *(match.end() for match in context.SENTENCE_END.finditer(text)),
    )


@pytest.mark.parametrize("text", ["零十五个", "超过零十零万元", "培育零十一家企业"])
def test_numerals_cn2an_cannot_read_are_no_quantity(text):
    # cn2an raised KeyError on these, which stopped the whole document's extraction.
    assert numbers.find_quantities(text) == []

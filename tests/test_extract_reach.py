"""How far extractors read around a figure or title: a sentence, clause or paragraph, and
never more than ``READING_REACH`` characters, so a line that never breaks (a broken
conversion, a hostile file) is read in time that grows with its length, not its square."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from policylens.extract import context, targets
from policylens.extract.context import READING_REACH
from policylens.model import PolicyMention, RawDocument, Target
from policylens.pipeline import process

# Sentence marks, clause marks and filler, in runs long enough to pass the reach.
PIECES = st.sampled_from(["。", "\n", "，", "；", "、", "元宇宙", "产业", "x" * 300, "规模"])
TEXTS = st.lists(PIECES, max_size=40).map("".join)


def _last_mark_before(marks: re.Pattern[str], text: str, position: int) -> int:
    """The offset after the last mark before ``position``, 0 without one (unbounded)."""
    found = [m.end() for m in marks.finditer(text, 0, position)]
    return found[-1] if found else 0


@settings(max_examples=300, deadline=None)
@given(text=TEXTS, at=st.floats(0, 1))
def test_reach_bounds_every_sentence_clause_and_paragraph_and_nothing_else(text, at):
    position = int(at * len(text))
    floor = max(0, position - READING_REACH)
    unbounded_sentence = _last_mark_before(context.SENTENCE_END, text, position)
    assert context.sentence_start(text, position) == max(unbounded_sentence, floor)
    assert context.paragraph_start(text, position) == max(text.rfind("\n", 0, position) + 1, floor)
    clause = _last_mark_before(targets.CLAUSE_BREAK, text, position)
    assert context.after_last_mark(targets.LAST_CLAUSE_BREAK, text, position) == max(clause, floor)
    following = context.SENTENCE_END.search(text, position)
    end = following.end() if following else len(text)
    assert context.sentence_end(text, position) == min(end, position + READING_REACH)


def _document(text: str, res):
    return process(RawDocument("line.txt", "0" * 64, "txt", "utf_8", text), res)


def test_reach_a_line_of_thousands_of_titles_reads_each_issuer(res):
    # 3,000 notices run together with no sentence break: each title's subject is the
    # bodies just before its verb, not the line back to its start.
    units = [
        f"工业和信息化部等{i % 9 + 2}部门印发《关于推动{i}号元宇宙发展的指导意见》"
        for i in range(3000)
    ]
    document = _document("关于元宇宙的通知\n" + "".join(units) + "\n", res)
    mentions = [f for f in document.facts if isinstance(f, PolicyMention)]
    assert len(mentions) == 3000
    assert {m.issuers for m in mentions} == {("工业和信息化部",)}
    assert [m.issuer_count for m in mentions] == [i % 9 + 2 for i in range(3000)]


def test_reach_a_line_of_thousands_of_goals_reads_each_as_alone(res):
    units = [
        f"到2025年元宇宙核心产业规模达到{i + 10}亿元、培育{i % 50 + 2}家企业" for i in range(2000)
    ]
    document = _document("一、发展目标\n" + "，".join(units) + "\n", res)
    found = [f for f in document.facts if isinstance(f, Target)]
    scales = [t.value_high for t in found if t.metric == "core_industry_scale"]
    counts = [t.value_high for t in found if t.unit == "count"]
    assert scales == [float(i + 10) * 1e8 for i in range(2000)]
    assert counts == [float(i % 50 + 2) for i in range(2000)]
    assert {t.target_year for t in found} == {2025}


def test_reach_a_title_further_back_than_the_reach_does_not_claim_a_figure(res):
    # Within reach, the goal belongs to the plan named before it in its paragraph; past the
    # reach that plan is not read, and the goal falls to the item's own (its first) policy.
    first = "武汉市印发《武汉市元宇宙创新发展实施方案》。\n成都市印发《成都市元宇宙行动计划》，提出"
    goal = "到2025年元宇宙产业规模达到500亿元\n"
    filler = "，".join(["推动元宇宙产业发展"] * 120) + "，"  # 1,200 characters, no sentence mark
    (near,) = [f for f in _document(first + goal, res).facts if isinstance(f, Target)]
    (far,) = [f for f in _document(first + filler + goal, res).facts if isinstance(f, Target)]
    assert (near.policy, near.place.name) == ("成都市元宇宙行动计划", "四川省成都市")
    assert (far.policy, far.place.name) == ("武汉市元宇宙创新发展实施方案", "湖北省武汉市")
    assert near.value_high == far.value_high == 5e10 and near.target_year == far.target_year

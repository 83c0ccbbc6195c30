"""Facts extracted from real documents: provenance, the rules that must hold, and tricky cases."""

from __future__ import annotations

import pytest

from conftest import corpus_files
from policylens.config import load_settings
from policylens.ingest import Source, load
from policylens.model import Deal, Funding, ItemDate, PolicyMention, RawDocument, Target
from policylens.pipeline import process


@pytest.fixture(scope="module")
def documents(res):
    settings = load_settings(env={})
    return {p.stem[:3]: process(load(Source(str(p)), settings), res) for p in corpus_files()}


def of_type(document, kind):
    return [f for f in document.facts if isinstance(f, kind)]


def from_text(text, res):
    raw = RawDocument("test.txt", "0" * 64, "txt", "utf_8", text)
    return process(raw, res)


@pytest.mark.parametrize("name", ["000", "001", "002", "003", "004"])
def test_extract_every_fact_quotes_the_raw_text_at_its_span(documents, name):
    document = documents[name]
    assert document.facts
    for fact in document.facts:
        span, raw = fact.prov.raw_span, document.raw.raw_text
        assert raw[span.start : span.end] == fact.prov.quote
        clean = document.clean.text[fact.prov.span.start : fact.prov.span.end]
        item = document.items[fact.prov.item_index]
        assert item.span.start <= fact.prov.span.start <= fact.prov.span.end <= item.span.end
        assert clean.strip()


def test_extract_year_less_digest_date_gets_year_and_says_where_from(documents):
    dates = {f.prov.quote: f.date for f in of_type(documents["000"], ItemDate)}
    assert dates["9月22日"].value == "2023-09-22"
    assert dates["9月22日"].year_from == "document"


def test_extract_policy_from_cover_notice(documents):
    policy = next(
        f
        for f in of_type(documents["003"], PolicyMention)
        if documents["003"].items[f.prov.item_index].kind == "notice"
    )
    assert policy.normalized_title == "四川省元宇宙产业发展行动计划(2023-2025年)"
    assert policy.doc_number == "川经信信安〔2023〕142号"
    assert policy.date.value == "2023-09-12"
    assert len(policy.issuers) == 16 and policy.issuers[0] == "四川省经济和信息化厅"
    assert (policy.place.name, policy.place.level) == ("四川省", "provincial")
    assert policy.kind == "行动计划" and policy.period == (2023, 2025)


def test_extract_issuers_with_department_count(documents):
    policy = next(f for f in of_type(documents["001"], PolicyMention) if f.issuer_count)
    assert policy.issuers == ("四川经济和信息化厅",) and policy.issuer_count == 16


def test_extract_department_count_in_numerals_that_are_no_number_leaves_the_count_out(res):
    # 十十 is no number to cn2an: it raised, and the whole document was lost.
    document = from_text("工业和信息化部等十十部门印发《关于推动元宇宙产业发展的通知》。", res)
    (policy,) = of_type(document, PolicyMention)
    assert policy.issuers == ("工业和信息化部",) and policy.issuer_count is None
    counted = from_text("工业和信息化部等十部门印发《关于推动元宇宙产业发展的通知》。", res)
    assert of_type(counted, PolicyMention)[0].issuer_count == 10


def test_extract_digital_economy_figure_is_never_a_metaverse_one(res):
    document = from_text(
        "到2025年，全省数字经济核心产业规模达到1万亿元，元宇宙相关产业规模达到500亿元，"
        "培育20家元宇宙领军企业。",
        res,
    )
    targets = {t.value_low: t for t in of_type(document, Target)}
    assert targets[1e12].sector == "数字经济核心产业"
    assert targets[1e12].metric == "core_industry_scale"
    assert targets[5e10].sector == "元宇宙" and targets[5e10].metric == "industry_scale"
    assert targets[20].metric == "leading_enterprises" and targets[20].target_year == 2025


def test_extract_past_statistics_and_support_money_are_not_targets(res):
    document = from_text(
        "2023年上半年，国内元宇宙投融资事件共计221起。对新落户企业给予一次性奖励最高200万元。", res
    )
    assert of_type(document, Target) == []
    funding = of_type(document, Funding)
    assert [f.amount_cny_max for f in funding] == [2e6]


def test_extract_deals(documents):
    deals = {(d.company, d.round): d for d in of_type(documents["001"], Deal)}
    assert ("零数科技", "B2轮") in deals
    c_round = deals[("当红齐天", "C轮")]
    assert c_round.vague and c_round.amount_text == "数亿元"
    assert "华控基金" in c_round.investors


def test_extract_each_issuer_is_mapped_to_its_region(documents):
    policies = of_type(documents["000"], PolicyMention) + of_type(documents["003"], PolicyMention)
    by_title = {p.normalized_title: p for p in policies}
    national = by_title["工业和信息化部元宇宙标准化工作组筹建方案(征求意见稿)"]
    assert national.place.level == "national"
    sichuan = by_title["四川省元宇宙产业发展行动计划(2023-2025年)"]
    assert set(sichuan.issuer_places) == {"四川省"}
    assert len(sichuan.issuer_places) == len(sichuan.issuers) == 16

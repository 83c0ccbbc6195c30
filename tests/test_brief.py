"""Briefs on the sample corpus: the seeds' own periods written back as weekly, newsletter, roundup.

The knowledge base holds all five seeds (built once per module). For the period and topics
of seeds 000 (weekly brief), 001 (newsletter) and 004 (roundup) the brief must contain the
stories those seeds tell (matched by item, near-duplicate cluster and linked policy), each
once, dated with its year, every number traceable to a stored fact or a cited source,
every footnote a stored source, and no residue of the raw documents.
"""

from __future__ import annotations

import dataclasses
import io
import re
from html.parser import HTMLParser

import docx
import pytest
from typer.testing import CliRunner

from conftest import CORPUS
from policylens import api
from policylens.brief.model import Sentence
from policylens.brief.render_md import md_escape
from policylens.brief.rules import (
    BriefRulesError,
    load_brief_rules,
    parse_section_rule,
    parse_text_rules,
)
from policylens.brief.summarize import (
    add_year,
    body_bounds,
    has_headline,
    headline,
    sentence_spans,
    squeeze,
    summarize,
    trim,
)
from policylens.brief.text import chinese_date
from policylens.brief.textrank import choose, lead_bias, pagerank, similarity, textrank, units
from policylens.cli import app
from policylens.errors import NotFoundError
from policylens.store import ItemRecord
from policylens.store.facts import FactRecord

# The seeds written back: their period, the style they are written in.
SEEDS = {
    "000": ("2023-09-17", "2023-09-24", "weekly"),
    "001": ("2023-09-14", "2023-10-12", "newsletter"),
    "004": ("2023-01-01", "2023-03-31", "roundup"),
}
# Policies whose issue each seed reports (normalized-title parts): each must be one entry.
SEED_POLICIES = {
    "000": [
        "工业和信息化部元宇宙标准化工作组筹建方案",
        "重庆市元宇宙产业发展行动计划",
        "关于加快培育发展未来产业的实施意见",
    ],
    "001": [
        "工业和信息化部元宇宙标准化工作组筹建方案",
        "四川省元宇宙产业发展行动计划",
        "山东省加快元宇宙产业创新发展的指导意见",
        "重庆市元宇宙产业发展行动计划",
        "黄浦区关于把握科创回归都市趋势",
        "上海区块链关键技术攻关专项行动方案",
    ],
    "004": [
        "昆明市数字经济发展三年行动计划",
        "成都市元宇宙产业发展行动方案",
        "重庆市永川区元宇宙产业发展三年行动计划",
        "2023年江苏省政府工作报告",
        "上海市信心扩大需求稳定增长促进发展行动计划",
        "苏州培育元宇宙产业创新发展指导意见",
        "创新基地申报指南",
        "推进“大零号湾”科技创新源功能区建设方案",
        "关于加快元宇宙创新发展的扶持政策",
        "关于促进北京互联网3.0产业创新发展的工作计划",
        "朝阳区互联网3.0创新发展三年行动计划",
    ],
}
NEWS_KINDS = ("digest_entry", "article", "notice")
NUMBER = re.compile(r"\d+(?:\.\d+)?")
PINYIN_GLOSS = re.compile(r"\([a-zü]*[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ][a-zü]*\)")
RESIDUE = ("当前位置", "温馨提示", "**", "植德短评", "¹", "²", "³", "(chǎn)")
TRADITIONAL = set("產業發規劃計濟實現與為區塊鏈")
SCALES = (1, 1e4, 1e8, 1e12)


def seed_of(document: str) -> str:
    return document.replace("\\", "/").rsplit("/", 1)[-1][:3]


@pytest.fixture(scope="module")
def kb_url(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('brief') / 'kb.db'}"
    assert api.ingest([str(CORPUS)], db=url).count("stored") == 5
    return url


@pytest.fixture(scope="module")
def kb(kb_url):
    return api.knowledge(kb_url)


@pytest.fixture(scope="module")
def items(kb) -> dict[int, ItemRecord]:
    return {item.id: item for item in kb.items}


@pytest.fixture(scope="module")
def facts(kb) -> dict[int, FactRecord]:
    return {fact.id: fact for fact in kb.facts}


def seed_topics(kb, seed: str) -> tuple[str, ...]:
    """Return the topics tagged on a seed's items: the topics of that brief."""
    labels = {f.label for f in kb.facts if f.kind == "topic" and seed_of(f.document) == seed}
    return tuple(sorted(labels))


@pytest.fixture(scope="module")
def briefs(kb):
    return {
        seed: api.brief(start, end, style, seed_topics(kb, seed), kb=kb)
        for seed, (start, end, style) in SEEDS.items()
    }


@pytest.fixture(scope="module")
def markdown(briefs):
    return {seed: api.render_brief(brief, "md", explain=True) for seed, brief in briefs.items()}


def seed_news(kb, seed: str, topics: tuple[str, ...]) -> list[ItemRecord]:
    """Return a seed's news items carrying one of the topics."""
    tagged = {
        (f.document_id, f.item_index) for f in kb.facts if f.kind == "topic" and f.label in topics
    }
    return [
        item
        for item in kb.items
        if seed_of(item.document) == seed
        and item.kind in NEWS_KINDS
        and (item.document_id, item.index) in tagged
    ]


# --- The seeds' stories, each once ---------------------------------------------------------


@pytest.mark.parametrize("seed", sorted(SEEDS))
def test_brief_contains_every_story_of_the_seed(seed, kb, briefs):
    brief = briefs[seed]
    entry_of = {i: e for e in brief.entries for i in e.item_ids}
    expected = seed_news(kb, seed, brief.query.topics)
    assert expected
    missing = [item.title for item in expected if item.id not in entry_of]
    assert not missing, missing


@pytest.mark.parametrize("seed", sorted(SEEDS))
def test_brief_reports_each_seed_policy_as_one_entry(seed, kb_url, briefs):
    brief = briefs[seed]
    for part in SEED_POLICIES[seed]:
        ids = {p.id for p in api.policies(kb_url, contains=part)}
        assert ids, part
        holding = [e for e in brief.entries if ids & set(e.policy_ids)]
        assert len(holding) == 1, (part, [e.headline for e in holding])


@pytest.mark.parametrize("seed", sorted(SEEDS))
def test_brief_has_no_entry_twice(seed, briefs):
    entries = briefs[seed].entries
    for key in ("item_ids", "policy_ids", "cluster_ids"):
        seen = [value for e in entries for value in getattr(e, key)]
        assert len(seen) == len(set(seen)), key
    headlines = [e.headline for e in entries]
    assert len(headlines) == len(set(headlines))


def test_brief_near_duplicates_are_one_entry_citing_every_source(kb, briefs):
    clusters = {c.id: c for c in kb.clusters}
    weekly = briefs["000"]
    for entry in weekly.entries:
        for cluster_id in entry.cluster_ids:
            members = {m.item_id for m in clusters[cluster_id].members}
            assert members <= set(entry.item_ids)
            cited = {weekly.source(n).document_id for n in entry.source_numbers}
            assert {m.document_id for m in clusters[cluster_id].members} <= cited
    # The Chongqing plan: told by the weekly brief and the newsletter, one entry citing both.
    chongqing = [e for e in weekly.entries if "重庆" in e.headline]
    assert len(chongqing) == 1
    cited = {seed_of(weekly.source(n).document) for n in chongqing[0].source_numbers}
    assert cited == {"000", "001"}
    # The Henan work report, twice in the roundup, is one entry there.
    henan = [e for e in briefs["004"].entries if len(e.item_ids) == 2]
    assert len(henan) == 1 and "河南" in henan[0].headline


def test_brief_policy_entry_cites_every_document_naming_the_policy(kb_url, briefs):
    sichuan = next(p for p in api.policies(kb_url, contains="四川省元宇宙产业发展行动计划"))
    entry = next(e for e in briefs["001"].entries if sichuan.id in e.policy_ids)
    cited = {briefs["001"].source(n).document_id for n in entry.source_numbers}
    named = {s.document_id for s in api.policy(sichuan.id, kb_url).sources}
    assert named <= cited and len(named) >= 2


def test_brief_roundup_is_numbered_in_date_order(briefs):
    entries = briefs["004"].entries
    assert [e.number for e in entries] == [f"{i:02d}" for i in range(1, len(entries) + 1)]
    dates = [e.date for e in entries]
    assert all(dates) and dates == sorted(dates)


def test_brief_weekly_numbering_restarts_per_section(briefs):
    for section in briefs["000"].sections:
        assert [e.number for e in section.entries] == [
            str(i) for i in range(1, len(section.entries) + 1)
        ]
    names = [s.name for s in briefs["000"].sections]
    assert names[0] == "政策动态" and "区块链" in names and "元宇宙" in names


def test_brief_newsletter_sections_follow_the_data_file(briefs):
    names = [s.name for s in briefs["001"].sections]
    assert names == ["政策速递", "行业新闻", "交易资讯"]
    by_section = {e.headline: e.section for e in briefs["001"].entries}
    assert by_section["重庆发布元宇宙产业发展行动计划"] == "政策速递"
    assert by_section["零数科技获国家信息中心旗下国信中数 B2轮战略投资"] == "交易资讯"


# --- Dates, numbers, footnotes, residue ----------------------------------------------------


@pytest.mark.parametrize("seed", sorted(SEEDS))
def test_brief_dates_have_years_and_come_from_date_facts(seed, briefs, facts, items):
    brief = briefs[seed]
    for entry in brief.entries:
        if entry.date is None:
            # Only a story no source dates: none of its items has a date fact.
            assert not any(
                f.kind == "date" and (f.document_id, f.item_index) == (i.document_id, i.index)
                for i in (items[x] for x in entry.item_ids)
                for f in facts.values()
            )
            continue
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", entry.date)
        assert brief.query.date_from <= entry.date <= brief.query.date_to
        assert any(facts[i].date == entry.date for i in entry.fact_ids if i in facts)
        for sentence in entry.summary:
            # A year-less "9月22日" of the story's own date is given its year.
            month_day = f"{int(entry.date[5:7])}月{int(entry.date[8:])}日"
            if month_day in squeeze(sentence.quote):
                assert chinese_date(entry.date) in sentence.text


def test_brief_roundup_dates_are_the_seed_dates(briefs, items):
    for entry in briefs["004"].entries:
        written = chinese_date(entry.date)
        assert any(written in squeeze(items[i].text) for i in entry.item_ids), entry.headline


def _value_numbers(fact: FactRecord) -> set[str]:
    found: set[str] = set(NUMBER.findall(fact.quote))
    values = fact.values
    for key in ("value_low", "value_high", "amount_cny_max", "amount_low", "amount_high"):
        if isinstance(values.get(key), int | float):
            found |= {f"{values[key] / scale:g}" for scale in SCALES}
    for value in (fact.date, str(values.get("target_year") or "")):
        found |= {str(int(part)) for part in NUMBER.findall(value or "")}
    return found


def allowed_numbers(entry, brief, items, facts) -> set[str]:
    """Return the numbers an entry may print: in its cited sources' words, its facts' values,
    or the period asked for ("知识库中2023年9月14日以前…")."""
    cited = {brief.source(n).item_id for n in entry.source_numbers} | set(entry.item_ids)
    texts = " ".join(squeeze(items[i].text) for i in cited if i in items)
    allowed = set(NUMBER.findall(texts))
    query = brief.query.date_from + " " + brief.query.date_to
    allowed |= {str(int(part)) for part in NUMBER.findall(query)}
    for fact_id in entry.fact_ids:
        allowed |= _value_numbers(facts[fact_id])
    return allowed


@pytest.mark.parametrize("seed", sorted(SEEDS))
def test_brief_every_number_is_a_fact_value_or_in_a_cited_source(seed, briefs, items, facts):
    brief = briefs[seed]
    for entry in brief.entries:
        allowed = allowed_numbers(entry, brief, items, facts)
        printed = " ".join(
            [
                entry.headline,
                chinese_date(entry.date) if entry.date else "",
                *(s.text for s in entry.summary),
                *(c.text for c in entry.commentary),
            ]
        )
        stray = set(NUMBER.findall(printed)) - allowed
        assert not stray, (entry.headline, stray)
    for row in brief.table:
        assert set(NUMBER.findall(row.value + str(row.target_year))) <= _value_numbers(
            facts[row.fact_id]
        )


@pytest.mark.parametrize("seed", sorted(SEEDS))
def test_brief_markdown_prints_no_number_of_its_own(seed, briefs, items, facts):
    brief = briefs[seed]
    text = api.render_brief(brief, "md")
    text = re.sub(r"^\[\^\d+\]:.*$", "", text, flags=re.M)  # footnote definitions
    text = re.sub(r"\[\^\d+\]", "", text)  # footnote marks
    text = re.sub(r"^(\s*\d+\. |### \d+ )", "", text, flags=re.M)  # entry numbers
    text = text.replace(brief.period, "")
    allowed = set(NUMBER.findall(brief.query.date_from + brief.query.date_to))
    for entry in brief.entries:
        allowed |= allowed_numbers(entry, brief, items, facts)
    for fact in brief.facts:
        allowed |= _value_numbers(fact)
    assert not set(NUMBER.findall(text)) - allowed


def test_brief_summary_sentences_are_quotes_of_the_items(briefs, items):
    for brief in briefs.values():
        for entry in brief.entries:
            assert entry.summary, entry.headline
            for sentence in entry.summary:
                item = items[sentence.item_id]
                assert sentence.item_id in entry.item_ids
                assert item.text[sentence.start :].startswith(sentence.quote)
                assert _only_trimmed(sentence, entry.date), sentence.text


def _only_trimmed(sentence: Sentence, date: str | None) -> bool:
    """Return whether the printed sentence is its quote with words removed and a year added."""
    text = sentence.text
    if date:
        text = text.replace(
            f"{date[:4]}年",
            "",
            text.count(f"{date[:4]}年") - squeeze(sentence.quote).count(f"{date[:4]}年"),
        )
    quote = squeeze(sentence.quote)
    position = 0
    for char in text:
        position = quote.find(char, position)
        if position < 0:
            return False
        position += 1
    return True


@pytest.mark.parametrize("seed", sorted(SEEDS))
def test_brief_footnotes_resolve_to_stored_sources(seed, kb, briefs, markdown):
    brief = briefs[seed]
    documents = {d.id: d for d in kb.documents}
    links = {(i.document_id, link.url) for i in kb.items for link in i.links}
    cited = {n for e in brief.entries for n in e.source_numbers}
    assert cited == set(range(1, len(brief.sources) + 1))
    for source in brief.sources:
        document = documents[source.document_id]
        assert source.document == document.source
        assert source.url is None or (source.document_id, source.url) in links
        definition = re.search(rf"^\[\^{source.number}\]: (.*)$", markdown[seed], re.M)
        assert definition, source.number
        assert (source.url or seed_of(document.source)) in definition[1]
    used = {int(n) for n in re.findall(r"\[\^(\d+)\](?!:)", markdown[seed])}
    assert used == cited


@pytest.mark.parametrize("seed", sorted(SEEDS))
@pytest.mark.parametrize("fmt", ["md", "html"])
def test_brief_has_no_residue(seed, fmt, briefs):
    text = api.render_brief(briefs[seed], fmt, explain=True)
    assert not PINYIN_GLOSS.search(text)
    for residue in RESIDUE:
        assert residue not in text, residue
    assert not re.search(r"^\s*\d{1,3}\s*$", text, re.M)  # a page number on its own line
    assert not TRADITIONAL & set(text)


# --- Commentary ----------------------------------------------------------------------------


def test_brief_commentary_ranks_sichuan_among_known_provincial_plans(briefs, facts):
    entry = next(e for e in briefs["001"].entries if "四川" in e.headline)
    rank = next(c for c in entry.commentary if c.kind == "rank")
    assert "第二个" in rank.text and "省级" in rank.text
    assert "2500亿元" in rank.text and "三者中最高" in rank.text
    assert "浙江省" in rank.text and "重庆市" in rank.text
    values = {facts[i].values.get("value_high") for i in rank.fact_ids}
    assert {2.5e11, 2e11, 1e11} <= values
    history = next(c for c in entry.commentary if c.kind == "region_history")
    assert "成都市元宇宙产业发展行动方案" in history.text
    assert all(facts[i].region and facts[i].region.startswith("四川省") for i in history.fact_ids)


def test_brief_commentary_on_a_deal_says_what_is_known(briefs):
    entry = next(e for e in briefs["001"].entries if "零数科技" in e.headline)
    (claim,) = [c for c in entry.commentary if c.kind == "deal_history"]
    assert "零数科技" in claim.text and "尚无" in claim.text


def test_brief_every_claim_rests_on_stored_facts(briefs, facts):
    for brief in briefs.values():
        claims = [*brief.overview, *(c for e in brief.entries for c in e.commentary)]
        for claim in claims:
            assert claim.fact_ids and all(i in facts for i in claim.fact_ids), claim.text
            assert set(claim.fact_ids) <= {f.id for f in brief.facts}
    assert any(e.commentary for e in briefs["001"].entries)
    assert not any(e.commentary for e in briefs["004"].entries)  # a roundup has none


@pytest.mark.parametrize("seed", sorted(SEEDS))
def test_brief_new_topics_are_absent_before_the_period(seed, kb, briefs, facts):
    brief = briefs[seed]
    claims = [*brief.overview, *(c for e in brief.entries for c in e.commentary)]
    new = {facts[i].label for c in claims if c.kind == "new_topic" for i in c.fact_ids}
    assert new or seed == "000"
    # An undated item is as old as its document's earliest item date (a plan without
    # item dates: as its earliest dated policy, the cover notice's).
    oldest: dict[int, str] = {}
    for kind in ("policy", "date"):
        dates: dict[int, str] = {}
        for fact in kb.facts:
            if fact.kind == kind and fact.date and len(fact.date) == 10:
                dates[fact.document_id] = min(dates.get(fact.document_id, "9999"), fact.date)
        oldest.update(dates)
    for fact in kb.facts:
        if fact.kind == "topic" and fact.label in new:
            item_dates = [
                f.date
                for f in kb.facts
                if f.kind == "date"
                and (f.document_id, f.item_index) == (fact.document_id, fact.item_index)
            ]
            dated = item_dates[0] if item_dates else oldest.get(fact.document_id, "9999")
            assert dated >= brief.query.date_from, (fact.label, fact.document)
    for claim in claims:
        if claim.kind == "new_topic":
            assert chinese_date(brief.query.date_from) in claim.text


def test_brief_explain_lists_facts_with_quotes_and_sources(markdown, briefs):
    text = markdown["001"]
    assert "## 依据" in text
    for fact in briefs["001"].facts[:10]:
        assert f"事实 #{fact.id}（{fact.kind}" in text


def test_brief_table_compares_like_with_like(briefs):
    table = briefs["001"].table
    assert {row.region for row in table} >= {"四川省", "重庆市"}
    assert len({row.metric for row in table}) == 1
    values = [row.value for row in table]
    assert values[0] == "2500亿元"


# --- Filters -------------------------------------------------------------------------------


def test_brief_region_filter_keeps_the_region_and_places_under_it(kb):
    brief = api.brief("2023-09-14", "2023-10-12", "newsletter", region="四川", kb=kb)
    headlines = [e.headline for e in brief.entries]
    assert any("四川" in h for h in headlines) and any("成都" in h for h in headlines)
    assert not any("重庆" in h for h in headlines)
    assert brief.title.startswith("四川")


def test_brief_topic_filter_takes_topic_words(kb):
    by_word = api.brief("2023-09-17", "2023-09-24", topics="区块链", kb=kb)
    by_name = api.brief("2023-09-17", "2023-09-24", topics=["blockchain"], kb=kb)
    assert [e.headline for e in by_word.entries] == [e.headline for e in by_name.entries]
    assert not any("新妹" in e.headline for e in by_word.entries)
    with pytest.raises(NotFoundError):
        api.brief("2023-09-17", "2023-09-24", topics="no-such-topic", kb=kb)


def test_brief_empty_period_has_no_entries(kb):
    brief = api.brief("2020-01-01", "2020-01-31", "weekly", kb=kb)
    assert brief.entries == () and brief.sources == ()
    assert "本期没有符合条件的条目" in api.render_brief(brief, "md")


@pytest.mark.parametrize(
    ("start", "end", "style", "message"),
    [
        ("2023-09-17", "2023-09-24", "daily", "style"),
        ("2023/09/17", "2023-09-24", "weekly", "YYYY-MM-DD"),
        ("2023-02-30", "2023-03-24", "weekly", "YYYY-MM-DD"),
        ("2023-09-24", "2023-09-17", "weekly", "before"),
    ],
)
def test_brief_bad_query_is_a_clear_error(kb, start, end, style, message):
    with pytest.raises(api.BriefError, match=message):
        api.brief(start, end, style, kb=kb)


# --- Formats -------------------------------------------------------------------------------


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def _parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.close()
    return page


@pytest.mark.parametrize("seed", sorted(SEEDS))
def test_brief_html_is_one_self_contained_page(seed, briefs):
    brief = briefs[seed]
    page = _parse(api.render_brief(brief, "html"))
    assert page.tags.count("style") == 1 and "script" not in page.tags
    assert not any(tag in page.tags for tag in ("link", "img", "iframe"))
    assert any(tag == "meta" and a.get("name") == "viewport" for tag, a in page.attrs)
    notes = [a for tag, a in page.attrs if tag == "li" and (a.get("id") or "").startswith("fn-")]
    assert len(notes) == len(brief.sources)
    hrefs = [a["href"] for tag, a in page.attrs if tag == "a" and a.get("href")]
    assert all(h.startswith(("#", "http://", "https://")) for h in hrefs)
    assert "@media print" in api.render_brief(brief, "html")


def test_brief_html_escapes_document_text(briefs):
    brief = briefs["001"]
    evil = "<script>alert('x')</script>"
    entry = brief.entries[0]
    sentence = dataclasses.replace(entry.summary[0], text=f"{evil}与“引号”&")
    hostile = dataclasses.replace(
        entry, headline=f"{evil}标题", summary=(sentence, *entry.summary[1:])
    )
    source = dataclasses.replace(brief.sources[0], title=evil, url="javascript:alert(1)")
    sections = (
        dataclasses.replace(brief.sections[0], entries=(hostile, *brief.sections[0].entries[1:])),
        *brief.sections[1:],
    )
    changed = dataclasses.replace(brief, sections=sections, sources=(source, *brief.sources[1:]))
    html = api.render_brief(changed, "html")
    page = _parse(html)
    assert "script" not in page.tags
    assert evil in "".join(page.text)
    assert not any((a.get("href") or "").startswith("javascript") for _, a in page.attrs)
    assert "&lt;script&gt;" in html


def test_brief_markdown_escapes_document_text():
    assert md_escape("<script>**x**</script>") == "\\<script\\>\\*\\*x\\*\\*\\</script\\>"
    assert md_escape("001_91daaad.txt") == "001_91daaad.txt"


def _docx(brief) -> docx.document.Document:
    return docx.Document(io.BytesIO(api.render_brief(brief, "docx", explain=True)))


@pytest.mark.parametrize("seed", sorted(SEEDS))
def test_brief_docx_has_headings_lists_contents_and_notes(seed, briefs):
    brief = briefs[seed]
    document = _docx(brief)
    paragraphs = document.paragraphs
    styles = [p.style.name for p in paragraphs]
    assert styles[0] == "Title" and paragraphs[0].text == brief.title
    headings = [p.text for p in paragraphs if p.style.name == "Heading 1"]
    assert headings[0] == "目录" and "注释" in headings
    assert {s.name for s in brief.sections} <= set(headings)
    numbered = [p for p in paragraphs if p.style.name == "List Number"]
    contents = numbered[: len(brief.entries)]
    assert [p.text for p in contents] == [e.headline for e in brief.entries]
    assert all(p._p.pPr.numPr is not None for p in numbered)
    notes_at = next(i for i, p in enumerate(paragraphs) if p.text == "注释")
    notes = paragraphs[notes_at + 1 : notes_at + 1 + len(brief.sources)]
    for source, paragraph in zip(brief.sources, notes, strict=True):
        assert paragraph.text.startswith(f"[{source.number}] ")
    marks = {r.text for p in paragraphs for r in p.runs if r.font.superscript}
    assert marks == {str(n) for e in brief.entries for n in e.source_numbers}
    if brief.query.style != "weekly":
        entry_headings = [p.text for p in paragraphs if p.style.name == "Heading 2"]
        assert len(entry_headings) == len(brief.entries)


def test_brief_docx_weekly_lists_restart_per_section(briefs):
    document = _docx(briefs["000"])
    numbered = [p for p in document.paragraphs if p.style.name == "List Number"]
    ids = [p._p.pPr.numPr.numId.val for p in numbered]
    # The contents, then one list per section, each its own numbering instance.
    assert len(set(ids)) == 2 * len(briefs["000"].sections)


def test_brief_docx_table_when_the_period_has_one(briefs):
    document = _docx(briefs["001"])
    assert len(document.tables) == 1
    cells = [c.text for c in document.tables[0].rows[1].cells]
    assert cells[0] == "四川省" and cells[3] == "2500亿元"


# --- CLI ---------------------------------------------------------------------------------


def run(*args):
    return CliRunner().invoke(app, list(args))


def test_brief_cli_writes_markdown_html_and_docx(kb_url, tmp_path):
    result = run(
        "brief", "--from", "2023-09-17", "--to", "2023-09-24", "--style", "weekly",
        "--topic", "metaverse,blockchain", "--db", kb_url,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("# 元宇宙·区块链周报")
    html = tmp_path / "brief.html"
    result = run("brief", "--from", "2023-09-14", "--to", "2023-10-12", "--style", "newsletter",
                 "-o", str(html), "--db", kb_url)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert html.read_text("utf-8").startswith("<!DOCTYPE html>")
    out = tmp_path / "roundup.docx"
    result = run("brief", "--from", "2023-01-01", "--to", "2023-03-31", "--style", "roundup",
                 "--format", "docx", "-o", str(out), "--explain", "--db", kb_url)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert docx.Document(str(out)).paragraphs[0].style.name == "Title"


def test_brief_cli_explain_appends_the_evidence(kb_url):
    result = run("brief", "--from", "2023-09-14", "--to", "2023-10-12", "--style", "newsletter",
                 "--explain", "--db", kb_url)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "## 依据" in result.stdout and "事实 #" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--style", "daily"], "--style"),
        (["--format", "pdf"], "--format"),
        (["--topic", "nonsense"], "unknown topic"),
    ],
)
def test_brief_cli_bad_options_fail_in_one_line(kb_url, args, message):
    result = run("brief", "--from", "2023-09-17", "--to", "2023-09-24", *args, "--db", kb_url)
    assert result.exit_code == 2
    assert message in result.output


# --- The pure parts: TextRank, sentences, trimming, rules -----------------------------------


def test_textrank_similarity_is_shared_units_over_log_lengths():
    a, b = units("元宇宙产业规模"), units("元宇宙产业园区")
    assert similarity(a, b) == similarity(b, a) > 0
    assert similarity(units("区块链"), units("数字人")) == 0
    assert units("Web3.0与NFT") >= {"web3.0", "nft"}


def test_textrank_scores_the_central_sentence_highest():
    sentences = [
        "四川印发元宇宙行动计划。",
        "四川元宇宙行动计划提出产业规模目标，重庆元宇宙行动计划也提出产业规模目标。",
        "重庆提出产业规模目标。",
        "天气晴朗。",
    ]
    scores = textrank(sentences)
    assert max(range(4), key=scores.__getitem__) == 1
    assert min(range(4), key=scores.__getitem__) == 3
    assert sum(scores) == pytest.approx(1.0)


def test_textrank_pagerank_with_bias_and_without_edges():
    assert pagerank([]) == []
    assert pagerank([[0.0, 0.0], [0.0, 0.0]]) == pytest.approx([0.5, 0.5])
    biased = pagerank([[0.0, 0.0], [0.0, 0.0]], bias=[3.0, 1.0])
    assert biased == pytest.approx([0.75, 0.25])
    assert lead_bias(3) == [1.0, 0.5, pytest.approx(1 / 3)]


def test_textrank_choose_fits_the_budget_in_text_order():
    sentences = ["甲" * 50, "乙" * 30, "丙" * 30, "丁" * 10]
    scores = [0.1, 0.4, 0.3, 0.2]
    assert choose(sentences, scores, 70) == [1, 2, 3]
    assert choose(sentences, scores, 70, keep=(0,)) == [0, 3]
    assert choose(sentences, scores, 5) == [1]  # the best is always taken


def test_summary_sentences_split_at_full_stops_not_inside_quotes():
    text = (
        "“从扫码到拿证，只要几分钟。”他说，“全国首张。很有意义。”随后发布。\n下一段，\n接着说完。"
    )
    spans = [text[a:b] for a, b in sentence_spans(text)]
    assert spans == [
        "“从扫码到拿证，只要几分钟。”",
        "他说，“全国首张。很有意义。”",
        "随后发布。",
        "下一段，\n接着说完。",
    ]


def test_summary_trim_removes_asides_connectives_and_footnote_digits():
    rules = load_brief_rules().text
    assert trim("据悉，重庆市经信委印发《行动计划》（下称《计划》）。", rules) == (
        "重庆市经信委印发《行动计划》。"
    )
    assert trim("9 月 22 日，重庆 印发。", rules) == "9月22日，重庆印发。"
    assert trim('价值。" 11', rules) == "价值。"


def test_summary_add_year_only_to_the_story_date():
    assert add_year("9月22日，重庆印发，10月1日起施行。", "2023-09-22") == (
        "2023年9月22日，重庆印发，10月1日起施行。"
    )
    assert add_year("2023年9月22日，重庆印发。", "2023-09-22") == "2023年9月22日，重庆印发。"
    assert add_year("9月22日，重庆印发。", None) == "9月22日，重庆印发。"


def _item(text: str, title: str, number: str | None = None, item_id: int = 1) -> ItemRecord:
    return ItemRecord(
        id=item_id, document_id=1, document="x.txt", index=0, kind="digest_entry", title=title,
        section=None, number=number, path=[], responsible=[], span=(0, len(text)),
        raw_span=(0, len(text)), text=text, links=[],
    )  # fmt: skip


def test_summary_headline_and_body_of_an_item():
    rules = load_brief_rules().text
    item = _item(
        "1、重庆印发行动计划\n9月22日，重庆印发计划。\n\n植德短评：\n\n很好。",
        "重庆印发行动计划",
        "1",
    )
    assert has_headline(item) and headline(item, rules, 2023) == "重庆印发行动计划"
    start, end = body_bounds(item, rules)
    assert item.text[start:end].strip() == "9月22日，重庆印发计划。"
    bare = _item(
        "9月17日，新华网消息，河南频频发力，抢抓区块链“风口”！2022年4月，园区揭牌。", "河南"
    )
    assert not has_headline(bare)
    assert headline(bare, rules, 2023) == "河南频频发力，抢抓区块链“风口”！"
    odd = _item("2025年，成都发布政策\n2023年1月3日，成都发布政策。", "2025年，成都发布政策")
    assert headline(odd, rules, 2023) == "成都发布政策"
    summary = summarize(item, rules, 100, "2023-09-22")
    assert [s.text for s in summary] == ["2023年9月22日，重庆印发计划。"]
    assert summary[0].quote == "9月22日，重庆印发计划。"


def test_brief_rules_data_is_checked():
    rules = load_brief_rules()
    assert set(rules.styles()) == {"weekly", "newsletter", "roundup"}
    assert rules.section_order("newsletter") == ("政策速递", "行业新闻", "交易资讯")
    assert parse_section_rule("weekly\t区块链\ttopic=blockchain").value == "blockchain"
    with pytest.raises(BriefRulesError):
        parse_section_rule("weekly\t区块链\tcolour=blue")
    with pytest.raises(BriefRulesError):
        parse_text_rules(["strip\t(unclosed"])


def test_brief_rules_from_a_user_data_dir(tmp_path):
    (tmp_path / "brief_sections.tsv").write_text("weekly\t全部\t*\n", encoding="utf-8")
    rules = load_brief_rules(tmp_path)
    assert rules.section_order("weekly") == ("全部",)
    assert rules.text.cut  # the other file still comes from the package


@pytest.mark.postgres
def test_brief_is_the_same_on_postgresql(pg_url, tmp_path):
    seeds = [str(p) for p in sorted(CORPUS.glob("00[01]_*.txt"))]
    sqlite_url = f"sqlite:///{tmp_path / 'kb.db'}"
    written = []
    for url in (sqlite_url, pg_url):
        assert api.ingest(seeds, db=url).count("stored") == 2
        brief = api.brief("2023-09-14", "2023-10-12", "newsletter", db=url)
        written.append(api.render_brief(brief, "md", explain=False))
    assert written[0] == written[1]
    assert "重庆发布元宇宙产业发展行动计划" in written[0]

"""What every format prints the same way: labels, the meta line, footnote and evidence lines."""

from __future__ import annotations

from policylens.brief.model import Brief, Entry, Source
from policylens.brief.summarize import squeeze
from policylens.brief.text import chinese_date
from policylens.report.tables import short_name
from policylens.store.facts import FactRecord

CONTENTS = "目录"
NOTES = "注释"
EVIDENCE = "依据"
TABLE_TITLE = "本期政策目标一览"
TABLE_COLUMNS = ("地区", "政策", "指标", "目标", "目标年份")
COMMENT_LABEL = "短评（据知识库）："
UNDATED = "日期未注明"


def meta_line(brief: Brief) -> str:
    """Return the line under the title: the period, and the region asked for (if any)."""
    parts = [brief.period]
    if brief.query.region:
        parts.append(f"地区：{brief.query.region}")
    return " · ".join(parts)


def entry_date(entry: Entry) -> str:
    """Return an entry's date as printed: 2023年9月18日, or that no source gives one."""
    return chinese_date(entry.date) if entry.date else UNDATED


def numbered_headline(entry: Entry, style: str) -> str:
    """Return the heading of an entry: the roundup's "01 标题", else the headline alone."""
    return f"{entry.number} {entry.headline}" if style == "roundup" else entry.headline


def source_label(source: Source) -> str:
    """Return a footnote's text: its URL and the document it was read from, else the document."""
    name = short_name(source.document)
    if source.url:
        return source.url if source.url == source.document else f"{source.url}（见：{name}）"
    return f"{name}：{source.title}" if source.title else name


def summary_text(entry: Entry) -> str:
    """Return an entry's summary as one paragraph."""
    return "".join(sentence.text for sentence in entry.summary)


def table_rows(brief: Brief) -> list[list[str]]:
    """Return the target table's cells, in TABLE_COLUMNS order."""
    return [
        [row.region, f"《{row.policy}》", row.metric, row.value, str(row.target_year or "")]
        for row in brief.table
    ]


def fact_line(fact: FactRecord, quote: str) -> str:
    """Return one fact as --explain lists it: id, kind, label, the quote, the document."""
    words = squeeze(quote)
    return f"事实 #{fact.id}（{fact.kind}：{fact.label}）“{words}” — {short_name(fact.document)}"


def evidence_lines(brief: Brief, entry: Entry) -> list[str]:
    """Return what --explain prints for an entry: summary provenance and every fact used."""
    lines = [f"摘要句：条目 #{s.item_id}，第{s.start}字起：“{s.quote}”" for s in entry.summary]
    facts = {fact.id: fact for fact in brief.facts}
    quotes = dict(brief.quotes)
    lines += [
        fact_line(facts[i], quotes.get(i, facts[i].quote)) for i in entry.fact_ids if i in facts
    ]
    return lines


def overview_evidence(brief: Brief) -> list[str]:
    """Return what --explain prints for the overview and the table."""
    facts = {fact.id: fact for fact in brief.facts}
    quotes = dict(brief.quotes)
    ids = [i for claim in brief.overview for i in claim.fact_ids]
    ids += [row.fact_id for row in brief.table]
    return [fact_line(facts[i], quotes.get(i, facts[i].quote)) for i in ids if i in facts]

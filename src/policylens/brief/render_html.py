"""A brief as one self-contained HTML page: inline CSS, no scripts or outside assets.

It reads on a phone (one fluid column) and prints (entries kept whole, links spelled
out). Every piece of document text is escaped, and only http(s) URLs become links.
"""

from __future__ import annotations

import re
from html import escape

from policylens.brief import layout
from policylens.brief.model import Brief, Entry, Source

LINKABLE = re.compile(r"^https?://[^\s\"'<>]+$")
CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; color: #1f2328; background: #fff; line-height: 1.75;
  font-family: "PingFang SC", "Hiragino Sans GB", "Noto Sans CJK SC", "Source Han Sans SC",
    "Microsoft YaHei", system-ui, sans-serif; }
main { max-width: 46rem; margin: 0 auto; padding: 1.25rem 1rem 3rem; }
h1 { font-size: 1.6rem; line-height: 1.35; margin: .3em 0; }
h2 { font-size: 1.25rem; border-bottom: 2px solid #d0d7de; padding-bottom: .2em; margin-top: 2em; }
h3 { font-size: 1.05rem; line-height: 1.5; margin: 1.4em 0 .2em; }
p { margin: .5em 0; }
.meta, .date { color: #57606a; font-size: .9rem; }
.overview { background: #fff8c5; padding: .5em .8em; border-radius: 4px; }
.comment { background: #f6f8fa; border-left: 4px solid #0969da; padding: .4em .8em; }
nav.toc ol { padding-left: 1.3em; }
ol.entries { padding-left: 1.6em; }
ol.entries > li { margin-bottom: 1em; }
ol.entries > li > .headline { font-weight: 600; }
sup a { text-decoration: none; }
.notes li, .evidence li { font-size: .88rem; word-break: break-all; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: .92rem; }
th, td { border: 1px solid #d0d7de; padding: .3em .5em; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
@media (max-width: 30rem) { main { padding: .8rem .7rem 2rem; } h1 { font-size: 1.35rem; } }
@media print {
  main { max-width: none; padding: 0; }
  a { color: inherit; text-decoration: none; }
  .entry, ol.entries > li, tr { break-inside: avoid; }
  nav.toc { break-after: page; }
  .notes a[href]::after { content: ""; }
}
""".strip()


def _text(value: str) -> str:
    return escape(value, quote=False)


def _link(url: str) -> str:
    """Return a URL as a link when it is a plain http(s) URL, else as escaped text."""
    if LINKABLE.match(url):
        return f'<a href="{escape(url, quote=True)}">{_text(url)}</a>'
    return _text(url)


def _refs(entry: Entry) -> str:
    return "".join(f'<sup><a href="#fn-{n}">[{n}]</a></sup>' for n in entry.source_numbers)


def _note(source: Source) -> str:
    label = _text(layout.source_label(source))
    if source.url:
        label = label.replace(_text(source.url), _link(source.url), 1)
    return f'<li id="fn-{source.number}">{label}</li>'


def _contents(brief: Brief) -> list[str]:
    html = [f'<nav class="toc"><h2>{layout.CONTENTS}</h2><ol>']
    for section in brief.sections:
        html.append(f"<li>{_text(section.name)}<ol>")
        html += [
            f'<li><a href="#{escape(e.anchor)}">{_text(e.headline)}</a></li>'
            for e in section.entries
        ]
        html.append("</ol></li>")
    return [*html, "</ol></nav>"]


def _table(brief: Brief) -> list[str]:
    if not brief.table:
        return []
    head = "".join(f"<th>{c}</th>" for c in layout.TABLE_COLUMNS)
    rows = "".join(
        "<tr>" + "".join(f"<td>{_text(c)}</td>" for c in row) + "</tr>"
        for row in layout.table_rows(brief)
    )
    return [
        f"<section><h2>{layout.TABLE_TITLE}</h2>",
        f'<div class="table-wrap"><table><thead><tr>{head}</tr></thead>',
        f"<tbody>{rows}</tbody></table></div></section>",
    ]


def _weekly(section_entries: tuple[Entry, ...]) -> list[str]:
    html = ['<ol class="entries">']
    for entry in section_entries:
        html.append(
            f'<li id="{escape(entry.anchor)}" value="{escape(entry.number)}">'
            f'<p class="headline">{_text(entry.headline)}</p>'
            f"<p>{_text(layout.summary_text(entry))}{_refs(entry)}</p></li>"
        )
    return [*html, "</ol>"]


def _article(entry: Entry, style: str) -> list[str]:
    html = [
        f'<article class="entry" id="{escape(entry.anchor)}">',
        f"<h3>{_text(layout.numbered_headline(entry, style))}</h3>",
        f'<p class="date">{_text(layout.entry_date(entry))}</p>',
        f"<p>{_text(layout.summary_text(entry))}{_refs(entry)}</p>",
    ]
    if entry.commentary:
        claims = "".join(claim.text for claim in entry.commentary)
        html.append(f'<p class="comment">{layout.COMMENT_LABEL}{_text(claims)}</p>')
    return [*html, "</article>"]


def _evidence(brief: Brief) -> list[str]:
    html = [f'<section class="evidence"><h2>{layout.EVIDENCE}</h2>']
    overview = layout.overview_evidence(brief)
    if overview:
        html.append("<h3>概览与目标表</h3><ul>")
        html += [f"<li>{_text(line)}</li>" for line in overview]
        html.append("</ul>")
    for entry in brief.entries:
        html.append(
            f"<h3>{_text(entry.section)} {_text(entry.number)}. {_text(entry.headline)}</h3><ul>"
        )
        html += [f"<li>{_text(line)}</li>" for line in layout.evidence_lines(brief, entry)]
        html.append("</ul>")
    return [*html, "</section>"]


def render_html(brief: Brief, explain: bool = False) -> str:
    """Return the brief as a self-contained HTML page; ``explain`` appends its evidence."""
    style = brief.query.style
    html = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_text(brief.title)}</title>",
        f"<style>\n{CSS}\n</style></head><body><main>",
        f"<header><h1>{_text(brief.title)}</h1>",
        f'<p class="meta">{_text(layout.meta_line(brief))}</p></header>',
    ]
    html += [f'<p class="overview">{_text(claim.text)}</p>' for claim in brief.overview]
    if style == "newsletter":
        html += _contents(brief)
    html += _table(brief)
    for section in brief.sections:
        html.append("<section>")
        if style != "roundup" or len(brief.sections) > 1:
            html.append(f"<h2>{_text(section.name)}</h2>")
        if style == "weekly":
            html += _weekly(section.entries)
        else:
            html += [line for e in section.entries for line in _article(e, style)]
        html.append("</section>")
    if not brief.entries:
        html.append("<p>本期没有符合条件的条目。</p>")
    if brief.sources:
        html.append(f'<section class="notes"><h2>{layout.NOTES}</h2><ol>')
        html += [_note(source) for source in brief.sources]
        html.append("</ol></section>")
    if explain:
        html += _evidence(brief)
    html.append("</main></body></html>")
    return "\n".join(html) + "\n"

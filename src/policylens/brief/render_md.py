"""A brief as Markdown: sections, numbered entries, a contents list, ``[^n]`` footnotes.

Document text is escaped (``\\*``, ``\\<`` …) so a source can never add markup.
"""

from __future__ import annotations

import re

from policylens.brief import layout
from policylens.brief.model import Brief, Entry, Source

SPECIAL = re.compile(r"([\\`*\[\]<>|~])|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])|^#")
SAFE_URL = re.compile(r"^https?://[^\s<>]+$")


def md_escape(text: str) -> str:
    """Return text with Markdown's special characters backslash-escaped.

    An underscore inside a word (a file name's) and a # after the start are left alone:
    CommonMark reads neither as markup.
    """
    return SPECIAL.sub(lambda match: "\\" + match[0], text)


def _note(source: Source) -> str:
    """Return a footnote: its URL as an autolink (when it is a plain http URL) and document."""
    label = md_escape(layout.source_label(source))
    if source.url and SAFE_URL.match(source.url):
        return label.replace(md_escape(source.url), f"<{source.url}>", 1)
    return label


def _refs(entry: Entry) -> str:
    return "".join(f"[^{n}]" for n in entry.source_numbers)


def _contents(brief: Brief) -> list[str]:
    lines = [f"## {layout.CONTENTS}", ""]
    for section in brief.sections:
        lines.append(f"- {md_escape(section.name)}")
        lines += [f"  - {md_escape(entry.headline)}" for entry in section.entries]
    return [*lines, ""]


def _table(brief: Brief) -> list[str]:
    if not brief.table:
        return []
    lines = [f"## {layout.TABLE_TITLE}", ""]
    lines.append("| " + " | ".join(layout.TABLE_COLUMNS) + " |")
    lines.append("|" + " --- |" * len(layout.TABLE_COLUMNS))
    lines += [
        "| " + " | ".join(md_escape(c) for c in row) + " |" for row in layout.table_rows(brief)
    ]
    return [*lines, ""]


def _weekly_entry(entry: Entry) -> list[str]:
    indent = " " * (len(entry.number) + 2)  # the paragraph belongs to the list item
    return [
        f"{entry.number}. {md_escape(entry.headline)}",
        "",
        f"{indent}{md_escape(layout.summary_text(entry))}{_refs(entry)}",
        "",
    ]


def _full_entry(entry: Entry, style: str) -> list[str]:
    lines = [
        f"### {md_escape(layout.numbered_headline(entry, style))}",
        "",
        layout.entry_date(entry),
        "",
        f"{md_escape(layout.summary_text(entry))}{_refs(entry)}",
        "",
    ]
    if entry.commentary:
        claims = "".join(claim.text for claim in entry.commentary)
        lines += [f"{layout.COMMENT_LABEL}{md_escape(claims)}", ""]
    return lines


def _evidence(brief: Brief) -> list[str]:
    lines = [f"## {layout.EVIDENCE}", ""]
    overview = layout.overview_evidence(brief)
    if overview:
        lines += ["### 概览与目标表", ""]
        lines += [f"- {md_escape(line)}" for line in overview]
        lines.append("")
    for entry in brief.entries:
        lines += [f"### {md_escape(entry.section)} {entry.number}. {md_escape(entry.headline)}", ""]
        lines += [f"- {md_escape(line)}" for line in layout.evidence_lines(brief, entry)]
        lines.append("")
    return lines


def render_markdown(brief: Brief, explain: bool = False) -> str:
    """Return the brief as Markdown; ``explain`` appends every fact and quote it rests on."""
    style = brief.query.style
    lines = [f"# {md_escape(brief.title)}", "", md_escape(layout.meta_line(brief)), ""]
    lines += [f"> {md_escape(claim.text)}" for claim in brief.overview]
    lines += [""] if brief.overview else []
    if style == "newsletter":
        lines += _contents(brief)
    lines += _table(brief)
    for section in brief.sections:
        if style != "roundup" or len(brief.sections) > 1:
            lines += [f"## {md_escape(section.name)}", ""]
        for entry in section.entries:
            lines += _weekly_entry(entry) if style == "weekly" else _full_entry(entry, style)
    if not brief.entries:
        lines += ["本期没有符合条件的条目。", ""]
    if brief.sources:
        lines += [f"## {layout.NOTES}", ""]
        lines += [f"[^{s.number}]: {_note(s)}" for s in brief.sources]
        lines.append("")
    if explain:
        lines += _evidence(brief)
    return "\n".join(lines).rstrip("\n") + "\n"

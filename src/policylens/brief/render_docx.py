"""A brief as DOCX (python-docx): Heading styles, numbered lists, a contents list, endnotes.

Word's own numbering is used for lists; each list (the contents, each section of a
weekly brief) restarts at 1. Footnote marks are superscript numbers pointing to the
endnotes section (注释) at the end, written "[n] …".
"""

from __future__ import annotations

import io
import re
from typing import Any

from docx import Document
from docx.shared import Pt

from policylens.brief import layout
from policylens.brief.model import Brief, Entry

LIST_STYLE = "List Number"
NOTE_MARK = "[{}] "
XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """Return text without the control characters XML (and so DOCX) cannot hold."""
    return XML_ILLEGAL.sub("", text)


def _paragraph(document: Any, text: str, style: str | None = None) -> Any:
    return document.add_paragraph(xml_safe(text), style=style)


def _heading(document: Any, text: str, level: int) -> Any:
    return document.add_heading(xml_safe(text), level=level)


def _restart_list(document: Any) -> int:
    """Return the id of a new numbering instance of the List Number style, starting at 1."""
    numbering = document.part.numbering_part.numbering_definitions._numbering
    style_num = document.styles[LIST_STYLE].element.pPr.numPr.numId.val
    abstract = numbering.num_having_numId(style_num).abstractNumId.val
    num = numbering.add_num(abstract)
    num.add_lvlOverride(ilvl=0).add_startOverride(1)
    return int(num.numId)


def _list_item(document: Any, text: str, num_id: int) -> Any:
    """Add a List Number paragraph to the numbering instance ``num_id``."""
    paragraph = _paragraph(document, text, LIST_STYLE)
    num_pr = paragraph._p.get_or_add_pPr().get_or_add_numPr()
    num_pr.get_or_add_ilvl().val = 0
    num_pr.get_or_add_numId().val = num_id
    return paragraph


def _with_refs(document: Any, text: str, entry: Entry, style: str | None = None) -> Any:
    paragraph = _paragraph(document, text, style)
    for number in entry.source_numbers:
        paragraph.add_run(str(number)).font.superscript = True
    return paragraph


def _contents(document: Any, brief: Brief) -> None:
    _heading(document, layout.CONTENTS, 1)
    for section in brief.sections:
        _paragraph(document, section.name, "List Bullet")
        num_id = _restart_list(document)
        for entry in section.entries:
            _list_item(document, layout.numbered_headline(entry, "contents"), num_id)


def _table(document: Any, brief: Brief) -> None:
    if not brief.table:
        return
    _heading(document, layout.TABLE_TITLE, 1)
    rows = layout.table_rows(brief)
    table = document.add_table(rows=len(rows) + 1, cols=len(layout.TABLE_COLUMNS))
    table.style = "Table Grid"
    for column, name in enumerate(layout.TABLE_COLUMNS):
        table.cell(0, column).text = xml_safe(name)
    for r, row in enumerate(rows, 1):
        for column, value in enumerate(row):
            table.cell(r, column).text = xml_safe(value)


def _weekly(document: Any, entries: tuple[Entry, ...]) -> None:
    num_id = _restart_list(document)
    for entry in entries:
        _list_item(document, entry.headline, num_id).runs[0].bold = True
        _with_refs(document, layout.summary_text(entry), entry, "List Continue")


def _article(document: Any, entry: Entry, style: str) -> None:
    _heading(document, layout.numbered_headline(entry, style), 2)
    _paragraph(document, layout.entry_date(entry)).runs[0].italic = True
    _with_refs(document, layout.summary_text(entry), entry)
    if entry.commentary:
        claims = "".join(claim.text for claim in entry.commentary)
        _paragraph(document, f"{layout.COMMENT_LABEL}{claims}", "Intense Quote")


def _evidence(document: Any, brief: Brief) -> None:
    _heading(document, layout.EVIDENCE, 1)
    overview = layout.overview_evidence(brief)
    if overview:
        _heading(document, "概览与目标表", 3)
        for line in overview:
            _paragraph(document, line, "List Bullet")
    for entry in brief.entries:
        _heading(document, f"{entry.section} {entry.number}. {entry.headline}", 3)
        for line in layout.evidence_lines(brief, entry):
            _paragraph(document, line, "List Bullet")


def render_docx(brief: Brief, explain: bool = False) -> bytes:
    """Return the brief as DOCX bytes; ``explain`` appends its evidence."""
    style = brief.query.style
    document = Document()
    document.core_properties.title = xml_safe(brief.title)
    document.styles["Normal"].font.size = Pt(11)
    _heading(document, brief.title, 0)
    _paragraph(document, layout.meta_line(brief))
    for claim in brief.overview:
        _paragraph(document, claim.text, "Quote")
    _contents(document, brief)
    _table(document, brief)
    for section in brief.sections:
        _heading(document, section.name, 1)
        if style == "weekly":
            _weekly(document, section.entries)
        else:
            for entry in section.entries:
                _article(document, entry, style)
    if not brief.entries:
        _paragraph(document, "本期没有符合条件的条目。")
    if brief.sources:
        _heading(document, layout.NOTES, 1)
        for source in brief.sources:
            _paragraph(document, NOTE_MARK.format(source.number) + layout.source_label(source))
    if explain:
        _evidence(document, brief)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()

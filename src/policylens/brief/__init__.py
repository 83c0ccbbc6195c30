"""Briefs: weekly briefs, newsletters and roundups written from the knowledge base.

Nothing in a brief is made up. Its entries are the period's stories (items merged by
near-duplicate cluster and by linked policy), each headed by a source's own headline,
summarized by source sentences TextRank picks (``textrank``, ``summarize``), dated by a
stored date fact and footnoted to every source telling it (``cite``). Commentary is
templates filled with stored facts (``commentary``), each claim listing the fact ids it
rests on. Sections and trimming rules are data (``data/brief_sections.tsv``,
``data/brief_text.tsv``).

>>> from policylens.brief import BriefQuery, build_brief, load_brief_rules
>>> brief = build_brief(knowledge, BriefQuery("2023-09-17", "2023-09-24"), load_brief_rules())
...                                                           # doctest: +SKIP
>>> from policylens.brief.render_md import render_markdown    # doctest: +SKIP

The pure parts take a ``Knowledge`` snapshot; reading the store is left to ``policylens.api``.
"""

from __future__ import annotations

from policylens.brief.build import STYLE_SPECS, BriefError, build_brief
from policylens.brief.model import (
    STYLES,
    Brief,
    BriefQuery,
    Claim,
    Entry,
    Knowledge,
    Section,
    Sentence,
    Source,
    TargetRow,
)
from policylens.brief.rules import BriefRules, load_brief_rules

FORMATS = ("md", "html", "docx")

__all__ = [
    "FORMATS",
    "STYLES",
    "STYLE_SPECS",
    "Brief",
    "BriefError",
    "BriefQuery",
    "BriefRules",
    "Claim",
    "Entry",
    "Knowledge",
    "Section",
    "Sentence",
    "Source",
    "TargetRow",
    "build_brief",
    "load_brief_rules",
]

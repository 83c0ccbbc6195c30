"""The pure stages in order: raw document → normalized, segmented Document."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from policylens.extract import extract_document
from policylens.model import Document, RawDocument
from policylens.normalize import normalize
from policylens.resources import Resources
from policylens.segment import segment


def process(raw: RawDocument, res: Resources, ingested_at: datetime | None = None) -> Document:
    """Return the document with clean text, offset map, items and facts."""
    clean = normalize(raw.raw_text, res)  # 1. unicode, script, boilerplate, residue, spacing
    items = segment(clean, res, raw.title)  # 2. digest entries, plan sections, front matter
    document = Document(
        raw=raw, clean=clean, items=items, ingested_at=ingested_at or datetime.now()
    )
    return replace(document, facts=extract_document(document, res))  # 3. facts with provenance

"""Segmentation of every sample document against hand-written item lists (tests/golden/segment)."""

from __future__ import annotations

import itertools
import json
import re
import unicodedata

import pytest

from conftest import GOLDEN, corpus_files
from policylens.normalize import normalize
from policylens.segment import segment


def title_key(text: str, res) -> str:
    """Return a title folded for comparison: simplified, half-width, no spaces."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", res.t2s.convert(text)))


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.stem[:3])
def test_segment_items_match_golden(path, res):
    gold = json.loads((GOLDEN / "segment" / f"{path.stem}.json").read_text("utf-8"))["items"]
    items = segment(normalize(path.read_text("utf-8"), res), res)
    got = [
        (i.kind, title_key(i.title, res), i.section, [title_key(p, res) for p in i.path])
        for i in items
    ]
    for index, expected in enumerate(gold):
        assert index < len(got), f"missing item {index}: {expected}"
        kind, title, section, path_keys = got[index]
        assert kind == expected["kind"], (index, got[index], expected)
        if "title" in expected:
            assert title == title_key(expected["title"], res), (index, got[index], expected)
        else:
            assert title.startswith(title_key(expected["title_prefix"], res)), (index, expected)
        assert section == expected.get("section"), (index, got[index], expected)
        assert path_keys == [title_key(p, res) for p in expected.get("path", [])], index
    assert len(got) == len(gold)


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.stem[:3])
def test_segment_responsible_units_match_golden(path, res):
    gold = json.loads((GOLDEN / "segment" / f"{path.stem}.json").read_text("utf-8"))["items"]
    items = segment(normalize(path.read_text("utf-8"), res), res)
    for item, expected in zip(items, gold, strict=True):
        assert list(item.responsible) == expected.get("responsible", []), item.title


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.stem[:3])
def test_segment_items_tile_clean_text_in_order(path, res):
    clean = normalize(path.read_text("utf-8"), res)
    items = segment(clean, res)
    for previous, item in itertools.pairwise(items):
        assert previous.span.end <= item.span.start
    for item in items:
        assert clean.text[item.span.start : item.span.end] == item.text
        assert item.text.strip()


def test_segment_contents_page_is_not_entries(res):
    path = next(p for p in corpus_files() if p.name.startswith("001"))
    items = segment(normalize(path.read_text("utf-8"), res), res)
    contents = [i for i in items if i.kind == "contents"]
    assert len(contents) == 1
    # The 17 headlines listed on the contents page appear once each, as entries after it.
    entries = [i for i in items if i.kind == "digest_entry"]
    assert len(entries) == 17
    assert all(e.span.start > contents[0].span.end for e in entries)


def test_segment_footnote_links_attach_to_citing_entry(res):
    path = next(p for p in corpus_files() if p.name.startswith("001"))
    items = segment(normalize(path.read_text("utf-8"), res), res)
    by_title = {i.title[:6]: [link.number for link in i.links] for i in items}
    assert by_title["工信部：公开"] == [1]
    assert by_title["四川省正式出"] == [2]
    assert by_title["重庆发布元宇"] == [4]
    assert by_title['张艺谋旗下"'] == [16]
    # Footnote 11 has no mark in the text; it belongs to the entry before the one citing 12.
    assert by_title["以太坊铸造、"] == [11]

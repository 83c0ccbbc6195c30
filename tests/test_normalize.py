"""Normalization of every sample document against hand-picked raw/clean passages."""

from __future__ import annotations

import itertools
import json
import re

import pytest

from conftest import GOLDEN, corpus_files
from policylens.model import Span
from policylens.normalize import normalize
from policylens.normalize.script import PINYIN_GLOSS

CASES = json.loads((GOLDEN / "normalize" / "cases.json").read_text("utf-8"))
PAIRS = [
    pytest.param(path, pair, id=f"{path.stem[:3]}-{i}")
    for path in corpus_files()
    for i, pair in enumerate(CASES[path.stem]["pairs"])
]


@pytest.fixture(scope="module")
def cleaned(res):
    return {
        p.stem: (p.read_text("utf-8"), normalize(p.read_text("utf-8"), res)) for p in corpus_files()
    }


@pytest.mark.parametrize(("path", "pair"), PAIRS)
def test_normalize_passage_is_clean_and_maps_back_to_raw(path, pair, cleaned):
    raw_text, clean = cleaned[path.stem]
    at = clean.text.find(pair["clean"])
    assert at != -1, f"clean text lacks {pair['clean']!r}"
    if pair["raw"] is None:
        return
    expected_raw = pair["raw"].rstrip("\n")
    visible = pair["clean"].rstrip("\n")
    # The passage may occur more than once (a contents page repeats headlines):
    # one of its occurrences must map back to exactly the raw passage.
    mapped = []
    while at != -1:
        raw_span = clean.offsets.span_to_raw(Span(at, at + len(visible)))
        mapped.append(raw_text[raw_span.start : raw_span.end])
        at = clean.text.find(pair["clean"], at + 1)
    assert expected_raw in mapped


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.stem[:3])
def test_normalize_removes_residue_and_boilerplate(path, cleaned):
    _, clean = cleaned[path.stem]
    for fragment in CASES[path.stem]["absent"]:
        assert fragment not in clean.text, fragment


def test_normalize_keeps_footnote_urls_as_links(cleaned):
    _, clean = cleaned["001_91daaad5127cd8d6"]
    links = {link.number: link.url for link in clean.links}
    for expected in CASES["001_91daaad5127cd8d6"]["links"]:
        assert links[expected["number"]] == expected["url"]
    assert sorted(n for n in links if n is not None)[:16] == list(range(1, 17))


def test_normalize_reads_page_footer_metadata(cleaned):
    _, clean = cleaned["002_83f04e59e465262b"]
    for key, value in CASES["002_83f04e59e465262b"]["metadata"]:
        assert (key, value) in clean.metadata


def test_normalize_seed_003_is_plain_simplified_chinese(cleaned, res):
    raw_text, clean = cleaned["003_f00c508a819b93d2"]
    assert len(PINYIN_GLOSS.findall(raw_text)) > 1000
    assert PINYIN_GLOSS.findall(clean.text) == []
    assert not re.search(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)", clean.text)
    assert res.t2s.convert(clean.text) == clean.text
    # One paragraph per line again, not one flattened line.
    assert clean.text.count("\n") > 100


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.stem[:3])
def test_normalize_offset_map_points_into_raw_in_order(path, cleaned):
    raw_text, clean = cleaned[path.stem]
    origins = clean.offsets.origins()
    assert len(origins) == len(clean.text)
    assert all(0 <= o < len(raw_text) for o in origins)
    assert all(a <= b for a, b in itertools.pairwise(origins))

"""Hostile input through ingest → normalize → segment → extract: clear rejections, no crashes.

A seeded mutator (truncate, splice, flip bytes, re-encode, nest HTML, huge lines, zero-width
and control characters, broken PDF cross-references) and hypothesis strategies feed the
whole pipeline. The default run tries a few hundred inputs; `pytest -m slow` tries 10,000.
"""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import CORPUS, FIXTURES
from policylens.config import load_settings
from policylens.errors import IngestError
from policylens.ingest import Source, load
from policylens.pipeline import process

SEEDS = [
    *sorted(CORPUS.glob("*.txt")),
    *sorted((FIXTURES / "formats").glob("*.*")),
    *sorted((FIXTURES / "unseen").glob("*.*")),
]
SEEDS = [p for p in SEEDS if p.suffix in (".txt", ".html", ".pdf", ".docx")]
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\ufeff", "\u2028", "\x00", "\x1b[31m", "\x07"]
ENCODINGS = ["gb18030", "big5", "utf-16", "utf-16-be", "shift_jis", "euc_kr", "latin-1"]


def mutate(data: bytes, suffix: str, rng: random.Random) -> bytes:
    """Return the bytes damaged in one of the ways real files arrive damaged."""
    kind = rng.randrange(9)
    if kind == 0 and data:  # truncate
        return data[: rng.randrange(len(data))]
    if kind == 1 and data:  # flip bytes
        buffer = bytearray(data)
        for _ in range(rng.randint(1, 40)):
            buffer[rng.randrange(len(buffer))] = rng.randrange(256)
        return bytes(buffer)
    if kind == 2:  # splice two seeds
        other = rng.choice(SEEDS).read_bytes()
        return data[: rng.randrange(len(data) + 1)] + other[rng.randrange(len(other) + 1) :]
    if kind == 3:  # wrong encoding
        text = data.decode("utf-8", errors="replace")
        return text.encode(rng.choice(ENCODINGS), errors="replace")
    if kind == 4:  # deeply nested HTML
        depth = rng.randint(50, 3000)
        return b"<html><body>" + b"<div>" * depth + data[:2000] + b"</div>" * (depth // 2)
    if kind == 5:  # one huge line
        text = data.decode("utf-8", errors="replace").replace("\n", " ")
        return (text * rng.randint(1, 5)).encode("utf-8")
    if kind == 6:  # zero-width and control characters sprinkled in
        text = list(data.decode("utf-8", errors="replace"))
        for _ in range(rng.randint(1, 200)):
            text.insert(rng.randrange(len(text) + 1), rng.choice(ZERO_WIDTH))
        return "".join(text).encode("utf-8", errors="replace")
    if kind == 7 and suffix == ".pdf":  # broken cross-reference table
        at = data.rfind(b"xref")
        return data[:at] + b"xref\n0 9999\nbroken" + data[at + 4 :] if at != -1 else data[::-1]
    return bytes(rng.randrange(256) for _ in range(rng.randint(0, 4000)))  # noise


def run_one(path: Path) -> None:
    """Ingest and process one file; it may be rejected, but only with a clear IngestError."""
    try:
        raw = load(Source(str(path)), load_settings(env={}, max_file_mb=5))
    except IngestError as exc:
        assert exc.problem and str(path) in str(exc)
        return
    document = process(raw, RESOURCES[0])
    origins = document.clean.offsets.origins()
    assert len(origins) == len(document.clean.text)
    assert all(0 <= o < max(len(raw.raw_text), 1) for o in origins)
    assert all(a <= b for a, b in itertools.pairwise(origins))
    for fact in document.facts:
        span = fact.prov.raw_span
        assert raw.raw_text[span.start : span.end] == fact.prov.quote


RESOURCES: list = []


@pytest.fixture(autouse=True)
def _resources(res):
    RESOURCES[:] = [res]


def fuzz(count: int, tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    for index in range(count):
        source = rng.choice(SEEDS)
        suffix = (
            source.suffix if rng.random() < 0.85 else rng.choice([".txt", ".html", ".pdf", ".docx"])
        )
        path = tmp_path / f"f{index % 50}{suffix}"
        path.write_bytes(mutate(source.read_bytes(), source.suffix, rng))
        run_one(path)


def test_fuzz_mutated_seeds(tmp_path):
    fuzz(300, tmp_path, seed=1)


@pytest.mark.slow
def test_fuzz_mutated_seeds_10000(tmp_path):
    fuzz(10_000, tmp_path, seed=2)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.binary(max_size=3000) | st.text(max_size=3000).map(lambda t: t.encode("utf-8")),
    suffix=st.sampled_from([".txt", ".md", ".html", ".pdf", ".docx"]),
)
def test_fuzz_arbitrary_bytes(data, suffix, tmp_path):
    path = tmp_path / f"x{suffix}"
    path.write_bytes(data)
    run_one(path)


def test_issue_fuzz_pdf_tounicode_code_length(tmp_path):
    # Found by the 10,000-input run: pypdf raised LimitReachedError past our handler.
    path = FIXTURES / "fuzz" / "tounicode_code_length.pdf"
    with pytest.raises(IngestError, match="not a readable PDF"):
        load(Source(str(path)), load_settings(env={}))


def test_issue_fuzz_html_charset_with_nul(tmp_path):
    # Found by the 10,000-input run: codecs.lookup("utf-\x008") raises ValueError, not LookupError.
    path = tmp_path / "page.html"
    path.write_bytes(
        '<html><head><meta charset="UTF-\x008"></head><body><article>'
        "<p>2023年9月22日，重庆市经信委印发《重庆市元宇宙产业发展行动计划》。</p>"
        "</article></body></html>".encode()
    )
    raw = load(Source(str(path)), load_settings(env={}))
    assert "重庆市经信委" in raw.raw_text


CONTENT_TYPES = {
    ".txt": "text/plain",
    ".html": "text/html",
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def fuzz_upload(count: int, tmp_path: Path, seed: int) -> None:
    """Post mutated seeds to the web app's upload endpoint: each file is stored, known or
    refused with a problem in words; no 5xx; the stored ones are whole and quote their text."""
    from fastapi.testclient import TestClient

    from policylens import api
    from policylens.serve import create_app

    db = f"sqlite:///{tmp_path / 'upload.db'}"
    rng = random.Random(seed)
    stored = 0
    app = create_app(load_settings(db_url=db, max_file_mb=5), token="")
    with TestClient(app) as client:
        for index in range(count):
            source = rng.choice(SEEDS)
            suffix = source.suffix if rng.random() < 0.85 else rng.choice(list(CONTENT_TYPES))
            data = mutate(source.read_bytes(), source.suffix, rng)
            name = f"upload{index}{suffix}"
            files = {"file": (name, data, CONTENT_TYPES[suffix])}
            response = client.post("/api/documents", files=files)
            assert response.status_code < 500, (name, response.text)
            result = response.json()["results"][0]
            assert result["status"] in ("stored", "duplicate", "error"), result
            if result["status"] == "error":
                assert result["problem"], result
            stored += result["status"] == "stored"
    # Only whole documents were written: each one reported stored, with all its items.
    documents = api.documents(db)
    assert len(documents) == stored > 0
    items_per_document: dict[int, int] = {}
    for item in api.items(db):
        items_per_document[item.document_id] = items_per_document.get(item.document_id, 0) + 1
    assert all(items_per_document.get(d.id, 0) == d.items for d in documents)


def test_fuzz_upload_endpoint(tmp_path):
    fuzz_upload(60, tmp_path, seed=3)


@pytest.mark.slow
def test_fuzz_upload_endpoint_2000(tmp_path):
    fuzz_upload(2_000, tmp_path, seed=4)

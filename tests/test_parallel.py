"""Parallel and distributed ingest store exactly what a single-process run stores."""

from __future__ import annotations

import pytest

from conftest import CORPUS, GOLD
from policylens import api

INPUTS = [str(CORPUS), str(GOLD / "unseen" / "docs")]


def snapshot(db):
    """Return everything an ingest decides: documents, items and facts, in storage order."""
    docs = [(d.id, d.sha256, d.items, d.chars) for d in api.documents(db)]
    items = [(i.document_id, i.index, i.kind, i.title, i.span, i.raw_span) for i in api.items(db)]
    facts = [
        (f.document_id, f.kind, f.label, f.quote, f.span, f.raw_span, f.values)
        for f in api.facts(db)
    ]
    return docs, items, facts


@pytest.fixture(scope="module")
def single(tmp_path_factory):
    db = f"sqlite:///{tmp_path_factory.mktemp('single') / 'kb.db'}"
    report = api.ingest(INPUTS, db=db)
    assert report.ok
    return snapshot(db)


def test_parallel_local_workers_store_the_same(single, tmp_path):
    db = f"sqlite:///{tmp_path / 'kb.db'}"
    report = api.ingest(INPUTS, db=db, workers=2)
    assert report.ok and report.count("stored") == len(single[0])
    assert snapshot(db) == single


def test_parallel_dask_local_cluster_stores_the_same(single, tmp_path):
    pytest.importorskip("dask.distributed")
    db = f"sqlite:///{tmp_path / 'kb.db'}"
    report = api.ingest(INPUTS, db=db, dask="local")
    assert report.ok
    assert snapshot(db) == single


def test_parallel_reingest_skips_known_bytes_without_processing(single, tmp_path):
    db = f"sqlite:///{tmp_path / 'kb.db'}"
    api.ingest(INPUTS, db=db, workers=2)
    again = api.ingest(INPUTS, db=db, workers=2)
    assert again.count("duplicate") == len(single[0]) and again.count("stored") == 0
    assert snapshot(db) == single


def _sources():
    from policylens.ingest import Source

    paths = sorted(CORPUS.iterdir()) + sorted((GOLD / "unseen" / "docs").iterdir())
    return [Source(str(p)) for p in paths if p.is_file()]


def test_processed_documents_survive_the_trip_between_processes():
    """Workers send Documents back pickled: every item, fact, span and quote comes back equal."""
    import pickle

    from policylens.config import load_settings
    from policylens.model import Document
    from policylens.parallel import outcomes

    documents = list(outcomes(_sources(), load_settings(env={})))
    assert all(isinstance(d, Document) for d in documents)
    assert sum(len(d.facts) for d in documents) > 100
    back = pickle.loads(pickle.dumps(documents, protocol=pickle.HIGHEST_PROTOCOL))
    assert back == documents
    assert [type(f) for d in back for f in d.facts] == [type(f) for d in documents for f in d.facts]


def test_a_worker_pool_kept_across_runs_gives_each_run_the_same_outcomes():
    from policylens.config import load_settings
    from policylens.parallel import WorkerPool, outcomes

    settings = load_settings(env={})
    sources = _sources()
    single = [d.facts for d in outcomes(sources, settings)]
    with WorkerPool(2) as pool:
        runs = [[d.facts for d in outcomes(sources, settings, pool=pool)] for _ in range(2)]
    assert runs == [single, single]

"""The link stage in the benchmark: a full link of the stored corpus, and a small batch after it.

Linking is incremental, so its cost after an ingest depends on the batch, not on the size of
the knowledge base: the second figure shows it, timing the link of the last few documents
into a knowledge base holding all the others.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from policylens.config import load_settings
from policylens.link import link_store
from policylens.model import Document
from policylens.store import Store

BATCH_DOCUMENTS = 10


def measure_link(url: str) -> float:
    """Return the seconds to link every document stored at ``url`` (the first, full run)."""
    # scipy.sparse loads once per process: start-up, not throughput.
    import scipy.sparse  # noqa: F401

    store = Store(url)
    try:
        started = time.perf_counter()
        link_store(store, load_settings(env={}, db_url=url), full=True)
        return time.perf_counter() - started
    finally:
        store.close()


def measure_link_batch(
    documents: Sequence[Document], url: str, batch: int = BATCH_DOCUMENTS
) -> dict[str, float]:
    """Return the seconds to link the last ``batch`` documents into a linked knowledge base.

    The knowledge base at ``url`` (empty) first gets every other document, linked.
    """
    settings = load_settings(env={}, db_url=url)
    kept, added = documents[:-batch], documents[-batch:]
    store = Store(url)
    try:
        for document in kept:
            store.save(document)
        link_store(store, settings)
        for document in added:
            store.save(document)
        started = time.perf_counter()
        link_store(store, settings)
        seconds = time.perf_counter() - started
    finally:
        store.close()
    return {
        "link_batch_documents": len(added),
        "link_batch_into_documents": len(kept),
        "link_batch_s": round(seconds, 3),
    }

"""The faster row and index writers give what the plain definitions give: shared payloads,
facet rows made per part, titles tokenized with the texts, rows converted once per object."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.dialects import sqlite

from conftest import corpus_files
from policylens.config import load_settings
from policylens.ingest import Source, load
from policylens.pipeline import process
from policylens.search import index as search_index
from policylens.search.facets import document_facets, value_tokens
from policylens.search.regions import load_region_table
from policylens.search.tokens import fold_text, text_tokens
from policylens.store.bulk import StoredDocument, _stored, document_rows
from policylens.store.facts import SharedPayloads, fact_payload
from policylens.store.rows import row_tuples
from policylens.store.schema import FactRow


@pytest.fixture(scope="module")
def sample_documents(res):
    settings = load_settings(env={})
    return [process(load(Source(str(p)), settings), res) for p in corpus_files()]


@pytest.fixture(scope="module")
def stored(sample_documents) -> list[StoredDocument]:
    """The sample documents as the index reads them, with made-up ids."""
    out, next_item = [], 1
    for number, document in enumerate(sample_documents, start=1):
        rows = document_rows(document, SharedPayloads())
        ids = list(range(next_item, next_item + len(rows.items)))
        next_item += len(ids)
        out.append(_stored(number, ids, rows))
    return out


def test_shared_payloads_are_the_payloads(sample_documents):
    shared = SharedPayloads()
    facts = [fact for document in sample_documents for fact in document.facts]
    assert facts
    for fact in facts:
        payload = shared(fact)
        assert payload == fact_payload(fact)
        assert json.dumps(payload) == json.dumps(fact_payload(fact))
    # Equal topic tags share one payload; other kinds keep their own.
    topics = [fact for fact in facts if type(fact).__name__ == "TopicTag"]
    assert topics and len(shared.made) < len(topics)


def test_facet_rows_made_per_part_are_those_of_the_values(stored):
    regions = load_region_table()
    parts = search_index._facet_parts(stored, regions)
    rows = search_index.item_facet_rows(parts)
    for document in stored:
        values = document_facets(document.items, document.facts, regions)
        for item in document.items:
            assert set().union(*parts[item.id]) == values[item.id]
            assert rows[item.id].tokens == value_tokens(values[item.id])
            assert rows[item.id].copied == search_index._copied_facets(values[item.id])


def test_fts_rows_tokenize_titles_with_the_texts(stored):
    items = [item for document in stored for item in document.items]
    tokens = search_index.fts_tokens(items)
    for item in items:
        title = text_tokens(fold_text(item.title))
        assert tokens[item.id] == (" ".join(title), " ".join(text_tokens(fold_text(item.text))))
        row = search_index._fts_row(7, tokens[item.id], ["fa", "fb"])
        assert row["facets"] == " ".join(["fa", "fb", *(f"t{token}" for token in title)])


def test_rows_are_converted_once_per_object_and_alike():
    table = FactRow.__table__
    dialect = sqlite.dialect()
    shared = {"topic": "metaverse", "triggers": ["元宇宙"]}
    rows = [
        {"kind": "topic", "payload": shared},
        {"kind": "topic", "payload": dict(shared)},
        {"kind": "topic", "payload": shared},
        {"kind": "date", "payload": {"date": None}},
    ]
    process = table.c.payload.type.dialect_impl(dialect).bind_processor(dialect)
    assert row_tuples(table, ["kind", "payload"], rows, dialect) == [
        (row["kind"], process(row["payload"])) for row in rows
    ]
    assert row_tuples(table, ["kind"], rows, dialect) == [(row["kind"],) for row in rows]

"""The knowledge base on SQLite and PostgreSQL: round trips, idempotency, transactions."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import corpus_files, postgres_schema
from policylens import api
from policylens.config import load_settings
from policylens.ingest import Source, load
from policylens.pipeline import process
from policylens.store import Store


@pytest.fixture
def documents(res):
    settings = load_settings(env={})
    return [process(load(Source(str(p)), settings), res) for p in corpus_files()]


def test_store_round_trips_documents_and_items(db_url, documents):
    store = Store(db_url)
    try:
        for document in documents:
            assert store.save(document).created
        listed = store.documents()
        assert [d.sha256 for d in listed] == [d.raw.sha256 for d in documents]
        assert [d.items for d in listed] == [len(d.items) for d in documents]
        detail = store.document("003")
        assert detail.clean_text == documents[3].clean.text
        assert [i.title for i in detail.items] == [i.title for i in documents[3].items]
        raw = documents[3].raw.raw_text
        for item in detail.items:
            # The stored raw span is where the item's words are in the raw text.
            start, end = item.raw_span
            assert 0 <= start <= end <= len(raw)
            assert raw[start] == documents[3].raw.raw_text[start]
        links = [link.url for i in store.document("001").items for link in i.links]
        assert any("miit.gov.cn" in url for url in links)
    finally:
        store.close()


def test_store_same_bytes_are_stored_once(db_url, documents):
    store = Store(db_url)
    try:
        first = store.save(documents[0])
        again = store.save(documents[0])
        assert first.created and not again.created
        assert again.document_id == first.document_id
        assert len(store.documents()) == 1
        assert len(store.items()) == len(documents[0].items)
    finally:
        store.close()


def test_store_failed_write_rolls_back_only_that_document(db_url, documents):
    store = Store(db_url)
    try:
        store.save(documents[0])
        before = (store.documents(), len(store.items()))
        # An item without a title violates the schema half-way through the write.
        broken_items = (*documents[1].items[:3], replace(documents[1].items[3], title=None))
        broken = replace(documents[1], items=broken_items)
        with pytest.raises(Exception):  # noqa: B017 - the driver's own integrity error
            store.save(broken)
        assert (store.documents(), len(store.items())) == before
        assert store.find_by_hash(documents[1].raw.sha256) is None
        # The same document, written correctly, still goes in afterwards.
        assert store.save(documents[1]).created
    finally:
        store.close()


def test_store_items_filter_by_document_kind_section_text(db_url, documents):
    store = Store(db_url)
    try:
        for document in documents:
            store.save(document)
        policy = store.items(document="001", section="政策速递")
        assert len(policy) == 6 and all(i.kind == "digest_entry" for i in policy)
        plan = store.items(document="003", kind="plan_section")
        assert plan[0].path[0].startswith("四川省元宇宙产业发展行动计划")
        assert all("婚姻" in i.text or "婚姻" in i.title for i in store.items(contains="婚姻"))
        assert len(store.items(contains="婚姻")) == 1
    finally:
        store.close()


def test_store_resolve_names_an_ambiguous_reference(tmp_path, documents):
    from policylens.errors import NotFoundError

    store = Store(f"sqlite:///{tmp_path / 'kb.db'}")
    try:
        for document in documents:
            store.save(document)
        assert store.resolve("003") == 4
        with pytest.raises(NotFoundError, match="matches 5 documents"):
            store.resolve(".txt")
        with pytest.raises(NotFoundError, match="no document"):
            store.resolve("nothing-like-this")
    finally:
        store.close()


def _contents(store):
    """Return every stored document with its items, links and facts, ids aside."""
    return [
        (
            d.sha256,
            [(i.index, i.kind, i.title, i.span, i.raw_span, i.text) for i in detail.items],
            [(i.index, link.url) for i in detail.items for link in i.links],
            [(f.kind, f.label, f.span) for f in store.facts(document=str(d.id))],
        )
        for d in store.documents()
        for detail in [store.document(str(d.id))]
    ]


def test_store_save_many_stores_what_save_stores_with_the_same_ids(
    db_url, tmp_path, documents, request
):
    other = f"sqlite:///{tmp_path / 'one.db'}" if "sqlite" in db_url else postgres_schema(request)
    one_by_one, batched = Store(other), Store(db_url)
    try:
        saved = [one_by_one.save(d) for d in documents]
        assert batched.save_many(documents) == saved
        assert _contents(batched) == _contents(one_by_one)
        # The search index too: the same hits, scores and facet counts for the same words.
        for words in ("元宇宙", "数字孪生 产业", "区块链"):
            found = [api.search(words, store=store, limit=50) for store in (one_by_one, batched)]
            assert found[0].total > 0
            assert found[0] == found[1]
    finally:
        one_by_one.close()
        batched.close()


def test_store_save_many_stores_the_same_bytes_once(db_url, documents):
    store = Store(db_url)
    try:
        first = store.save(documents[0])
        # Stored before, new, new again in the same batch: one new document.
        batch = [documents[0], documents[1], documents[1]]
        again, new, repeat = store.save_many(batch)
        assert (again.created, again.document_id) == (False, first.document_id)
        assert new.created and new.items == len(documents[1].items)
        assert (repeat.created, repeat.document_id, repeat.items) == (False, new.document_id, 0)
        assert len(store.documents()) == 2
        assert store.save_many([documents[0], documents[1]]) == [again, repeat]
    finally:
        store.close()


def test_store_save_many_failing_document_stores_the_others_one_by_one(db_url, documents):
    store = Store(db_url)
    try:
        broken_items = (*documents[1].items[:3], replace(documents[1].items[3], title=None))
        batch = [documents[0], replace(documents[1], items=broken_items), documents[2]]
        with pytest.raises(Exception):  # noqa: B017 - the driver's own integrity error
            store.save_many(batch)
        # The batch was rolled back whole, then written a document at a time up to the
        # broken one: whole documents only, nothing of the broken one.
        assert [d.sha256 for d in store.documents()] == [documents[0].raw.sha256]
        assert len(store.items()) == len(documents[0].items)
        assert [s.created for s in store.save_many(documents)] == [False] + [True] * (
            len(documents) - 1
        )
    finally:
        store.close()


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=6) | st.integers(), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(JSON_VALUES)
def test_json_columns_hold_what_the_standard_library_would_read_back(value):
    import json

    from policylens.store.connect import json_text

    assert json.loads(json_text(value)) == json.loads(json.dumps(value))


def test_json_columns_write_cjk_as_text_and_take_what_orjson_refuses():
    import json

    from policylens.store.connect import json_text

    assert json_text({"name": "四川省成都市"}) == '{"name":"四川省成都市"}'
    huge = 10**30  # past 64 bits
    assert json.loads(json_text({"value": huge})) == {"value": huge}
    assert json.loads(json_text(["a\ud800b"])) == ["a\ud800b"]  # a lone surrogate, escaped

"""Property tests holding the row and index writers' fast forms to the forms they replaced.

Each reference below is the earlier code, kept here: the fast form must give the same
result on every input (the same tokens, facet parts and rows, the same column values, the
same driver values and stored rows).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from functools import cache
from operator import itemgetter
from typing import Any

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.dialects import sqlite

from policylens.model import (
    FACT_KINDS,
    DateValue,
    Deal,
    Event,
    Funding,
    ItemDate,
    Place,
    PolicyMention,
    Provenance,
    Span,
    Target,
    TopicTag,
)
from policylens.search import facets, tokens
from policylens.search import index as search_index
from policylens.search.facets import (
    DATE,
    FACT_TYPE,
    KIND,
    LEVEL,
    PACK_LINE,
    POLICY_KIND,
    REGION,
    TOPIC,
    TRIGGER,
    YEAR,
    FacetParts,
    FacetValue,
    pack_facets,
    value_tokens,
)
from policylens.search.regions import RegionTable, load_region_table
from policylens.store import Store
from policylens.store import facts as store_facts
from policylens.store import rows as store_rows
from policylens.store.bulk import StoredFact, StoredItem
from policylens.store.schema import DocumentRow, FactRow, ItemRow, LinkRow
from policylens.store.search_tables import SearchFacetValueRow

# -- tokens: joined_text_tokens ------------------------------------------------------------


@cache
def _word_chars_reference() -> Any:
    """Whether each BMP code point is a Latin word character (CJK blocks never are)."""
    table = np.array([chr(code).isalnum() for code in range(0x10000)], bool)
    for low, high in tokens._CJK_BOUNDS:
        table[min(low, 0x10000) : min(high + 1, 0x10000)] = False
    return table


def _classes_reference(codes: Any) -> tuple[Any, Any]:
    cjk = np.zeros(len(codes), bool)
    for low, high in tokens._CJK_BOUNDS:
        cjk |= (codes >= low) & (codes <= high)
    astral = codes >= 0x10000
    word = _word_chars_reference()[np.where(astral, 0, codes)]
    if astral.any():
        distinct, inverse = np.unique(codes[astral], return_inverse=True)
        asked = [tokens.is_word_char(chr(c)) for c in distinct.tolist()]
        word[astral] = np.array(asked, bool)[inverse]
    return cjk, word


def _joined_chunk_reference(texts: list[str]) -> list[str]:
    """The first array form: UTF-32 in and out, texts parted by a last-character mask and
    each one's output found by a running count of the kept slots."""
    whole = "".join(texts)
    codes = np.frombuffer(whole.encode("utf-32-le"), dtype=np.uint32)
    count = len(codes)
    cjk, word = _classes_reference(codes)
    lengths = np.fromiter(map(len, texts), np.int64, len(texts))
    ends = np.cumsum(lengths)
    last = np.zeros(count + 1, bool)
    last[ends] = True
    last = last[1:]
    next_cjk = np.append(cjk[1:], False) & ~last
    next_word = np.append(word[1:], False) & ~last
    position = np.arange(count, dtype=np.int32)
    word_start = word & ~np.insert(word[:-1] & ~last[:-1], 0, False)
    in_word = position - np.maximum.accumulate(np.where(word_start, position, np.int32(0)))
    pair = cjk & next_cjk
    space = ord(" ")
    out = np.empty((count, 3), np.uint32)
    out[:, 0] = codes
    out[:, 1] = np.where(pair, np.append(codes[1:], space), space)
    out[:, 2] = space
    keep = np.empty((count, 3), bool)
    keep[:, 0] = cjk | (word & (in_word < tokens.MAX_TOKEN))
    keep[:, 1] = cjk | (word & ~next_word)
    keep[:, 2] = pair
    joined = out[keep].tobytes().decode("utf-32-le")
    kept = np.zeros(count + 1, np.int64)
    np.cumsum(keep[:, 0].view(np.uint8) + keep[:, 1] + keep[:, 2], out=kept[1:])
    starts = kept[ends - lengths].tolist()
    stops = kept[ends].tolist()
    return [joined[a : b - 1] if b > a else "" for a, b in zip(starts, stops, strict=True)]


# Every class of character the tokenizer tells apart, the text end mark ("\n") and NUL
# (which numpy's text arrays drop at the end of a value) among them.
TOKEN_CHARS = st.sampled_from(
    [
        *"区块链元宇宙あア한글abzAZ09٣ｚ_-，。 \n\t\x00·ΣΑ",
        "𠀀",
        "𝟘",
        "𝐀",
        "\U0003134f",
        "\U00031350",
    ]
)
TOKEN_TEXTS = st.one_of(
    st.text(alphabet=TOKEN_CHARS, max_size=60),
    st.builds(lambda n, tail: "x" * n + tail, st.integers(0, 70), st.text(TOKEN_CHARS, max_size=5)),
    st.text(max_size=30),
)


@settings(max_examples=400, deadline=None)
@given(texts=st.lists(TOKEN_TEXTS, max_size=8))
def test_joined_tokens_are_those_of_the_first_array_form(texts):
    folded = [tokens.fold_text(text) for text in texts]
    assert tokens._joined_chunk(folded) == (_joined_chunk_reference(folded) if folded else [])
    assert tokens.joined_text_tokens(folded, 7) == [
        " ".join(tokens.text_tokens(text)) for text in folded
    ]


def test_token_kinds_are_those_of_the_first_classes():
    codes = np.arange(0x10000, dtype=np.uint32)
    cjk, word = _classes_reference(codes)
    kinds = tokens._kinds(codes)
    assert np.array_equal(kinds == tokens.CJK, cjk)
    assert np.array_equal(kinds == tokens.WORD, word)
    astral = np.array([0x1D7D8, 0x1D400, 0x20000, 0x3134F, 0x31350, 0x1F600, 0x41], np.uint32)
    cjk, word = _classes_reference(astral)
    kinds = tokens._kinds(astral)
    assert np.array_equal(kinds == tokens.CJK, cjk) and np.array_equal(kinds == tokens.WORD, word)


# -- facets: document_facet_parts -------------------------------------------------------------


def _document_facet_parts_reference(
    items: list[StoredItem], facts: list[StoredFact], parts: FacetParts
) -> dict[int, list[frozenset[FacetValue]]]:
    """Every mentioned plan's values made first, then each item's parts."""
    by_item: dict[int | None, list[StoredFact]] = {}
    for fact in facts:
        by_item.setdefault(fact.item_id, []).append(fact)
    policies = facets.policies_by_plan(fact for fact in facts if fact.kind == "policy")
    plans = {key: facets.plan_facets(mentions, parts.regions) for key, mentions in policies.items()}
    return {
        item.id: facets.item_facet_parts(
            item, by_item.get(item.id, []), _section_plan(item, plans), parts
        )
        for item in items
    }


def _section_plan(item, plans):
    """The old form's plan of an item: from every mentioned plan's values, by its path."""
    if item.kind != "plan_section" or not item.path:
        return facets.NO_PLAN
    return plans.get(facets.plan_key(item.path[0]), facets.NO_PLAN)


# Plan titles, some folding to the same key (width, dashes, brackets, spaces) and some not.
PLAN_TITLES = [
    "北京市元宇宙行动计划（2023—2025年）",
    "《北京市元宇宙行动计划（2023-2025年）》",
    "北京市元宇宙 行动计划（2023－2025年）",
    "四川省元宇宙产业发展方案",
    "四川省元宇宙产业发展方案（征求意见稿）",
]
PLACES = [
    (None, None, None),
    ("510000", "四川省", "provincial"),
    ("510100", "四川省成都市", "municipal"),
    ("110000", "北京市", "provincial"),
    ("999999", "某地", "district"),  # not in the region table
    ("000000", "全国", "national"),
]
DATES = [None, "2023-05-01", "2023-06", "2024-01-02", "2020"]
ITEM_KINDS = ["plan_section", "plan_section", "paragraph", "digest_entry", "article"]


@st.composite
def documents(draw: st.DrawFn) -> tuple[list[StoredItem], list[StoredFact]]:
    """A document's items and facts as the index reads them."""
    count = draw(st.integers(0, 6))
    items = [
        StoredItem(
            id=100 + n,
            kind=draw(st.sampled_from(ITEM_KINDS)),
            title="",
            text="",
            path=draw(st.lists(st.sampled_from(PLAN_TITLES), max_size=2)),
        )
        for n in range(count)
    ]
    item_ids = st.sampled_from([None, *(item.id for item in items)])
    facts = []
    for _ in range(draw(st.integers(0, 12))):
        kind = draw(st.sampled_from(["policy", "policy", "topic", "date", "target"]))
        code, region, level = draw(st.sampled_from(PLACES))
        if kind == "policy":
            payload = {
                "normalized_title": draw(st.sampled_from(PLAN_TITLES)),
                "kind": draw(st.sampled_from([None, "", "行动计划", "方案"])),
            }
        elif kind == "topic":
            payload = {"triggers": draw(st.lists(st.sampled_from(["元宇宙", "VR", "数字孪生"])))}
        else:
            payload = {}
        label = draw(st.sampled_from(["metaverse", "blockchain", "x"]))
        date = draw(st.sampled_from(DATES))
        facts.append(StoredFact(draw(item_ids), kind, label, code, region, level, date, payload))
    return items, facts


@cache
def _regions() -> RegionTable:
    return load_region_table()


def _plan(item_id: int, title: str, place: tuple[str, str, str], date: str) -> StoredFact:
    payload = {"normalized_title": title, "kind": "行动计划"}
    return StoredFact(item_id, "policy", title, *place, date, payload)


# Two plans, each named by a section and mentioned with its own place and date.
TWO_PLANS = (
    [
        StoredItem(1, "paragraph", "", "", []),
        StoredItem(2, "plan_section", "", "", [PLAN_TITLES[0]]),
        StoredItem(3, "plan_section", "", "", [PLAN_TITLES[3], PLAN_TITLES[0]]),
        StoredItem(4, "plan_section", "", "", [PLAN_TITLES[1]]),
    ],
    [
        _plan(1, PLAN_TITLES[2], PLACES[3], "2023-05-01"),
        _plan(1, PLAN_TITLES[3], PLACES[2], "2020"),
        _plan(4, PLAN_TITLES[4], PLACES[1], "2024-01-02"),
    ],
)


@settings(max_examples=300, deadline=None)
@given(document=documents())
@example(document=TWO_PLANS)
def test_document_facet_parts_are_those_of_every_plan_made_first(document):
    items, facts = document
    fast = facets.document_facet_parts(items, facts, FacetParts(_regions(), {}))
    reference = _document_facet_parts_reference(items, facts, FacetParts(_regions(), {}))
    assert list(fast) == list(reference)
    for item_id, parts in fast.items():
        # Parts come out of a set: their order is not kept, only which they are.
        assert set(parts) == set(reference[item_id]) and len(set(parts)) == len(parts)


# -- index: item_facet_rows -----------------------------------------------------------------


def _part_rows_reference(
    part: frozenset[FacetValue], made: dict[FacetValue, tuple[list[str], str]]
) -> tuple[frozenset[str], frozenset[str], frozenset[FacetValue], frozenset[FacetValue]]:
    tokens_: set[str] = set()
    lines: set[str] = set()
    for value in part:
        own = made.get(value)
        if own is None:
            own = made[value] = (value_tokens((value,)), pack_facets((value,)))
        tokens_.update(own[0])
        lines.add(own[1])
    lines.discard("")
    return (
        frozenset(tokens_),
        frozenset(lines),
        frozenset(value for value in part if value.facet == REGION),
        frozenset(value for value in part if value.facet == TRIGGER),
    )


def _item_facet_rows_reference(
    parts: dict[int, list[frozenset[FacetValue]]],
) -> dict[int, tuple[list[str], dict[str, str]]]:
    """Each part's rows made when first met, an item's unions of them by comprehension."""
    made: dict[frozenset[FacetValue], Any] = {}
    values: dict[FacetValue, tuple[list[str], str]] = {}
    out = {}
    for item_id, own in parts.items():
        rows = []
        for part in own:
            made_rows = made.get(part)
            if made_rows is None:
                made_rows = made[part] = _part_rows_reference(part, values)
            rows.append(made_rows)
        regions = frozenset().union(*[r[2] for r in rows])
        triggers = frozenset().union(*[r[3] for r in rows])
        copied = {
            "regions": "\n".join(sorted([value.value for value in regions])),
            "topic_words": "\n".join(sorted([value.value for value in triggers])),
            "facet_values": PACK_LINE.join(sorted(frozenset().union(*[r[1] for r in rows]))),
        }
        out[item_id] = (sorted(frozenset().union(*[r[0] for r in rows])), copied)
    return out


FACET_VALUES = st.sampled_from(
    [
        FacetValue(REGION, "四川省", "510000"),
        FacetValue(REGION, "四川省成都市", "510100", "四川省"),
        FacetValue(REGION, "四川省成都市", "510100", "别处"),  # the same name twice
        FacetValue(REGION, "朝阳区", "110105", "北京市"),
        FacetValue(REGION, "朝阳区", "220104", "吉林省长春市"),
        FacetValue(LEVEL, "provincial"),
        FacetValue(KIND, "plan_section"),
        FacetValue(KIND, "paragraph"),
        FacetValue(POLICY_KIND, "行动计划"),
        FacetValue(TOPIC, "metaverse"),
        FacetValue(TRIGGER, "元宇宙"),
        FacetValue(TRIGGER, "vr"),
        FacetValue(TRIGGER, "vr", "x"),  # the same word twice
        FacetValue(FACT_TYPE, "topic"),
        FacetValue(DATE, "2023-05-01"),
        FacetValue(DATE, "2023"),
        FacetValue(YEAR, "2023"),
    ]
)
PARTS = st.lists(st.frozensets(FACET_VALUES, max_size=5), max_size=6)


@settings(max_examples=400, deadline=None)
@given(by_item=st.dictionaries(st.integers(1, 50), PARTS, max_size=8))
def test_item_facet_rows_are_those_of_the_parts_made_when_met(by_item):
    # Items share part objects, as FacetParts makes them.
    shared: dict[frozenset[FacetValue], frozenset[FacetValue]] = {}
    parts = {
        item_id: [shared.setdefault(part, part) for part in own] for item_id, own in by_item.items()
    }
    fast = search_index.item_facet_rows(parts)
    reference = _item_facet_rows_reference(parts)
    assert list(fast) == list(reference)
    for item_id, (tokens_, copied) in reference.items():
        assert fast[item_id].tokens == tokens_
        assert list(fast[item_id].copied.items()) == list(copied.items())
        union = set().union(*parts[item_id])
        assert fast[item_id].tokens == value_tokens(union)
        assert fast[item_id].copied == search_index._copied_facets(union)
    assert search_index._distinct_values(parts) == set().union(
        *[set().union(*p) for p in parts.values()]
    )


# -- facts: fact_values, SharedPayloads ---------------------------------------------------------


def _label_reference(fact: Any) -> str:
    if isinstance(fact, TopicTag):
        return fact.topic
    if isinstance(fact, PolicyMention):
        return fact.title
    if isinstance(fact, Target):
        return fact.metric_text
    if isinstance(fact, Funding):
        return fact.purpose
    if isinstance(fact, Deal):
        return f"{fact.company} {fact.round}"
    if isinstance(fact, Event):
        return fact.name
    return fact.date.value


def _date_reference(fact: Any) -> str | None:
    if isinstance(fact, TopicTag):
        return None
    if isinstance(fact, Target):
        return str(fact.target_year) if fact.target_year else None
    if isinstance(fact, PolicyMention | Deal | Event | ItemDate):
        return fact.date.value if fact.date else None
    return None


def _fact_values_reference(fact: Any, payload_of: Any) -> dict[str, Any]:
    """The row's values asked one by one: kind by table, label and date by isinstance."""
    place = getattr(fact, "place", None)
    prov = fact.prov
    span, raw_span = prov.span, prov.raw_span
    return {
        "kind": FACT_KINDS[type(fact)],
        "extractor": prov.extractor,
        "start": span.start,
        "end": span.end,
        "raw_start": raw_span.start,
        "raw_end": raw_span.end,
        "quote": prov.quote,
        "label": _label_reference(fact),
        "region_code": place.code if place else None,
        "region": place.name if place else None,
        "level": place.level if place else None,
        "metric": fact.metric if isinstance(fact, Target) else None,
        "date": _date_reference(fact),
        "payload": payload_of(fact),
    }


WORDS = st.sampled_from(["", "元宇宙", "VR", "数字孪生", "a b"])
OPTIONAL_WORDS = st.none() | WORDS
WORD_TUPLES = st.lists(WORDS, max_size=3).map(tuple)
NUMBERS = st.sampled_from([0.0, 1.0, 2.5, 1e9, -0.0])
PLACE_VALUES = st.none() | st.builds(
    Place, st.sampled_from(["510000", "000000"]), WORDS, st.sampled_from(["provincial", ""])
)
DATE_VALUES = st.builds(
    DateValue, st.sampled_from(["2023-05-01", "2023-06", ""]), WORDS, st.just("explicit")
)
PROVENANCE = st.builds(
    Provenance,
    st.integers(0, 3),
    st.builds(Span, st.just(3), st.integers(3, 9)),
    st.builds(Span, st.just(5), st.integers(5, 9)),
    WORDS,
    st.sampled_from(["topic.v1", "target.v1"]),
)
FACTS = st.one_of(
    st.builds(TopicTag, WORDS, WORD_TUPLES, PROVENANCE),
    st.builds(
        PolicyMention,
        WORDS,
        WORDS,
        OPTIONAL_WORDS,
        st.booleans(),
        WORD_TUPLES,
        WORD_TUPLES,
        st.none() | st.integers(0, 20),
        PLACE_VALUES,
        st.none() | DATE_VALUES,
        OPTIONAL_WORDS,
        st.none() | st.tuples(st.integers(2020, 2030), st.integers(2020, 2030)),
        PROVENANCE,
    ),
    st.builds(
        Target,
        WORDS,
        WORDS,
        OPTIONAL_WORDS,
        NUMBERS,
        NUMBERS,
        WORDS,
        WORDS,
        st.none() | st.sampled_from([0, 2025]),
        PLACE_VALUES,
        OPTIONAL_WORDS,
        PROVENANCE,
    ),
    st.builds(Funding, NUMBERS, WORDS, WORDS, WORDS, PLACE_VALUES, PROVENANCE),
    st.builds(
        Deal,
        WORDS,
        WORDS,
        OPTIONAL_WORDS,
        st.none() | NUMBERS,
        st.none() | NUMBERS,
        st.booleans(),
        WORD_TUPLES,
        st.none() | DATE_VALUES,
        PROVENANCE,
    ),
    st.builds(Event, WORDS, st.none() | DATE_VALUES, PLACE_VALUES, WORD_TUPLES, PROVENANCE),
    st.builds(ItemDate, DATE_VALUES, PROVENANCE),
)


@settings(max_examples=500, deadline=None)
@given(facts=st.lists(FACTS, max_size=12))
def test_fact_values_are_those_asked_one_by_one(facts):
    shared = store_facts.SharedPayloads()
    for fact in facts:
        fast = store_facts.fact_values(fact)
        reference = _fact_values_reference(fact, store_facts.fact_payload)
        assert list(fast.items()) == list(reference.items())  # same keys, same order
        assert store_facts.label_of(fact) == _label_reference(fact)
        assert store_facts.date_of(fact) == _date_reference(fact)
        # Shared payloads are the payloads, key order and JSON text included.
        payload = shared(fact)
        assert list(payload.items()) == list(store_facts.fact_payload(fact).items())
        assert json.dumps(payload) == json.dumps(store_facts.fact_payload(fact))
    # Equal topic tags share one payload; others never share one.
    for first in facts:
        for second in facts:
            same = shared(first) is shared(second)
            if type(first) is TopicTag and first == second:
                assert same
            elif type(first) is not TopicTag or type(second) is not TopicTag:
                assert not same or first is second


def test_every_fact_kind_has_its_filter_columns():
    assert set(store_facts._COLUMNS) == set(FACT_KINDS)


def test_shared_payloads_take_a_list_where_the_type_says_tuple():
    prov = Provenance(0, Span(0, 1), Span(0, 1), "元", "topic.v1")
    listed = TopicTag("metaverse", ["元宇宙"], prov)  # type: ignore[arg-type]
    shared = store_facts.SharedPayloads()
    assert shared(listed) == {"topic": "metaverse", "triggers": ["元宇宙"]}
    assert not shared.made
    tagged = TopicTag("metaverse", ("元宇宙",), prov)
    assert shared(tagged) is shared(replace(tagged, prov=replace(prov, quote="宇")))
    assert len(shared.made) == 1


# -- rows: row_tuples, insert_tuples ----------------------------------------------------------


_NOT_DONE = object()


def _converted_reference(column: Any, values: Any, dialect: Any) -> Any:
    process = store_rows._processor(column, dialect)
    if process is None:
        return values
    done: dict[int, Any] = {}
    out = []
    for value in values:
        converted = done.get(id(value), _NOT_DONE)
        if converted is _NOT_DONE:
            converted = done[id(value)] = process(value)
        out.append(converted)
    return out


def _row_tuples_reference(table: Any, names: list[str], rows: Any, dialect: Any) -> Any:
    get = itemgetter(*names)
    values = list(map(get, rows)) if len(names) > 1 else [(get(row),) for row in rows]
    processed = [n for n, name in enumerate(names) if store_rows._processor(table.c[name], dialect)]
    if not processed or not values:
        return values
    columns = list(zip(*values, strict=True))
    for n in processed:
        columns[n] = _converted_reference(table.c[names[n]], columns[n], dialect)
    return list(zip(*columns, strict=True))


PAYLOADS = st.lists(
    st.dictionaries(st.sampled_from(["topic", "date", "n"]), st.none() | WORDS | st.integers()),
    min_size=1,
    max_size=4,
)


@settings(max_examples=300, deadline=None)
@given(payloads=PAYLOADS, picks=st.lists(st.integers(0, 3), max_size=10), copy=st.booleans())
def test_row_tuples_are_those_converted_value_by_value(payloads, picks, copy):
    # Rows share payload objects, or hold equal copies of them.
    rows = [
        {
            "kind": "topic",
            "payload": dict(payloads[n % len(payloads)]) if copy else payloads[n % len(payloads)],
        }
        for n in picks
    ]
    table = FactRow.__table__
    for dialect in (sqlite.dialect(), _store_dialect()):
        for names in (["kind", "payload"], ["payload"], ["kind"], ["payload", "kind"]):
            fast = store_rows.row_tuples(table, names, rows, dialect)
            assert fast == _row_tuples_reference(table, names, rows, dialect)


@cache
def _store_dialect() -> Any:
    """The dialect of a store's engine (its own JSON serializer)."""
    store = Store("sqlite://")
    try:
        return store.engine.dialect
    finally:
        store.close()


def _table_rows(store: Store, table: Any) -> list[tuple[Any, ...]]:
    with store.session() as session:
        return [tuple(row) for row in session.execute(select(table).order_by(*table.primary_key))]


@pytest.mark.parametrize("backend", ["sqlite", "other"])
def test_insert_tuples_stores_what_insert_rows_stores(tmp_path, backend, monkeypatch):
    documents = [
        {
            "sha256": f"{n:064d}",
            "source": f"s{n}",
            "format": "txt",
            "encoding": None,
            "title": "题",
            "published": None,
            "size": n,
            "ingested_at": datetime(2024, 1, n + 1),
            "raw_text": "元宇宙",
            "clean_text": "元宇宙",
            "offset_runs": [[0, 0, 3]],
            "page_metadata": [],
        }
        for n in range(3)
    ]
    items = [
        {"document_id": 1 + n % 3, "idx": n, "kind": "paragraph", "title": "t", "section": None}
        | {"number": None, "path": ["计划"] if n % 2 else [], "responsible": [], "start": 0}
        | {"end": 3, "raw_start": 0, "raw_end": 3, "text": "元宇宙"}
        for n in range(5)
    ]
    values = [
        {"facet": "region", "value": f"v{n}", "parent": None} for n in range(3)
    ]  # code: default
    stored = []
    for name, insert in (("rows", "insert_rows"), ("tuples", "insert_tuples")):
        store = Store(f"sqlite:///{tmp_path / name}.db")
        if backend == "other":  # the generic path, through insert(table)
            monkeypatch.setattr(store.engine.dialect, "name", "other")
        try:
            with store.session() as session:
                for table, rows in (
                    (DocumentRow.__table__, documents),
                    (ItemRow.__table__, items),
                    (SearchFacetValueRow.__table__, values),
                ):
                    if insert == "insert_rows":
                        store_rows.insert_rows(session, table, rows)
                    else:
                        names = list(rows[0])
                        tuples = [tuple(row[name] for name in names) for row in rows]
                        store_rows.insert_tuples(session, table, names, tuples)
            stored.append(
                [
                    _table_rows(store, table)
                    for table in (
                        DocumentRow.__table__,
                        ItemRow.__table__,
                        SearchFacetValueRow.__table__,
                    )
                ]
            )
        finally:
            monkeypatch.undo()
            store.close()
    assert stored[0] == stored[1]
    assert [row[2] for row in stored[0][2]] == ["", "", ""]  # the default code


# -- bulk: the rows each document owns, and where they are stored ------------------------------


def _owned_rows_reference(
    document_ids: list[int], item_ids: list[list[int]], owned: list[list[tuple[int | None, Any]]]
) -> list[dict[str, Any]]:
    """Each row's dict copied with its document's and item's ids merged in front."""
    return [
        {"document_id": document_id, "item_id": None if n is None else ids[n], **values}
        for document_id, ids, rows in zip(document_ids, item_ids, owned, strict=True)
        for n, values in rows
    ]


@st.composite
def owned_rows(draw: st.DrawFn) -> tuple[list[int], list[list[int]], list[list[Any]]]:
    """Documents' ids, their items' ids, and the rows each owns (with its item's position)."""
    counts = draw(st.lists(st.integers(0, 4), max_size=4))
    document_ids = [10 * (n + 1) for n in range(len(counts))]
    item_ids, next_id = [], 1
    for count in counts:
        item_ids.append(list(range(next_id, next_id + count)))
        next_id += count
    owned = [
        [
            (draw(st.none() | st.integers(0, count - 1)) if count else None, {"a": n, "b": "x"})
            for n in range(draw(st.integers(0, 3)))
        ]
        for count in counts
    ]
    return document_ids, item_ids, owned


@settings(max_examples=300, deadline=None)
@given(batch=owned_rows())
def test_owned_rows_are_the_dicts_with_their_ids_merged(batch):
    from policylens.store.bulk import _owned_rows

    names, rows = _owned_rows(*batch)
    reference = _owned_rows_reference(*batch)
    assert [dict(zip(names, row, strict=True)) for row in rows] == reference
    assert not reference or names == list(reference[0])


def test_bulk_stores_each_fact_and_link_with_its_own_item(tmp_path, res):
    from conftest import corpus_files
    from policylens.config import load_settings
    from policylens.ingest import Source, load
    from policylens.pipeline import process

    settings_ = load_settings(env={})
    documents = [process(load(Source(str(p)), settings_), res) for p in corpus_files()]
    assert any(i.links for d in documents for i in d.items) and any(d.facts for d in documents)
    store = Store(f"sqlite:///{tmp_path / 'kb.db'}")
    try:
        saved = store.save_many(documents)
        with store.session() as session:
            for document, result in zip(documents, saved, strict=True):
                items = dict(
                    session.execute(
                        select(ItemRow.id, ItemRow.idx).where(
                            ItemRow.document_id == result.document_id
                        )
                    ).all()
                )
                facts = session.execute(
                    select(FactRow.item_id, FactRow.quote, FactRow.start)
                    .where(FactRow.document_id == result.document_id)
                    .order_by(FactRow.id)
                ).all()
                indexes = {item.index for item in document.items}
                assert [
                    (
                        fact.prov.item_index if fact.prov.item_index in indexes else None,
                        fact.prov.quote,
                        fact.prov.span.start,
                    )
                    for fact in document.facts
                ] == [(items.get(item_id), quote, start) for item_id, quote, start in facts]
                links = session.execute(
                    select(LinkRow.item_id, LinkRow.url)
                    .where(LinkRow.document_id == result.document_id)
                    .order_by(LinkRow.id)
                ).all()
                written = [(item.index, link.url) for item in document.items for link in item.links]
                assert written == [(items[item_id], url) for item_id, url in links]
    finally:
        store.close()

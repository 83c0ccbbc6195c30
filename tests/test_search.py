"""Search on the sample corpus, on SQLite and PostgreSQL: exact recall, ranking, facets, JSON."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import delete, event, func, select, update
from typer.testing import CliRunner

from conftest import PlainFact, PlainItem, corpus_files, postgres_schema
from policylens import api
from policylens.cli import app
from policylens.config import load_settings
from policylens.errors import SearchError
from policylens.ingest import Source, load
from policylens.pipeline import process
from policylens.search import match, query
from policylens.search.facets import FacetValue, document_facets, unpack_facets
from policylens.search.filters import FilterTokens, filter_tokens
from policylens.search.match import match_query, newest_matches
from policylens.search.model import SearchRequest
from policylens.search.rank import occurrences
from policylens.search.regions import RegionTable
from policylens.search.snippet import make_snippet
from policylens.search.tokens import query_terms, text_tokens
from policylens.store import Store
from policylens.store.search_tables import SearchItemRow

ALL = 1000  # a page large enough for every match in the sample corpus


@pytest.fixture(scope="module")
def documents(res):
    settings = load_settings(env={})
    return [process(load(Source(str(p)), settings), res) for p in corpus_files()]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def kb(request, tmp_path_factory, documents):
    """Return the URL of a knowledge base holding the sample corpus (one per backend)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('search') / 'kb.db'}"
    else:
        url = postgres_schema(request)
    return stored(url, documents)


def stored(url, documents):
    """Return ``url`` once the documents are saved in its knowledge base."""
    store = Store(url)
    try:
        for document in documents:
            store.save(document)
    finally:
        store.close()
    return url


def key(source, index):
    """Return an item's key: its file's number (000 … 004) and its index."""
    return source.rsplit("/", 1)[-1][:3], index


def keys(results):
    return {key(r.document, r.index) for r in results}


def brute_force(url, query):
    """Return the items whose title or text holds every word of the query (case-blind)."""
    words = query.lower().split()
    return {
        key(item.document, item.index)
        for item in api.items(db=url)
        if all(w in f"{item.title}\n{item.text}".lower() for w in words)
    }


@pytest.mark.parametrize(
    "query", ["链", "政策", "成都", "浙江", "光刻", "元宇宙 区块链", "数字人", "数字孪生 城市"]
)
def test_search_recall_equals_brute_force_substring_scan(kb, query):
    page = api.search(query, db=kb, limit=ALL)
    expected = brute_force(kb, query)
    assert expected, query
    assert keys(page.results) == expected
    assert page.total == len(expected)


def test_search_finds_a_word_inside_a_longer_word(kb):
    # 光刻 is written only inside 光刻机, which a word segmenter keeps as one token.
    (hit,) = api.search("光刻", db=kb).results
    assert hit.document.endswith("003_f00c508a819b93d2.txt")
    assert "光刻机" in hit.snippet


@pytest.mark.parametrize(
    ("query", "document", "title"),
    [
        ("区块链 婚姻", "000", "获得全国首张区块链婚姻"),
        ("数字人 金融", "003", "专栏5数字人新应用拓展工程"),
        ("工业元宇宙 四川", "003", "导读"),
        ("浙江 元宇宙", "002", "浙江省元宇宙产业发展行动计划"),
    ],
)
def test_search_ranks_the_right_item_first(kb, query, document, title):
    first = api.search(query, db=kb).results[0]
    assert first.document.rsplit("/", 1)[-1].startswith(document)
    assert title in first.title


def test_search_nft_puts_the_nft_news_first(kb):
    titles = [hit.title for hit in api.search("NFT", db=kb).results]
    assert any(part in titles[0] for part in ("Meelier", "工博会纪念版NFT"))
    assert any("Meelier" in t for t in titles[:2]) and any("工博会" in t for t in titles[:2])
    assert titles[-1] == "目录"  # a contents page repeats the headline; it comes last


def test_search_sichuan_plan_items_lead_for_industrial_metaverse(kb):
    top = api.search("工业元宇宙 四川", db=kb, limit=3).results
    assert {"导读", "指导思想"} <= {hit.title for hit in top}
    # The plan's own sections name neither word together; the region filter finds them.
    sections = api.search("工业元宇宙", db=kb, region="四川", kind="plan_section", limit=ALL)
    assert sections.total >= 5
    assert all(hit.document.endswith("003_f00c508a819b93d2.txt") for hit in sections.results)


def test_search_demotes_a_false_friend(kb):
    # 数字人 inside 数字人民币 (digital RMB) is not about digital humans.
    titles = [hit.title for hit in api.search("数字人 金融", db=kb).results]
    assert titles.index(next(t for t in titles if "数字人民币" in t)) == len(titles) - 1


def test_search_region_facet_counts_a_province_with_its_cities(kb):
    page = api.search("元宇宙", db=kb, limit=ALL)
    regions = {count.value: count.count for count in page.facets["region"]}
    in_sichuan = [h for h in page.results if any(r.startswith("四川省") for r in h.regions)]
    assert regions["四川省"] == len(in_sichuan) > regions["四川省成都市"] >= 2
    filtered = api.search("元宇宙", db=kb, region="四川", limit=ALL)
    assert filtered.total == regions["四川省"]
    assert keys(filtered.results) == keys(in_sichuan)
    by_code = api.search("元宇宙", db=kb, region="510000", limit=ALL)
    assert keys(by_code.results) == keys(filtered.results)
    chengdu = api.search("元宇宙", db=kb, region="成都", limit=ALL)
    assert chengdu.total == regions["四川省成都市"]
    assert keys(chengdu.results) < keys(filtered.results)


def test_search_facets_match_the_stored_facts(kb):
    page = api.search("元宇宙", db=kb, limit=ALL)
    assert sum(c.count for c in page.facets["kind"]) == page.total
    with_target = {key(f.document, f.item_index) for f in api.facts(kb, "target")}
    facet = {c.value: c.count for c in page.facets["fact_type"]}
    assert facet["target"] == len(keys(page.results) & with_target)
    typed = api.search("元宇宙", db=kb, fact_type="target", limit=ALL)
    assert keys(typed.results) == keys(page.results) & with_target
    tagged = {
        key(f.document, f.item_index) for f in api.facts(kb, "topic") if f.label == "metaverse"
    }
    topics = {c.value: c.count for c in page.facets["topic"]}
    assert topics["metaverse"] == len(keys(page.results) & tagged)


def test_search_facet_counts_are_those_of_every_matchs_stored_values(kb):
    # Counted over every match (not the page or the ranking pool): each match's stored facet
    # values, unpacked and counted one by one, give the same counts.
    page = api.search("元宇宙", db=kb, limit=ALL)
    assert page.exact and len(page.results) == page.total
    query = select(SearchItemRow.facet_values).where(
        SearchItemRow.item_id.in_([hit.item_id for hit in page.results])
    )
    store = Store(kb)
    try:
        with store.session() as session:
            packed = session.scalars(query).all()
    finally:
        store.close()
    tally = Counter((v.facet, v.value, v.code) for values in packed for v in unpack_facets(values))
    expected = {
        (facet, value, count, code)
        for (facet, value, code), count in tally.items()
        if facet in page.facets
    }
    counted = {(f, c.value, c.count, c.code) for f, counts in page.facets.items() for c in counts}
    assert counted == expected and len(expected) > 20


@pytest.mark.parametrize(
    "words",
    ["元宇宙", "区块链 元宇宙", "数字人", "NFT", "产业 发展", "数字经济发展 2025", "产业数字"],
)
@pytest.mark.parametrize("min_take", [match.COARSE_MIN_TAKE, 1])
@pytest.mark.parametrize("window_slack", [match.WINDOW_SLACK, 0.01])
def test_search_newest_matches_after_a_probe_are_the_newest_matches(
    kb, words, min_take, window_slack, monkeypatch
):
    # PostgreSQL checks the newest rows first, then the older ones one way or another (by
    # the index, window of ids after window; a phrase: its index candidates, then only they
    # are checked); small probes, takes and windows here take every path, and each must give
    # the plain query's rows.
    monkeypatch.setattr(match, "COARSE_MIN_TAKE", min_take)
    monkeypatch.setattr(match, "WINDOW_SLACK", window_slack)  # 0.01: windows of the probe's size
    if min_take == 1:
        monkeypatch.setattr(match, "COARSE_SLACK", 1.0)  # takes of exactly what is wanted
    terms = query_terms(words)
    store = Store(kb)
    try:
        with store.engine.connect() as connection:
            dialect = connection.dialect.name
            for title in (False, True):
                query = match_query(dialect, terms, FilterTokens(), title=title)
                coarse = match.coarse_match(dialect, terms, FilterTokens(), title=title)
                plain = list(connection.scalars(query))
                assert plain or title  # 产业数字 is in no title
                for probe, limit in ((3, 5), (3, 50), (40, 30), (40, 2000), (400, 7), (1, 1)):
                    rows = newest_matches(connection, query, limit, probe, coarse=coarse)
                    assert [row[0] for row in rows] == plain[:limit]
    finally:
        store.close()


@pytest.mark.parametrize(
    ("found", "wanted", "rows_left", "coarse", "scan"),
    [
        # 发展 at 100 k items: 216 of the newest 300 rows match; checking ~1,100 rows in id
        # order (4 ms) beats reading the index's 72,000 hits (5.5 ms).
        (216, 785, 99_705, False, True),
        # 元宇宙 医疗 at 100 k items: one row in six; 6,000 rows checked in id order took 31 ms,
        # the index's candidates in a window of ids and then their check 15 ms.
        (47, 953, 99_405, True, False),
        (47, 953, 99_405, False, False),
        # At 1 M items the index's lists are ten times as long; the rows to check are not.
        (47, 953, 999_405, True, True),
        (216, 785, 999_705, False, True),
        # Nothing in the probe: the matches are rare, the index finds them.
        (0, 1_000, 99_705, False, False),
        (0, 1_000, 99_705, True, False),
    ],
)
def test_search_scan_or_index_is_chosen_by_measured_costs(found, wanted, rows_left, coarse, scan):
    assert match._scan_is_cheaper(found, 300, wanted, rows_left, coarse) is scan


@given(
    low=st.integers(-1, 10**6),
    length=st.integers(0, 10**5),
    size=st.integers(1, 10**5),
    newest=st.booleans(),
)
def test_search_windows_cover_the_ids_once_from_their_end_each_twice_the_last(
    low, length, size, newest
):
    """Windows of ids (low, high] follow each other without a gap or an overlap from the
    span's newest end (or oldest), the first of the size asked for (or the span), each next
    one twice as large until the span runs out."""
    high = low + length
    windows = list(match._windows((low, high), size, newest))
    ordered = windows[::-1] if newest else windows
    starts, ends = [w[0] for w in ordered], [w[1] for w in ordered]
    assert starts == ([low, *ends[:-1]] if ordered else [])
    assert ends[-1:] == ([high] if length else [])
    sizes = [w[1] - w[0] for w in windows]
    assert all(n > 0 for n in sizes)
    assert all(n == min(size * 2**i, length - sum(sizes[:i])) for i, n in enumerate(sizes))


@pytest.mark.parametrize("words", ["元宇宙", "NFT", "产业 发展"])
def test_search_indexed_matches_window_by_window_are_the_newest_matches(kb, words):
    """Windows of ids too small to hold what is wanted are followed by larger ones below,
    down to the oldest id; too large ones are cut by the limit."""
    if not kb.startswith("postgresql"):  # SQLite's FTS5 query is newest first by itself
        return
    terms = query_terms(words)
    store = Store(kb)
    try:
        with store.engine.connect() as connection:
            query = match_query("postgresql", terms, FilterTokens())
            plain = list(connection.scalars(query))
            top = connection.scalar(select(func.max(SearchItemRow.id)))
            assert len(plain) > 3
            for window in (1, 2, 9, top, 10**9):
                for wanted in (1, 3, len(plain), len(plain) + 5):
                    windows = match._windows((0, top), window, newest=True)
                    rows = match._indexed_matches(connection, query, wanted, windows)
                    assert [row[0] for row in rows] == plain[:wanted]
    finally:
        store.close()


def test_search_planner_settings_hold_in_the_block_and_are_put_back(kb):
    """The settings a search asks for are in force in the block only, each time; the SQL
    they go into takes only setting names and plain values."""
    if not kb.startswith("postgresql"):
        return
    names = ("enable_seqscan", "enable_indexscan", "jit", "work_mem")
    shown = select(*(func.current_setting(name) for name in names))
    store = Store(kb)
    try:
        with store.engine.connect() as connection:
            before = tuple(connection.execute(shown).one())
            for settings in (match.SCAN, match.INDEXED, match.SCAN):
                with match.planner_settings(connection, **settings):
                    inside = dict(zip(names, connection.execute(shown).one(), strict=True))
                    assert {n: v for n, v in inside.items() if n in settings} == {
                        n: settings[n] for n in names if n in settings
                    }
                assert tuple(connection.execute(shown).one()) == before
            hostile = match.planner_settings(connection, jit="off'; DROP TABLE items; --")
            with pytest.raises(ValueError, match="not a planner setting"), hostile:
                pass
    finally:
        store.close()


def test_search_term_counts_are_kept_until_anything_is_indexed(db_url, documents):
    """A word's count is kept with the connection; once a document is indexed (the index's
    largest row id moves on), it is counted afresh, the new document's items included."""
    terms = query_terms("元宇宙 区块链")
    store = Store(db_url)
    try:
        store.save(documents[0])
        with store.engine.connect() as connection:
            top, first = match.indexed_and_term_counts(connection, terms, 1_000)
            assert match.indexed_and_term_counts(connection, terms, 1_000) == (top, first)
            kept = connection.info[match.TERM_COUNTS][1]
            assert set(kept) == {("元宇宙", 1_000), ("区块链", 1_000)}
            connection.rollback()  # a new transaction sees what is stored meanwhile
            for document in documents[1:]:
                store.save(document)
            fresh_top, fresh = match.indexed_and_term_counts(connection, terms, 1_000)
        with store.engine.connect() as other:
            assert match._count_terms(other, terms, 1_000, fresh_top) == fresh
        assert fresh_top > top and fresh[0] > first[0]
    finally:
        store.close()


def test_search_counts_a_querys_words_apart_on_postgresql_and_ranks_as_if_counted_inline(
    kb, monkeypatch
):
    """On PostgreSQL, in a large index, the words of a query of several are counted in
    another thread (on a connection of its own) while the query matches; SQLite, or a small
    index, counts them in the search's. The page is the same either way."""
    import threading

    counted_in: list[int] = []
    count_terms = match._count_terms

    def observed(connection, terms, cap, top):
        counted_in.append(threading.get_ident())
        return count_terms(connection, terms, cap, top)

    monkeypatch.setattr(match, "_count_terms", observed)
    monkeypatch.setattr(query, "COUNT_APART_ROWS", 1)  # the sample corpus as a large index
    queries = ("元宇宙 区块链", "数字 经济", "产业 发展")
    store = Store(kb)
    try:
        # The thread counts if it has its connection before the search needs the weights:
        # once the pool keeps a second connection, it has it at once.
        pages = [api.search(words, db=kb, limit=ALL, store=store) for words in queries]
    finally:
        store.close()
    apart = any(thread != threading.get_ident() for thread in counted_in)
    assert len(counted_in) == len(queries) and apart is kb.startswith("postgres")
    monkeypatch.setattr(query, "COUNT_APART_ROWS", 10**9)
    inline = [api.search(words, db=kb, limit=ALL) for words in queries]
    assert counted_in[-1] == threading.get_ident()
    assert all(page.total > 10 for page in pages)
    assert [page.to_json() for page in pages] == [page.to_json() for page in inline]


def test_search_counts_the_words_itself_when_the_pool_has_no_second_connection(
    pg_url, documents, monkeypatch
):
    """A search holding the pool's only connection does not wait for a second to count its
    words (a busy server's searches would wait on each other): it counts them itself, and
    the page is the one counting apart gives. (Words are counted apart on PostgreSQL only.)"""
    import time

    from sqlalchemy import create_engine

    stored(pg_url, documents)
    monkeypatch.setattr(query, "COUNT_APART_ROWS", 1)  # the sample corpus as a large index
    request = SearchRequest("元宇宙 区块链", limit=ALL)
    roomy = create_engine(pg_url)
    one = create_engine(pg_url, pool_size=1, max_overflow=0, pool_timeout=5)
    try:
        apart = query.run_search(roomy, request)
        started = time.perf_counter()
        alone = query.run_search(one, request)
        assert time.perf_counter() - started < 4  # the pool's timeout is 5 s
    finally:
        roomy.dispose()
        one.dispose()
    assert apart.total > 10 and alone.to_json() == apart.to_json()


@pytest.mark.parametrize("title", [False, True])
def test_search_coarse_match_holds_every_match_and_is_none_without_a_phrase(kb, title):
    """The index candidates of a phrase query are a superset of its matches, with filters
    or without, and with a word in the title (one word: the title's index alone)."""
    store = Store(kb)
    try:
        with store.engine.connect() as connection:
            dialect = connection.dialect.name
            plans = filter_tokens(connection, SearchRequest("", kind=("行动计划",)))
            for words in ("元宇宙", "数字经济发展", "区块链 元宇宙", "NFT 数字藏品"):
                terms = query_terms(words)
                for filters in (FilterTokens(), plans):
                    coarse = match.coarse_match(dialect, terms, filters, title)
                    if dialect == "sqlite":
                        assert coarse is None
                        continue
                    assert coarse is not None
                    query = match_query(dialect, terms, filters, title)
                    matches = set(connection.scalars(query))
                    candidates = select(SearchItemRow.item_id).where(coarse)
                    assert matches <= set(connection.scalars(candidates))
                    assert matches or title or filters is plans
            assert match.coarse_match(dialect, query_terms("NFT 产业"), FilterTokens()) is None
    finally:
        store.close()


def test_search_index_bounds_are_read_from_the_primary_keys_ends(kb):
    """A search starts by reading the index's smallest and largest ids: the ends of its
    primary key, never every row (SQLite reads every row for min() and max() in one SELECT)."""
    store = Store(kb)
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    try:
        with store.engine.connect() as connection:
            event.listen(connection, "before_cursor_execute", record)
            low, high = match.index_bounds(connection)
            event.remove(connection, "before_cursor_execute", record)
            ids = select(func.min(SearchItemRow.id), func.max(SearchItemRow.id))
            assert (low, high) == tuple(connection.execute(ids).one())
            (statement,) = [sql for sql in statements if "search_items" in sql]
            if connection.dialect.name == "sqlite":
                plan = [
                    row[-1] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement)
                ]
                assert not any(step.startswith("SCAN search_items") for step in plan), plan
            else:
                plan = [row[0] for row in connection.exec_driver_sql("EXPLAIN " + statement)]
                assert not any("Seq Scan" in step for step in plan), plan
    finally:
        store.close()


@pytest.mark.parametrize("words", ["元宇宙", "区块链 元宇宙", "数字经济发展", "产业 发展", "NFT"])
def test_search_title_pool_from_the_newest_matches_is_the_title_querys(kb, words):
    """On PostgreSQL the title hits read with the newest matches stand in for a search of
    title hits of its own: however few newest matches were read (older title hits are then
    searched below them), with filters or without, the ranking pool is the same."""
    terms = query_terms(words)
    if not kb.startswith("postgresql"):  # the title test is part of FTS5's query
        assert match.title_hit("sqlite", terms) is None
        return
    title_hit = match.title_hit("postgresql", terms)
    assert title_hit is not None
    columns = (SearchItemRow.id, title_hit.label("title_hit"))
    store = Store(kb)
    try:
        with store.engine.connect() as connection:
            bounds = match.index_bounds(connection)
            plans = filter_tokens(connection, SearchRequest("", kind=("行动计划",)))
            for filters in (FilterTokens(), plans):
                matches = match.newest_matching(
                    connection, terms, filters, 10_000, columns=columns, bounds=bounds
                )
                titled = [row.item_id for row in matches if row.title_hit]
                assert titled or filters is plans or words == "数字经济发展"  # in no title
                for read in (1, 2, 5, 20, len(matches)):
                    rows = matches[: read + 1]  # as a search reads one more than it counts
                    hits = query._title_hits(rows, every_match=len(rows) <= read)
                    newest = [row.item_id for row in rows[:read]]
                    for size in (1, 2, 4, 10):
                        searched = query._pool_ids(connection, terms, filters, newest, size, bounds)
                        pool = query._pool_ids(
                            connection, terms, filters, newest, size, bounds, hits
                        )
                        assert pool == searched
    finally:
        store.close()


@pytest.mark.parametrize("kb", ["sqlite"], indirect=True)  # FTS5 is SQLite's
@pytest.mark.parametrize(
    "word", ["元宇宙", "区块链", "链", "NFT", "AI数字人", "数字经济发展", "行动计划"]
)
def test_sqlite_title_match_of_one_word_asks_only_the_title(kb, word):
    """A title holding a word's tokens is an item holding them, so FTS5 is asked for the
    title alone: the same rows as the word in any column and in the title, filters or not."""
    terms = query_terms(word)
    title_only = match.fts_expression(terms, title=True)
    assert title_only.startswith("facets : (")
    both = f"{match.fts_expression(terms)} AND {title_only}"
    store = Store(kb)
    try:
        with store.engine.connect() as connection:
            plans = filter_tokens(connection, SearchRequest("", kind=("行动计划",)))
            found = []
            for extra in ("", f" AND {match.fts_filters(plans)}"):
                rows = [
                    connection.exec_driver_sql(
                        "SELECT rowid FROM search_fts WHERE search_fts MATCH ? ORDER BY rowid",
                        (expression + extra,),
                    )
                    .scalars()
                    .all()
                    for expression in (title_only, both)
                ]
                assert rows[0] == rows[1]
                found.append(rows[0])
            assert found[0] or word in ("AI数字人", "数字经济发展")  # in no title
    finally:
        store.close()


@pytest.mark.parametrize(
    "filters",
    [
        {"kind": ("行动计划",)},
        {"region": ("上海",)},
        {"fact_type": ("target",), "date_from": "2022"},
        {"kind": ("no-such-kind",)},
    ],
)
@pytest.mark.parametrize("window_slack", [match.WINDOW_SLACK, 0.01])
def test_search_oldest_matches_of_filters_alone_are_in_document_order(
    kb, filters, window_slack, monkeypatch
):
    """Filters without words list in document order: PostgreSQL probes the oldest rows,
    then takes newer ones in id order or by the index, window after window; every path
    gives the plain query's rows."""
    monkeypatch.setattr(match, "WINDOW_SLACK", window_slack)
    store = Store(kb)
    try:
        with store.engine.connect() as connection:
            request = SearchRequest("", limit=10, **filters)
            query = match_query(connection.dialect.name, [], filter_tokens(connection, request))
            plain = list(connection.scalars(query))
            assert plain or filters == {"kind": ("no-such-kind",)}
            for probe, limit in ((3, 5), (3, 50), (40, 30), (40, 2000), (400, 7), (1, 1)):
                rows = match.oldest_matches(connection, query, limit, probe)
                assert [row[0] for row in rows] == plain[:limit]
    finally:
        store.close()


@pytest.mark.parametrize("words", ["产业数字", "产业创新", "产业应用", "企业发展"])
@pytest.mark.parametrize("window", [1, 5, 10**9])
def test_search_checked_candidates_window_by_window_are_the_newest_matches(
    kb, words, window, monkeypatch
):
    """Candidates that are not matches (产业 and 创新 apart) make takes come up short, and
    windows of ids hold too few candidates or too many to take: the next take starts below
    the last, and nothing is checked twice or skipped."""
    if not kb.startswith("postgresql"):  # FTS5 answers phrases itself: no candidates
        assert match.coarse_match("sqlite", query_terms(words), FilterTokens()) is None
        return
    monkeypatch.setattr(match, "COARSE_MIN_TAKE", 1)
    monkeypatch.setattr(match, "COARSE_SLACK", 1.0)
    terms = query_terms(words)
    store = Store(kb)
    try:
        with store.engine.connect() as connection:
            query = match_query("postgresql", terms, FilterTokens())
            coarse = match.coarse_match("postgresql", terms, FilterTokens())
            plain = list(connection.scalars(query))
            top = connection.scalar(select(func.max(SearchItemRow.id)))
            candidates = connection.scalar(select(func.count()).where(coarse))
            assert plain and candidates > len(plain)
            for wanted in range(1, len(plain) + 3):
                span = (0, top)
                rows = match._checked_candidates(connection, query, coarse, wanted, span, window)
                assert [row[0] for row in rows] == plain[:wanted]
    finally:
        store.close()


def test_search_filters_by_kind_topic_level_and_date(kb):
    plans = api.search("", db=kb, kind="行动计划", limit=ALL)
    naming = {
        key(f.document, f.item_index)
        for f in api.facts(kb, "policy")
        if f.values["kind"] == "行动计划"
    }
    # Items naming an action plan, and the sections of the action plans themselves.
    assert naming < keys(plans.results)
    assert {h.kind for h in plans.results if key(h.document, h.index) not in naming} == {
        "plan_section"
    }
    sections = api.search("", db=kb, kind="plan_section", limit=ALL)
    assert {h.kind for h in sections.results} == {"plan_section"}
    nft = api.search("", db=kb, topic="数字藏品", limit=ALL)
    assert keys(nft.results) == keys(api.search("", db=kb, topic="nft", limit=ALL).results)
    districts = api.search("元宇宙", db=kb, level="district", limit=ALL)
    assert districts.total and all(len(h.regions) >= 1 for h in districts.results)
    dated = api.search("", db=kb, date_from="2023-09-20", date_to="2023-09-22", limit=ALL)
    assert dated.total
    for hit in dated.results:
        assert any("2023-09-20" <= d <= "2023-09-22" for d in hit.dates), hit.dates
    september = api.search("", db=kb, date_from="2023-09", date_to="2023-09", limit=ALL)
    assert keys(dated.results) < keys(september.results)


def test_search_pages_are_slices_of_one_ranking(kb):
    everything = api.search("元宇宙", db=kb, limit=ALL).results
    page = api.search("元宇宙", db=kb, limit=5, offset=5).results
    assert [h.item_id for h in page] == [h.item_id for h in everything[5:10]]
    assert [h.score for h in everything] == sorted((h.score for h in everything), reverse=True)


def test_search_highlights_are_the_terms(kb):
    for hit in api.search("区块链 婚姻", db=kb).results + api.search("nft", db=kb).results:
        assert hit.highlights
        for start, end in hit.highlights:
            assert hit.snippet[start:end].lower() in ("区块链", "婚姻", "区块链婚姻", "nft")


def test_search_json_shape_and_cli(kb):
    result = CliRunner().invoke(app, ["search", "区块链 婚姻", "--db", kb, "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert set(payload) >= {"results", "facets", "total", "exact"}
    assert payload["total"] == 1 and payload["exact"] is True
    (hit,) = payload["results"]
    assert set(hit) >= {
        "document",
        "item_id",
        "index",
        "title",
        "kind",
        "snippet",
        "highlights",
        "snippet_html",
        "score",
        "facts",
    }
    assert "<mark>区块链婚姻</mark>" in hit["snippet_html"]
    assert any(f["kind"] == "event" and "婚姻" in f["label"] for f in hit["facts"])
    assert payload["facets"]["region"][0] == {"value": "湖南省", "count": 1, "code": "430000"}
    text = CliRunner().invoke(app, ["search", "工业元宇宙", "--region", "四川", "--db", kb])
    assert text.exit_code == 0 and "matches" in text.stdout and "region: 四川省" in text.stdout


def test_search_counts_and_facets_stop_at_the_cap(kb, monkeypatch):
    from policylens.search import query

    full = api.search("元宇宙", db=kb, limit=ALL)
    monkeypatch.setattr(query, "COUNT_CAP", 20)
    capped = api.search("元宇宙", db=kb, limit=5, offset=5)
    assert full.exact and full.total > 20
    assert not capped.exact and capped.total == 20
    assert sum(c.count for c in capped.facets["kind"]) == 20
    for name, counts in capped.facets.items():  # a subset of the matches: never more
        whole = {(c.value, c.code): c.count for c in full.facets[name]}
        assert all(c.count <= whole[(c.value, c.code)] for c in counts)
    assert len(capped.results) == 5 and all("元宇宙" in h.title + h.snippet for h in capped.results)


def test_search_traditional_query_finds_simplified_text(kb):
    assert api.search("區塊鏈 婚姻", db=kb).total == 1


def test_search_bad_requests_are_one_line_errors(kb):
    with pytest.raises(SearchError, match="nothing to search"):
        api.search("  ，", db=kb)
    with pytest.raises(SearchError, match="YYYY"):
        api.search("元宇宙", db=kb, date_from="Sept 2023")
    result = CliRunner().invoke(app, ["search", "元宇宙", "--limit", "0", "--db", kb])
    assert result.exit_code == 2 and "--limit" in result.stderr


def test_search_index_follows_save_reextract_and_reindex(db_url, documents):
    store = Store(db_url)
    try:
        store.save(documents[0])
        store.save(documents[2])  # a plan whose sections take the plan's region
    finally:
        store.close()
    before = api.search("元宇宙", db=db_url, limit=ALL)
    assert before.total == len(brute_force(db_url, "元宇宙"))
    assert {c.value for c in before.facets["region"]} >= {"浙江省", "重庆市"}
    store = Store(db_url)
    try:  # facets gone stale: reextract must rebuild them
        with store.session() as session:
            session.execute(update(SearchItemRow).values(facet_values=""))
    finally:
        store.close()
    assert not api.search("元宇宙", db=db_url).facets["region"]
    assert api.reextract(db_url) == 2
    after = api.search("元宇宙", db=db_url, limit=ALL)
    assert after.facets == before.facets
    assert [h.item_id for h in after.results] == [h.item_id for h in before.results]
    assert api.reindex(db_url) == 2
    again = api.search("元宇宙", db=db_url, limit=ALL)
    assert again.facets == before.facets and again.total == before.total


def test_search_hints_at_reindex_when_items_are_not_indexed(tmp_path, documents):
    url = f"sqlite:///{tmp_path / 'kb.db'}"
    store = Store(url)
    try:
        store.save(documents[0])
        with store.session() as session:
            session.execute(delete(SearchItemRow))
    finally:
        store.close()
    page = api.search("区块链", db=url)
    assert page.total == 0 and page.unindexed == len(documents[0].items)
    assert api.reindex(url) == 1
    assert api.search("区块链", db=url).total == len(brute_force(url, "区块链"))


def test_search_bigrams_of_two_runs_do_not_make_a_word(db_url, res):
    from hashlib import sha256

    from policylens.model import RawDocument

    # The last is too long for PostgreSQL tsvector positions (元宇 300 times, 256 kept).
    texts = [
        "元宇，宇宙与AI，数字人",
        "元宇宙与AI数字人",
        "光刻机与NFTs",
        "数字孪生，元宇宙；" * 300,
    ]
    store = Store(db_url)
    try:
        for text in texts:
            digest = sha256(text.encode()).hexdigest()
            store.save(process(RawDocument(f"{digest[:6]}.txt", digest, "txt", "utf-8", text), res))
    finally:
        store.close()
    found = api.search("元宇宙", db=db_url).results
    assert sorted(h.snippet[:8] for h in found) == ["元宇宙与AI数字", "数字孪生，元宇宙"]
    assert api.search("宇宙；数字", db=db_url).total == 1  # punctuation is part of the word
    assert api.search("宇宙;数字", db=db_url).total == 1  # typed half-width, stored full-width
    assert api.search("宇宙数字", db=db_url).total == 0
    assert [h.snippet for h in api.search("ai数字人", db=db_url).results] == ["元宇宙与AI数字人"]
    assert api.search("光刻", db=db_url).total == 1
    assert api.search("NFT", db=db_url).total == 0  # Latin words match whole: NFTs is not NFT


# -- pure parts --------------------------------------------------------------------------


def test_tokens_are_bigrams_with_a_last_unigram_and_whole_latin_words():
    assert text_tokens("区块链 nft 5g") == ["区块", "块链", "链", "nft", "5g"]
    assert text_tokens("光刻机") == ["光刻", "刻机", "机"]
    (term,) = query_terms("光刻")
    assert [t.text for t in term.tokens] == ["光刻"] and not term.needs_check()
    (term,) = query_terms("链")
    assert term.tokens[0].prefix and not term.needs_check()
    (term,) = query_terms("元宇宙")
    assert [t.text for t in term.tokens] == ["元宇", "宇宙"] and term.phrase
    assert not term.needs_check()  # adjacent bigrams prove it
    (term,) = query_terms("AI数字人")
    assert [t.text for t in term.tokens] == ["ai", "数字", "字人"] and term.needs_check()
    assert [t.text for t in query_terms("ＮＦＴ  nft 《》")] == ["nft"]


def test_tsvector_text_has_positions_unless_an_item_is_too_long():
    from policylens.search.index import tsvector_text

    assert tsvector_text(["区块", "块链", "链"], ["区块"]) == "'区块':1,5 '块链':2 '链':3"
    long = tsvector_text([], ["元宇", "宇宙", "宙"] * 300)
    assert long == "'元宇' '宇宙' '宙' '~long'"


def test_tsvector_of_an_item_longer_than_a_piece_is_that_of_all_its_tokens():
    from policylens.search.index import item_tsvector_text, tsvector_text
    from policylens.search.tokens import JOIN_CHUNK_CHARS, fold_text, text_tokens

    sentence = "上海市推动元宇宙产业发展，建设10个NFT示范园区。\n"
    many_words = sentence * (JOIN_CHUNK_CHARS // len(sentence) + 2)  # too many for positions
    few_words = " " * JOIN_CHUNK_CHARS + sentence * 3  # long, but few enough for positions
    title = text_tokens(fold_text("元宇宙 Title"))
    for text in (many_words, few_words, sentence):
        assert item_tsvector_text(title, text) == tsvector_text(title, text_tokens(fold_text(text)))
    assert item_tsvector_text([], many_words).endswith("'~long'")
    assert ":" in item_tsvector_text([], few_words)  # positions


def test_occurrences_keep_latin_words_whole():
    assert occurrences("ar/vr 与 art", "ar") == [0]
    assert occurrences("数字人民币与数字人", "数字人") == [0, 6]


def test_snippet_html_escapes_the_text():
    text = '<script>alert("x")</script> 区块链 & <b>婚姻</b>'
    snippet = make_snippet(text, query_terms("区块链 婚姻"))
    html = snippet.html()
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html and "&amp;" in html
    assert "<mark>区块链</mark>" in html and "<mark>婚姻</mark>" in html
    assert [snippet.text[s:e] for s, e in snippet.highlights] == ["区块链", "婚姻"]


def test_plan_sections_take_the_facets_of_their_plans_mentions_only():
    plan = "《四川省 元宇宙行动计划（2023—2025年）》"  # folds to the mentions' title
    items = [
        PlainItem(1, "paragraph"),
        PlainItem(2, "plan_section", (plan, "一、总体要求")),
        PlainItem(3, "plan_section", (plan,)),
        PlainItem(4, "plan_section", ("其他计划",)),
        PlainItem(5, "paragraph", (plan,)),
    ]
    mention = {"normalized_title": "四川省元宇宙行动计划(2023-2025年)", "kind": "行动计划"}
    facts = [
        PlainFact(1, "policy", mention, "", "510000", "四川省", "province", "2023-05-01"),
        PlainFact(None, "policy", mention, date="2023-06"),
        PlainFact(1, "policy", {"normalized_title": "数据条例", "kind": "条例"}, date="2020"),
        PlainFact(3, "date", date="2024-01-02"),
    ]
    regions = RegionTable({"510000": ("四川省", "")})
    values = document_facets(items, facts, regions)
    sichuan = {FacetValue("region", "四川省", "510000"), FacetValue("level", "province")}
    from_plan = {*sichuan, FacetValue("policy_kind", "行动计划")}
    assert values[2] == {
        FacetValue("kind", "plan_section"),
        *from_plan,
        *(FacetValue("date", d) for d in ("2023-05-01", "2023-06")),
        FacetValue("year", "2023"),
    }
    # A section's own news date wins over its plan's dates; its plan's places still count.
    assert values[3] == {
        FacetValue("kind", "plan_section"),
        FacetValue("fact_type", "date"),
        *from_plan,
        FacetValue("date", "2024-01-02"),
        FacetValue("year", "2024"),
    }
    # Neither a section of a plan the document never mentions nor a non-section takes any.
    assert values[4] == {FacetValue("kind", "plan_section")}
    assert values[5] == {FacetValue("kind", "paragraph")}
    assert values[1] == {
        FacetValue("kind", "paragraph"),
        FacetValue("fact_type", "policy"),
        *sichuan,
        *(FacetValue("policy_kind", k) for k in ("行动计划", "条例")),
        *(FacetValue("date", d) for d in ("2023-05-01", "2020")),
        *(FacetValue("year", y) for y in ("2023", "2020")),
    }

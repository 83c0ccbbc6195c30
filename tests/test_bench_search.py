"""The search benchmark: its query mix, its knowledge bases (remixed copies written in bulk),
its figures; and the bulk writer and filter tokens it relies on."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import create_engine, insert, text

from conftest import CORPUS, corpus_files
from policylens import api
from policylens.bench.remix import make_variation, remixed, swappable_places
from policylens.bench.search import (
    SEARCHED_TABLES,
    BuildFigures,
    QueryTiming,
    build_kb,
    make_pool,
    mixed_queries,
    percentile,
    run_search_bench,
    search_report,
    summarize,
    time_searches,
)
from policylens.config import load_settings
from policylens.ingest import Source, load
from policylens.model import Place
from policylens.pipeline import process
from policylens.search.facets import DATE, REGION, date_tokens
from policylens.search.filters import date_range_tokens, date_values_query, in_date_range
from policylens.search.query import POOL
from policylens.search.regions import load_region_table
from policylens.store import Store
from policylens.store.bulk import save_new_documents
from policylens.store.search_tables import SearchFacetValueRow


@pytest.fixture(scope="module")
def pool_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("pool") / "pool.pickle"
    make_pool(CORPUS, 30, 7, path)
    return path


@pytest.fixture(scope="module")
def small_kb(tmp_path_factory, pool_file):
    url = f"sqlite:///{tmp_path_factory.mktemp('kb') / 'kb.db'}"
    return url, build_kb(url, 1500, pool_file)


def test_bench_queries_are_a_seeded_mix_of_words_and_filters():
    queries = mixed_queries()
    assert len(queries) == 100 and queries == mixed_queries()
    assert sum(1 for q in queries if q.filters) >= 30  # with filters
    assert sum(1 for q in queries if not q.filters) >= 30  # without
    assert sum(1 for q in queries if len(q.query.split()) > 1) >= 20  # several words
    assert any(not q.query for q in queries)  # filters alone
    assert any(q.query == "量子引力" for q in queries)  # a word no item holds


def test_bench_percentiles_are_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    random.Random(1).shuffle(values)
    assert (percentile(values, 50), percentile(values, 95), percentile(values, 99)) == (
        50.0,
        95.0,
        99.0,
    )
    assert percentile([3.0], 99) == 3.0


def test_bench_kb_has_the_items_asked_for_with_varied_places(small_kb):
    url, build = small_kb
    assert 1500 <= build.items < 1500 + 40 and build.documents > 0
    assert len(api.items(db=url)) == build.items
    regions = api.search("", url, region=("四川",), limit=1).total
    others = api.search("", url, region=("浙江",), limit=1).total
    assert regions and others  # copies place items in more than the pool's provinces


def test_bench_search_figures_are_ordered_and_words_are_found(small_kb):
    url, build = small_kb
    queries = mixed_queries()
    timings, rss = time_searches(url, queries)
    figures = summarize(build, timings, rss)
    assert figures.p50_ms <= figures.p95_ms <= figures.p99_ms <= figures.max_ms
    assert figures.queries == 100 and figures.search_rss_mb > 0
    found = {t.label: t.total for t in timings}
    assert found['"元宇宙 区块链"'] > 0 and found['"区块链"'] > 0 and found['"数字孪生"'] > 0
    assert found.get('"量子引力"', 0) == 0
    assert figures.matched >= 60


def test_bench_figures_are_the_second_pass_with_the_first_pass_beside_them():
    build = BuildFigures(items=10, documents=1, seconds=1.0, rss_mb=1.0)
    first = [QueryTiming(f"q{i}", 300.0 + i, 1) for i in range(100)]
    second = [QueryTiming(f"q{i}", float(i + 1), i % 2) for i in range(100)]
    figures = summarize(build, second, 5.0, first)
    assert (figures.p50_ms, figures.p95_ms, figures.max_ms) == (50.0, 95.0, 100.0)
    assert (figures.first_pass_p50_ms, figures.first_pass_p95_ms) == (349.0, 394.0)
    assert figures.matched == 50 and figures.slowest == "q99"
    alone = summarize(build, second, 5.0)
    assert (alone.first_pass_p50_ms, alone.first_pass_p95_ms) == (50.0, 95.0)


def test_bench_region_filter_on_copies_is_exact(small_kb):
    url, _ = small_kb
    page = api.search("元宇宙", url, region=("成都",), limit=1000)
    assert page.total > 0
    assert all(any("成都" in r for r in hit.regions) for hit in page.results)


def test_bench_report_runs_each_size_in_a_child_process(pool_file, tmp_path):
    figures = run_search_bench((800,), corpus_dir=CORPUS, pool_documents=12)
    report = search_report(figures)
    sqlite = report["search"]["sqlite"]["800"]
    assert report["search_p95_ms"] == sqlite["p95_ms"]
    assert sqlite["p50_ms"] <= sqlite["p95_ms"] <= sqlite["p99_ms"]
    assert 0 < sqlite["first_pass_p50_ms"] <= sqlite["first_pass_p95_ms"]
    assert sqlite["build_rss_mb"] > 0 and sqlite["search_rss_mb"] > 0


def test_remix_keeps_lengths_and_moves_facts_with_their_places():
    regions = load_region_table()
    variation = make_variation(1, swappable_places(regions), random.Random(3))
    text = "四川省成都市2023年9月投入386亿元，12家企业；1.5倍"
    varied = variation.text(text)
    assert len(varied) == len(text)
    province, city = variation.places["四川"], variation.places["成都"]
    assert varied.startswith(f"{province}省{city}市{2023 + variation.years}年9月投入")
    assert varied.endswith("；1.5倍")  # a decimal is not a figure to vary
    chengdu = Place("510100", "四川省成都市", "municipal")
    assert variation.place(chengdu).name.endswith(f"{city}市")
    assert variation.date("2023-09-22") == f"{2023 + variation.years}-09-22"


@pytest.fixture(scope="module")
def sample_documents(res):
    settings = load_settings(env={})
    return [process(load(Source(str(p)), settings), res) for p in corpus_files()]


def test_bulk_write_stores_what_save_stores(tmp_path, sample_documents):
    one_by_one, bulk = f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'b.db'}"
    store = Store(one_by_one)
    for document in sample_documents:
        store.save(document)
    store.close()
    store = Store(bulk)
    save_new_documents(store, sample_documents)
    store.close()

    def facts(url):
        return [
            (f.document, f.kind, f.label, f.quote, f.region, f.values) for f in api.facts(db=url)
        ]

    assert [(i.document, i.text) for i in api.items(db=one_by_one)] == [
        (i.document, i.text) for i in api.items(db=bulk)
    ]
    assert facts(one_by_one) == facts(bulk)
    for words, region in (("元宇宙", ()), ("区块链", ("上海",)), ("数字孪生", ("四川",))):
        a = api.search(words, one_by_one, region=region, limit=100)
        b = api.search(words, bulk, region=region, limit=100)
        assert [h.title for h in a.results] == [h.title for h in b.results]
        assert a.facets == b.facets


def test_remixed_copies_are_new_documents(tmp_path, sample_documents):
    from policylens.store.bulk import document_rows, write_rows

    regions = load_region_table()
    pool = [document_rows(d) for d in sample_documents]
    copies = list(remixed(pool, 200, regions))
    assert len({c.document["sha256"] for c in copies}) == len(copies)
    store = Store(f"sqlite:///{tmp_path / 'kb.db'}")
    assert len(write_rows(store, copies)) == len(copies)
    store.close()


DATE_RANGES = [
    ("2023-09", "2023-09-30"),
    ("2022", None),
    (None, "2021-12-31"),
    ("2023-01-15", "2024-06"),
    ("2020", "2020"),
    ("2021-03", "9999"),
    ("0000", "2019-12"),
]


def random_dates() -> set[str]:
    rng = random.Random(5)
    values = {"2021", "2023", "2023-09", "2024-06"}
    for _ in range(300):
        year, month, day = rng.randint(2019, 2025), rng.randint(1, 12), rng.randint(1, 28)
        values.add(rng.choice([f"{year}-{month:02d}-{day:02d}", f"{year}-{month:02d}"]))
    return values


@pytest.mark.parametrize(("date_from", "date_to"), DATE_RANGES)
def test_date_range_tokens_take_in_exactly_the_dates_inside(date_from, date_to):
    values = random_dates()
    tokens = set(date_range_tokens(values, date_from, date_to))
    for value in values:
        assert bool(tokens & set(date_tokens(value))) == in_date_range(value, date_from, date_to)


@pytest.mark.parametrize(("date_from", "date_to"), DATE_RANGES)
def test_date_filter_reads_only_the_years_it_touches_with_the_same_tokens(date_from, date_to):
    values = random_dates()
    engine = create_engine("sqlite://")
    SearchFacetValueRow.__table__.create(engine)
    with engine.begin() as connection:
        connection.execute(
            insert(SearchFacetValueRow),
            [{"facet": DATE, "value": v, "code": ""} for v in values]
            + [{"facet": REGION, "value": "2022", "code": "000000"}],
        )
        read = list(connection.scalars(date_values_query(date_from, date_to)))
    engine.dispose()
    assert len(read) < len(values)
    assert date_range_tokens(read, date_from, date_to) == date_range_tokens(
        values, date_from, date_to
    )


@pytest.mark.parametrize("word", ["元宇宙", "区块链", "数字孪生"])
def test_bench_kb_puts_title_hits_first_among_many_matches(small_kb, word):
    url, _ = small_kb
    page = api.search(word, url, limit=5)
    titled = [i for i in api.items(db=url) if word in i.title]
    assert page.total > POOL and titled  # more matches than are scored: the titled pool counts
    assert word in page.results[0].title


def test_bench_kb_on_postgresql_is_analyzed_after_building(pg_url, pool_file):
    # Searching straight after a bulk load, the planner would have no statistics at all.
    build = build_kb(pg_url, 300, pool_file)
    engine = create_engine(pg_url)
    with engine.connect() as connection:
        analyzed = connection.execute(
            text(
                "SELECT relname FROM pg_stat_user_tables WHERE schemaname = current_schema()"
                " AND last_analyze IS NOT NULL"
            )
        ).scalars()
        assert set(SEARCHED_TABLES) <= set(analyzed)
    engine.dispose()
    assert api.search("元宇宙", pg_url).total > 0 and build.items >= 300


def test_bench_goals_hold_each_measured_figure_to_its_bound():
    # Only the figures a run measured are held to a goal; "≥" takes the bound, "<" does not.
    from policylens.bench.goals import goal_checks

    report = {
        "pipeline_ratio": 0.10,
        "workers_speedup": 1.69,
        "search": {"sqlite": {"100000": {"p95_ms": 50.0}}, "postgresql": {"10000": {}}},
    }
    checks = {check.name: check for check in goal_checks(report)}
    assert set(checks) == {
        "pipeline ÷ floor",
        "--workers 2 over one worker",
        "search p95 ms, SQLite, 100 k items",
    }
    assert checks["pipeline ÷ floor"].met and checks["pipeline ÷ floor"].goal == "≥ 0.1"
    assert not checks["--workers 2 over one worker"].met
    search = checks["search p95 ms, SQLite, 100 k items"]
    assert (search.value, search.goal, search.met) == (50.0, "< 50", False)


def test_bench_goals_hold_search_at_a_million_items_to_150_ms_on_both_backends():
    from policylens.bench.goals import goal_checks

    sizes = {"1000000": {"p95_ms": 149.0}}
    report = {"search": {"sqlite": sizes, "postgresql": {"1000000": {"p95_ms": 275.6}}}}
    checks = {check.name: check for check in goal_checks(report)}
    assert checks["search p95 ms, SQLite, 1 M items"].met
    postgres = checks["search p95 ms, PostgreSQL, 1 M items"]
    assert (postgres.value, postgres.goal, postgres.met) == (275.6, "< 150", False)


def test_a_word_count_is_taken_newest_first_where_the_index_would_read_longer_lists():
    # The densities of the newest 300 rows, and which count was cheaper, as measured on the
    # benchmark's 1 M-item knowledge base: 工业元宇宙 (4 tokens) and 数字人 (2) are counted
    # newest first; 城市 (1 token, as dense) and the sparser 虚拟现实 by the index.
    from policylens.search.match import _newest_count_is_cheaper

    assert _newest_count_is_cheaper(4, 63, 2_000, 1_000_000)
    assert _newest_count_is_cheaper(2, 59, 2_000, 1_000_000)
    assert not _newest_count_is_cheaper(1, 51, 2_000, 1_000_000)
    assert not _newest_count_is_cheaper(3, 20, 2_000, 1_000_000)


def test_postgres_word_counts_from_the_newest_rows_equal_the_index_counts(pg_url, pool_file):
    # A common word's count, capped, is taken from the newest rows when checking them is
    # cheaper than reading the GIN lists whole: it must be what the index counts.
    from policylens.search.match import (
        _capped_among_newest,
        _count_terms,
        _indexed_counts,
        _newest_density,
        index_bounds,
    )
    from policylens.search.tokens import query_terms

    build_kb(pg_url, 15_000, pool_file)
    engine = create_engine(pg_url)
    words = "元宇宙 产业 发展 数字 区块链 数字孪生 工业元宇宙 文旅 NFT 量子引力 链 2025"
    terms = query_terms(words)
    try:
        with engine.connect() as connection:
            top = index_bounds(connection)[1]
            for cap in (5, 40, 2_000):
                assert _count_terms(connection, terms, cap, top) == _indexed_counts(
                    connection, terms, cap
                )
            # The newest rows are asked only where they are cheaper: a common word with a
            # low cap, not a rare word, nor any word with the cap the search uses.
            common, rare = query_terms("发展")[0], query_terms("量子引力")[0]
            found = _newest_density(connection, common, 5, top)
            assert found > 0 and _capped_among_newest(connection, common, 5, top, found)
            assert _newest_density(connection, rare, 5, top) == 0
            assert _newest_density(connection, common, 2_000, top) == 0  # not asked
    finally:
        engine.dispose()

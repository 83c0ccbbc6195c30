"""Search latency at scale: knowledge bases of 10 k, 100 k and 1 M items, 100 mixed queries.

1. A pool of synthetic documents (``bench.corpus``) goes through the real pipeline once.
2. For each size, a child process fills a fresh knowledge base with copies of the pool's
   rows (``bench.remix``: places, years and figures varied), written by the bulk store path
   with the search index writer that ingest uses.
3. Another child process opens it as the web app does and runs 100 mixed queries through
   ``api.search`` (single words, several words, long phrases, Latin words and figures,
   common and rare words, with and without region, kind, topic, level, type and date
   filters), timing each. That first pass reads from disk, as a server's first searches
   after a start do, whatever of the base the machine's page cache let go of since the
   build. A third child then runs the same queries on connections of its own, with the
   caches of the operating system and the database warm and nothing kept from the first
   pass in the process: its timings are the figures (p50/p95/p99), and the first pass's
   p50 and p95 are reported beside them.

Each part runs in its own process, so the peak memory it reports (``ru_maxrss``) is its own.
"""

from __future__ import annotations

import math
import pickle
import random
import resource
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from itertools import islice
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from policylens.config import load_settings
from policylens.ingest import Source, load
from policylens.pipeline import process
from policylens.resources import load_resources

DEFAULT_SEARCH_SIZES = (10_000, 100_000)
LARGE_SIZE = 1_000_000
QUERY_COUNT = 100
# The tables a search reads (named in the knowledge base's own schema).
SEARCHED_TABLES = ("search_items", "search_facet_values", "items", "documents", "facts")
POOL_DOCUMENTS = 400  # processed once; every knowledge base is made of their copies
BATCH_DOCUMENTS = 400  # documents per transaction while filling a knowledge base

# Query material, from the words of the sample corpus: common and rare words, long phrases,
# Latin words and figures, a word found nowhere, and words that rarely meet.
COMMON_WORDS = ("元宇宙", "区块链", "产业", "发展", "数字经济", "人工智能", "数据", "平台")
SPECIFIC_WORDS = (
    "数字孪生",
    "数字人",
    "虚拟现实",
    "数字藏品",
    "算力",
    "工业元宇宙",
    "文旅",
    "智能制造",
    "链",
    "光刻",
    "NFT",
    "AIGC",
    "Web3",
    "5G",
    "2025",
    "量子引力",  # found in no item
)
WORD_SETS = (
    "元宇宙 区块链",
    "区块链 婚姻",
    "数字孪生 城市",
    "工业元宇宙 四川",
    "NFT 数字藏品",
    "人工智能 算力",
    "元宇宙 医疗",
    "数字人 直播",
    "区块链 金融 监管",
    "元宇宙 产业 发展",
    "数字经济 2025",
    "虚拟现实 教育",
)
FILTERS: tuple[dict[str, Any], ...] = (
    {"region": ("四川",)},
    {"region": ("上海",)},
    {"region": ("成都",)},
    {"region": ("330000",)},
    {"region": ("湖北", "安徽")},
    {"region": ("娄底",)},
    {"kind": ("plan_section",)},
    {"kind": ("行动计划",)},
    {"topic": ("metaverse",)},
    {"topic": ("数字藏品",)},
    {"level": ("provincial",)},
    {"level": ("district",)},
    {"fact_type": ("target",)},
    {"fact_type": ("funding",)},
    {"date_from": "2023-01", "date_to": "2023-06"},
    {"date_from": "2022"},
    {"date_to": "2021-12-31"},
)


@dataclass(frozen=True, slots=True)
class BenchQuery:
    """One benchmark search: its words and filters, as ``api.search`` takes them."""

    query: str
    filters: dict[str, Any] = field(default_factory=dict)

    def label(self) -> str:
        """Return the search as a user would type it on the command line."""
        options = []
        for name, value in self.filters.items():
            flag = {"fact_type": "type", "date_from": "from", "date_to": "to"}.get(name, name)
            values = value if isinstance(value, tuple) else (value,)
            options += [f"--{flag} {v}" for v in values]
        return " ".join([f'"{self.query}"' if self.query else "", *options]).strip()


@dataclass(frozen=True, slots=True)
class QueryTiming:
    """How long one search took and how many items it found."""

    label: str
    ms: float
    total: int


@dataclass(frozen=True, slots=True)
class BuildFigures:
    """What filling one knowledge base took."""

    items: int
    documents: int
    seconds: float
    rss_mb: float


@dataclass(frozen=True, slots=True)
class SearchFigures:
    """The latency of the query set on one knowledge base, and the memory searching took."""

    items: int
    queries: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    first_pass_p50_ms: float  # the first pass, just after the build (see the notes above)
    first_pass_p95_ms: float
    matched: int  # queries that found at least one item
    build_s: float
    build_rss_mb: float
    search_rss_mb: float
    slowest: str

    def to_json(self) -> dict[str, Any]:
        """Return the figures as JSON-ready data."""
        return asdict(self)


def mixed_queries(count: int = QUERY_COUNT, seed: int = 7) -> list[BenchQuery]:
    """Return a seeded mix of searches: words of every kind, half of them with filters."""
    rng = random.Random(seed)
    queries = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.25:
            words = rng.choice(COMMON_WORDS)
        elif roll < 0.55:
            words = rng.choice(SPECIFIC_WORDS)
        elif roll < 0.95:
            words = rng.choice(WORD_SETS)
        else:
            words = ""  # filters only
        filters: dict[str, Any] = {}
        if not words or rng.random() < 0.5:
            for choice in rng.sample(FILTERS, rng.choice((1, 1, 2))):
                filters |= choice
        queries.append(BenchQuery(words, filters))
    return queries


def percentile(values: list[float], share: float) -> float:
    """Return the nearest-rank percentile (``share`` in 0–100) of some values."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share / 100 * len(ordered)) - 1)]


def peak_rss_mb() -> float:
    """Return this process's peak resident memory in MB.

    Linux keeps ``ru_maxrss`` across fork and exec, so a child would report its parent's
    peak if that was higher; ``VmHWM`` belongs to the process's own memory.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- the parts, each run in a child process --------------------------------------------------


def make_pool(corpus_dir: Path, documents: int, seed: int, out: Path) -> float:
    """Process a synthetic corpus through the pipeline and pickle its rows to ``out``;
    return the peak RSS in MB."""
    from policylens.bench.corpus import generate
    from policylens.store.bulk import document_rows

    res = load_resources()
    settings = load_settings(env={})
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for synthetic in generate(corpus_dir, documents, res, seed=seed):
            path = Path(tmp) / synthetic.name
            path.write_bytes(synthetic.data)
            rows.append(document_rows(process(load(Source(str(path)), settings), res)))
    out.write_bytes(pickle.dumps(rows))
    return peak_rss_mb()


def build_kb(url: str, items: int, pool_file: Path, seed: int = 7) -> BuildFigures:
    """Fill an empty knowledge base with about ``items`` items copied from the pool."""
    from policylens.bench.remix import remixed
    from policylens.store import Store
    from policylens.store.bulk import write_rows

    pool = pickle.loads(pool_file.read_bytes())
    start = time.perf_counter()
    store = Store(url)
    stored, documents = 0, 0
    try:
        copies: Iterator[Any] = remixed(pool, items, store.regions, seed)
        while batch := list(islice(copies, BATCH_DOCUMENTS)):
            write_rows(store, batch)
            stored += sum(len(rows.items) for rows in batch)
            documents += len(batch)
        vacuum_analyze(store.engine)
    finally:
        store.close()
    return BuildFigures(stored, documents, time.perf_counter() - start, peak_rss_mb())


def vacuum_analyze(engine: Any) -> None:
    """Do what PostgreSQL's autovacuum and checkpointer do soon after a bulk load of the
    tables a search reads: give the planner their statistics (searching at once would find
    none), mark their pages all-visible, so the first searches do not pay for setting every
    row's visibility hints, and write the load's pages to disk; no-op on SQLite."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    if engine.dialect.name == "postgresql":
        # VACUUM runs outside a transaction.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f"VACUUM ANALYZE {', '.join(SEARCHED_TABLES)}"))
            # Else a checkpoint the load brought on writes its pages while the searches are
            # timed (one took 12 s at 100 k items). It needs superuser or pg_checkpoint:
            # without either, the searches share the disk with the checkpointer.
            with suppress(DBAPIError):
                connection.execute(text("CHECKPOINT"))


def time_searches(url: str, queries: list[BenchQuery]) -> tuple[list[QueryTiming], float]:
    """Run each search once through ``api.search`` on one open store, as the web server
    does; return the timings and the peak RSS."""
    from policylens import api
    from policylens.heap import FrozenHeap
    from policylens.store import Store

    # As the web server starts: what start-up made is out of the collector's full passes.
    heap = FrozenHeap().open()
    store = Store(url)
    try:
        # Start-up (imports, first connection) is not a search.
        api.search("数字", url, limit=1, store=store)
        timings = []
        for query in queries:
            start = time.perf_counter()
            page = api.search(query.query, url, **query.filters, store=store)
            elapsed = (time.perf_counter() - start) * 1000
            timings.append(QueryTiming(query.label(), elapsed, page.total))
    finally:
        store.close()
        heap.close()
    return timings, peak_rss_mb()


# -- orchestration ---------------------------------------------------------------------------


def _in_child(work: Callable[..., Any], *args: Any) -> Any:
    """Return ``work(*args)`` run in a fresh process (so its peak memory is its own)."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(work, *args).result()


def summarize(
    build: BuildFigures,
    timings: list[QueryTiming],
    rss_mb: float,
    first_pass: list[QueryTiming] | None = None,
) -> SearchFigures:
    """Return the figures of one size from its build, its timed searches and the first pass
    of them (``first_pass``; the timed searches if there was none before them)."""
    ms = [t.ms for t in timings]
    first_ms = [t.ms for t in first_pass] if first_pass else ms
    slowest = max(timings, key=lambda t: t.ms)
    return SearchFigures(
        items=build.items,
        queries=len(timings),
        p50_ms=round(percentile(ms, 50), 2),
        p95_ms=round(percentile(ms, 95), 2),
        p99_ms=round(percentile(ms, 99), 2),
        max_ms=round(slowest.ms, 2),
        first_pass_p50_ms=round(percentile(first_ms, 50), 2),
        first_pass_p95_ms=round(percentile(first_ms, 95), 2),
        matched=sum(1 for t in timings if t.total),
        build_s=round(build.seconds, 1),
        build_rss_mb=round(build.rss_mb, 1),
        search_rss_mb=round(rss_mb, 1),
        slowest=slowest.label,
    )


def measure_size(url: str, items: int, pool_file: Path, queries: list[BenchQuery]) -> SearchFigures:
    """Build a knowledge base of ``items`` items at ``url`` and time the queries on it: a
    first pass, then a second in a new process (see the module's notes)."""
    build = _in_child(build_kb, url, items, pool_file)
    first_pass, _ = _in_child(time_searches, url, queries)
    timings, rss_mb = _in_child(time_searches, url, queries)
    return summarize(build, timings, rss_mb, first_pass)


def postgres_schema_url(base: str, schema: str) -> str:
    """Return a PostgreSQL URL whose tables go to ``schema``."""
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}options=-csearch_path%3D{schema}"


@contextmanager
def postgres_schema(pg_url: str) -> Iterator[str]:
    """Yield the URL of a new schema of the PostgreSQL database, dropped afterwards."""
    from sqlalchemy import create_engine, text

    engine = create_engine(pg_url)
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    try:
        with engine.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        try:
            yield postgres_schema_url(pg_url, schema)
        finally:
            with engine.begin() as connection:
                connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    finally:
        engine.dispose()


def _postgres_sizes(
    pg_url: str, sizes: tuple[int, ...], pool_file: Path, queries: list[BenchQuery], log: Any
) -> dict[str, SearchFigures]:
    """Measure each size in a schema of its own, dropped afterwards."""
    out = {}
    for size in sizes:
        with postgres_schema(pg_url) as url:
            log(f"search at {size:,} items on PostgreSQL")
            out[str(size)] = measure_size(url, size, pool_file, queries)
    return out


def run_search_bench(
    sizes: tuple[int, ...] = DEFAULT_SEARCH_SIZES,
    pg_url: str | None = None,
    corpus_dir: Path | None = None,
    seed: int = 7,
    pool_documents: int = POOL_DOCUMENTS,
    log: Callable[[str], None] = lambda _: None,
) -> dict[str, dict[str, SearchFigures]]:
    """Return the search figures by backend ("sqlite", "postgresql") and size."""
    corpus_dir = corpus_dir or Path(__file__).resolve().parents[3] / "examples" / "corpus"
    queries = mixed_queries(seed=seed)
    out: dict[str, dict[str, SearchFigures]] = {"sqlite": {}}
    with tempfile.TemporaryDirectory() as tmp:
        pool_file = Path(tmp) / "pool.pickle"
        log(f"search: processing a pool of {pool_documents} documents")
        _in_child(make_pool, corpus_dir, pool_documents, seed, pool_file)
        for size in sizes:
            log(f"search at {size:,} items on SQLite")
            kb = Path(tmp) / f"kb-{size}.db"
            out["sqlite"][str(size)] = measure_size(f"sqlite:///{kb}", size, pool_file, queries)
            for path in Path(tmp).glob(f"kb-{size}.db*"):
                path.unlink()  # a 1 M-item base takes gigabytes
        if pg_url:
            out["postgresql"] = _postgres_sizes(pg_url, sizes, pool_file, queries, log)
    return out


def search_report(figures: dict[str, dict[str, SearchFigures]]) -> dict[str, Any]:
    """Return the JSON figures: ``search_p95_ms`` at 100 k items (else the largest size
    measured), and every figure by backend and size."""
    sqlite = figures.get("sqlite", {})
    key = "100000" if "100000" in sqlite else max(sqlite, key=int, default=None)
    report: dict[str, Any] = {"search_p95_ms": sqlite[key].p95_ms if key else None}
    report["search"] = {
        backend: {size: f.to_json() for size, f in sizes.items()}
        for backend, sizes in figures.items()
    }
    return report

"""End to end in a real browser: Debian's chromium driven by Playwright, against uvicorn.

One server on a free loopback port serves an empty knowledge base; the tests run in order:
upload two seeds, search, open a document and click a fact, compare with chart and map.
Screenshots (desktop and phone width) go to tests/artifacts/ (ignored by git).
"""

from __future__ import annotations

import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

from conftest import CORPUS
from policylens import api
from policylens.config import load_settings
from policylens.serve import create_app

playwright_api = pytest.importorskip("playwright.sync_api")

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
SEEDS = ("003_f00c508a819b93d2.txt", "002_83f04e59e465262b.txt")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Served:
    """A running server: its base URL and its database."""

    url: str
    db: str


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Served]:
    """Yield uvicorn serving an empty knowledge base, in a thread on a free port."""
    url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'kb.db'}"
    app = create_app(load_settings(db_url=url), token="")
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not uv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield Served(f"http://127.0.0.1:{port}", url)
    uv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser_context(chromium):
    """Yield a Chromium context with a fresh profile (no download: Debian's chromium)."""
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / ".gitignore").write_text("*\n", encoding="utf-8")
    with (
        tempfile.TemporaryDirectory(prefix="policylens-chromium-") as profile,
        playwright_api.sync_playwright() as playwright,
    ):
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=str(chromium),
            args=CHROMIUM_ARGS,
            headless=True,
            viewport=DESKTOP,
            locale="zh-CN",
        )
        yield context
        context.close()


@pytest.fixture
def page(browser_context):
    page = browser_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.set_default_timeout(20_000)
    yield page
    page.close()
    assert not errors, errors  # no script error on any page


def _shoot(page, name: str) -> None:
    """Save the page at desktop and phone width."""
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.wait_for_timeout(300)  # charts resize on the resize event
        page.screenshot(path=str(ARTIFACTS / f"{name}-{label}.png"), full_page=label == "phone")
    page.set_viewport_size(DESKTOP)


def test_browser_upload_seeds(server, page):
    page.goto(f"{server.url}/ingest")
    page.set_input_files("#files", [str(CORPUS / name) for name in SEEDS])
    page.click("#upload-form button[type=submit]")
    rows = page.locator("#ingest-results tbody tr.s-stored")
    rows.nth(len(SEEDS) - 1).wait_for()
    assert rows.count() == len(SEEDS)
    assert rows.first.locator("td").first.inner_text() == SEEDS[0]
    _shoot(page, "1-ingest")
    page.goto(server.url + "/")
    assert page.locator("#documents tbody tr").count() == len(SEEDS)


def test_browser_search_finds_the_seed(server, page):
    page.goto(server.url + "/")
    page.fill(".hero input[name=q]", "工业元宇宙")
    page.press(".hero input[name=q]", "Enter")
    page.wait_for_url("**/search?q=*")
    assert int(page.inner_text("#total")) > 0
    first = page.locator(".hit").first
    assert "元宇宙" in first.locator("mark").first.inner_text()
    assert page.locator(".facets .facet").count() > 3
    page.locator(".facets a.facet", has_text="四川省").first.click()
    page.wait_for_url("**region=510000*")
    assert "四川省" in page.inner_text(".chips")
    _shoot(page, "2-search")


def test_browser_document_fact_highlights_its_quote(server, page):
    page.goto(f"{server.url}/search?q=工业元宇宙")
    page.locator(".hit h3 a").first.click()
    page.wait_for_selector("#facts")
    target = page.locator("#facts li[data-kind=target] button.fact").first
    fact_id = target.get_attribute("data-f")
    target.click()
    assert target.get_attribute("aria-pressed") == "true"
    clean = page.locator("#clean-pane .fx.hl")
    assert clean.count() >= 1
    document_id = page.url.rsplit("/", 1)[-1].split("#")[0]
    fact = next(f for f in api.facts(server.db, document=document_id) if f.id == int(fact_id))
    clean_text = api.document(document_id, server.db).clean_text
    assert "".join(clean.all_text_contents()) == clean_text[fact.span[0] : fact.span[1]]
    _shoot(page, "3-document")
    page.click("#show-raw")
    raw = page.locator("#raw-pane .fx.hl")
    raw.first.wait_for()
    assert page.locator("#clean-pane").is_hidden()
    assert "".join(raw.all_text_contents()) == fact.quote  # the very words of the raw text
    _shoot(page, "4-document-raw")


def test_browser_compare_draws_chart_and_map(server, page):
    page.goto(f"{server.url}/compare?metric=industry_scale&sector=元宇宙")
    page.wait_for_selector("body[data-charts-ready=yes]")
    assert page.locator("#compare-table tbody tr").count() >= 2
    bars = page.evaluate(
        "() => echarts.getInstanceByDom(document.getElementById('bar-chart'))"
        ".getOption().series[0].data.map(d => d.value)"
    )
    assert len(bars) >= 2 and all(value > 0 for value in bars)
    shaded = page.evaluate(
        "() => echarts.getInstanceByDom(document.getElementById('map-chart'))"
        ".getOption().series[0].data.map(d => d.name)"
    )
    assert {"四川", "浙江"} <= set(shaded)
    for chart in ("#bar-chart canvas", "#map-chart canvas"):
        box = page.locator(chart).first.bounding_box()
        assert box and box["width"] > 200 and box["height"] > 200
    page.locator("#compare-table th", has_text="地区").click()  # sortable
    with page.expect_download() as download:
        page.click("#download-csv")
    assert download.value.suggested_filename.endswith(".csv")
    _shoot(page, "5-compare")


def test_browser_english_toggle(server, page):
    page.goto(server.url + "/timeline")
    page.click("#lang-toggle")
    page.wait_for_url("**lang=en*")
    assert page.locator("h1").inner_text().startswith("Timeline")
    page.goto(server.url + "/")
    assert "Documents" in page.inner_text("nav")
    _shoot(page, "6-english-home")


def test_browser_brief_preview_and_download(server, page):
    page.goto(server.url + "/briefs")
    page.fill("input[name=from]", "2022-12-01")
    page.fill("input[name=to]", "2023-09-30")
    page.select_option("select[name=style]", "roundup")
    page.check("input[name=topic][value=metaverse]")
    page.click("#brief-form button[type=submit]")
    page.wait_for_url("**/briefs?*")
    preview = page.frame_locator("#brief-preview")
    preview.locator("h1").wait_for()
    assert "元宇宙" in preview.locator("h1").inner_text()
    assert preview.locator("li").count() > 0
    with page.expect_download() as download:
        page.click("#download-docx")
    saved = ARTIFACTS / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.suffix == ".docx" and saved.read_bytes()[:2] == b"PK"
    _shoot(page, "7-briefs")

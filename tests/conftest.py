"""The only conftest: shared resources, the sample corpus, databases (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import pytest

from policylens.resources import Resources, load_resources

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "examples" / "corpus"
GOLDEN = Path(__file__).resolve().parent / "golden"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
GOLD = Path(__file__).resolve().parent / "gold"
PG_URL_VARIABLE = "POLICYLENS_TEST_PG_URL"
# What quantities are made of: digits, numerals, magnitudes, units, qualifiers, range marks
# and spaces, for property tests of the quantity reader's fast forms.
QUANTITY_PIECES = [
    *"0125.一二两十百千万亿元个家项年月日%％多余于以上内左右数几",
    *"超过不高少低最至约近逾突破接大-—~ \n\u3000",
    *("人民币", "美元", "宇宙", "平方米", "万亿", "千万", "2025年", "1.8", "3.5"),
]
REQUIRE_SERVICES_VARIABLE = "POLICYLENS_REQUIRE_SERVICES"


def unavailable(reason: str) -> NoReturn:
    """Skip with the reason (what to install), or fail when the run must exercise every
    case (CI sets POLICYLENS_REQUIRE_SERVICES)."""
    if os.environ.get(REQUIRE_SERVICES_VARIABLE):
        pytest.fail(reason)
    pytest.skip(reason)


@dataclass(frozen=True)
class PlainItem:
    """An item as the search facets read it (``IndexedItem``), written out for a test."""

    id: int
    kind: str
    path: tuple[str, ...] = ()
    title: str = ""
    text: str = ""


@dataclass(frozen=True)
class PlainFact:
    """A fact as the search facets read it (``IndexedFact``), written out for a test."""

    item_id: int | None
    kind: str
    payload: dict[str, Any] = field(default_factory=dict)
    label: str = ""
    region_code: str | None = None
    region: str | None = None
    level: str | None = None
    date: str | None = None


def corpus_files() -> list[Path]:
    """Return the sample corpus files, sorted."""
    return sorted(CORPUS.glob("*.txt"))


@pytest.fixture(scope="session")
def res() -> Resources:
    return load_resources()


def _postgres_url() -> str:
    url = os.environ.get(PG_URL_VARIABLE)
    if url:
        return url
    message = (
        f"PostgreSQL tests need a server: install PostgreSQL (Debian: apt-get install postgresql), "
        f"run `bash scripts/start-postgres.sh` and set {PG_URL_VARIABLE} to the URL it prints"
    )
    unavailable(message)


def postgres_schema(request: pytest.FixtureRequest) -> str:
    """Return the URL of a fresh, empty PostgreSQL schema, dropped when the requesting
    fixture's or test's scope ends."""
    from sqlalchemy import create_engine, text

    base = _postgres_url()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = create_engine(base)
    with engine.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))

    def drop() -> None:
        with engine.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()

    request.addfinalizer(drop)
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}options=-csearch_path%3D{schema}"


@pytest.fixture
def pg_url(request: pytest.FixtureRequest) -> str:
    """Return the URL of a fresh, empty PostgreSQL schema, dropped afterwards."""
    return postgres_schema(request)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Return the URL of an empty knowledge base, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'kb.db'}"
    return request.getfixturevalue("pg_url")


CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Return Debian's chromium for browser tests; skip without it (fail under CI)."""
    if CHROMIUM.exists():
        return CHROMIUM
    message = (
        "browser tests need Chromium: install it (Debian: apt-get install chromium "
        "chromium-driver); Playwright drives it, no browser download is needed"
    )
    unavailable(message)

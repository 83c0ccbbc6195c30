"""A locked, read-only or full knowledge base: one clear line, nothing corrupted, rerun completes.

Each case is made for real, never mocked: another connection holds the lock; the folder is
made read-only (chmod, or as root, where chmod does not stop writes, a read-only bind mount);
the disk is a small tmpfs filled to the brim (as root; on PostgreSQL through a tablespace on
it). A case that cannot be made here skips with the reason, and fails under
POLICYLENS_REQUIRE_SERVICES=1 as the service tests do.
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from conftest import corpus_files, unavailable
from policylens import api
from policylens.config import DEFAULT_LOCK_TIMEOUT_S, load_settings
from policylens.serve import create_app

FILES = [str(path) for path in corpus_files()]
FIRST = FILES[:2]  # stored before the failure
LOCK_TIMEOUT_S = "1"
# Roomy enough for the whole sample corpus with its index and link tables on PostgreSQL.
DISK_BYTES = 64 << 20
HEADROOM_BYTES = 96 << 10  # room for SQLite's -shm and a few pages, not for a document

LOCKED = "is locked by another process; waited 1 s and stopped, nothing half-written; "
LOCKED_HINT = (
    "try again when the other process is done, "
    "or wait longer with POLICYLENS_LOCK_TIMEOUT=<seconds>"
)
DISK_FULL = (
    ": disk full; the unfinished write was rolled back and what was stored before is intact; "
    "free some space and run the command again"
)
READ_ONLY_SQLITE = (
    " is read-only (attempt to write a readonly database); nothing was written; reading "
    "commands still work; to write, make the file and its folder writable for this user"
)
READ_ONLY_POSTGRESQL = (
    " is read-only (cannot execute INSERT in a read-only transaction); nothing was written; "
    "reading commands still work; to write, connect as a role that may write"
)


def cli(*args: str, lock_timeout: str = LOCK_TIMEOUT_S) -> subprocess.CompletedProcess[str]:
    """Run the policylens command as a user does."""
    env = {**os.environ, "POLICYLENS_LOCK_TIMEOUT": lock_timeout}
    command = [sys.executable, "-m", "policylens.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)


def error_line(result: subprocess.CompletedProcess[str]) -> str:
    """Return the only line on stderr of a failed command (no traceback, exit status 2)."""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1, result.stderr
    return lines[0]


def stored(db: str) -> dict[str, tuple[int, int]]:
    """Return {sha256: (items, facts)} of every stored document."""
    facts: dict[int, int] = {}
    for fact in api.facts(db):
        facts[fact.document_id] = facts.get(fact.document_id, 0) + 1
    return {d.sha256: (d.items, facts.get(d.id, 0)) for d in api.documents(db)}


def sqlite_path(db: str) -> Path:
    return Path(db.removeprefix("sqlite:///"))


def integrity(path: Path) -> str:
    """Return SQLite's own verdict on the file ("ok" when nothing is corrupted)."""
    with sqlite3.connect(path) as connection:
        return connection.execute("PRAGMA integrity_check").fetchone()[0]


def pg_name(url: str) -> str:
    """Return a PostgreSQL knowledge base as messages name it: the URL without its options."""
    return url.split("?", 1)[0]


def with_option(url: str, option: str) -> str:
    """Return the PostgreSQL URL with one more server setting (``name%3Dvalue``)."""
    return f"{url}%20-c{option}" if "options=" in url else f"{url}?options=-c{option}"


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int, int]]:
    """Return what one uninterrupted ingest of the sample corpus stores."""
    db = f"sqlite:///{tmp_path_factory.mktemp('reference') / 'kb.db'}"
    assert api.ingest(FILES, db=db).ok
    return stored(db)


def first_documents(db: str) -> dict[str, tuple[int, int]]:
    assert api.ingest(FIRST, db=db).ok
    before = stored(db)
    assert len(before) == len(FIRST)
    return before


# --- locked ---


@contextmanager
def sqlite_write_lock(path: Path) -> Iterator[None]:
    """Hold SQLite's write lock on the file from another connection (as another process would)."""
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@contextmanager
def postgresql_table_lock(url: str, table: str) -> Iterator[None]:
    """Hold an ACCESS EXCLUSIVE lock on a table from another session."""
    engine = create_engine(url)
    try:
        with engine.connect() as holder:
            holder.execute(text(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"))
            yield
            holder.rollback()
    finally:
        engine.dispose()


def assert_rerun_completes(db: str, reference: dict[str, tuple[int, int]]) -> None:
    """Run the same ingest again, as the message advises: it stores exactly the rest."""
    rerun = cli("ingest", *FILES, "--db", db)
    assert rerun.returncode == 0, rerun.stderr
    assert stored(db) == reference


@pytest.mark.parametrize("existing", [True, False], ids=["existing", "new"])
def test_db_failures_locked_sqlite_stops_with_one_line_then_rerun_completes(
    existing, reference, tmp_path
):
    path = tmp_path / "kb.db"
    db = f"sqlite:///{path}"
    before = first_documents(db) if existing else {}
    sqlite3.connect(path).close()  # a new knowledge base: an empty file, locked from the start
    with sqlite_write_lock(path):
        started = time.monotonic()
        failed = cli("ingest", *FILES, "--db", db)
        waited = time.monotonic() - started
        listed = cli("ls", "--db", db, "--json")
    assert error_line(failed) == f"error: knowledge base {path} {LOCKED}{LOCKED_HINT}"
    assert waited < DEFAULT_LOCK_TIMEOUT_S  # the setting, not the default, was waited for
    if existing:
        # WAL: reading works while another process writes.
        assert listed.returncode == 0, listed.stderr
        assert len(json.loads(listed.stdout)) == len(FIRST)
    assert integrity(path) == "ok"
    assert stored(db) == before
    assert_rerun_completes(db, reference)


def test_db_failures_locked_postgresql_stops_with_one_line_then_rerun_completes(pg_url, reference):
    before = first_documents(pg_url)
    with postgresql_table_lock(pg_url, "documents"):
        failed = cli("ingest", *FILES, "--db", pg_url)
    assert error_line(failed) == f"error: knowledge base {pg_name(pg_url)} {LOCKED}{LOCKED_HINT}"
    assert stored(pg_url) == before
    rerun = cli("ingest", *FILES, "--db", pg_url)
    assert rerun.returncode == 0, rerun.stderr
    assert stored(pg_url) == reference


# --- read-only ---


@contextmanager
def read_only_folder(folder: Path) -> Iterator[None]:
    """Make the folder and its files unwritable for this process, then writable again."""
    if os.geteuid() != 0:
        modes = {path: path.stat().st_mode for path in [folder, *folder.iterdir()]}
        for path in modes:
            path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            yield
        finally:
            for path, mode in modes.items():
                path.chmod(mode)
        return
    # Root writes through any file mode; a read-only bind mount stops even root.
    bind = subprocess.run(["mount", "--bind", str(folder), str(folder)], capture_output=True)
    if bind.returncode != 0:
        unavailable(f"cannot bind-mount {folder} read-only as root: {bind.stderr!r}")
    try:
        remount = ["mount", "-o", "remount,bind,ro", str(folder)]
        subprocess.run(remount, capture_output=True, check=True)
        yield
    finally:
        subprocess.run(["umount", str(folder)], capture_output=True, check=True)


def test_db_failures_read_only_sqlite_reads_and_refuses_writes(reference, tmp_path):
    folder = tmp_path / "kb"
    folder.mkdir()
    path = folder / "kb.db"
    db = f"sqlite:///{path}"
    before = first_documents(db)
    export = tmp_path / "kb.jsonl"
    with read_only_folder(folder):
        assert not os.access(path, os.W_OK)
        listed = cli("ls", "--db", db, "--json")
        found = cli("search", "元宇宙", "--db", db, "--json")
        facts = cli("facts", "--db", db, "--format", "json")
        exported = cli("export", "--format", "jsonl", "-o", str(export), "--db", db)
        writes = [cli("ingest", *FILES, "--db", db), cli("reextract", "--db", db)]
        assert sorted(p.name for p in folder.iterdir()) == ["kb.db"]
    for result in (listed, found, facts, exported):
        assert result.returncode == 0, result.stderr
    assert len(json.loads(listed.stdout)) == len(FIRST)
    assert json.loads(found.stdout)["total"] > 0
    assert len(json.loads(facts.stdout)) == sum(n for _, n in before.values())
    assert json.loads(export.read_text("utf-8").splitlines()[-1])["end"]["documents"] == len(FIRST)
    for result in writes:
        assert error_line(result) == f"error: knowledge base {path}{READ_ONLY_SQLITE}"
    assert integrity(path) == "ok"
    assert stored(db) == before
    assert_rerun_completes(db, reference)


def test_db_failures_read_only_postgresql_reads_and_refuses_writes(pg_url, reference):
    before = first_documents(pg_url)
    read_only = with_option(pg_url, "default_transaction_read_only%3Don")
    listed = cli("ls", "--db", read_only, "--json")
    failed = cli("ingest", *FILES, "--db", read_only)
    assert listed.returncode == 0, listed.stderr
    assert len(json.loads(listed.stdout)) == len(FIRST)
    assert error_line(failed) == f"error: knowledge base {pg_name(pg_url)}{READ_ONLY_POSTGRESQL}"
    assert stored(pg_url) == before
    rerun = cli("ingest", *FILES, "--db", pg_url)
    assert rerun.returncode == 0, rerun.stderr
    assert stored(pg_url) == reference


# --- disk full ---


@pytest.fixture
def small_disk() -> Iterator[Path]:
    """Yield a folder on a small tmpfs that other users (the PostgreSQL server) can reach."""
    if os.geteuid() != 0:
        unavailable("a full disk is simulated with a small tmpfs, which only root can mount")
    folder = Path(tempfile.mkdtemp(prefix="policylens-disk-"))
    folder.chmod(0o755)
    mount = ["mount", "-t", "tmpfs", "-o", f"size={DISK_BYTES},mode=755", "tmpfs", str(folder)]
    mounted = subprocess.run(mount, capture_output=True)
    if mounted.returncode != 0:
        folder.rmdir()
        unavailable(f"cannot mount a small tmpfs to fill: {mounted.stderr!r}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], capture_output=True, check=True)
        folder.rmdir()


def fill(folder: Path, headroom: int = HEADROOM_BYTES) -> Path:
    """Fill the folder's file system up to ``headroom`` free bytes; return the filler file."""
    stats = os.statvfs(folder)
    filler = folder / "filler"
    with filler.open("wb") as handle:
        os.posix_fallocate(handle.fileno(), 0, stats.f_bavail * stats.f_frsize - headroom)
    return filler


def assert_whole_documents(now: dict, before: dict, reference: dict) -> None:
    """Everything stored before is still there, and every stored document is whole."""
    assert before.items() <= now.items()
    assert all(reference[sha] == counts for sha, counts in now.items())


def test_db_failures_full_disk_sqlite_rolls_back_then_rerun_completes(reference, small_disk):
    path = small_disk / "kb.db"
    db = f"sqlite:///{path}"
    before = first_documents(db)
    filler = fill(small_disk)
    failed = cli("ingest", *FILES, "--db", db)
    assert error_line(failed) == f"error: knowledge base {path}{DISK_FULL}"
    filler.unlink()
    assert integrity(path) == "ok"
    assert_whole_documents(stored(db), before, reference)
    assert_rerun_completes(db, reference)


@pytest.fixture
def pg_small_tablespace(pg_url: str, small_disk: Path) -> Iterator[str]:
    """Yield ``pg_url`` with its tables in a tablespace on the small disk."""
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        data = Path(connection.execute(text("SHOW data_directory")).scalar_one())
        schema = connection.execute(text("SELECT current_schema()")).scalar_one()
    if not data.is_dir():
        admin.dispose()
        unavailable("a full disk on PostgreSQL needs the server on this machine (a tablespace)")
    location = small_disk / "tablespace"
    location.mkdir()
    os.chown(location, data.stat().st_uid, data.stat().st_gid)
    name = f"t_small_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f"CREATE TABLESPACE {name} LOCATION '{location}'"))
    try:
        yield with_option(pg_url, f"default_tablespace%3D{name}")
    finally:
        with admin.connect() as connection:
            # Empty the tablespace before dropping it; conftest drops the schema itself.
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            connection.execute(text(f"CREATE SCHEMA {schema}"))
            connection.execute(text(f"DROP TABLESPACE {name}"))
        admin.dispose()


def test_db_failures_full_disk_postgresql_rolls_back_then_rerun_completes(
    reference, pg_small_tablespace, small_disk
):
    db = pg_small_tablespace
    before = first_documents(db)
    filler = fill(small_disk, headroom=0)
    failed = cli("ingest", *FILES, "--db", db)
    assert error_line(failed) == f"error: knowledge base {pg_name(db)}{DISK_FULL}"
    filler.unlink()
    assert_whole_documents(stored(db), before, reference)
    assert_rerun_completes(db, reference)


# --- the web API: the same failures as JSON errors with their own status ---


def upload(client: TestClient, path: str):
    name = Path(path).name
    files = {"file": (name, io.BytesIO(Path(path).read_bytes()), "text/plain")}
    return client.post("/api/documents", files=files)


def app_client(db: str) -> TestClient:
    return TestClient(create_app(load_settings(db_url=db, lock_timeout_s=0.5), token=""))


def test_db_failures_serve_locked_is_503_and_reads_still_work(tmp_path):
    path = tmp_path / "kb.db"
    db = f"sqlite:///{path}"
    first_documents(db)
    with app_client(db) as client, sqlite_write_lock(path):
        listed = client.get("/api/documents")
        refused = upload(client, FILES[2])
    assert listed.status_code == 200
    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "5"
    assert refused.json() == {
        "error": f"knowledge base {path} is locked by another process; waited 0.5 s and "
        f"stopped, nothing half-written; {LOCKED_HINT}"
    }


def test_db_failures_serve_read_only_is_403_and_reads_still_work(tmp_path):
    folder = tmp_path / "kb"
    folder.mkdir()
    path = folder / "kb.db"
    db = f"sqlite:///{path}"
    first_documents(db)
    # The server keeps its search store open until it stops: stop it before the unmount.
    with read_only_folder(folder), app_client(db) as client:
        listed = client.get("/api/documents")
        found = client.get("/api/search", params={"q": "元宇宙"})
        refused = upload(client, FILES[2])
    assert listed.status_code == 200 and found.status_code == 200
    assert found.json()["total"] > 0
    assert refused.status_code == 403
    assert refused.json() == {"error": f"knowledge base {path}{READ_ONLY_SQLITE}"}


def test_db_failures_serve_full_disk_is_507(small_disk):
    path = small_disk / "kb.db"
    db = f"sqlite:///{path}"
    before = first_documents(db)
    filler = fill(small_disk)
    with app_client(db) as client:
        refused = upload(client, FILES[2])
    filler.unlink()
    assert refused.status_code == 507
    assert refused.json() == {"error": f"knowledge base {path}{DISK_FULL}"}
    assert stored(db) == before

"""How connections to the knowledge base are opened: lock timeouts, WAL, read-only files."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from functools import partial
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, event
from sqlalchemy.engine import URL


def json_text(value: Any) -> str:
    """Return the JSON text a JSON column stores for a value.

    orjson writes CJK text as UTF-8 (the standard library escapes every character as six
    bytes, ``\\uXXXX``: the benchmark's fact payloads were 870 kB, now 640 kB) and is several
    times faster. A value it refuses (an integer past 64 bits, a lone surrogate) is written
    by the standard library, as before.
    """
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value)


def read_only_sqlite_url(url: URL) -> URL | None:
    """Return a read-only URL for an SQLite file this process may not write, else None.

    A file opened for writing that cannot be written fails on its first statement (WAL
    needs its -wal and -shm files next to it); opened read-only, every reading command works.
    """
    path = url.database
    if url.get_backend_name() != "sqlite" or not path or path == ":memory:":
        return None
    if url.query.get("uri") or path.startswith("file:"):
        return None  # the user's own SQLite URI says how to open it
    file = Path(path).resolve()
    if not file.is_file():
        return None
    folder_writable = os.access(file.parent, os.W_OK)
    if os.access(file, os.W_OK) and folder_writable:
        return None
    wal_open = Path(f"{file}-wal").exists() and Path(f"{file}-shm").exists()
    # mode=ro still needs the WAL files: it can make them in a writable folder, or use them
    # while a writer keeps them. In a read-only folder without them no process has the
    # database open in WAL mode, so it is read as an immutable file.
    mode = "ro" if folder_writable or wal_open else "immutable"
    query = {"mode": "ro"} if mode == "ro" else {"immutable": "1"}
    return url.set(database=file.as_uri(), query={**query, "uri": "true"})


SQLITE_CACHE_KIB = 64 * 1024


def _configure_sqlite(
    dbapi_connection: Any, _record: Any, busy_timeout_ms: int, read_only: bool
) -> None:
    # WAL lets readers and one writer work at once, and a second ingest waits for the
    # writer's lock (up to the busy timeout) instead of failing; a killed process never
    # leaves half a document. A read-only connection keeps the file's journal mode.
    # pysqlite commits DDL on its own; taking BEGIN into our hands makes a migration
    # all-or-nothing, so a process killed mid-way leaves no half-made schema.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
    # The default page cache, 2 MB, is smaller than the B-trees a link run writes into: a
    # corpus of 1,000 documents gives 840,000 band keys, which went in 40% faster with room
    # for their pages. The cache grows only as pages are read, up to this bound.
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    if not read_only:
        _enable_wal(cursor, busy_timeout_ms)
        cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


WAL_RETRY_S = 0.05  # the pause between tries to switch a new file to WAL


def _enable_wal(cursor: Any, busy_timeout_ms: int) -> None:
    """Switch the file to WAL, waiting up to the busy timeout for the lock that takes.

    Switching needs the file to itself for a moment, and SQLite does not wait for that lock
    as it waits for a write lock: a second process opening a new file while the first
    creates its tables was told "database is locked" at once (two ingests started together).
    """
    deadline = time.monotonic() + busy_timeout_ms / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(WAL_RETRY_S)


def _begin_sqlite(connection: Any) -> None:
    # A transaction that reads before it writes (a migration) takes the write lock first:
    # two deferred ones that both read would deadlock, and SQLite would not wait.
    immediate = connection.get_execution_options().get("sqlite_immediate", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _configure_postgresql(dbapi_connection: Any, _record: Any, lock_timeout_ms: int) -> None:
    # A statement waiting for another session's lock gives up after the timeout (55P03),
    # which becomes a clear message, instead of hanging the command.
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SELECT set_config('lock_timeout', %s, false)", (f"{lock_timeout_ms}ms",))
    dbapi_connection.commit()  # a rollback on return to the pool would undo the setting


def configure(engine: Engine, lock_timeout_s: float, read_only: bool = False) -> None:
    """Set up every new connection of ``engine``: lock timeout, and WAL on SQLite."""
    timeout_ms = max(1, round(lock_timeout_s * 1000))
    if engine.dialect.name == "sqlite":
        event.listen(
            engine,
            "connect",
            partial(_configure_sqlite, busy_timeout_ms=timeout_ms, read_only=read_only),
        )
        event.listen(engine, "begin", _begin_sqlite)
    elif engine.dialect.name == "postgresql":
        event.listen(engine, "connect", partial(_configure_postgresql, lock_timeout_ms=timeout_ms))

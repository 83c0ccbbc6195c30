"""Database failures a user can act on, told in one line: locked, disk full, read-only.

The drivers say these in their own codes (SQLite result codes, PostgreSQL SQLSTATEs) and
SQLAlchemy wraps them; ``database_failure`` finds the driver's error behind any wrapper and
returns the PolicyLens error that names the knowledge base and what to do. Every command
meets the database through ``database_failures`` (see ``policylens.api.open_store``), so the
mapping lives here only.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from policylens.errors import (
    DatabaseLockedError,
    DatabaseUnavailableError,
    DiskFullError,
    PolicyLensError,
    ReadOnlyDatabaseError,
)

LOCK_TIMEOUT_VARIABLE = "POLICYLENS_LOCK_TIMEOUT"


class Failure(Enum):
    """What kept a command from the database."""

    LOCKED = "locked"
    DISK_FULL = "disk full"
    DISK_IO = "disk I/O error"
    READ_ONLY = "read-only"


# Primary SQLite result codes (an extended code's low byte): https://sqlite.org/rescode.html
SQLITE_FAILURES = {
    5: Failure.LOCKED,  # SQLITE_BUSY: another connection holds the write lock
    6: Failure.LOCKED,  # SQLITE_LOCKED: a table is locked (shared cache)
    8: Failure.READ_ONLY,  # SQLITE_READONLY and its extended codes
    10: Failure.DISK_IO,  # SQLITE_IOERR: e.g. the -shm file cannot grow on a full disk
    13: Failure.DISK_FULL,  # SQLITE_FULL
}
# PostgreSQL SQLSTATEs: https://www.postgresql.org/docs/current/errcodes-appendix.html
POSTGRESQL_FAILURES = {
    "55P03": Failure.LOCKED,  # lock_not_available: lock_timeout passed
    "53100": Failure.DISK_FULL,  # disk_full
    "25006": Failure.READ_ONLY,  # read_only_sql_transaction
    "42501": Failure.READ_ONLY,  # insufficient_privilege: a role that may not write
}
CHAIN_DEPTH = 5  # wrappers between a PolicyLens error and the driver's error


def driver_error(exc: BaseException) -> BaseException | None:
    """Return the driver's exception behind ``exc`` (through SQLAlchemy and our own wrappers)."""
    current: BaseException | None = exc
    for _ in range(CHAIN_DEPTH):
        if current is None:
            return None
        if isinstance(current, DBAPIError):
            return current.orig
        if hasattr(current, "sqlite_errorcode") or hasattr(current, "sqlstate"):
            return current
        current = current.__cause__ or current.__context__
    return None


def failure_kind(exc: BaseException) -> Failure | None:
    """Return the kind of database failure behind ``exc``, or None for any other error."""
    error = driver_error(exc)
    if error is None:
        return None
    code = getattr(error, "sqlite_errorcode", None)
    if isinstance(code, int):
        return SQLITE_FAILURES.get(code & 0xFF)
    return POSTGRESQL_FAILURES.get(str(getattr(error, "sqlstate", "")))


def database_name(url: str | URL) -> str:
    """Return the knowledge base as a user knows it: the SQLite file, or the URL sans secrets."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return str(parsed.database or ":memory:")
    return parsed.set(query={}).render_as_string(hide_password=True)


def _reason(exc: BaseException) -> str:
    error = driver_error(exc)
    return str(error if error is not None else exc).strip().splitlines()[0]


def describe(kind: Failure, name: str, lock_timeout_s: float, reason: str, sqlite: bool) -> str:
    """Return the one line a user sees for a failure of the knowledge base ``name``."""
    if kind is Failure.LOCKED:
        return (
            f"knowledge base {name} is locked by another process; waited {lock_timeout_s:g} s "
            f"and stopped, nothing half-written; try again when the other process is done, "
            f"or wait longer with {LOCK_TIMEOUT_VARIABLE}=<seconds>"
        )
    if kind is Failure.DISK_FULL:
        return (
            f"knowledge base {name}: disk full; the unfinished write was rolled back and what "
            f"was stored before is intact; free some space and run the command again"
        )
    if kind is Failure.DISK_IO:
        return (
            f"knowledge base {name}: disk I/O error ({reason}); the unfinished write was rolled "
            f"back; check that the disk has free space and works, then run the command again"
        )
    fix = (
        "make the file and its folder writable for this user"
        if sqlite
        else "connect as a role that may write"
    )
    return (
        f"knowledge base {name} is read-only ({reason}); nothing was written; reading "
        f"commands still work; to write, {fix}"
    )


ERRORS: dict[Failure, type[DatabaseUnavailableError]] = {
    Failure.LOCKED: DatabaseLockedError,
    Failure.DISK_FULL: DiskFullError,
    Failure.DISK_IO: DatabaseUnavailableError,
    Failure.READ_ONLY: ReadOnlyDatabaseError,
}


def database_failure(
    exc: BaseException, url: str, lock_timeout_s: float
) -> DatabaseUnavailableError | None:
    """Return the clear error for a locked, full or read-only database behind ``exc``, or None."""
    kind = failure_kind(exc)
    if kind is None:
        return None
    sqlite = make_url(url).get_backend_name() == "sqlite"
    message = describe(kind, database_name(url), lock_timeout_s, _reason(exc), sqlite)
    return ERRORS[kind](message)


@contextmanager
def database_failures(url: str, lock_timeout_s: float) -> Iterator[None]:
    """Raise a locked, full or read-only database met inside as its own one-line error."""
    try:
        yield
    except DatabaseUnavailableError:
        raise
    except (SQLAlchemyError, PolicyLensError) as exc:
        failure = database_failure(exc, url, lock_timeout_s)
        if failure is None:
            raise
        raise failure from exc

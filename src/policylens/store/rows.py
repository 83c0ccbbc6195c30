"""Inserting many rows that need no ids back, at the driver's speed: COPY on PostgreSQL,
the driver's own executemany on SQLite.

An ``insert(table)`` with many rows costs SQLAlchemy's parameter handling per row, and on
PostgreSQL a pipelined statement per row; storing a batch of documents spent more time there
than in the database. The values are converted by the columns' own types first, so the
stored values are those the ``insert(table)`` would store, in the same order (same ids).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Column, Connection, Table, insert
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session


def _processor(column: Column[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
    """Return how a column's type converts a value for the driver, None if it does not."""
    return column.type.dialect_impl(dialect).bind_processor(dialect)


def _converted(column: Column[Any], values: Sequence[Any], dialect: Dialect) -> Sequence[Any]:
    """Return a column's values as its type hands them to the driver (JSON as text…)."""
    process = _processor(column, dialect)
    if process is None:
        return values
    # The same object (a payload shared by equal facts) is converted once: serializing
    # payloads was a tenth of storing a document. The list keeps every object alive, so
    # no two of them share an id.
    done: dict[int, Any] = {}
    out = []
    for value in values:
        converted = done.get(id(value), _NOT_DONE)
        if converted is _NOT_DONE:
            converted = done[id(value)] = process(value)
        out.append(converted)
    return out


_NOT_DONE = object()


def row_tuples(
    table: Table, names: list[str], rows: Sequence[dict[str, Any]], dialect: Dialect
) -> list[tuple[Any, ...]]:
    """Return the rows as tuples of driver values, in the order of ``names``."""
    # Tuples made in C (itemgetter), then only the columns whose type converts its values
    # (JSON, dates) taken apart and put back: a comprehension per column cost more.
    get = itemgetter(*names)
    values = list(map(get, rows)) if len(names) > 1 else [(get(row),) for row in rows]
    processed = [n for n, name in enumerate(names) if _processor(table.c[name], dialect)]
    if not processed or not values:
        return values
    columns = list(zip(*values, strict=True))
    for n in processed:
        columns[n] = _converted(table.c[names[n]], columns[n], dialect)
    return list(zip(*columns, strict=True))


def _copy(connection: Connection, statement: str, rows: list[tuple[Any, ...]]) -> None:
    driver = connection.connection.driver_connection
    assert driver is not None
    dbapi = connection.dialect.loaded_dbapi
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
    except dbapi.Error as exc:
        # As SQLAlchemy would raise it, so a full disk or a lock timeout is told as such.
        raise DBAPIError.instance(statement, None, exc, dbapi.Error) from exc


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows (dicts with the same keys) in order, in the session's transaction."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    if dialect.name not in ("postgresql", "sqlite"):
        session.execute(insert(table), list(rows))
        return
    names = list(rows[0])
    # Columns left out take their Python-side defaults, as in ``insert(table)``.
    defaults = [c for c in table.columns if c.name not in rows[0] and c.default is not None]
    if not all(getattr(c.default, "is_scalar", False) for c in defaults):
        session.execute(insert(table), list(rows))
        return
    if defaults:
        names += [c.name for c in defaults]
        rows = [row | {c.name: getattr(c.default, "arg", None) for c in defaults} for row in rows]
    values = row_tuples(table, names, rows, dialect)
    prepare = dialect.identifier_preparer
    target = prepare.format_table(table)
    columns = ", ".join(prepare.quote(name) for name in names)
    if dialect.name == "postgresql":
        _copy(connection, f"COPY {target} ({columns}) FROM STDIN", values)
    else:
        marks = ", ".join("?" for _ in names)
        connection.exec_driver_sql(f"INSERT INTO {target} ({columns}) VALUES ({marks})", values)

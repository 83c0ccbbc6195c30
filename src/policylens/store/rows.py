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
    # payloads was a tenth of storing a document. The values keep every object alive, so
    # no two of them share an id. Objects by id and their lookups are made in C; only the
    # conversions are calls.
    distinct = dict(zip(map(id, values), values, strict=True))
    converted = {key: process(value) for key, value in distinct.items()}
    return list(map(converted.__getitem__, map(id, values)))


def tuple_getter(names: Sequence[str]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """Return what makes a row's tuple of values in the order of ``names``, in C
    (``itemgetter`` of one name gives the value alone: it is put in a tuple then)."""
    if len(names) == 1:
        (name,) = names
        return lambda row: (row[name],)
    return itemgetter(*names)


def row_tuples(
    table: Table, names: list[str], rows: Sequence[dict[str, Any]], dialect: Dialect
) -> list[tuple[Any, ...]]:
    """Return the rows as tuples of driver values, in the order of ``names``."""
    return driver_tuples(table, names, list(map(tuple_getter(names), rows)), dialect)


def driver_tuples(
    table: Table, names: Sequence[str], values: list[tuple[Any, ...]], dialect: Dialect
) -> list[tuple[Any, ...]]:
    """Return rows of values in the order of ``names`` as tuples of driver values."""
    # Only the columns whose type converts its values (JSON, dates) are taken apart and put
    # back, in C (zip): a comprehension per column cost more.
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
    if rows:
        names = list(rows[0])
        insert_tuples(session, table, names, list(map(tuple_getter(names), rows)))


def insert_tuples(
    session: Session, table: Table, names: Sequence[str], values: list[tuple[Any, ...]]
) -> None:
    """Insert rows given as tuples of values in the order of ``names``, in order, in the
    session's transaction (as ``insert_rows`` of the same rows as dicts)."""
    if not values:
        return
    connection = session.connection()
    dialect = connection.dialect
    # Columns left out take their Python-side defaults, as in ``insert(table)``.
    defaults = [c for c in table.columns if c.name not in names and c.default is not None]
    if dialect.name not in ("postgresql", "sqlite") or not all(
        getattr(c.default, "is_scalar", False) for c in defaults
    ):
        session.execute(insert(table), [dict(zip(names, row, strict=True)) for row in values])
        return
    if defaults:
        names = [*names, *(c.name for c in defaults)]
        added = tuple(getattr(c.default, "arg", None) for c in defaults)
        values = [row + added for row in values]
    values = driver_tuples(table, names, values, dialect)
    prepare = dialect.identifier_preparer
    target = prepare.format_table(table)
    columns = ", ".join(prepare.quote(name) for name in names)
    if dialect.name == "postgresql":
        _copy(connection, f"COPY {target} ({columns}) FROM STDIN", values)
    else:
        marks = ", ".join("?" for _ in names)
        connection.exec_driver_sql(f"INSERT INTO {target} ({columns}) VALUES ({marks})", values)

"""Inserting many rows that need no ids back, at the driver's speed: COPY on PostgreSQL,
the driver's own executemany on SQLite.

An ``insert(table)`` with many rows costs SQLAlchemy's parameter handling per row, and on
PostgreSQL a pipelined statement per row; storing a batch of documents spent more time there
than in the database. The values are converted by the columns' own types first, so the
stored values are those the ``insert(table)`` would store, in the same order (same ids).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column, Connection, Table, insert
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session


def _converted(column: Column[Any], values: list[Any], dialect: Dialect) -> list[Any]:
    """Return a column's values as its type hands them to the driver (JSON as text…)."""
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    return values if process is None else [process(value) for value in values]


def row_tuples(
    table: Table, names: list[str], rows: Sequence[dict[str, Any]], dialect: Dialect
) -> list[tuple[Any, ...]]:
    """Return the rows as tuples of driver values, in the order of ``names``."""
    columns = [_converted(table.c[name], [row[name] for row in rows], dialect) for name in names]
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

"""Export the knowledge base (JSONL, CSV, XLSX) and import a JSONL export into an empty one.

Tables come from the shared SQLAlchemy metadata (``Base.metadata.sorted_tables``,
parents before children), so a table any stage registers on ``Base`` comes along
without changes here. Two kinds are left out: ``schema_info`` (the header carries
the schema version) and derived tables, which an import rebuilds from the others
rather than copies: the search index (every table of ``store/search_tables.py``),
and any table a stage marks with ``__table_args__ = {"info": {"derived": True}}``
(the link stage's signatures, band keys and state, which the next link makes again).

A JSONL export is one JSON object per line: a header, one line per row, and an
end line with the row count of every table, so a cut-off file is refused::

    {"policylens_export": 1, "schema_version": 2, "tables": ["documents", …]}
    {"table": "documents", "row": {"id": 1, "sha256": "…", …}}
    {"end": {"documents": 5, "items": 96, …}}

CSV (one file per table in a folder) and XLSX (one sheet per table) are for
reading elsewhere; only JSONL is imported.
"""

from __future__ import annotations

import base64
import csv
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import (
    JSON,
    Connection,
    Date,
    DateTime,
    Engine,
    Integer,
    LargeBinary,
    Table,
    func,
    select,
)
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, selectinload

from policylens.errors import ExchangeError
from policylens.report.tables import write_xlsx
from policylens.store.schema import SCHEMA_VERSION, Base, DocumentRow, SchemaInfo

EXPORT_FORMATS = ("jsonl", "csv", "xlsx")
# The search stage's tables are an index of documents, items and facts: rebuilt, not copied
# (on PostgreSQL they hold tsvectors, on SQLite an FTS5 table outside the metadata).
DERIVED_MODULES = ("policylens.store.search_tables",)
FORMAT_VERSION = 1
BATCH = 500


def _table_modules() -> dict[str, str]:
    """Return the module that declares each mapped table."""
    return {
        mapper.local_table.name: mapper.class_.__module__
        for mapper in Base.registry.mappers
        if isinstance(mapper.local_table, Table)
    }


def is_derived(table: Table, modules: dict[str, str]) -> bool:
    """Return whether a table is rebuilt from the others rather than exported."""
    return bool(table.info.get("derived")) or modules.get(table.name) in DERIVED_MODULES


def exported_tables() -> list[Table]:
    """Return the tables an export holds, parents before children."""
    modules = _table_modules()
    return [
        table
        for table in Base.metadata.sorted_tables
        if table.name != SchemaInfo.__tablename__ and not is_derived(table, modules)
    ]


def derived_tables() -> list[Table]:
    """Return the tables an export leaves out (the search index, link signatures and keys)."""
    modules = _table_modules()
    return [t for t in Base.metadata.sorted_tables if is_derived(t, modules)]


def encode(value: Any) -> Any:
    """Return a column's value as JSON: dates in ISO form, bytes in base64."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


def decode(column: Any, value: Any) -> Any:
    """Return the value to insert for a JSON-encoded column value (``encode`` reversed)."""
    if value is None:
        return None
    if isinstance(column.type, DateTime):
        return datetime.fromisoformat(value)
    if isinstance(column.type, Date):
        return date.fromisoformat(value)
    if isinstance(column.type, LargeBinary):
        return base64.b64decode(value)
    return value


def table_rows(connection: Connection, table: Table) -> Iterator[dict[str, Any]]:
    """Yield a table's rows in primary-key order, JSON-encoded, a batch at a time."""
    query = select(table).order_by(*table.primary_key.columns)
    result = connection.execution_options(yield_per=BATCH).execute(query)
    for row in result.mappings():
        yield {column.name: encode(row[column.name]) for column in table.columns}


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """Yield a connection in a transaction that reads every table as of one moment."""
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
        # On SQLite the store's engine begins every transaction explicitly, reads included,
        # so this one reads all tables as of one moment too.
        with connection.begin():
            yield connection


def export_jsonl(engine: Engine, stream: IO[str]) -> dict[str, int]:
    """Write the knowledge base as JSONL; return the row count of every table."""
    tables = exported_tables()
    header = {
        "policylens_export": FORMAT_VERSION,
        "schema_version": SCHEMA_VERSION,
        "tables": [t.name for t in tables],
    }
    counts: dict[str, int] = {}
    stream.write(_line(header))
    with _snapshot(engine) as connection:
        for table in tables:
            counts[table.name] = 0
            for row in table_rows(connection, table):
                stream.write(_line({"table": table.name, "row": row}))
                counts[table.name] += 1
    stream.write(_line({"end": counts}))
    return counts


def _line(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False) + "\n"


def _flat(table: Table, row: dict[str, Any]) -> list[Any]:
    """Return a row's cells for a spreadsheet: JSON columns as JSON text."""
    return [
        json.dumps(row[c.name], ensure_ascii=False)
        if isinstance(c.type, JSON) and row[c.name] is not None
        else row[c.name]
        for c in table.columns
    ]


def export_csv(engine: Engine, folder: Path) -> dict[str, int]:
    """Write one CSV file per table into a folder; return the row count of every table."""
    folder.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    with _snapshot(engine) as connection:
        for table in exported_tables():
            with (folder / f"{table.name}.csv").open("w", encoding="utf-8", newline="") as f:
                writer = csv.writer(f)
                writer.writerow([c.name for c in table.columns])
                counts[table.name] = 0
                for row in table_rows(connection, table):
                    writer.writerow(_flat(table, row))
                    counts[table.name] += 1
    return counts


def export_xlsx(engine: Engine, path: Path) -> tuple[dict[str, int], int]:
    """Write one sheet per table; return row counts and how many over-long cells were cut."""
    sheets = []
    with _snapshot(engine) as connection:
        for table in exported_tables():
            rows = [_flat(table, row) for row in table_rows(connection, table)]
            sheets.append((table.name, [c.name for c in table.columns], rows))
    cut = write_xlsx(sheets, path)
    return {name: len(rows) for name, _, rows in sheets}, cut


def _parse(number: int, line: str) -> dict[str, Any]:
    try:
        payload = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ExchangeError(f"line {number} is not JSON ({exc.msg}); nothing was imported") from exc
    if not isinstance(payload, dict):
        raise ExchangeError(f"line {number} is not a JSON object; nothing was imported")
    return payload


def _check_header(header: dict[str, Any], tables: dict[str, Table]) -> None:
    if header.get("policylens_export") != FORMAT_VERSION:
        raise ExchangeError("not a PolicyLens JSONL export (its first line has no header)")
    if header.get("schema_version") != SCHEMA_VERSION:
        raise ExchangeError(
            f"the export has schema version {header.get('schema_version')}, this PolicyLens "
            f"uses {SCHEMA_VERSION}; import it with the version that wrote it"
        )
    unknown = [name for name in header.get("tables", []) if name not in tables]
    if unknown:
        raise ExchangeError(f"the export holds tables this PolicyLens does not know: {unknown}")


def _refuse_non_empty(connection: Connection, tables: Iterable[Table]) -> None:
    filled = {}
    for table in tables:
        count = connection.scalar(select(func.count()).select_from(table)) or 0
        if count:
            filled[table.name] = count
    if filled:
        held = ", ".join(f"{n} {name}" for name, n in filled.items())
        raise ExchangeError(
            f"the database is not empty ({held}); import into a new, empty database "
            "(e.g. --db new.db)"
        )


class _Loader:
    """Inserts rows in batches, table by table, and counts them."""

    def __init__(self, connection: Connection, tables: dict[str, Table]) -> None:
        self.connection = connection
        self.tables = tables
        self.counts: dict[str, int] = {}
        self.table: Table | None = None
        self.batch: list[dict[str, Any]] = []

    def add(self, number: int, name: str, row: dict[str, Any]) -> None:
        table = self.tables.get(name)
        if table is None:
            raise ExchangeError(f"line {number}: unknown table {name!r}; nothing was imported")
        unknown = set(row) - set(table.columns.keys())
        if unknown:
            raise ExchangeError(
                f"line {number}: table {name} has no column {sorted(unknown)}; nothing was imported"
            )
        if table is not self.table:
            self.flush()
            self.table = table
        self.batch.append({k: decode(table.columns[k], v) for k, v in row.items()})
        self.counts[name] = self.counts.get(name, 0) + 1
        if len(self.batch) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if self.table is not None and self.batch:
            self.connection.execute(self.table.insert(), self.batch)
        self.batch = []


def _load(lines: Iterable[str], connection: Connection, tables: dict[str, Table]) -> dict[str, int]:
    loader = _Loader(connection, tables)
    header: dict[str, Any] | None = None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        payload = _parse(number, line)
        if header is None:
            header = payload
            _check_header(header, tables)
        elif "end" in payload:
            loader.flush()
            _check_counts(payload["end"], loader.counts)
            return loader.counts
        else:
            loader.add(number, payload.get("table", ""), payload.get("row", {}))
    if header is None:
        raise ExchangeError("the file is empty; nothing was imported")
    raise ExchangeError("the file stops before its end line (cut off?); nothing was imported")


def _check_counts(expected: dict[str, int], found: dict[str, int]) -> None:
    names = set(expected) | set(found)
    wrong = {
        name: (expected.get(name, 0), found.get(name, 0))
        for name in sorted(names)
        if expected.get(name, 0) != found.get(name, 0)
    }
    if wrong:
        raise ExchangeError(f"row counts differ from the end line {wrong}; nothing was imported")


def _reset_sequences(connection: Connection, tables: Iterable[Table]) -> None:
    """Move PostgreSQL's id sequences past the imported ids, so new rows get fresh ones."""
    if connection.dialect.name != "postgresql":
        return  # SQLite takes the next rowid from the table itself
    preparer = connection.dialect.identifier_preparer
    for table in tables:
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or not isinstance(keys[0].type, Integer):
            continue  # only a single integer key is given a sequence
        column = keys[0]
        connection.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence(%(table)s, %(column)s), "
            f"COALESCE(MAX({preparer.quote(column.name)}), 0) + 1, false) "
            f"FROM {preparer.format_table(table)}",
            {"table": preparer.format_table(table), "column": column.name},
        )


def _rebuild_search_index(connection: Connection) -> None:
    """Index the imported documents for search, inside the import's transaction."""
    from policylens.search.index import index_document
    from policylens.search.regions import load_region_table

    regions = load_region_table()
    query = select(DocumentRow).options(
        selectinload(DocumentRow.items), selectinload(DocumentRow.facts)
    )
    # The session joins the import's transaction: its writes commit or roll back with it.
    with Session(bind=connection, join_transaction_mode="rollback_only") as session:
        for document in session.scalars(query.order_by(DocumentRow.id)):
            index_document(session, document, regions)
        session.flush()


def import_jsonl(engine: Engine, lines: Iterable[str]) -> dict[str, int]:
    """Load a JSONL export into an empty knowledge base in one transaction; return row counts.

    Raises ExchangeError, with nothing written, when the database holds data or the
    file is not a complete export of this schema.
    """
    tables = {table.name: table for table in exported_tables()}
    try:
        with engine.begin() as connection:
            _refuse_non_empty(connection, tables.values())
            counts = _load(lines, connection, tables)
            _reset_sequences(connection, tables.values())
            _rebuild_search_index(connection)
    except IntegrityError as exc:
        raise ExchangeError(
            f"the export breaks a constraint ({exc.orig}); nothing was imported"
        ) from exc
    except DBAPIError as exc:
        raise ExchangeError(f"the import failed and was rolled back: {exc.orig}") from exc
    return counts

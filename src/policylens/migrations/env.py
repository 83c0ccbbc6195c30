"""Alembic environment: migrate the connection PolicyLens hands over, or the configured URL."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import create_engine

from policylens.store.schema import Base

config = context.config


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Leave out tables the ORM does not describe (full-text index tables made by DDL).

    When generating a revision, ``include_tables`` in the config's attributes limits it
    to the tables named there.
    """
    if type_ == "table" and reflected and compare_to is None:
        return False
    only = config.attributes.get("include_tables")
    table = getattr(obj, "table", obj) if type_ != "table" else obj
    return only is None or getattr(table, "name", name) in only


def run_migrations() -> None:
    """Run the migrations on the given connection, in its transaction."""
    connection = config.attributes.get("connection")
    if connection is None:
        engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
        with engine.begin() as own:
            _run(own)
        return
    _run(connection)


def _run(connection: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        include_object=include_object,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()

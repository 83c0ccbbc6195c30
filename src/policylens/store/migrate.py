"""Schema migrations: every database is brought to the newest Alembic revision when opened."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text

from policylens.errors import StoreError

# Databases made before migrations existed carry only schema_info.version.
LEGACY_REVISIONS = {1: "0001", 2: "0002", 3: "0003"}


def alembic_config(connection: Connection | None = None) -> Config:
    """Return the Alembic configuration of PolicyLens, bound to a connection."""
    config = Config()
    config.set_main_option("script_location", str(resources.files("policylens") / "migrations"))
    config.attributes["connection"] = connection
    return config


@cache
def head_revision() -> str:
    """Return the newest revision this PolicyLens knows (read once: the revision files ship
    with the package, and parsing them took a quarter of a search's time)."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(connection: Connection) -> str | None:
    """Return the revision a database is at, reading legacy version rows too."""
    revision = MigrationContext.configure(connection).get_current_revision()
    if revision is not None:
        return revision
    if "schema_info" in inspect(connection).get_table_names():
        version = connection.execute(text("SELECT max(version) FROM schema_info")).scalar()
        return LEGACY_REVISIONS.get(int(version or 0))
    return None


def is_current(connection: Connection) -> bool:
    """Return whether the database is at the newest revision (reading only)."""
    return current_revision(connection) == head_revision()


def upgrade(connection: Connection) -> None:
    """Bring the database on ``connection`` to the newest schema, in its transaction."""
    config = alembic_config(connection)
    known = {s.revision for s in ScriptDirectory.from_config(config).walk_revisions()}
    revision = current_revision(connection)
    if revision is not None and revision not in known:
        raise StoreError(
            f"this database has schema revision {revision}, newer than this PolicyLens knows "
            f"(newest {head_revision()}): upgrade PolicyLens (pip install -U policylens)"
        )
    if (
        revision is not None
        and MigrationContext.configure(connection).get_current_revision() is None
    ):
        command.stamp(config, revision)  # a database from before migrations
    command.upgrade(config, "head")


__all__: list[Any] = [
    "alembic_config",
    "current_revision",
    "head_revision",
    "is_current",
    "upgrade",
]

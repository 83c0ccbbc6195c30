"""Write a new Alembic revision for schema changes: compares the models with the newest revision.

    .venv/bin/python scripts/make_migration.py "add a column to facts"

Review the generated file in src/policylens/migrations/versions/ before committing it.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine

from policylens.store.migrate import alembic_config


def main(message: str, rev_id: str | None = None, tables: set[str] | None = None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite:///{Path(tmp) / 'head.db'}")
        with engine.begin() as connection:
            config = alembic_config(connection)
            config.attributes["include_tables"] = tables
            command.upgrade(config, "head")
            command.revision(config, message=message, autogenerate=True, rev_id=rev_id)


if __name__ == "__main__":
    main(sys.argv[1])

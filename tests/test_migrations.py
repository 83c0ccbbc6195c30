"""Schema migrations: from an empty database, from older schemas, and refusing newer ones."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, text

from conftest import CORPUS
from policylens import api
from policylens.errors import StoreError
from policylens.store import Store
from policylens.store.migrate import alembic_config, head_revision
from policylens.store.schema import Base

LEGACY_DOCUMENT = (
    "INSERT INTO documents (sha256, source, format, encoding, title, published, size,"
    " ingested_at, raw_text, clean_text, offset_runs, page_metadata) VALUES ('a', 'old.txt',"
    " 'txt', 'utf_8', 't', NULL, 3, '2023-01-01 00:00:00', 'abc', 'abc', '[[0, 0, 3]]', '[]')"
)


def revision_of(url):
    engine = create_engine(url)
    with engine.connect() as connection:
        revision = MigrationContext.configure(connection).get_current_revision()
    engine.dispose()
    return revision


def test_migrations_empty_database_reaches_head_matching_the_models(db_url):
    Store(db_url).close()
    assert revision_of(db_url) == head_revision()
    engine = create_engine(db_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_object": _only_models, "compare_type": False}
        )
        assert compare_metadata(context, Base.metadata) == []
    engine.dispose()


def _only_models(obj, name, type_, reflected, compare_to):
    return not (type_ == "table" and reflected and compare_to is None)


def test_migrations_upgrade_from_the_previous_schema_keeps_data(db_url):
    engine = create_engine(db_url)
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0001")  # documents, items, links only
        connection.execute(text(LEGACY_DOCUMENT))
    engine.dispose()
    assert [d.source for d in api.documents(db_url)] == ["old.txt"]  # opening upgrades
    assert revision_of(db_url) == head_revision()
    assert api.facts(db_url) == []


def test_migrations_database_from_before_alembic_is_stamped_and_upgraded(tmp_path):
    url = f"sqlite:///{tmp_path / 'legacy.db'}"
    engine = create_engine(url)
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0002")
        connection.execute(text("DROP TABLE alembic_version"))
        connection.execute(text("DELETE FROM schema_info"))
        connection.execute(text("INSERT INTO schema_info (version) VALUES (2)"))
    engine.dispose()
    report = api.ingest([str(CORPUS / "000_9e1a09e82d249843.txt")], db=url)
    assert report.ok and revision_of(url) == head_revision()


def test_migrations_newer_schema_is_refused_clearly(tmp_path):
    url = f"sqlite:///{tmp_path / 'newer.db'}"
    Store(url).close()
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(StoreError, match="newer than this PolicyLens"):
        Store(url)


def _packed(url):
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT item_id, facet_values FROM search_items")).all()
    engine.dispose()
    return {item_id: set(packed.split("\n")) - {""} for item_id, packed in rows}


def test_migrations_packed_facet_values_survive_a_downgrade_and_upgrade(db_url):
    # Down to 0005: 0007's downgrade makes the facet rows again from the packed values and
    # 0006's drops the column; back up, 0006 packs the rows again and 0007 drops them.
    assert api.ingest([str(CORPUS / "000_9e1a09e82d249843.txt")], db=db_url).ok
    written = _packed(db_url)
    assert sum(1 for values in written.values() if len(values) > 3) > 5
    engine = create_engine(db_url)
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0005")
    engine.dispose()
    Store(db_url).close()  # opening upgrades
    assert _packed(db_url) == written

"""Alembic: an empty database upgraded to head matches the models exactly, on both databases.

These tests run real upgrades on empty databases (``raw_database_url``); every
other test gets a copy of a template migrated once (see ``conftest.py``).
"""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

from b1mg_maturity.storage.database import make_engine
from b1mg_maturity.storage.migrate import alembic_config, upgrade_to_head
from b1mg_maturity.storage.models import Base

HEALTH_SYSTEMS = Base.metadata.tables["health_systems"]
MODEL_SCHEMA = {table.name: sorted(column.name for column in table.columns) for table in Base.metadata.sorted_tables}


def _schema(engine: Engine) -> dict[str, list[str]]:
    """Every table of the database with its column names."""
    inspector = inspect(engine)
    return {table: sorted(c["name"] for c in inspector.get_columns(table)) for table in inspector.get_table_names()}


def _revisions(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())


def _head(url: str) -> str:
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    assert head is not None
    return head


def test_upgrade_to_head_matches_models(raw_database_url: str) -> None:
    upgrade_to_head(raw_database_url)
    engine = make_engine(raw_database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
            assert context.get_current_revision() == _head(raw_database_url)
        assert _schema(engine) == {**MODEL_SCHEMA, "alembic_version": ["version_num"]}
    finally:
        engine.dispose()


def test_upgrade_is_idempotent(raw_database_url: str) -> None:
    """A second upgrade (the app migrates on every start) changes neither the schema, the revision nor the data."""
    upgrade_to_head(raw_database_url)
    engine = make_engine(raw_database_url)
    try:
        with engine.begin() as connection:
            connection.execute(HEALTH_SYSTEMS.insert().values(code="DE", name="Germany", kind="country"))
        schema, revisions = _schema(engine), _revisions(engine)
        assert schema == {**MODEL_SCHEMA, "alembic_version": ["version_num"]}
        assert revisions == [_head(raw_database_url)]

        upgrade_to_head(raw_database_url)

        assert _schema(engine) == schema
        assert _revisions(engine) == revisions
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT code, name FROM health_systems")).all()
        assert [tuple(row) for row in rows] == [("DE", "Germany")]
    finally:
        engine.dispose()


def test_sqlite_pragmas(tmp_path: object) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/p.sqlite3")
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()

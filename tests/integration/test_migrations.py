"""Alembic: an empty database upgraded to head matches the models exactly, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from b1mg_maturity.storage.database import make_engine
from b1mg_maturity.storage.migrate import alembic_config, upgrade_to_head
from b1mg_maturity.storage.models import Base


def test_upgrade_to_head_matches_models(raw_database_url: str) -> None:
    upgrade_to_head(raw_database_url)
    engine = make_engine(raw_database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
            head = ScriptDirectory.from_config(alembic_config(raw_database_url)).get_current_head()
            assert context.get_current_revision() == head
        assert set(inspect(engine).get_table_names()) >= set(Base.metadata.tables)
    finally:
        engine.dispose()


def test_upgrade_is_idempotent(raw_database_url: str) -> None:
    upgrade_to_head(raw_database_url)
    upgrade_to_head(raw_database_url)  # the app migrates on every start


def test_sqlite_pragmas(tmp_path: object) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/p.sqlite3")
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()

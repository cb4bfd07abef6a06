"""Bring a database to the newest schema with Alembic (the app does this on start).

At the newest schema nothing is written, so the app may open the database as
a least-privilege runtime role (see :mod:`b1mg_maturity.storage.runtime_role`);
an upgrade needs the owner role, and says so when the role at hand may not.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.exc import ProgrammingError

from b1mg_maturity.errors import StorageFailed
from b1mg_maturity.storage.database import make_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
INSUFFICIENT_PRIVILEGE = "42501"
NEEDS_OWNER = (
    "The database schema needs an upgrade, and the database role this app connects as may not change the "
    "schema (a least-privilege runtime role). Nothing was changed. Ask the administrator to run "
    "`b1mg-maturity db upgrade --database-url OWNER_URL` as the owner role, then "
    "`b1mg-maturity db grant-runtime ROLE --database-url OWNER_URL`, and start the app again."
)


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_to_head(target: str | Engine) -> None:
    """Migrate the database at ``target`` (a URL or an engine) to the newest revision."""
    engine = make_engine(target) if isinstance(target, str) else target
    try:
        with engine.begin() as connection:
            config = alembic_config(str(engine.url))
            heads = set(ScriptDirectory.from_config(config).get_heads())
            if set(MigrationContext.configure(connection).get_current_heads()) == heads:
                return  # nothing to do: write nothing (the runtime role may not)
            config.attributes["connection"] = connection
            try:
                command.upgrade(config, "head")
            except ProgrammingError as exc:
                if getattr(exc.orig, "sqlstate", None) == INSUFFICIENT_PRIVILEGE:
                    raise StorageFailed(NEEDS_OWNER) from None
                raise
    finally:
        if isinstance(target, str):
            engine.dispose()

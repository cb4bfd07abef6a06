"""Database fixtures: every test using ``database_url`` runs on SQLite and on PostgreSQL.

``-m "not postgres"`` deselects the PostgreSQL half (and never starts the server).
Under pytest-xdist each worker starts its own server on its own free port.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.pg_server import PostgresNotAvailable, create_database, drop_database, running_postgres

if TYPE_CHECKING:
    from b1mg_maturity.services import Services
    from tests.integration.world import World

DATABASE_KINDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]

INSTALL_HINT = (
    "install the PostgreSQL server: `apt-get install postgresql` (Debian/Ubuntu; `make test` does this when root), "
    "or point B1MG_PG_BINDIR at a directory holding initdb, pg_ctl and postgres"
)


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    """Superuser URL of a throw-away PostgreSQL server, one per test session (per xdist worker)."""
    with ExitStack() as stack:
        problem: str | None = None
        try:
            url = stack.enter_context(running_postgres())
        except PostgresNotAvailable as exc:
            problem = f"{exc}; {INSTALL_HINT}"
        if problem is not None:
            if _ci():
                pytest.fail(f"PostgreSQL tests must not be skipped in CI (CI is set): {problem}", pytrace=False)
            pytest.skip(f"SKIPPED: POSTGRESQL SERVER BINARIES NOT FOUND -- tests did NOT run on PostgreSQL. {problem}")
        yield url


@pytest.fixture(params=DATABASE_KINDS)
def raw_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of a fresh, empty database (no schema): a SQLite file under tmp_path, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.sqlite3'}"
        return
    admin: str = request.getfixturevalue("postgres_admin_url")
    name = f"test_{uuid.uuid4().hex[:16]}"
    url = create_database(admin, name)
    yield url
    drop_database(admin, name)


@pytest.fixture
def database_url(raw_database_url: str) -> str:
    """Like ``raw_database_url`` but migrated to the newest schema."""
    from b1mg_maturity.storage.migrate import upgrade_to_head  # lazy: collection must not need the storage layer

    upgrade_to_head(raw_database_url)
    return raw_database_url


@pytest.fixture
def services(database_url: str) -> Iterator[Services]:
    from b1mg_maturity.services import Services
    from b1mg_maturity.storage.database import Database

    db = Database(database_url)
    yield Services(db)
    db.dispose()


@pytest.fixture
def world(services: Services) -> World:
    from tests.integration.world import build_world

    return build_world(services)

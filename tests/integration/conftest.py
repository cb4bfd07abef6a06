"""Database fixtures: every test using ``database_url`` runs on SQLite and on PostgreSQL.

``-m "not postgres"`` deselects the PostgreSQL half (and never starts the server).
Under pytest-xdist each worker starts its own server on its own free port.

Speed: a test's database is a copy of a template built once per worker, never an
Alembic upgrade of its own.  ``database_url`` copies the migrated, empty
template; a test that asks for ``world`` gets a copy of a template that also
holds the small world of ``world.py`` (built once, with the same ids).  SQLite
copies the file; PostgreSQL runs ``CREATE DATABASE ... TEMPLATE``.  The
templates refuse connections, so no test can change them.  Only the migration
tests (``raw_database_url``: an empty database) run real upgrades.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.pg_server import (
    PostgresNotAvailable,
    create_database,
    drop_database,
    freeze_template,
    running_postgres,
)

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

MIGRATED, WORLD = "migrated", "world"  # the contents a template may hold


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


# --- templates ----------------------------------------------------------------------------------


@dataclass
class Template:
    """A database built once: a SQLite file, or a PostgreSQL database that refuses connections."""

    kind: str
    source: str  # the SQLite file's path, or the PostgreSQL database's name
    users: dict[str, int] = field(default_factory=dict)  # the world's, when it holds one
    rounds: dict[str, int] = field(default_factory=dict)


def _build(url: str, contents: str) -> tuple[dict[str, int], dict[str, int]]:
    from b1mg_maturity.services import Services
    from b1mg_maturity.storage.database import Database
    from b1mg_maturity.storage.migrate import upgrade_to_head
    from tests.integration.world import build_world

    upgrade_to_head(url)
    if contents == MIGRATED:
        return {}, {}
    db = Database(url)
    try:
        world = build_world(Services(db))
        return dict(world.users), dict(world.rounds)
    finally:
        db.dispose()


@pytest.fixture(scope="session")
def _template_cache() -> dict[tuple[str, str], Template]:
    return {}


def database_template(request: pytest.FixtureRequest, kind: str, contents: str) -> Template:
    """The template of ``kind`` holding ``contents``, built on first use in this worker."""
    cache: dict[tuple[str, str], Template] = request.getfixturevalue("_template_cache")
    key = (kind, contents)
    if key not in cache:
        if kind == "sqlite":
            folder: Path = request.getfixturevalue("tmp_path_factory").mktemp(f"template-{contents}")
            path = folder / "template.sqlite3"
            users, rounds = _build(f"sqlite:///{path}", contents)
            assert not Path(f"{path}-wal").exists(), "the template must be checkpointed: every connection closed"
            cache[key] = Template(kind, str(path), users, rounds)
        else:
            admin: str = request.getfixturevalue("postgres_admin_url")
            name = f"template_{contents}"
            users, rounds = _build(create_database(admin, name), contents)
            freeze_template(admin, name)
            cache[key] = Template(kind, name, users, rounds)
    return cache[key]


@pytest.fixture(params=DATABASE_KINDS)
def database_kind(request: pytest.FixtureRequest) -> str:
    kind: str = request.param
    return kind


@pytest.fixture
def database_url(request: pytest.FixtureRequest, database_kind: str, tmp_path: Path) -> Iterator[str]:
    """A fresh database at the newest schema: a copy of the migrated template.

    When the test also uses ``world``, the copy is of the template holding the world.
    """
    contents = WORLD if "world" in request.fixturenames else MIGRATED
    template = database_template(request, database_kind, contents)
    if database_kind == "sqlite":
        path = tmp_path / "test.sqlite3"
        shutil.copyfile(template.source, path)
        yield f"sqlite:///{path}"
        return
    admin: str = request.getfixturevalue("postgres_admin_url")
    name = f"test_{uuid.uuid4().hex[:16]}"
    url = create_database(admin, name, template=template.source)
    yield url
    drop_database(admin, name)


@pytest.fixture
def services(database_url: str) -> Iterator[Services]:
    from b1mg_maturity.services import Services
    from b1mg_maturity.storage.database import Database

    db = Database(database_url)
    yield Services(db)
    db.dispose()


@pytest.fixture
def world(request: pytest.FixtureRequest, services: Services, database_kind: str) -> World:
    """The world of ``world.py``, already in the database (``database_url`` copied its template)."""
    from tests.integration.world import World

    template = database_template(request, database_kind, WORLD)
    return World(services, dict(template.users), dict(template.rounds))

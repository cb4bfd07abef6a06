"""The database fixtures themselves: a real PostgreSQL server, independent databases, SQLite under tmp."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, make_url, text
from sqlalchemy.pool import NullPool

from tests.pg_server import create_database, drop_database


def _scalar(url: str, sql: str) -> object:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return connection.execute(text(sql)).scalar_one()
    finally:
        engine.dispose()


def _execute(url: str, *statements: str) -> None:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.execute(text(statement))
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_session_server_is_a_real_postgresql(postgres_admin_url: str) -> None:
    url = make_url(postgres_admin_url)
    assert url.drivername == "postgresql+psycopg"
    assert url.host == "127.0.0.1"
    version = _scalar(postgres_admin_url, "select version()")
    assert isinstance(version, str)
    assert version.startswith("PostgreSQL "), version
    assert _scalar(postgres_admin_url, "show fsync") == "off"
    assert _scalar(postgres_admin_url, "show listen_addresses") == "127.0.0.1"


@pytest.mark.postgres
def test_created_databases_are_independent(postgres_admin_url: str) -> None:
    names = [f"indep_{uuid.uuid4().hex[:12]}" for _ in range(2)]
    first, second = (create_database(postgres_admin_url, name) for name in names)
    try:
        assert make_url(first).database == names[0]
        assert make_url(second).database == names[1]
        _execute(first, "create table only_in_first (id integer primary key)", "insert into only_in_first values (1)")
        _execute(second, "create table only_in_second (id integer primary key)")
        assert _tables(first) == {"only_in_first"}
        assert _tables(second) == {"only_in_second"}
        assert _scalar(first, "select count(*) from only_in_first") == 1
    finally:
        for name in names:
            drop_database(postgres_admin_url, name)
    assert _scalar(postgres_admin_url, f"select count(*) from pg_database where datname in {tuple(names)}") == 0


def test_raw_database_url_gives_an_empty_working_database(raw_database_url: str) -> None:
    assert _tables(raw_database_url) == set()
    _execute(raw_database_url, "create table t (id integer primary key)", "insert into t values (7)")
    assert _scalar(raw_database_url, "select id from t") == 7


@pytest.mark.parametrize("raw_database_url", ["sqlite"], indirect=True)
def test_sqlite_database_is_a_file_under_tmp_path(raw_database_url: str, tmp_path: Path) -> None:
    url = make_url(raw_database_url)
    assert url.get_backend_name() == "sqlite"
    assert url.database is not None
    path = Path(url.database)
    assert path.is_absolute()
    assert path.parent == tmp_path
    assert path.name == "test.sqlite3"
    _execute(raw_database_url, "create table t (id integer)")
    assert path.is_file()


@pytest.mark.postgres
@pytest.mark.parametrize("raw_database_url", ["postgresql"], indirect=True)
def test_postgresql_database_is_a_new_database_on_the_session_server(
    raw_database_url: str, postgres_admin_url: str
) -> None:
    url, admin = make_url(raw_database_url), make_url(postgres_admin_url)
    assert (url.drivername, url.host, url.port) == (admin.drivername, admin.host, admin.port)
    assert url.database not in (None, "postgres", "template0", "template1")
    assert _scalar(raw_database_url, "select current_database()") == url.database

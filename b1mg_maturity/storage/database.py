"""Engines and units of work for SQLite (embedded default) and PostgreSQL.

Two kinds of unit of work:

* ``Database.transaction()`` for changes.  On SQLite it starts with ``BEGIN
  IMMEDIATE``: concurrent writers queue for the write lock instead of failing
  half-way with "database is locked" on a lock upgrade.
  ``Database.writing()`` is the same transaction as a Core connection, for a
  hot path that writes through prebuilt statements (a rating save) and does
  not need the ORM session's bookkeeping (which costs as much as the
  transaction itself).
* ``Database.reading()`` for use cases that only read.  On SQLite it starts
  with a plain (deferred) ``BEGIN`` and never takes the write lock, so readers
  are not held up by writers (WAL journalling); on both databases the
  transaction is read-only (a write in it is refused) and every statement in
  it sees the same snapshot (PostgreSQL: repeatable read).

Slow work (password hashing, parsing files) belongs outside both: read, close,
compute, then write the outcome in a short transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_SECONDS = 30.0
READING = "b1mg_reading"  # execution option marking a read-only unit of work
_QUERY_ONLY = "b1mg_sqlite_query_only"  # a pooled SQLite connection's query_only setting, as last set


def make_engine(url: str, *, sqlite_busy_timeout: float | None = None, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite waits ``sqlite_busy_timeout`` seconds for a lock (default: the module setting)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        timeout = SQLITE_BUSY_TIMEOUT_SECONDS if sqlite_busy_timeout is None else sqlite_busy_timeout
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": timeout, "check_same_thread": False}, **kwargs)
        _configure_sqlite(engine, timeout)
        return engine
    engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, **kwargs)
    _configure_postgresql(engine)
    return engine


def _reading(connection: Any) -> bool:
    return bool(connection.get_execution_options().get(READING))


def _configure_sqlite(engine: Engine, busy_timeout: float) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        record.info[_QUERY_ONLY] = False  # SQLite's default for a new connection

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if _reading(connection):
            connection.exec_driver_sql("BEGIN")
            _set_query_only(connection, True)
        else:
            _set_query_only(connection, False)
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def _set_query_only(connection: Any, on: bool) -> None:
    """SQLite's ``query_only`` switch: on for reading, off before a write transaction.

    A per-connection setting that stays until changed, so it is sent only when
    this connection last had the other value (a run of writes, or of reads, on
    one pooled connection sends it once).  The value is remembered beside the
    connection in the pool, and set afresh for every new connection.
    """
    if connection.info.get(_QUERY_ONLY) is not on:
        connection.exec_driver_sql(f"PRAGMA query_only={'ON' if on else 'OFF'}")
        connection.info[_QUERY_ONLY] = on


def _configure_postgresql(engine: Engine) -> None:
    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if _reading(connection):
            # One snapshot for the whole read (a report, a comparison), as SQLite gives anyway; a read-only
            # repeatable-read transaction never fails with a serialization error.
            connection.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")


class Database:
    """One engine and its session factories: ``transaction()`` to change, ``reading()`` to read."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._reading_sessions = sessionmaker(self.engine.execution_options(**{READING: True}), expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any error."""
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        """The transaction of :meth:`transaction` as a Core connection (no ORM session): committed on success."""
        with self.engine.begin() as connection:
            yield connection

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session in one read-only transaction that never waits for (or takes) the write lock."""
        with self._reading_sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()

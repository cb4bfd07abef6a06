"""SQLite's ``query_only`` switch is sent only when it changes, and reads stay read-only, writes writable.

One pooled connection serves reads and writes in every order; the switch
(``PRAGMA query_only``) is remembered beside it, so a run of writes (or of
reads) sends it once.  What must never happen: a read that may write because a
write left the switch off, or a write refused because a read left it on.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from b1mg_maturity.storage.database import Database
from tests.statement_count import StatementCounter


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path / 'switch.sqlite3'}")
    with database.transaction() as session:
        session.execute(text("CREATE TABLE notes (body TEXT)"))
    return database


def _write(db: Database, body: str) -> None:
    with db.transaction() as session:
        session.execute(text("INSERT INTO notes (body) VALUES (:body)"), {"body": body})


def _read(db: Database) -> list[str]:
    with db.reading() as session:
        return list(session.scalars(text("SELECT body FROM notes ORDER BY rowid")))


def _switches(counter: StatementCounter) -> list[str]:
    return [s for s in counter.statements if s.startswith("PRAGMA query_only")]


def test_each_kind_of_unit_finds_the_switch_it_needs(db: Database) -> None:
    for order in ("write", "read", "read", "write", "write", "read", "write"):
        if order == "write":
            _write(db, order)
        else:
            _read(db)
            with pytest.raises(DBAPIError, match=r"(?i)readonly|read.?only"), db.reading() as session:
                session.execute(text("INSERT INTO notes (body) VALUES ('sneaky')"))
    assert _read(db) == ["write"] * 4
    assert db.engine.pool.checkedin() == 1, "one pooled connection served every unit"  # type: ignore[attr-defined]


def test_the_switch_is_sent_only_when_it_changes(db: Database) -> None:
    _write(db, "first")
    with StatementCounter(db.engine) as writes:
        _write(db, "second")
        _write(db, "third")
    with StatementCounter(db.engine) as reads:
        _read(db)
        _read(db)
    with StatementCounter(db.engine) as write_after_read:
        _write(db, "fourth")
    assert _switches(writes) == []
    assert _switches(reads) == ["PRAGMA query_only=ON"]
    assert _switches(write_after_read) == ["PRAGMA query_only=OFF"]
    db.dispose()

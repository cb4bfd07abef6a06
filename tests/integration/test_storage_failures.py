"""A full disk and a read-only database are told in plain words, in the app and the CLI (issue 16, finding 17).

Before: an unhandled ``OperationalError`` ("internal error" in the CLI, a
redacted error page in the app).  After: what happened, that nothing was
lost, and what to do; the failed change is rolled back whole.

Real conditions where the machine allows: a small tmpfs that fills up, then
is remounted read-only (needs root and mount rights); otherwise SQLite's own
limits produce the same errors (``PRAGMA max_page_count`` fills the database,
``mode=ro`` opens it read-only).  PostgreSQL: a database switched to
``default_transaction_read_only``.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import DBAPIError

from b1mg_maturity.errors import StorageFailed
from b1mg_maturity.services import Services
from b1mg_maturity.storage.database import Database
from b1mg_maturity.storage.failures import CANNOT_OPEN, DISK_FULL, NOTHING_LOST, READ_ONLY, database_failure
from b1mg_maturity.storage.migrate import upgrade_to_head
from b1mg_maturity.storage.models import AssessmentRound, HealthSystem, User
from tests.integration.world import PASSWORD, build_world

CLI = Path(sys.executable).parent / "b1mg-maturity"


def _mount_tmpfs(path: Path, size: str) -> bool:
    if os.geteuid() != 0:
        return False
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True)
    return done.returncode == 0


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path | None]:
    """A 2 MB file system of its own (tmpfs), or None where mounting is not allowed."""
    mount_point = tmp_path / "small-disk"
    if not _mount_tmpfs(mount_point, "2m"):
        yield None
        return
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CLI), *args], capture_output=True, text=True, check=False, timeout=300)


def _fill(services: Services, admin: int) -> tuple[int, BaseException]:
    """Add accounts until the database refuses: how many were added, and the refusal."""
    for index in range(100_000):
        try:
            services.add_user(admin, f"filler{index}", PASSWORD, display_name="x" * 190)
        except Exception as exc:
            return index, exc
    raise AssertionError("the database never filled up")


def _fill_disk(folder: Path) -> None:
    """Take what space is left on the file system, so that even the write-ahead log cannot grow."""
    with (folder / "ballast").open("wb", buffering=0) as ballast:
        try:
            while True:
                ballast.write(b"\0" * 4096)
                ballast.flush()
        except OSError:
            pass


def _limit_pages(database: Database) -> None:
    """Cap the database at its present size: the next page it needs fails as SQLITE_FULL."""
    with database.engine.connect() as connection:
        pages = int(connection.exec_driver_sql("PRAGMA page_count").scalar_one())

    @event.listens_for(database.engine, "connect")
    def _cap(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA max_page_count={pages}")
        cursor.close()

    database.engine.dispose()


def test_disk_full_is_plain_and_loses_nothing(small_disk: Path | None, tmp_path: Path) -> None:
    folder = small_disk or tmp_path
    url = f"sqlite:///{folder / 'full.sqlite3'}"
    upgrade_to_head(url)
    database = Database(url)
    services = Services(database)
    admin = services.add_user(None, "admin", PASSWORD, global_role="admin").id
    if small_disk is None:
        _limit_pages(database)
    added, failure = _fill(services, admin)
    explained = database_failure(failure)
    assert isinstance(explained, StorageFailed)
    assert explained.message == DISK_FULL
    assert "disk is full" in explained.message and NOTHING_LOST in explained.message
    # the refused account is not half there; every one before it is
    assert services.count(User) == added + 1
    assert services.whoami(admin).username == "admin"
    database.dispose()
    if small_disk is not None:  # the command line, on the same full disk, says the same
        _fill_disk(small_disk)
        done = _cli("systems", "add", "EE", "--database-url", url)
        assert done.returncode == 1, done
        assert "internal error" not in done.stderr and "Traceback" not in done.stderr, done.stderr
        assert done.stderr.replace("\n", " ").strip() == DISK_FULL, done.stderr


def test_read_only_database_is_plain_in_the_cli_and_loses_nothing(tmp_path: Path) -> None:
    path = tmp_path / "ro.sqlite3"
    url = f"sqlite:///{path}"
    upgrade_to_head(url)
    setup = Services(Database(url))
    world = build_world(setup)
    setup.db.dispose()
    read_only_url = f"sqlite:///file:{path}?mode=ro&uri=true"  # how SQLite opens a file it may not write
    done = _cli("systems", "add", "EE", "--database-url", read_only_url)
    assert done.returncode == 1, done
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.replace("\n", " ").strip() == READ_ONLY
    services = Services(Database(read_only_url))
    with pytest.raises(DBAPIError) as caught:
        services.open_round(world.id("coordinator-de"), "DE", "Round 2027", dt.date(2027, 1, 1))
    explained = database_failure(caught.value)
    assert isinstance(explained, StorageFailed) and explained.message == READ_ONLY
    assert [r.label for r in services.list_rounds(world.id("admin"))] == ["Round 2026", "Round 2026"]
    services.db.dispose()


def test_read_only_file_system_is_plain_in_the_cli(small_disk: Path | None) -> None:
    if small_disk is None:
        pytest.skip("mounting a small file system needs root and mount rights; covered by mode=ro above")
    url = f"sqlite:///{small_disk / 'db.sqlite3'}"
    upgrade_to_head(url)
    setup = Services(Database(url))
    build_world(setup)
    setup.db.dispose()
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    done = _cli("systems", "add", "EE", "--database-url", url)
    assert done.returncode == 1, done
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.replace("\n", " ").strip() in (READ_ONLY, CANNOT_OPEN), done.stderr


def test_read_only_postgresql_is_plain(postgres_admin_url: str) -> None:
    from tests.pg_server import create_database, drop_database

    name = f"test_{uuid.uuid4().hex[:16]}"
    url = create_database(postgres_admin_url, name)
    try:
        upgrade_to_head(url)
        setup = Services(Database(url))
        world = build_world(setup)
        setup.db.dispose()
        admin_engine = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
        with admin_engine.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on'))
        admin_engine.dispose()
        services = Services(Database(url))
        with pytest.raises(DBAPIError) as caught:
            services.open_round(world.id("coordinator-de"), "DE", "Round 2027", dt.date(2027, 1, 1))
        explained = database_failure(caught.value)
        assert isinstance(explained, StorageFailed) and explained.message == READ_ONLY
        assert services.count(AssessmentRound) == 2 and services.count(HealthSystem) == 2
        services.db.dispose()
        done = _cli("systems", "add", "EE", "--database-url", url)
        assert done.returncode == 1, done
        assert done.stderr.replace("\n", " ").strip() == READ_ONLY, done.stderr
    finally:
        admin_engine = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
        with admin_engine.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = off'))
        admin_engine.dispose()
        drop_database(postgres_admin_url, name)


def test_the_web_app_shows_the_plain_message(tmp_path: Path) -> None:
    """show_error, the app's one place for errors, gets the real OperationalError of a read-only database."""
    from streamlit.testing.v1 import AppTest

    path = tmp_path / "ro.sqlite3"
    upgrade_to_head(f"sqlite:///{path}")
    services = Services(Database(f"sqlite:///file:{path}?mode=ro&uri=true"))
    with pytest.raises(DBAPIError) as caught:
        services.add_user(None, "admin", PASSWORD, global_role="admin")
    services.db.dispose()
    failure = caught.value

    def page(error: BaseException) -> None:
        from b1mg_maturity.ui.feedback import show_error

        show_error(error)

    at = AppTest.from_function(page, args=(failure,)).run()
    assert not at.exception
    shown = " ".join(str(e.value) for e in at.error).replace("\\", "")
    assert "read-only" in shown and "Nothing that was saved before was lost" in shown, shown
    assert "went wrong on our side" not in shown

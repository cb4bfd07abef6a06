"""Security review finding 9 (PostgreSQL): no save lands after the round was submitted.

A save checks that the round is editable and then writes; submitting changes
the status.  Unless both take a lock on the round's row, a save that checked
"draft" can commit after the submit did.  Each test stops one side at a known
statement while it holds (or should hold) the round's lock, and proves that the
other side waits for it (it shows up in ``pg_stat_activity`` waiting on a lock)
and that the outcome is the serial one.  Nothing here measures time: the
polling only waits for a state, and gives up only to stop a broken run hanging.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, event, select, text
from sqlalchemy.pool import NullPool

from b1mg_maturity.errors import InvalidState
from b1mg_maturity.services import Services
from b1mg_maturity.storage.database import Database
from b1mg_maturity.storage.migrate import upgrade_to_head
from b1mg_maturity.storage.models import AuditEntry
from tests.integration.world import World, build_world
from tests.pg_server import create_database, drop_database

pytestmark = pytest.mark.postgres

GIVE_UP_SECONDS = 60  # only to end a broken run; never an assertion


@pytest.fixture
def pg(postgres_admin_url: str) -> Iterator[tuple[World, Engine]]:
    """A world on a fresh PostgreSQL database, and a separate engine to watch the server's lock waits."""
    name = f"race_{uuid.uuid4().hex[:12]}"
    url = create_database(postgres_admin_url, name)
    upgrade_to_head(url)
    db = Database(url)
    watcher = create_engine(url, poolclass=NullPool)
    try:
        yield build_world(Services(db)), watcher
    finally:
        watcher.dispose()
        db.dispose()
        drop_database(postgres_admin_url, name)


class StopAt:
    """Holds the named thread just before it runs a statement matching ``pattern``, until released."""

    def __init__(self, engine: Engine, thread_name: str, pattern: str) -> None:
        self.engine, self.thread_name, self.pattern = engine, thread_name, re.compile(pattern, re.IGNORECASE)
        self.reached, self.released = threading.Event(), threading.Event()

    def __enter__(self) -> StopAt:
        event.listen(self.engine, "before_cursor_execute", self._hook)
        return self

    def __exit__(self, *exc: object) -> None:
        self.released.set()
        event.remove(self.engine, "before_cursor_execute", self._hook)

    def _hook(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if threading.current_thread().name != self.thread_name or self.reached.is_set():
            return
        if self.pattern.search(statement):
            self.reached.set()
            self.released.wait(GIVE_UP_SECONDS)


class Runner(threading.Thread):
    """Runs one call in its own thread and keeps its result or error."""

    def __init__(self, name: str, call: Callable[[], object]) -> None:
        super().__init__(name=name, daemon=True)
        self.call = call
        self.result: object = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.result = self.call()
        except BaseException as exc:
            self.error = exc


def _lock_waiters(watcher: Engine) -> int:
    with watcher.connect() as connection:
        return int(
            connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
                )
            ).scalar_one()
        )


def _waits_for_a_lock(thread: Runner, watcher: Engine) -> bool:
    """True once the thread is seen waiting for a lock; False when it finished without waiting."""
    give_up = time.monotonic() + GIVE_UP_SECONDS
    while time.monotonic() < give_up:
        if _lock_waiters(watcher) > 0:
            return True
        if not thread.is_alive():
            return False
        time.sleep(0.01)
    raise AssertionError("the thread neither finished nor waited for a lock")


def _actions(services: Services, round_id: int) -> list[str]:
    with services.db.transaction() as session:
        return list(
            session.scalars(select(AuditEntry.action).where(AuditEntry.round_id == round_id).order_by(AuditEntry.id))
        )


def test_start_review_waits_for_a_save_that_already_checked_the_round(pg: tuple[World, Engine]) -> None:
    """Starting the review closes the experts' part: it waits for a rating save that found the round open."""
    world, watcher = pg
    services, round_id = world.services, world.rounds["DE"]
    expert, coordinator = world.id("expert-de"), world.id("coordinator-de")
    save = Runner(
        "save",
        lambda: services.rate(
            expert, round_id, "D1.1.1", level=4, evidence="written while the review starts", expected_version=0
        ),
    )
    submit = Runner("start review", lambda: services.start_review(coordinator, round_id))
    with StopAt(services.db.engine, "save", r"^\s*(INSERT INTO|UPDATE) ratings\b") as stop:
        save.start()
        assert stop.reached.wait(GIVE_UP_SECONDS), "the save never reached its write"
        submit.start()
        submit_waited = _waits_for_a_lock(submit, watcher)
        stop.released.set()
        save.join(GIVE_UP_SECONDS)
        submit.join(GIVE_UP_SECONDS)
    assert save.error is None and submit.error is None, (save.error, submit.error)
    assert submit_waited, "starting the review did not wait for the save that had already found the round open"
    actions = _actions(services, round_id)
    assert actions.index("rate") < actions.index("status_in_review"), actions


def test_a_save_during_start_review_waits_and_is_refused(pg: tuple[World, Engine]) -> None:
    world, watcher = pg
    services, round_id = world.services, world.rounds["DE"]
    expert, coordinator = world.id("expert-de"), world.id("coordinator-de")
    first = services.rate(expert, round_id, "D1.1.1", level=2, evidence="before", expected_version=0)
    submit = Runner("start review", lambda: services.start_review(coordinator, round_id))
    save = Runner(
        "save",
        lambda: services.rate(expert, round_id, "D1.1.1", level=5, evidence="too late", expected_version=first.version),
    )
    with StopAt(services.db.engine, "start review", r"^\s*UPDATE rounds\b") as stop:
        submit.start()
        assert stop.reached.wait(GIVE_UP_SECONDS), "start review never reached its write"
        save.start()
        save_waited = _waits_for_a_lock(save, watcher)
        stop.released.set()
        submit.join(GIVE_UP_SECONDS)
        save.join(GIVE_UP_SECONDS)
    assert submit.error is None, submit.error
    assert save_waited, "the save did not wait for the start of the review that held the round"
    assert isinstance(save.error, InvalidState), save.error
    assert "in review" in save.error.message
    mine = services.my_ratings(expert, round_id)["D1.1.1"]
    assert (mine.level, mine.evidence) == (2, "before")


def test_an_invitation_during_the_start_of_the_review_waits_and_is_refused(pg: tuple[World, Engine]) -> None:
    world, watcher = pg
    services, round_id, coordinator = world.services, world.rounds["DE"], world.id("coordinator-de")
    services.add_user(world.id("admin"), "late-expert", "a-long-password")
    services.grant(world.id("admin"), "late-expert", "DE", "expert")
    # experts are invited while the round is a draft: the review closes their part
    submit = Runner("start review", lambda: services.start_review(coordinator, round_id))
    invite = Runner("invite", lambda: services.invite_expert(coordinator, round_id, "late-expert"))
    with StopAt(services.db.engine, "start review", r"^\s*UPDATE rounds\b") as stop:
        submit.start()
        assert stop.reached.wait(GIVE_UP_SECONDS), "start review never reached its write"
        invite.start()
        invite_waited = _waits_for_a_lock(invite, watcher)
        stop.released.set()
        submit.join(GIVE_UP_SECONDS)
        invite.join(GIVE_UP_SECONDS)
    assert submit.error is None, submit.error
    assert invite_waited, "the invitation did not wait for the start of the review that held the round"
    assert isinstance(invite.error, InvalidState), invite.error
    assert "late-expert" not in services.experts_of(coordinator, round_id)

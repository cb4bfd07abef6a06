"""Signing in under attack: parallel guesses are all counted, a paused name says nothing about the
account, and a spray of guesses never holds up anyone else (issue 16, findings 2 and 3).

Every test runs on SQLite and on PostgreSQL.  The thread tests are bounded
(joins with a timeout) and seeded; none of them measures time.
"""

from __future__ import annotations

import random
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.exc import DBAPIError

from b1mg_maturity import auth
from b1mg_maturity.errors import AuthenticationFailed
from b1mg_maturity.services import Services
from b1mg_maturity.settings import get_settings
from b1mg_maturity.storage import database as database_module
from b1mg_maturity.storage.database import Database
from b1mg_maturity.storage.models import User
from tests.integration.world import PASSWORD, World

THREADS = 20
JOIN_SECONDS = 120


def _refusal(services: Services, username: str, password: str) -> str:
    with pytest.raises(AuthenticationFailed) as caught:
        services.sign_in(username, password)
    return caught.value.message


def _run_at_once(count: int, work: Callable[[int], None]) -> None:
    start = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(number: int) -> None:
        start.wait()
        try:
            work(number)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=JOIN_SECONDS)
    assert not any(t.is_alive() for t in threads), "a sign-in thread did not finish"
    assert not errors, errors


# --- finding 2: parallel wrong passwords ---------------------------------------------------------


def test_parallel_wrong_passwords_are_all_counted(world: World) -> None:
    """20 wrong passwords at the same moment count 20 times: the right password is then refused."""
    services = world.services
    rng = random.Random(16_2)
    guesses = [f"guess-{rng.randrange(10**9)}" for _ in range(THREADS)]
    messages: list[str] = []

    def guess(number: int) -> None:
        messages.append(_refusal(services, "expert-de", guesses[number]))

    _run_at_once(THREADS, guess)
    assert len(messages) == THREADS
    refusal = _refusal(services, "expert-de", PASSWORD)
    assert refusal.startswith("Too many failed attempts"), refusal
    # Each guess answered "wrong" was counted: the pause doubles with every one past the limit.
    counted = messages.count("Wrong username or password.")
    settings = get_settings()
    assert counted >= settings.login_max_failures
    pause = min(settings.login_pause_seconds * 2 ** (counted - settings.login_max_failures), 86_400)
    waited = int(re.findall(r"\d[\d,]*", refusal)[0].replace(",", ""))  # "86,400 seconds": grouped by locale
    assert pause - 5 <= waited <= pause + 1, (counted, refusal)


def test_paused_unknown_name_looks_like_a_paused_account(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same answers, in the same order, and the same password work for a name that has no account."""
    services = world.services
    verified: list[str] = []
    real_verify = auth.verify_password

    def counting_verify(password_hash: str | None, password: str) -> bool:
        verified.append(password)
        return real_verify(password_hash, password)

    monkeypatch.setattr("b1mg_maturity.services.accounts.verify_password", counting_verify)
    attempts = get_settings().login_max_failures + 2

    def answers(username: str) -> list[str]:
        verified.clear()
        said = [re.sub(r"\d+", "N", _refusal(services, username, f"wrong-{n}")) for n in range(attempts)]
        assert len(verified) == attempts, f"{username}: every attempt checks a password once"
        return said

    known, unknown = answers("viewer-de"), answers("no-such-person")
    assert known == unknown
    assert known[0] == "Wrong username or password."
    assert known[-1].startswith("Too many failed attempts")
    # Deactivated accounts answer like unknown names, too.
    with services.db.transaction() as session:
        session.execute(update(User).where(User.username == "viewer-fr").values(is_active=False))
    assert answers("viewer-fr") == unknown


# --- finding 3: no hashing in a transaction, reads never wait for the write lock ----------------


def test_passwords_are_never_hashed_inside_a_transaction(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    services = world.services
    seen: list[tuple[str, int]] = []
    pool = services.db.engine.pool

    def watch(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def watched(*args: Any) -> Any:
            seen.append((name, pool.checkedout()))  # type: ignore[attr-defined]
            return real(*args)

        return watched

    monkeypatch.setattr("b1mg_maturity.services.accounts.verify_password", watch("verify", auth.verify_password))
    monkeypatch.setattr("b1mg_maturity.services.accounts.hash_password", watch("hash", auth.hash_password))
    assert services.sign_in("expert-de", PASSWORD) == world.id("expert-de")
    _refusal(services, "expert-de", "wrong password")
    _refusal(services, "nobody-at-all", "wrong password")
    services.add_user(world.id("admin"), "newcomer", PASSWORD)
    assert {name for name, _ in seen} == {"verify", "hash"}
    assert [open_connections for _, open_connections in seen] == [0] * len(seen), seen


@pytest.fixture
def impatient_services(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Services]:
    """Services whose SQLite connections give up after half a second waiting for a lock."""
    monkeypatch.setattr(database_module, "SQLITE_BUSY_TIMEOUT_SECONDS", 0.5)
    db = Database(database_url)
    yield Services(db)
    db.dispose()


def test_reads_do_not_wait_for_a_writer(world: World, impatient_services: Services) -> None:
    """While another connection holds a write transaction open, every read use case still answers."""
    holding, release = threading.Event(), threading.Event()
    problems: list[BaseException] = []

    def writer() -> None:
        try:
            with world.services.db.transaction() as session:
                session.execute(update(User).where(User.username == "nobody").values(display_name="busy"))
                holding.set()
                release.wait(timeout=JOIN_SECONDS)
        except BaseException as exc:  # reported below
            problems.append(exc)
            holding.set()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert holding.wait(timeout=JOIN_SECONDS)
        services, expert, round_id = impatient_services, world.id("expert-de"), world.rounds["DE"]
        assert services.whoami(expert).username == "expert-de"
        assert [r.id for r in services.list_rounds(expert)] == [round_id]
        assert services.my_ratings(expert, round_id) == {}
        assert services.get_round(expert, round_id).id == round_id
        assert len(services.list_users(world.id("admin"))) == len(world.users)
        assert services.audit_log(world.id("admin"), limit=5)
        assert services.has_demo_data() is False
    finally:
        release.set()
        thread.join(timeout=JOIN_SECONDS)
    assert not problems, problems


def test_sign_in_spray_does_not_block_readers(world: World, impatient_services: Services) -> None:
    """Four threads guessing passwords while a fifth reads: no read fails with "database is locked"."""
    services = impatient_services
    rng = random.Random(3)
    names = ["expert-de", "viewer-de", "no-such-user", "admin"]
    guesses = [[f"spray-{rng.randrange(10**6)}" for _ in range(8)] for _ in names]
    reads: list[str] = []

    def work(number: int) -> None:
        if number == len(names):
            for _ in range(30):
                reads.append(services.whoami(world.id("coordinator-de")).username)
            return
        for guess in guesses[number]:
            with pytest.raises(AuthenticationFailed):
                services.sign_in(names[number], guess)

    _run_at_once(len(names) + 1, work)
    assert reads == ["coordinator-de"] * 30


def test_reading_refuses_writes(services: Services) -> None:
    with pytest.raises(DBAPIError, match=r"(?i)read.?only"), services.db.reading() as session:
        session.add(User(username="sneaky", display_name="sneaky", password_hash=None))
        session.flush()
    assert services.count(User) == 0

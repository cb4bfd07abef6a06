"""Wrong passwords in a row, counted per typed username, atomically.

Counting per *name* (its SHA-256; a password typed into the name field is
never stored) rather than per account means that a name without an account
is counted and paused exactly like a real one: the answers ("Wrong username
or password.", then "Too many failed attempts ...") never tell which names
exist.

Each failure is one atomic statement (``INSERT ... ON CONFLICT DO UPDATE SET
failures = failures + 1 ... RETURNING failures``), so parallel guesses are all
counted on PostgreSQL as on SQLite.  Counters of names without a failure for
a day, and not paused, are forgotten.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math

from sqlalchemy import delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from b1mg_maturity.i18n import _n
from b1mg_maturity.settings import Settings
from b1mg_maturity.storage.models import SignInFailures

MAX_PAUSE_SECONDS = 86_400
FORGET_AFTER = dt.timedelta(days=1)


def name_key(username: str) -> str:
    return hashlib.sha256(username.encode("utf-8", "surrogatepass")).hexdigest()


def pause_message(seconds: int) -> str:
    return _n(
        "Too many failed attempts: try again in {n} second.",
        "Too many failed attempts: try again in {n} seconds.",
        seconds,
    )


def paused_for(session: Session, key: str, *, now: dt.datetime) -> int | None:
    """Seconds left of a pause on this name, or None when it may try."""
    until = session.scalars(select(SignInFailures.paused_until).where(SignInFailures.name_hash == key)).first()
    if until is None or until <= now:
        return None
    return math.ceil((until - now).total_seconds())


def record_failure(session: Session, key: str, settings: Settings, *, now: dt.datetime) -> int | None:
    """Count one wrong password for this name; returns the pause it starts (seconds), if any."""
    session.execute(
        delete(SignInFailures).where(
            SignInFailures.last_failure_at < now - FORGET_AFTER,
            or_(SignInFailures.paused_until.is_(None), SignInFailures.paused_until <= now),
        )
    )
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(SignInFailures)
        .values(name_hash=key, failures=1, paused_until=None, last_failure_at=now)
        .on_conflict_do_update(
            index_elements=[SignInFailures.name_hash],
            set_={"failures": SignInFailures.failures + 1, "last_failure_at": now},
        )
        .returning(SignInFailures.failures)
    )
    failures = int(session.execute(statement).scalar_one())
    if failures < settings.login_max_failures:
        return None
    extra = failures - settings.login_max_failures
    pause: int = min(settings.login_pause_seconds * 2 ** min(extra, 32), MAX_PAUSE_SECONDS)
    session.execute(
        update(SignInFailures)
        .where(SignInFailures.name_hash == key)
        .values(paused_until=now + dt.timedelta(seconds=pause))
    )
    return pause


def record_success(session: Session, key: str, *, now: dt.datetime) -> int | None:
    """Forget the failures of a name that signed in; but a pause that began meanwhile still holds.

    Returns None when the sign-in may go ahead, else the seconds left of the pause.
    """
    deleted = session.execute(
        delete(SignInFailures).where(
            SignInFailures.name_hash == key,
            or_(SignInFailures.paused_until.is_(None), SignInFailures.paused_until <= now),
        )
    )
    if deleted.rowcount:  # type: ignore[attr-defined]
        return None
    return paused_for(session, key, now=now)

"""Server-side sessions: one row per signed-in browser, so that a session can be ended at once.

The browser holds a random 256-bit session id (inside a signed cookie,
:mod:`b1mg_maturity.session_tokens`); the database holds only its SHA-256.
A plain hash is enough for a random id of that size, and it means that
whoever reads the table (or a backup) learns no usable session.

A session ends when its row is deleted: on sign-out, when the password
changes, when the account is deactivated or loses a role, or when an
administrator ends all of a user's sessions.  These functions work inside
the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from b1mg_maturity.storage.models import UserSession

LIFETIME_SECONDS = 12 * 3600
ID_HEX_CHARS = 64  # 256 bits


def well_formed(session_id: str) -> bool:
    return len(session_id) == ID_HEX_CHARS and all(c in "0123456789abcdef" for c in session_id)


def id_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("ascii")).hexdigest()


def start(session: Session, user_id: int, *, now: dt.datetime, lifetime: int = LIFETIME_SECONDS) -> str:
    """A new session for ``user_id``; returns its id (shown once, never stored)."""
    session.execute(delete(UserSession).where(UserSession.expires_at <= now))  # tidy up the expired ones
    session_id = secrets.token_hex(ID_HEX_CHARS // 2)
    session.add(
        UserSession(
            id_hash=id_hash(session_id),
            user_id=user_id,
            created_at=now,
            expires_at=now + dt.timedelta(seconds=lifetime),
        )
    )
    session.flush()
    return session_id


def user_of(session: Session, session_id: str, *, now: dt.datetime) -> int | None:
    """The user of a live session; None for an ended, expired or made-up one."""
    if not well_formed(session_id):
        return None
    return session.scalars(
        select(UserSession.user_id).where(UserSession.id_hash == id_hash(session_id), UserSession.expires_at > now)
    ).first()


def end(session: Session, session_id: str) -> None:
    if well_formed(session_id):
        session.execute(delete(UserSession).where(UserSession.id_hash == id_hash(session_id)))


def end_all(session: Session, user_id: int, *, keep: str | None = None) -> int:
    """End every session of one user (but ``keep``, the browser asking); returns how many ended."""
    query = delete(UserSession).where(UserSession.user_id == user_id)
    if keep is not None and well_formed(keep):
        query = query.where(UserSession.id_hash != id_hash(keep))
    result = session.execute(query)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]

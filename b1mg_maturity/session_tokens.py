"""Signed session tokens, so that a reload of the page keeps the user signed in.

A token is ``user_id.expiry.signature`` with an HMAC-SHA256 signature under a
secret shared by every app instance (kept in the database).  It carries no
permissions: every use case reloads the user and their roles from the
database, so a revoked account or role takes effect at once.
"""

from __future__ import annotations

import hashlib
import hmac
import time

LIFETIME_SECONDS = 12 * 3600


def issue(user_id: int, secret: str, *, now: float | None = None, lifetime: int = LIFETIME_SECONDS) -> str:
    expiry = int((now if now is not None else time.time()) + lifetime)
    payload = f"{user_id}.{expiry}"
    return f"{payload}.{_sign(payload, secret)}"


def verify(token: str | None, secret: str, *, now: float | None = None) -> int | None:
    """The user id of a valid, unexpired token; None for anything else."""
    if not token or token.count(".") != 2:
        return None
    user_part, expiry_part, signature = token.split(".")
    payload = f"{user_part}.{expiry_part}"
    if not hmac.compare_digest(signature, _sign(payload, secret)):
        return None
    try:
        user_id, expiry = int(user_part), int(expiry_part)
    except ValueError:
        return None
    if expiry < (now if now is not None else time.time()):
        return None
    return user_id


def _sign(payload: str, secret: str) -> str:
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()

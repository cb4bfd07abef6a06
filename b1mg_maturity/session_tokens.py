"""Signed session tokens, so that a reload of the page keeps the user signed in; and the signing key.

A token is ``session_id.expiry.signature``: a random 256-bit session id (the
server keeps only its hash, :mod:`b1mg_maturity.user_sessions`, and ends it on
sign-out, password change, deactivation or a role taken away), an expiry and
an HMAC-SHA256 signature.  It carries no user id and no permissions: every
run looks the session up, and every use case reloads the user and their
roles from the database.

The signing key comes from ``B1MG_SESSION_KEY`` or the file named by
``B1MG_SESSION_KEY_FILE`` (required when ``B1MG_PRODUCTION`` is set).  Without
one, a development or demo installation falls back to a random key kept in
the database, with a warning: whoever reads that database (or a backup of it)
then holds the key.  Either way, a forged token is useless without a live
session id, which only ever exists hashed in the database.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Callable

from b1mg_maturity.settings import Settings

LIFETIME_SECONDS = 12 * 3600
MIN_KEY_CHARS = 32
_HEX = frozenset("0123456789abcdef")

log = logging.getLogger(__name__)


class SigningKeyProblem(Exception):
    """The session-signing key is missing (in production) or unusable; the message says what to do."""


def _is_session_id(value: str) -> bool:
    return len(value) == 64 and set(value) <= _HEX


def issue(session_id: str, key: str, *, now: float | None = None, lifetime: int = LIFETIME_SECONDS) -> str:
    if not _is_session_id(session_id):
        raise ValueError("a token names a session id: 64 lower-case hexadecimal characters")
    expiry = int((now if now is not None else time.time()) + lifetime)
    payload = f"{session_id}.{expiry}"
    return f"{payload}.{_sign(payload, key)}"


def verify(token: str | None, key: str, *, now: float | None = None) -> str | None:
    """The session id of a well-signed, unexpired token; None for anything else."""
    if not token or token.count(".") != 2:
        return None
    session_id, expiry_part, signature = token.split(".")
    payload = f"{session_id}.{expiry_part}"
    if not hmac.compare_digest(signature, _sign(payload, key)) or not _is_session_id(session_id):
        return None
    try:
        expiry = int(expiry_part)
    except ValueError:
        return None
    if expiry < (now if now is not None else time.time()):
        return None
    return session_id


def _sign(payload: str, key: str) -> str:
    return hmac.new(key.encode(), payload.encode(), hashlib.sha256).hexdigest()


def signing_key(settings: Settings, *, fallback: Callable[[], str]) -> str:
    """The key that signs session tokens: from the environment or a secrets file, else (not in production)
    ``fallback()``, the random key kept in the database."""
    given = settings.session_key.get_secret_value() if settings.session_key is not None else None
    if given is not None and settings.session_key_file is not None:
        raise SigningKeyProblem("Set B1MG_SESSION_KEY or B1MG_SESSION_KEY_FILE, not both.")
    if settings.session_key_file is not None:
        try:
            given = settings.session_key_file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise SigningKeyProblem(
                f"The session key file {settings.session_key_file} (B1MG_SESSION_KEY_FILE) cannot be read: "
                f"{exc.strerror if isinstance(exc, OSError) else 'it is not text'}."
            ) from None
    if given is not None:
        if len(given) < MIN_KEY_CHARS:
            raise SigningKeyProblem(
                f"The session key must be at least {MIN_KEY_CHARS} characters long; "
                "make one with: python -c 'import secrets; print(secrets.token_hex(32))'"
            )
        return given
    if settings.production:
        raise SigningKeyProblem(
            "B1MG_PRODUCTION is set, so the session-signing key must not come from the database: "
            "set B1MG_SESSION_KEY (at least 32 random characters) or B1MG_SESSION_KEY_FILE (a file holding it)."
        )
    log.warning(
        "No B1MG_SESSION_KEY or B1MG_SESSION_KEY_FILE: session tokens are signed with a key kept in the "
        "database (fine for development and demos; set one, and B1MG_PRODUCTION=1, for real use)."
    )
    return fallback()

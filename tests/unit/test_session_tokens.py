"""Signed session tokens, and where the signing key comes from (issue 16, findings 1 and 4)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from b1mg_maturity import session_tokens
from b1mg_maturity.session_tokens import SigningKeyProblem, signing_key
from b1mg_maturity.settings import Settings

SECRET = "0" * 64
SESSION = "ab" * 32


def test_round_trip_and_expiry() -> None:
    token = session_tokens.issue(SESSION, SECRET, now=1000.0, lifetime=60)
    assert session_tokens.verify(token, SECRET, now=1030.0) == SESSION
    assert session_tokens.verify(token, SECRET, now=1061.0) is None


def test_the_token_names_a_session_not_a_user() -> None:
    """A token carries a random session id (ended on the server), never a bare user id."""
    token = session_tokens.issue(SESSION, SECRET, now=1000.0)
    assert token.split(".")[0] == SESSION
    with pytest.raises(ValueError, match="session id"):
        session_tokens.issue("42", SECRET)


def test_tampering_and_other_secret_are_refused() -> None:
    token = session_tokens.issue(SESSION, SECRET, now=1000.0)
    session, expiry, signature = token.split(".")
    assert session_tokens.verify(f"{'cd' * 32}.{expiry}.{signature}", SECRET, now=1000.0) is None
    assert session_tokens.verify(f"{session}.{int(expiry) + 9999}.{signature}", SECRET, now=1000.0) is None
    assert session_tokens.verify(token, "1" * 64, now=1000.0) is None
    for junk in ("", "abc", "1.2", "a.b.c", "42.99999999999.ff", None):
        assert session_tokens.verify(junk, SECRET) is None


# --- the signing key ----------------------------------------------------------------------------

KEY = "k" * 40


@pytest.fixture(autouse=True)
def _no_key_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("B1MG_SESSION_KEY", "B1MG_SESSION_KEY_FILE", "B1MG_PRODUCTION"):
        monkeypatch.delenv(name, raising=False)


def _never() -> str:
    raise AssertionError("the database secret must not be used when a key is given")


def test_key_from_the_environment_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("B1MG_SESSION_KEY", KEY)
    assert signing_key(Settings(), fallback=_never) == KEY


def test_key_from_a_secrets_file(tmp_path: Path) -> None:
    path = tmp_path / "session-key"
    path.write_text(f"{KEY}\n")
    assert signing_key(Settings(session_key_file=path, production=True), fallback=_never) == KEY


def test_production_requires_a_key() -> None:
    with pytest.raises(SigningKeyProblem) as caught:
        signing_key(Settings(production=True), fallback=lambda: SECRET)
    assert "B1MG_SESSION_KEY" in str(caught.value)


def test_bad_keys_are_refused_in_plain_words(tmp_path: Path) -> None:
    with pytest.raises(SigningKeyProblem, match="at least 32 characters"):
        signing_key(Settings(session_key="short"), fallback=_never)
    with pytest.raises(SigningKeyProblem, match="cannot be read"):
        signing_key(Settings(session_key_file=tmp_path / "missing"), fallback=_never)
    both = tmp_path / "key"
    both.write_text(KEY)
    with pytest.raises(SigningKeyProblem, match="not both"):
        signing_key(Settings(session_key=KEY, session_key_file=both), fallback=_never)


def test_development_falls_back_to_the_database_secret_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        assert signing_key(Settings(production=False), fallback=lambda: SECRET) == SECRET
    assert "B1MG_SESSION_KEY" in caplog.text

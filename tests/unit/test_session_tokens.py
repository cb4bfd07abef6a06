"""Signed session tokens: valid ones name the user, anything else names nobody."""

from __future__ import annotations

from b1mg_maturity import session_tokens

SECRET = "0" * 64


def test_round_trip_and_expiry() -> None:
    token = session_tokens.issue(42, SECRET, now=1000.0, lifetime=60)
    assert session_tokens.verify(token, SECRET, now=1030.0) == 42
    assert session_tokens.verify(token, SECRET, now=1061.0) is None


def test_tampering_and_other_secret_are_refused() -> None:
    token = session_tokens.issue(42, SECRET, now=1000.0)
    user, expiry, signature = token.split(".")
    assert session_tokens.verify(f"43.{expiry}.{signature}", SECRET, now=1000.0) is None
    assert session_tokens.verify(f"{user}.{int(expiry) + 9999}.{signature}", SECRET, now=1000.0) is None
    assert session_tokens.verify(token, "1" * 64, now=1000.0) is None
    for junk in ("", "abc", "1.2", "a.b.c", None):
        assert session_tokens.verify(junk, SECRET) is None

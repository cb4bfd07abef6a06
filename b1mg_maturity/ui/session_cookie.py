"""Keep a signed-in user signed in across reloads with a signed cookie.

Streamlit starts a new session on every page reload.  After signing in, the
browser is given a signed token (:mod:`b1mg_maturity.session_tokens`) as a
cookie; a new session reads it from ``st.context.cookies``.  Signing out
removes it.  The cookie is written by a zero-height component, since
Streamlit has no server-side cookie API.
"""

from __future__ import annotations

import streamlit as st
from streamlit.components.v1 import html

from b1mg_maturity import session_tokens
from b1mg_maturity.ui.context import app_services, sign_in_as, signed_in_user_id

COOKIE = "b1mg_session"
SECRET_NAME = "session-signing-key"  # noqa: S105 - the name of a stored secret, not a secret
_PENDING = "session_cookie_pending"
_SIGNED_OUT = "signed_out"


def remember_sign_in(user_id: int) -> None:
    """Called right after a successful sign in: the next run writes the cookie."""
    sign_in_as(user_id)
    st.session_state[_PENDING] = session_tokens.issue(user_id, app_services().shared_secret(SECRET_NAME))


def forget_sign_in() -> None:
    """Called on sign out: the next run removes the cookie, and this session does not read it again."""
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    st.session_state[_SIGNED_OUT] = True
    st.session_state[_PENDING] = ""


def restore_sign_in() -> None:
    """At the start of every run: sign in from a valid cookie, and write any pending cookie change."""
    pending = st.session_state.pop(_PENDING, None)
    if pending is not None:
        _write_cookie(pending)
    if signed_in_user_id() is not None or st.session_state.get(_SIGNED_OUT):
        return
    token = st.context.cookies.get(COOKIE)
    user_id = session_tokens.verify(token, app_services().shared_secret(SECRET_NAME)) if token else None
    if user_id is not None:
        sign_in_as(user_id)


def _write_cookie(token: str) -> None:
    max_age = session_tokens.LIFETIME_SECONDS if token else 0
    # The token is [0-9a-f.] only; nothing user-provided is written into this script.
    assert all(c in "0123456789abcdef." for c in token)
    html(
        "<script>window.parent.document.cookie = "
        f"'{COOKIE}={token}; path=/; max-age={max_age}; SameSite=Strict';</script>",
        height=0,
    )

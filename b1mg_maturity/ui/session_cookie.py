"""Keep a signed-in user signed in across reloads with a signed cookie, and sign out for real.

Streamlit starts a new session on every page reload.  After signing in, the
server starts a server-side session (:mod:`b1mg_maturity.user_sessions`) and
the browser is given a signed token naming it
(:mod:`b1mg_maturity.session_tokens`) as a cookie; a new Streamlit session
reads it from ``st.context.cookies`` and looks the session up.  Signing out
ends the session on the server first, so the cookie is worthless even before
the browser has removed it.  The cookie is written by a zero-height
component, since Streamlit has no server-side cookie API.
"""

from __future__ import annotations

import streamlit as st
from streamlit.components.v1 import html

from b1mg_maturity import session_tokens
from b1mg_maturity.i18n import _
from b1mg_maturity.session_tokens import SigningKeyProblem
from b1mg_maturity.settings import get_settings
from b1mg_maturity.ui.context import app_services, sign_in_as, sign_out, signed_in_session
from b1mg_maturity.ui.feedback import or_stop

COOKIE = "b1mg_session"
SECRET_NAME = "session-signing-key"  # noqa: S105 - the name of a stored secret, not a secret
_PENDING = "session_cookie_pending"
_SIGNED_OUT = "signed_out"


@st.cache_resource(show_spinner=False)
def signing_key() -> str:
    """B1MG_SESSION_KEY (or its file); outside production, the random key kept in the database."""
    return session_tokens.signing_key(get_settings(), fallback=lambda: app_services().shared_secret(SECRET_NAME))


def remember_sign_in(user_id: int) -> None:
    """Called right after a successful sign in: a new server-side session; the next run writes the cookie."""
    session_id = app_services().start_session(user_id)
    sign_in_as(session_id)
    st.session_state[_PENDING] = session_tokens.issue(session_id, signing_key())


def forget_sign_in() -> None:
    """Called on sign out: the session ends on the server, the next run removes the cookie, and this
    Streamlit session does not read the cookie again."""
    session_id = signed_in_session()
    if session_id is not None:
        app_services().end_session(session_id)
    sign_out()
    st.session_state[_SIGNED_OUT] = True
    st.session_state[_PENDING] = ""


def restore_sign_in() -> None:
    """At the start of every run: sign in from a valid cookie, and write any pending cookie change."""
    key = or_stop(_configured_signing_key)
    pending = st.session_state.pop(_PENDING, None)
    if pending is not None:
        _write_cookie(pending)
    if signed_in_session() is not None or st.session_state.get(_SIGNED_OUT):
        return
    token = st.context.cookies.get(COOKIE)
    if not token:
        return
    session_id = session_tokens.verify(token, key)
    if session_id is not None and or_stop(lambda: app_services().session_user(session_id)) is not None:
        sign_in_as(session_id)  # current_user() checks again on every run: a session can end at any time
    else:
        _write_cookie("")  # expired, ended or forged: the browser need not send it again


def _configured_signing_key() -> str:
    try:
        return signing_key()
    except SigningKeyProblem as problem:
        st.error(_("The app is not configured to run: {problem}", problem=problem), icon=":material/key_off:")
        st.stop()


def _write_cookie(token: str) -> None:
    max_age = session_tokens.LIFETIME_SECONDS if token else 0
    # The token is [0-9a-f.] only; nothing user-provided is written into this script.
    assert all(c in "0123456789abcdef." for c in token)
    html(
        "<script>const page = window.parent;"
        f"page.document.cookie = '{COOKIE}={token}; path=/; max-age={max_age}; SameSite=Strict'"
        " + (page.location.protocol === 'https:' ? '; Secure' : '');</script>",
        height=0,
    )

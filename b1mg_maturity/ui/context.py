"""What every page needs: the services over the shared database, and who is signed in.

The database is the only state that matters: ``st.session_state`` holds the
signed-in session's id and widget state, never the record of truth.
"""

from __future__ import annotations

import streamlit as st

from b1mg_maturity.services import Services, UserView
from b1mg_maturity.settings import get_settings
from b1mg_maturity.storage.database import Database
from b1mg_maturity.storage.migrate import upgrade_to_head
from b1mg_maturity.ui.feedback import or_stop

SESSION_KEY = "signed_in_session"  # the id of this browser's server-side session (see user_sessions)


@st.cache_resource(show_spinner=False)  # no spinner: `b1mg-maturity serve` calls this before any session runs
def app_services() -> Services:
    """One engine per server process; the database is migrated to the newest schema once per process, when
    the server starts (:mod:`b1mg_maturity.startup`), or else in the first session."""
    settings = get_settings()  # read once, here at the edge, and passed in
    db = Database(settings.database_url)
    upgrade_to_head(db.engine)
    return Services(db, settings=settings)


def signed_in_session() -> str | None:
    value = st.session_state.get(SESSION_KEY)
    return value if isinstance(value, str) else None


def sign_in_as(session_id: str) -> None:
    st.session_state[SESSION_KEY] = session_id


def sign_out() -> None:
    for key in list(st.session_state.keys()):
        del st.session_state[key]


def current_user() -> UserView | None:
    """The signed-in user, read fresh from the database on every run.

    A session ended on the server (sign-out elsewhere, password change,
    deactivation, a role taken away, an administrator) signs this browser out
    at its next click.  A database that cannot be read signs nobody out: the
    page says so in plain words and stops, and the next click tries again.
    """
    session_id = signed_in_session()
    if session_id is None:
        return None
    user = or_stop(lambda: app_services().session_user(session_id))
    if user is None:
        sign_out()
    return user


def demo_data_present() -> bool:
    """Whether the database holds synthetic demo data (the app's banner says so)."""
    return or_stop(lambda: app_services().has_demo_data())


def selected_round_id() -> int | None:
    """The round named in the address (``?round=ID``), so a link opens the same round."""
    raw = st.query_params.get("round")
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


def select_round(round_id: int) -> None:
    st.query_params["round"] = str(round_id)

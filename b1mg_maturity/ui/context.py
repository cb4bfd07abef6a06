"""What every page needs: the services over the shared database, and who is signed in.

The database is the only state that matters: ``st.session_state`` holds the
signed-in user's id and widget state, never the record of truth.
"""

from __future__ import annotations

import streamlit as st

from b1mg_maturity.services import Services, UserView
from b1mg_maturity.settings import get_settings
from b1mg_maturity.storage.database import Database
from b1mg_maturity.storage.migrate import upgrade_to_head

USER_KEY = "signed_in_user_id"


@st.cache_resource(show_spinner="Opening the database…")
def app_services() -> Services:
    """One engine per server process; the database is migrated to the newest schema on start."""
    db = Database(get_settings().database_url)
    upgrade_to_head(db.engine)
    return Services(db)


def signed_in_user_id() -> int | None:
    value = st.session_state.get(USER_KEY)
    return value if isinstance(value, int) else None


def sign_in_as(user_id: int) -> None:
    st.session_state[USER_KEY] = user_id


def sign_out() -> None:
    for key in list(st.session_state.keys()):
        del st.session_state[key]


def current_user() -> UserView | None:
    """The signed-in user, read fresh from the database (a revoked account is signed out at once)."""
    user_id = signed_in_user_id()
    if user_id is None:
        return None
    try:
        return app_services().whoami(user_id)
    except Exception:  # noqa: BLE001 - a deactivated or deleted account simply ends the session
        sign_out()
        return None


def selected_round_id() -> int | None:
    """The round named in the address (``?round=ID``), so a link opens the same round."""
    raw = st.query_params.get("round")
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


def select_round(round_id: int) -> None:
    st.query_params["round"] = str(round_id)

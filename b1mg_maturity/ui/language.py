"""Which language a page speaks: the person's choice (stored with their account), else their browser's, else
English; and the switch in the sidebar.

The language is kept in the session (:data:`LANGUAGE_KEY`) and :mod:`b1mg_maturity.i18n` reads it from there on
every run, fragment runs included (a fragment runs in a thread of its own, without the page's context).
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from b1mg_maturity import i18n
from b1mg_maturity.i18n import _
from b1mg_maturity.services import UserView
from b1mg_maturity.ui.context import app_services
from b1mg_maturity.ui.feedback import attempt

LANGUAGE_KEY = "language"  # the language of this browser's pages
PINNED_KEY = "language-pinned"  # True: LANGUAGE_KEY stays as set (tests pin the pseudo-language for a session)
_CHOSEN_KEY = "language-chosen"  # a visitor's own choice (a signed-in person's is stored with their account)
_SWITCH_KEY = "language-switch"


def _session_language() -> str | None:
    if get_script_run_ctx(suppress_warning=True) is None:  # not a page run (a worker thread): no session
        return None
    value = st.session_state.get(LANGUAGE_KEY)
    return value if isinstance(value, str) else None


def browser_language() -> str | None:
    """The shipped language closest to the browser's (``fr-BE`` -> ``fr``), or None."""
    return i18n.supported(st.context.locale)  # None when the browser sends no locale


i18n.set_language_source(_session_language)  # once per process, when the app first imports this module


def settle(user: UserView | None) -> str:
    """The language of this run, kept in the session for :mod:`b1mg_maturity.i18n`; call first in every run."""
    pinned = st.session_state.get(LANGUAGE_KEY) if st.session_state.get(PINNED_KEY) else None
    chosen = st.session_state.get(_CHOSEN_KEY)
    own = user.language if user is not None else None
    language = pinned or own or (chosen if user is None else None) or browser_language() or i18n.DEFAULT_LANGUAGE
    st.session_state[LANGUAGE_KEY] = language
    return language


def switch(user: UserView | None) -> None:
    """The language menu in the sidebar: a signed-in person's choice is saved with their account."""
    codes = [choice.code for choice in i18n.choices()]
    current = i18n.current()
    st.session_state[_SWITCH_KEY] = current if current in codes else i18n.DEFAULT_LANGUAGE
    st.sidebar.selectbox(
        _("Language"),
        codes,
        format_func=i18n.language_name,
        key=_SWITCH_KEY,
        on_change=_chosen,
        args=(user.id if user is not None else None,),
    )


def _chosen(user_id: int | None) -> None:
    code = st.session_state.get(_SWITCH_KEY)
    if not isinstance(code, str):
        return
    if user_id is None:
        st.session_state[_CHOSEN_KEY] = code
    elif not attempt(lambda: _save(user_id, code)):
        return
    st.session_state[LANGUAGE_KEY] = code


def _save(user_id: int, code: str) -> bool:
    app_services().set_language(user_id, code)
    return True


def html_language() -> str:
    """The page's ``lang``: the pseudo-language is English written oddly."""
    current = i18n.current()
    return i18n.DEFAULT_LANGUAGE if current == i18n.PSEUDO_LANGUAGE else current

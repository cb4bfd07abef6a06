"""Set a new password with a one-time link an administrator issued (open to visitors).

The link is ``/reset-password?token=...``.  A used, expired, replaced or
unknown link gets one and the same answer.
"""

from __future__ import annotations

import streamlit as st

from b1mg_maturity.i18n import _
from b1mg_maturity.services.accounts import INVALID_RESET_LINK
from b1mg_maturity.ui.context import app_services
from b1mg_maturity.ui.feedback import attempt
from b1mg_maturity.ui.page_registry import link
from b1mg_maturity.ui.widgets import new_password_fields

_DONE = "reset-password-done"


def render() -> None:
    middle = st.columns([1, 2, 1])[1]
    with middle:
        st.title(_("Set a new password"))
        token = st.query_params.get("token", "")
        if token:
            st.session_state.pop(_DONE, None)  # a link opened afresh
        done = st.session_state.get(_DONE)
        if isinstance(done, str):
            st.success(
                _("Your new password is set. Sign in with it; every browser that was signed in as you was signed out."),
                icon=":material/check_circle:",
            )
            link("sign-in", _("Sign in"), icon=":material/login:")
            return
        if not token:
            st.write(
                _("Open the link your administrator gave you (or sent you by e-mail) to choose a new password here.")
            )
            link("sign-in", _("Back to sign-in"), icon=":material/login:")
            return
        works = attempt(lambda: app_services().reset_link_works(token))
        if works is None:
            return
        if not works:
            st.error(_(INVALID_RESET_LINK), icon=":material/link_off:")
            link("sign-in", _("Back to sign-in"), icon=":material/login:")
            return
        st.write(_("Choose a new password for your account. The link works once."))
        with st.form("reset-password", border=True):
            new, again = new_password_fields()
            submitted = st.form_submit_button(_("Set new password"), type="primary", width="stretch")
        if submitted:
            username = attempt(lambda: app_services().reset_password(token, new, again))
            if username is not None:
                st.session_state[_DONE] = username
                st.query_params.clear()  # the used link leaves the address bar and the history
                st.rerun()

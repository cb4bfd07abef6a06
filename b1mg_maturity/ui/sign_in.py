"""Sign in with a local account, or with the organisation's single sign-on when configured."""

from __future__ import annotations

import streamlit as st

from b1mg_maturity.errors import AuthenticationFailed
from b1mg_maturity.i18n import _
from b1mg_maturity.ui.context import app_services
from b1mg_maturity.ui.feedback import attempt, escape_markdown
from b1mg_maturity.ui.page_registry import link
from b1mg_maturity.ui.session_cookie import remember_sign_in


def _sso_configured() -> bool:
    try:
        return "auth" in st.secrets
    except FileNotFoundError:  # no secrets.toml, or one that cannot be parsed (StreamlitSecretNotFoundError)
        return False


def email_verified(claim: object) -> bool:
    """The OpenID Connect ``email_verified`` claim: only a true boolean (or the text "true") counts."""
    return claim is True or (isinstance(claim, str) and claim.strip().lower() == "true")


def render() -> None:
    services = app_services()
    middle = st.columns([1, 2, 1])[1]
    with middle:
        st.title(_("Sign in"))
        st.write(_("Genomics-in-healthcare maturity self-assessment (B1MG Maturity Level Model)."))
        with st.form("sign-in", border=True):
            username = st.text_input(_("Username"), autocomplete="username")
            password = st.text_input(_("Password"), type="password", autocomplete="current-password")
            submitted = st.form_submit_button(_("Sign in"), type="primary", width="stretch")
        if submitted:
            try:
                user_id = services.sign_in(username, password)
            except AuthenticationFailed as exc:
                st.error(exc.message, icon=":material/lock:")
            else:
                remember_sign_in(user_id)
                st.rerun()
        if _sso_configured():
            _single_sign_on()
        st.divider()
        st.markdown(_("**No account?** Rate your health system on your own; nothing you enter is stored."))
        link("quick", _("Try a quick assessment"), icon=":material/checklist:")


def _single_sign_on() -> None:
    st.divider()
    user = st.user
    if not user.get("is_logged_in"):
        if st.button(_("Sign in with your organisation"), width="stretch"):
            st.login()
        return
    email = str(user.get("email") or "")
    verified = email_verified(user.get("email_verified"))
    user_id = attempt(lambda: app_services().user_for_email(email, email_verified=verified)) if email else None
    if user_id is None:
        shown = escape_markdown(email)
        if email and not verified:
            st.warning(
                _(
                    "Your organisation's sign-on does not confirm that the e-mail address "
                    "{email} is verified, so it cannot be matched to an account here. "
                    "Ask your administrator, or sign in with your username and password.",
                    email=shown,
                ),
                icon=":material/gpp_maybe:",
            )
        elif shown:
            st.warning(
                _("No account here is linked to {email}. Ask your administrator to add one.", email=shown),
                icon=":material/person_off:",
            )
        else:
            st.warning(
                _("No account here is linked to your sign-on. Ask your administrator to add one."),
                icon=":material/person_off:",
            )
        if st.button(_("Sign out of single sign-on")):
            st.logout()
        return
    remember_sign_in(user_id)
    st.rerun()

"""My account: the signed-in user's own details, language and password."""

from __future__ import annotations

import streamlit as st

from b1mg_maturity import i18n
from b1mg_maturity.domain import GlobalRole, SystemRole
from b1mg_maturity.i18n import _
from b1mg_maturity.ui.context import app_services, current_user, signed_in_session
from b1mg_maturity.ui.feedback import attempt, escape_markdown
from b1mg_maturity.ui.language import LANGUAGE_KEY
from b1mg_maturity.ui.widgets import new_password_fields

_CHANGED = "account-password-changed"
_BROWSER = "browser"  # the language choice "follow my browser" (stored as no language)


def render() -> None:
    user = current_user()
    session_id = signed_in_session()
    if user is None or session_id is None:
        return
    st.title(_("My account"))
    details = [
        (_("Username"), user.username),
        (_("Name"), user.display_name),
        (_("E-mail"), user.email or _("none given")),
    ]
    if user.global_role != GlobalRole.NONE:
        details.append((_("Global role"), GlobalRole(user.global_role).label))
    roles = ", ".join(
        _("{role} of {code}", role=SystemRole(role).label.lower(), code=code) for code, role in user.memberships
    )
    details.append((_("Roles in health systems"), roles or _("none")))
    st.markdown("  \n".join(f"**{label}:** {escape_markdown(value)}" for label, value in details))
    if user.global_role != GlobalRole.ADMIN:
        st.caption(_("Only an administrator can change your name, e-mail address or roles."))

    _language(user.id, user.language)

    st.subheader(_("Change your password"))
    if st.session_state.pop(_CHANGED, False):
        st.success(
            _("Your password is changed. You stay signed in here; every other browser was signed out."),
            icon=":material/check_circle:",
        )
    with st.form("account-password", clear_on_submit=True, width=520):
        current = st.text_input(_("Current password"), type="password", autocomplete="current-password")
        new, again = new_password_fields()
        if st.form_submit_button(_("Change password"), type="primary"):

            def change() -> bool:
                app_services().change_own_password(user.id, current, new, again, keep_session=session_id)
                return True

            if attempt(change):
                st.session_state[_CHANGED] = True
                st.rerun()


def _language(user_id: int, stored: str | None) -> None:
    """The language of the app, of PDF reports and of the e-mails you receive; or your browser's."""
    st.subheader(_("Language"))
    options = [_BROWSER, *(choice.code for choice in i18n.choices())]

    def label(code: str) -> str:
        return _("As my browser asks") if code == _BROWSER else i18n.language_name(code)

    key = "account-language"
    st.session_state[key] = stored or _BROWSER
    st.selectbox(
        _("Language of the app, of reports and of e-mails to you"),
        options,
        format_func=label,
        key=key,
        width=520,
        on_change=_save_language,
        args=(user_id, key),
    )


def _save_language(user_id: int, key: str) -> None:
    chosen = st.session_state.get(key)
    language = None if chosen == _BROWSER else str(chosen)

    def save() -> bool:
        app_services().set_language(user_id, language)
        return True

    if attempt(save):
        st.session_state.pop(LANGUAGE_KEY, None)  # the next run settles it afresh from the account

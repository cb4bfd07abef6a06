"""My account: the signed-in user's own details and password."""

from __future__ import annotations

import streamlit as st

from b1mg_maturity.domain import GlobalRole, SystemRole
from b1mg_maturity.ui.context import app_services, current_user, signed_in_session
from b1mg_maturity.ui.feedback import attempt, escape_markdown
from b1mg_maturity.ui.widgets import new_password_fields

_CHANGED = "account-password-changed"


def render() -> None:
    user = current_user()
    session_id = signed_in_session()
    if user is None or session_id is None:
        return
    st.title("My account")
    details = [
        ("Username", user.username),
        ("Name", user.display_name),
        ("E-mail", user.email or "none given"),
    ]
    if user.global_role != GlobalRole.NONE:
        details.append(("Global role", GlobalRole(user.global_role).label))
    roles = ", ".join(f"{SystemRole(role).label.lower()} of {code}" for code, role in user.memberships)
    details.append(("Roles in health systems", roles or "none"))
    st.markdown("  \n".join(f"**{label}:** {escape_markdown(value)}" for label, value in details))
    if user.global_role != GlobalRole.ADMIN:
        st.caption("Only an administrator can change your name, e-mail address or roles.")

    st.subheader("Change your password")
    if st.session_state.pop(_CHANGED, False):
        st.success(
            "Your password is changed. You stay signed in here; every other browser was signed out.",
            icon=":material/check_circle:",
        )
    with st.form("account-password", clear_on_submit=True, width=520):
        current = st.text_input("Current password", type="password", autocomplete="current-password")
        new, again = new_password_fields()
        if st.form_submit_button("Change password", type="primary"):

            def change() -> bool:
                app_services().change_own_password(user.id, current, new, again, keep_session=session_id)
                return True

            if attempt(change):
                st.session_state[_CHANGED] = True
                st.rerun()

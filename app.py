"""Streamlit entry point: page setup, the demo banner and navigation, nothing else."""

import streamlit as st

from b1mg_maturity.i18n import _
from b1mg_maturity.ui import accessibility, language
from b1mg_maturity.ui.context import current_user, demo_data_present
from b1mg_maturity.ui.feedback import escape_markdown
from b1mg_maturity.ui.navigation import pages_for
from b1mg_maturity.ui.session_cookie import restore_sign_in

st.set_page_config(page_title=_(accessibility.APP_TITLE), page_icon="🧬", layout="wide")
restore_sign_in()
user = current_user()
language.settle(user)
page = st.navigation(pages_for(user), position="sidebar" if user else "hidden")
accessibility.apply(page.title, language.html_language())
if demo_data_present():
    st.info(
        _(
            "**Demo installation: every health system, round and rating here is synthetic demo data**, "
            "made up for trying the tool. None of it is any real country's result."
        ),
        icon=":material/science:",
    )
if user is not None:
    st.sidebar.caption(
        _("Signed in as **{name}** ({username})", name=escape_markdown(user.display_name), username=user.username)
    )
language.switch(user)
page.run()

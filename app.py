"""Streamlit entry point: page setup, the demo banner and navigation, nothing else."""

import streamlit as st

from b1mg_maturity.ui import accessibility
from b1mg_maturity.ui.context import current_user, demo_data_present
from b1mg_maturity.ui.feedback import escape_markdown
from b1mg_maturity.ui.navigation import pages_for
from b1mg_maturity.ui.session_cookie import restore_sign_in

st.set_page_config(page_title=accessibility.APP_TITLE, page_icon="🧬", layout="wide")
restore_sign_in()
user = current_user()
page = st.navigation(pages_for(user), position="sidebar" if user else "hidden")
accessibility.apply(page.title)
if demo_data_present():
    st.info(
        "**Demo installation: every health system, round and rating here is synthetic demo data**, "
        "made up for trying the tool. None of it is any real country's result.",
        icon=":material/science:",
    )
if user is not None:
    st.sidebar.caption(f"Signed in as **{escape_markdown(user.display_name)}** ({user.username})")
page.run()

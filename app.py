"""Streamlit entry point: page setup and navigation, nothing else."""

import streamlit as st

from b1mg_maturity.ui import quick_assessment

st.set_page_config(page_title="B1MG maturity self-assessment", page_icon="🧬", layout="wide")
page = st.navigation(
    [st.Page(quick_assessment.render, title="Quick assessment", icon=":material/checklist:", url_path="quick")]
)
page.run()

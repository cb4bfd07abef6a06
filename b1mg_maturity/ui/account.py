"""My account: the signed-in user's own details and password."""

from __future__ import annotations

import streamlit as st


def render() -> None:
    st.title("My account")

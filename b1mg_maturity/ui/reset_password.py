"""Set a new password with a one-time link an administrator issued."""

from __future__ import annotations

import streamlit as st


def render() -> None:
    st.title("Set a new password")

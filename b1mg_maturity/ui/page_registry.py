"""The pages of the current session's menu, so any page can link to another with the round in the address.

Kept in the session (not a module global): each user's menu differs, and one
server process serves many sessions at once.
"""

from __future__ import annotations

import streamlit as st

_KEY = "menu_pages"


def remember(pages: list[st.Page]) -> None:
    st.session_state[_KEY] = {page.url_path: page for page in pages}


def link(url_path: str, label: str, *, round_id: int | None = None, icon: str | None = None) -> None:
    """A link to a page the user may see (nothing when the page is not in their menu)."""
    page = st.session_state.get(_KEY, {}).get(url_path)
    if page is None:
        return
    st.page_link(page, label=label, icon=icon, query_params={"round": str(round_id)} if round_id else None)

"""Small widgets shared by several pages."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import streamlit as st

from b1mg_maturity.services import RoundView
from b1mg_maturity.ui.context import select_round, selected_round_id

STATUS_LABELS = {
    "draft": "Draft",
    "in_review": "In review (consensus)",
    "submitted": "Submitted",
    "published": "Published",
}


def round_label(round_: RoundView) -> str:
    return (
        f"{round_.health_system.name} ({round_.health_system.code}) · {round_.label} · "
        f"{STATUS_LABELS.get(round_.status, round_.status)}"
    )


def round_picker(
    rounds: Sequence[RoundView], *, key: str, keep: Callable[[RoundView], bool] = lambda _: True
) -> RoundView | None:
    """Choose a round; the choice lives in the address (``?round=ID``) so a link reopens it.

    A round id in the address that is not in ``rounds`` (someone else's round, or
    one that does not exist) is ignored: the page shows only what the services gave it.
    """
    choices = [r for r in rounds if keep(r)]
    wanted = selected_round_id()
    if wanted is not None and all(r.id != wanted for r in rounds):
        st.error(f"Round {wanted} does not exist, or you may not open it here.", icon=":material/lock:")
        if st.button("Show my rounds", key=f"{key}-reset"):
            del st.query_params["round"]
            st.rerun()
        return None
    if not choices:
        return None
    index = next((i for i, r in enumerate(choices) if r.id == wanted), 0)
    chosen = st.selectbox("Round", choices, index=index, format_func=round_label, key=key)
    if chosen is not None and chosen.id != wanted:
        select_round(chosen.id)
    return chosen

"""Which domain a page shows: chosen in the sidebar, kept in the address (``?domain=``), never changed by itself."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import streamlit as st

from b1mg_maturity.questionnaire import Questionnaire

ALL_DOMAINS = "all"
DOMAIN_PARAM = "domain"


def _remembered(page: str, round_id: int) -> str:
    return f"{page}-domain-of-{round_id}"


def domain_picker(page: str, round_id: int, options: Sequence[str], labels: Mapping[str, str], title: str) -> str:
    """A sidebar radio of domains; the choice is in the address and remembered for a return to the page.

    The radio has no key on purpose: its labels carry progress counts, so a new
    count makes a new radio, drawn at the domain the address names.  (A keyed
    radio would carry its own state, which Streamlit drops or resets.)
    """
    choices = [str(option) for option in options]
    wanted = st.query_params.get(DOMAIN_PARAM) or st.session_state.get(_remembered(page, round_id))
    current = str(wanted) if wanted in choices else choices[0]
    choice = st.sidebar.radio(title, choices, index=choices.index(current), format_func=lambda o: labels[o])
    chosen = str(choice) if choice in choices else current
    st.session_state[_remembered(page, round_id)] = chosen
    if st.query_params.get(DOMAIN_PARAM) != chosen:
        st.query_params[DOMAIN_PARAM] = chosen
    return chosen


def next_domain_button(page: str, questionnaire: Questionnaire, domain_id: str) -> None:
    """At the end of a domain: go on to the next one."""
    ids = [d.id for d in questionnaire.domains]
    if domain_id not in ids or ids.index(domain_id) + 1 >= len(ids):
        return
    following = questionnaire.domains[ids.index(domain_id) + 1]
    if st.button(f"Next domain: {following.title}", icon=":material/arrow_forward:", key=f"{page}-next-domain"):
        st.query_params[DOMAIN_PARAM] = following.id
        st.rerun()

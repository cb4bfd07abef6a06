"""Which domain a page shows: chosen in the sidebar, kept in the address (``?domain=``), never changed by itself.

The radio's option labels are the domain titles only, which never change;
progress goes into the captions.  (Streamlit keeps a radio's value as its
label text: a label carrying a count that changes after a rating no longer
matches, and the radio falls back to its first option, domain I.)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import streamlit as st

from b1mg_maturity.questionnaire import Questionnaire

ALL_DOMAINS = "all"
DOMAIN_PARAM = "domain"


def _remembered(page: str, round_id: int) -> str:
    return f"{page}-domain-of-{round_id}"


def _widget(page: str, round_id: int) -> str:
    return f"{page}-domain-{round_id}"


def _chosen(page: str, round_id: int) -> None:
    """Radio callback: the new choice goes into the address."""
    choice = st.session_state.get(_widget(page, round_id))
    if isinstance(choice, str):
        st.session_state[_remembered(page, round_id)] = choice
        st.query_params[DOMAIN_PARAM] = choice


def domain_picker(
    page: str,
    round_id: int,
    options: Sequence[str],
    titles: Mapping[str, str],
    progress: Mapping[str, str],
    title: str,
) -> str:
    """A sidebar radio of domains: the address names the domain, else the one last shown on this page."""
    choices = [str(option) for option in options]
    wanted = st.query_params.get(DOMAIN_PARAM) or st.session_state.get(_remembered(page, round_id))
    current = str(wanted) if wanted in choices else choices[0]
    key = _widget(page, round_id)
    if st.session_state.get(key) != current:
        st.session_state[key] = current
    st.session_state[_remembered(page, round_id)] = current
    if st.query_params.get(DOMAIN_PARAM) != current:
        st.query_params[DOMAIN_PARAM] = current
    st.sidebar.radio(
        title,
        choices,
        format_func=lambda o: titles[o],
        captions=[progress[o] for o in choices],
        key=key,
        on_change=_chosen,
        args=(page, round_id),
    )
    return current


def next_domain_button(page: str, questionnaire: Questionnaire, domain_id: str) -> None:
    """At the end of a domain: go on to the next one."""
    ids = [d.id for d in questionnaire.domains]
    if domain_id not in ids or ids.index(domain_id) + 1 >= len(ids):
        return
    following = questionnaire.domains[ids.index(domain_id) + 1]
    if st.button(f"Next domain: {following.title}", icon=":material/arrow_forward:", key=f"{page}-next-domain"):
        st.query_params[DOMAIN_PARAM] = following.id
        st.rerun()

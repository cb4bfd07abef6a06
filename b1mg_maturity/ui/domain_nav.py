"""Which domain a page shows: chosen in the sidebar, kept in the address (``?domain=``), never changed by itself.

The radio's option labels are the domain titles only, which never change;
progress goes into the captions.  (Streamlit keeps a radio's value as its
label text: a label carrying a count that changes after a rating no longer
matches, and the radio falls back to its first option, domain I.)
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import streamlit as st

from b1mg_maturity.i18n import _
from b1mg_maturity.questionnaire import Questionnaire

ALL_DOMAINS = "all"
DOMAIN_PARAM = "domain"


def _remembered(page: str, round_id: int) -> str:
    return f"{page}-domain-of-{round_id}"


def _addressed(page: str, round_id: int) -> str:
    """The domain this page last put into the address."""
    return f"{page}-domain-addressed-{round_id}"


def _widget(page: str, round_id: int) -> str:
    return f"{page}-domain-{round_id}"


_MOVED = "domain-nav::moved"
_moves = itertools.count(1)

# Run once after a domain change: bring the new domain's heading into view, and after "Next domain" give it
# the keyboard focus too (not after the sidebar radio: arrow keys there must stay in the radio).  A constant
# script; the number only makes each one new, so that it runs.
_SHOW_HEADING = """<script>
setTimeout(() => {
  const heading = document.querySelector('[data-testid="stMain"] h2');
  if (!heading) { return; }
  heading.scrollIntoView();
  if (FOCUS) { heading.setAttribute('tabindex', '-1'); heading.focus(); }
}, 150); // move NUMBER
</script>"""


def focus_heading_after_a_move() -> None:
    """At the end of a page: after a domain change, the new domain's heading is in view and focused."""
    moved = st.session_state.pop(_MOVED, None)
    if moved is not None:
        script = _SHOW_HEADING.replace("FOCUS", "true" if moved == "focus" else "false")
        st.html(script.replace("NUMBER", str(next(_moves))), unsafe_allow_javascript=True)


def domain_picker(
    page: str,
    round_id: int,
    options: Sequence[str],
    titles: Mapping[str, str],
    progress: Mapping[str, str],
    title: str,
) -> str:
    """A sidebar radio of domains: an address changed from outside, else the person's last choice, else the
    address, else the last one shown here.

    No callback: Streamlit may stop a callback half-way when the person clicks
    again, so the radio's own value is read here, in the run, and copied to the
    address.
    """
    choices = [str(option) for option in options]
    key = _widget(page, round_id)
    clicked = st.session_state.get(key)
    before = st.session_state.get(_remembered(page, round_id))
    address = st.query_params.get(DOMAIN_PARAM)
    if address in choices and address != st.session_state.get(_addressed(page, round_id)):
        current = str(address)  # the address changed from outside (Back, an edited or shared link)
    elif clicked in choices:
        current = str(clicked)
    else:
        wanted = address or before
        current = str(wanted) if wanted in choices else choices[0]
    if clicked != current:
        st.session_state[key] = current
    st.session_state[_addressed(page, round_id)] = current
    if before is not None and before != current:
        st.session_state.setdefault(_MOVED, "scroll")
    st.session_state[_remembered(page, round_id)] = current
    if st.query_params.get(DOMAIN_PARAM) != current:
        st.query_params[DOMAIN_PARAM] = current
    st.sidebar.radio(title, choices, format_func=lambda o: titles[o], captions=[progress[o] for o in choices], key=key)
    return current


def _go_to(page: str, round_id: int, domain_id: str) -> None:
    st.session_state[_MOVED] = "focus"
    st.session_state[_widget(page, round_id)] = domain_id


def next_domain_button(page: str, round_id: int, questionnaire: Questionnaire, domain_id: str) -> None:
    """At the end of a domain: go on to the next one."""
    ids = [d.id for d in questionnaire.domains]
    if domain_id not in ids or ids.index(domain_id) + 1 >= len(ids):
        return
    following = questionnaire.domains[ids.index(domain_id) + 1]
    st.button(
        _("Next domain: {domain}", domain=following.title),
        icon=":material/arrow_forward:",
        key=f"{page}-next-domain",
        on_click=_go_to,
        args=(page, round_id, following.id),
    )

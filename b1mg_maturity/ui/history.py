"""The audit log in words: who changed what and when, filtered by round, user and indicator, as CSV too.

One widget for two places: the Administration page's "Audit log" tab (an
administrator reads everything) and the "Round history" page of a coordinator
(the health systems they coordinate).  The service decides what each may read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import streamlit as st

from b1mg_maturity import i18n
from b1mg_maturity.audit_text import AuditLine, csv_text
from b1mg_maturity.i18n import N_, _, _n
from b1mg_maturity.ui.context import app_services, current_user
from b1mg_maturity.ui.feedback import attempt

LIMITS = (100, 500, 2000)
ALL = "all"  # not None: a selectbox offers to clear a None choice


def render() -> None:
    user = current_user()
    if user is None:
        return
    st.title(_("Round history"))
    st.caption(
        _(
            "Every change in the rounds of the health systems you coordinate: who did what, and when. "
            "Nothing in it can be changed or deleted."
        )
    )
    audit_log(user.id, key="history")


def audit_log(actor_id: int, *, key: str) -> None:
    """Filters, the table of entries (newest first) and the CSV of exactly those entries.

    The filters' choices come with the entries (one use case), so the query runs
    first, with the choices the filter widgets hold from the last run.
    """
    services = app_services()
    state = st.session_state
    chosen_round, chosen_user = state.get(f"{key}-round", ALL), state.get(f"{key}-user", ALL)
    chosen_indicator, limit = state.get(f"{key}-indicator", ALL), state.get(f"{key}-limit", LIMITS[0])
    trail = attempt(
        lambda: services.audit_trail(
            actor_id,
            round_id=chosen_round if isinstance(chosen_round, int) else None,
            username=None if chosen_user == ALL else str(chosen_user),
            indicator_id=None if chosen_indicator == ALL else str(chosen_indicator),
            limit=int(limit),
        )
    )
    if trail is None:
        return
    rounds, indicators = dict(trail.rounds), dict(trail.indicators)
    round_col, user_col, indicator_col, limit_col = st.columns([3, 2, 3, 1.4])
    round_col.selectbox(
        _("Round"),
        _kept(f"{key}-round", [ALL, *rounds]),
        format_func=lambda r: _("All rounds") if r == ALL else rounds.get(r, str(r)),
        key=f"{key}-round",
    )
    user_col.selectbox(
        _("User"),
        _kept(f"{key}-user", [ALL, *trail.people]),
        format_func=lambda name: _("All users") if name == ALL else str(name),
        key=f"{key}-user",
        help=_("'operator' is the command line; 'system' is the app itself (first set-up, sign-in pauses)."),
    )
    indicator_col.selectbox(
        _("Indicator"),
        _kept(f"{key}-indicator", [ALL, *indicators]),
        format_func=lambda i: _("All indicators") if i == ALL else indicators.get(i, str(i)),
        key=f"{key}-indicator",
    )
    limit_col.selectbox(
        _("Show"),
        _kept(f"{key}-limit", list(LIMITS)),
        key=f"{key}-limit",
        format_func=lambda n: _("last {count}", count=i18n.integer(n)),
    )
    shown = len(trail.lines)
    st.caption(_entries_caption(shown, more=trail.more))
    st.dataframe(
        _table(trail.lines),
        hide_index=True,
        height=min(560, 38 + 35 * max(shown, 1)),
        column_config={
            _(ACTION): st.column_config.TextColumn(width="medium"),
            _(CHANGE): st.column_config.TextColumn(width="large"),
            _(INDICATOR): st.column_config.TextColumn(width="medium"),
        },
    )
    st.download_button(
        _("Download these entries (CSV)"),
        csv_text(trail.lines).encode("utf-8-sig"),  # with a BOM, so spreadsheets read the accents right
        file_name="audit-log.csv",
        mime="text/csv",
        icon=":material/download:",
        key=f"{key}-csv",
        disabled=not trail.lines,
        on_click="ignore",  # no rerun: the keyboard focus stays on the button
    )


def _entries_caption(shown: int, *, more: bool) -> str:
    """How many entries the table shows, and whether older ones are left out."""
    if more:
        return _n(
            "{n} entry, newest first. Only the newest {n} is shown: narrow the filters to reach older ones.",
            "{n} entries, newest first. Only the newest {n} are shown: narrow the filters to reach older ones.",
            shown,
        )
    return _n("{n} entry, newest first.", "{n} entries, newest first.", shown)


def _kept(key: str, options: list[Any]) -> list[Any]:
    """``options``; a choice left from an earlier run that is no longer among them is forgotten."""
    if key in st.session_state and st.session_state[key] not in options:
        del st.session_state[key]
    return options


ACTION, CHANGE, INDICATOR = N_("Action"), N_("Change"), N_("Indicator")
TABLE_COLUMNS = [N_("When (UTC)"), N_("Who"), ACTION, CHANGE, INDICATOR, N_("Round"), N_("Health system")]


def _table(lines: Sequence[AuditLine]) -> pd.DataFrame:
    """The change next to the action (and whom it concerns), so that a narrow screen shows it without scrolling far."""
    return pd.DataFrame(
        [
            (
                line.at.strftime("%Y-%m-%d %H:%M"),
                line.who,
                f"{line.action} · {line.about}" if line.about else line.action,
                line.change,
                line.indicator,
                line.round,
                line.health_system,
            )
            for line in lines
        ],
        columns=[_(column) for column in TABLE_COLUMNS],
    )

"""The action plan's timeline: a Gantt-style bar per action from its start to its due date, for the Plan page.

No streamlit here.  One row per action (the plan's order: grouped by pillar,
then by start), coloured by pillar or by status, with the status written on
the bar and an overdue action hatched and said "overdue" in words, so that
nothing is told by colour alone.  A dotted line marks today.  The figure's
text alternative (``layout.meta["description"]``, read with
:func:`~b1mg_maturity.charts.style.describe`) lists every action with its dates.
An action needs both dates to be drawn: :func:`undated` gives the others, which
the page lists under the chart.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

import plotly.graph_objects as go

from b1mg_maturity import i18n
from b1mg_maturity.charts.style import (
    GRID_COLOUR,
    MUTED_TEXT,
    OUTLINE_COLOUR,
    SYSTEM_COLOURS,
    base_layout,
    label_margin,
    legend_below,
    text_colour_on,
    wrap,
)
from b1mg_maturity.domain import ActionStatus
from b1mg_maturity.i18n import _, _n
from b1mg_maturity.planning import PlanAction, pillar_of
from b1mg_maturity.questionnaire import Questionnaire

ROW_HEIGHT = 34  # pixels per action
LABEL_WIDTH = 24  # characters a line of an action's title on the axis (a phone leaves little room)
DAY_MS = 24 * 60 * 60 * 1000

# Status colours (Okabe-Ito, each at least 3:1 on white): open work in blues and ochre, done green, dropped grey.
STATUS_COLOURS = {
    ActionStatus.PROPOSED: "#997700",
    ActionStatus.PLANNED: "#0072B2",
    ActionStatus.IN_PROGRESS: "#332288",
    ActionStatus.DONE: "#009E73",
    ActionStatus.DROPPED: "#808080",
}
OVERDUE_PATTERN = "/"


class ColourBy(StrEnum):
    PILLAR = "pillar"
    STATUS = "status"


def dated(actions: Sequence[PlanAction]) -> tuple[PlanAction, ...]:
    """The actions the timeline draws: those with both a start and a due date."""
    return tuple(a for a in actions if a.start is not None and a.due is not None)


def undated(actions: Sequence[PlanAction]) -> tuple[PlanAction, ...]:
    """The actions left off the timeline: a start or a due date (or both) is missing."""
    return tuple(a for a in actions if a.start is None or a.due is None)


def missing_dates(action: PlanAction) -> str:
    """Why an action is not on the timeline, in words."""
    if action.start is None and action.due is None:
        return _("no dates")
    if action.start is None:
        return _("no start date")
    return _("no due date")


def _pillar_name(action: PlanAction, questionnaire: Questionnaire) -> str:
    pillar = pillar_of(action, questionnaire)
    return questionnaire.pillar(pillar).name if pillar is not None else _("No known indicator")


def _chart_text(text: str) -> str:
    """A person's text as plotly shows it: its own tags (``<a href>``, ``<b>``) written out, never applied."""
    return html.escape(text, quote=False)


def _day(value: dt.date | None) -> str:
    return i18n.date(value, "medium") if value is not None else ""


def _state_text(action: PlanAction, today: dt.date) -> str:
    """The status in words, and "overdue" when it is."""
    if action.is_overdue(today):
        return _("{status} · overdue", status=action.status.label)
    return action.status.label


def plan_timeline(
    actions: Sequence[PlanAction],
    questionnaire: Questionnaire,
    *,
    today: dt.date,
    colour_by: ColourBy = ColourBy.PILLAR,
) -> go.Figure:
    """A bar per dated action (start to due), grouped by pillar, coloured by ``colour_by``; today marked."""
    shown = dated(actions)
    pillar_order: dict[str, int] = {str(p.id): index for index, p in enumerate(questionnaire.pillars)}

    def pillar_index(action: PlanAction) -> int:
        pillar = pillar_of(action, questionnaire)
        return pillar_order.get(pillar, len(pillar_order)) if pillar is not None else len(pillar_order)

    rows = sorted(shown, key=lambda a: (pillar_index(a), a.start or today, a.id))
    ids = [str(a.id) for a in rows]
    labels = [wrap(_chart_text(a.title), LABEL_WIDTH) for a in rows]
    fig = go.Figure()
    groups: dict[str, list[PlanAction]] = {}
    colours: dict[str, str] = {}
    for action in rows:
        if colour_by == ColourBy.STATUS:
            name, colour = action.status.label, STATUS_COLOURS[action.status]
        else:
            name = _pillar_name(action, questionnaire)
            colour = SYSTEM_COLOURS[pillar_index(action) % len(SYSTEM_COLOURS)]
        groups.setdefault(name, []).append(action)
        colours[name] = colour
    for name, members in groups.items():
        fig.add_trace(
            go.Bar(
                name=name,
                orientation="h",
                y=[str(a.id) for a in members],
                base=[a.start.isoformat() for a in members if a.start],
                # a bar runs to the end of its due day: one that starts and ends on a day is a day long
                x=[((a.due - a.start).days + 1) * DAY_MS for a in members if a.start and a.due],
                marker={
                    "color": colours[name],
                    "line": {"color": OUTLINE_COLOUR, "width": 1},
                    "pattern": {
                        "shape": [OVERDUE_PATTERN if a.is_overdue(today) else "" for a in members],
                        "fgcolor": text_colour_on(colours[name]),
                        "fillmode": "overlay",
                        "size": 10,
                        "solidity": 0.15,
                    },
                },
                text=[_state_text(a, today) for a in members],
                textposition="inside",
                insidetextanchor="start",
                textangle=0,  # a short bar hides its state (uniformtext) rather than turning it on its side
                textfont={"color": text_colour_on(colours[name])},
                showlegend=True,
                customdata=[
                    [
                        _chart_text(a.title),
                        _day(a.start),
                        _day(a.due),
                        _state_text(a, today),
                        _chart_text(a.owner) or "—",
                    ]
                    for a in members
                ],
                hovertemplate=(
                    "<b>%{customdata[0]}</b><br>%{customdata[1]} – %{customdata[2]}<br>%{customdata[3]}<br>"
                    + _("Owner: {owner}", owner="%{customdata[4]}")
                    + "<extra></extra>"
                ),
            )
        )
    # a row as tall as its title's lines need (a title wrapped on three lines would run into its neighbours)
    lines = max((label.count("<br>") + 1 for label in labels), default=1)
    row_height = max(ROW_HEIGHT, 17 * lines + 10)
    height = 110 + row_height * max(len(rows), 1) + 24 * max(1, (len(groups) + 2) // 3)
    layout: dict[str, Any] = {
        "height": height,
        "barmode": "overlay",
        "bargap": 0.25,
        "margin": {"l": min(label_margin(labels), 200), "r": 20, "t": 30, "b": 40 + 24 * ((len(groups) + 2) // 3)},
        "xaxis": {"type": "date", "gridcolor": GRID_COLOUR, "showgrid": True, "automargin": True, "nticks": 6},
        "yaxis": {
            "type": "category",
            "categoryorder": "array",
            "categoryarray": ids,
            "tickvals": ids,
            "ticktext": labels,
            "autorange": "reversed",
            "title": {"text": ""},
        },
        "legend": legend_below(list(groups))
        | {"title": {"text": _("Pillar") if colour_by == ColourBy.PILLAR else _("Status")}},
        "uniformtext": {"minsize": 9, "mode": "hide"},
    }
    fig.update_layout(**base_layout(describe_plan(actions, questionnaire, today=today), **layout))
    if rows:
        fig.add_vline(x=today.isoformat(), line={"color": MUTED_TEXT, "width": 1.5, "dash": "dot"})
        fig.add_annotation(
            x=today.isoformat(),
            y=1,
            yref="paper",
            yanchor="bottom",
            text=_("today"),
            showarrow=False,
            font={"color": MUTED_TEXT},
        )
    return fig


def describe_plan(actions: Sequence[PlanAction], questionnaire: Questionnaire, *, today: dt.date) -> str:
    """The timeline as text: how many actions it draws, then each with its pillar, status, dates and owner."""
    shown = dated(actions)
    if not shown:
        return _("Timeline of the plan: no action has both a start and a due date yet.")
    parts = [
        _n(
            "Timeline of the plan: {n} action with a start and a due date.",
            "Timeline of the plan: {n} actions with a start and a due date.",
            len(shown),
        )
    ]
    for action in shown:
        assert action.start is not None and action.due is not None
        parts.append(
            _(
                "{title} ({pillar}): {state}, from {start} to {due}.",
                title=action.title,
                pillar=_pillar_name(action, questionnaire),
                state=_state_text(action, today),
                start=i18n.date(action.start, "medium"),
                due=i18n.date(action.due, "medium"),
            )
        )
    left = undated(actions)
    if left:
        parts.append(
            _n(
                "{n} action is not on the timeline: it lacks a date.",
                "{n} actions are not on the timeline: they lack a date.",
                len(left),
            )
        )
    return " ".join(parts)


__all__ = ["ColourBy", "dated", "describe_plan", "missing_dates", "plan_timeline", "undated"]

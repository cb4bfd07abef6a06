"""Plotly figures of spreads and counts on the Compare and overview pages: the distribution per item,
trends across rounds, and health systems per level.  Drawn from the typed tables of
:mod:`b1mg_maturity.comparison` (columns by stable id; a row is a statistic when the table says so).
The scale is the questionnaire's levels.  No streamlit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from b1mg_maturity import i18n
from b1mg_maturity.charts.style import (
    BENCHMARK_COLOUR,
    DARK_TEXT,
    FONT_SIZE,
    GRID_COLOUR,
    HIGHLIGHT_COLOUR,
    LEVEL_COLOURS,
    OUTLINE_COLOUR,
    POINT_COLOUR,
    axis_label,
    base_layout,
    bottom_margin,
    fmt,
    label_margin,
    legend_below,
    legend_names,
    level_name,
    number,
    system_style,
    value_axis,
)
from b1mg_maturity.comparison.overview import ROUND, level_column
from b1mg_maturity.comparison.tables import FOCUS, ITEM, SYSTEM, Table
from b1mg_maturity.i18n import _

# --- distribution -------------------------------------------------------------------------------


def distribution(table: Table, points: Table | None = None, *, scale: Sequence[int]) -> go.Figure:
    """Per item (row): a box from the lowest to the highest score with the quartiles, the median (bar)
    and the highest (triangle) marked, every health system's score as a grey dot when ``points`` are
    given (analysts only), and the focus health system (column ``focus``) highlighted."""
    data = table.data
    items = [str(v) for v in data[ITEM]]
    y = [axis_label(i, 40).replace("<br>", " ", 1) for i in items]
    fig = go.Figure()
    shown = data["median"].notna()
    shown_y = [y[i] for i in range(len(items)) if shown.iloc[i]]
    median_word, highest_word = _("Median"), _("Highest")
    if shown.any():
        fig.add_trace(
            go.Box(
                name=_("Spread (lowest, quartiles, highest)"),
                y=shown_y,
                q1=data.loc[shown, "q1"].tolist(),
                median=data.loc[shown, "median"].tolist(),
                q3=data.loc[shown, "q3"].tolist(),
                lowerfence=data.loc[shown, "lowest"].tolist(),
                upperfence=data.loc[shown, "highest"].tolist(),
                orientation="h",
                fillcolor="rgba(65,182,196,0.25)",
                line={"color": "#41718f", "width": 1.5},
                boxpoints=False,
                hoverinfo="skip",
                width=0.5,
            )
        )
        fig.add_trace(
            go.Scatter(
                name=median_word,
                x=data.loc[shown, "median"].tolist(),
                y=shown_y,
                mode="markers",
                marker={"symbol": "line-ns", "size": 22, "line": {"width": 4, "color": DARK_TEXT}},
                hovertemplate="%{y}<br>" + median_word + " %{x:.2f}<extra></extra>",
            )
        )
        fig.add_trace(
            go.Scatter(
                name=highest_word,
                x=data.loc[shown, "highest"].tolist(),
                y=shown_y,
                mode="markers",
                marker={"symbol": "triangle-left", "size": 12, "color": DARK_TEXT},
                hovertemplate="%{y}<br>" + highest_word + " %{x:.2f}<extra></extra>",
            )
        )
    if points is not None and not points.empty:
        label_of = dict(zip(items, y, strict=True))
        fig.add_trace(
            go.Box(
                name=_("Each health system"),
                x=points.values("score"),
                y=[label_of.get(str(i), str(i)) for i in points.values(ITEM)],
                orientation="h",
                boxpoints="all",
                jitter=0.6,
                pointpos=0,
                fillcolor="rgba(0,0,0,0)",
                line={"color": "rgba(0,0,0,0)"},
                marker={"color": POINT_COLOUR, "size": 6, "opacity": 0.8},
                customdata=points.values(SYSTEM),
                hovertemplate="%{customdata}<br>%{x:.2f}<extra></extra>",
                hoveron="points",
            )
        )
    focus = table.column(FOCUS).label if table.has(FOCUS) else None
    if focus is not None:
        fig.add_trace(
            go.Scatter(
                name=focus,
                x=table.values(FOCUS),
                y=y,
                mode="markers",
                marker={
                    "symbol": "diamond",
                    "size": 15,
                    "color": HIGHLIGHT_COLOUR,
                    "line": {"color": DARK_TEXT, "width": 1},
                },
                hovertemplate="%{y}<br>" + focus + " %{x:.2f}<extra></extra>",
            )
        )
    parts = [_item_text(item, record, focus) for item, record in zip(items, data.to_dict("records"), strict=True)]
    fig.update_layout(
        **base_layout(
            _("Distribution of scores per item. {items}.", items="; ".join(parts)),
            height=max(360, 58 * len(items) + 170),
            margin={"l": min(label_margin(y), 360), "r": 30, "t": 20, "b": bottom_margin(fig, 70)},
            showlegend=True,
            boxmode="overlay",
            legend=legend_below(legend_names(fig)),
        ),
        xaxis=value_axis(scale, 0.15) | {"title": {"text": _("Score (maturity level)")}, "zeroline": False},
        yaxis={
            "autorange": "reversed",
            "automargin": True,
            "categoryorder": "array",
            "categoryarray": y,
            "ticksuffix": "  ",
        },
    )
    return fig


def _item_text(item: str, record: Mapping[Any, Any], focus: str | None) -> str:
    """One item in the distribution's text alternative: its statistics, and the focus health system's score."""
    if number(record["median"]) is None:
        text = _("{item}: statistics withheld", item=item)
    else:
        text = _(
            "{item}: median {median}, quartiles {q1}-{q3}, lowest {lowest}, highest {highest}",
            item=item,
            median=fmt(record["median"]),
            q1=fmt(record["q1"]),
            q3=fmt(record["q3"]),
            lowest=fmt(record["lowest"]),
            highest=fmt(record["highest"]),
        )
    if focus is None:
        return text
    return _("{statistics}, {name} {score}", statistics=text, name=focus, score=fmt(record[FOCUS]))


# --- trends -------------------------------------------------------------------------------------


def trend_lines(table: Table, *, item_label: str, scale: Sequence[int], systems: Sequence[str] = ()) -> go.Figure:
    """One line per health system across its rounds (x: round, ordered by date), the median dotted.

    ``systems`` fixes the order (and so the colour, dash and marker) of the health systems, as in
    the other views; by default they come in table order.  A round whose questionnaire version
    differs from the round before it gets an open marker.
    """
    fig = go.Figure()
    data = table.data
    order = data.groupby("round", sort=False)["date"].min().sort_values().index.tolist() if not data.empty else []
    aggregate = pd.Series(table.is_aggregate, index=data.index, dtype=bool)
    median = data.loc[aggregate]
    own = data.loc[~aggregate]
    present = list(dict.fromkeys(own[SYSTEM]))
    systems = [s for s in systems if s in present] + [s for s in present if s not in systems]
    median_word = _("Median")
    if not median.empty:
        fig.add_trace(
            go.Scatter(
                name=median_word,
                x=median["round"].tolist(),
                y=median["score"].tolist(),
                mode="lines+markers",
                line={"color": BENCHMARK_COLOUR, "dash": "dot", "width": 2},
                marker={"symbol": "square-open", "size": 8},
                customdata=median["systems"].astype("object").tolist(),
                # plotly fills %{...} as it draws: the message is given no fields, so its braces stay
                hovertemplate="%{x}<br>" + _("Median %{y:.2f} of %{customdata} health systems") + "<extra></extra>",
            )
        )
    for index, system in enumerate(systems):
        look = system_style(index)
        rows = own.loc[own[SYSTEM] == system]
        differ = rows["versions_differ"].astype(bool).tolist()
        fig.add_trace(
            go.Scatter(
                name=system,
                x=rows["round"].tolist(),
                y=rows["score"].tolist(),
                mode="lines+markers",
                line={"color": look["colour"], "dash": look["dash"], "width": 2.5},
                marker={
                    "symbol": [look["symbol"] + ("-open" if d else "") for d in differ],
                    "size": 10,
                    "color": look["colour"],
                },
                customdata=[
                    ("" if pd.isna(c) else "<br>" + _("Change {change}", change=i18n.signed(c, 2)))
                    + ("<br>" + _("other questionnaire version") if d else "")
                    for c, d in zip(rows["change"], differ, strict=True)
                ],
                hovertemplate="%{x}<br>" + system + " %{y:.2f}%{customdata}<extra></extra>",
            )
        )
    lines = [(system, own.loc[own[SYSTEM] == system]) for system in systems]
    if not median.empty:
        lines.append((median_word, median))
    parts = [
        _(
            "{name}: {values}",
            name=name,
            values=", ".join(f"{r} {fmt(s)}" for r, s in zip(rows["round"], rows["score"], strict=True)),
        )
        for name, rows in lines
    ]
    fig.update_layout(
        **base_layout(
            _("Trend of {item} across rounds. {lines}.", item=item_label, lines="; ".join(parts)),
            height=460,
            margin={"l": 70, "r": 30, "t": 30, "b": bottom_margin(fig, 70)},
            showlegend=True,
            legend=legend_below(legend_names(fig)),
        ),
        xaxis={"type": "category", "categoryorder": "array", "categoryarray": order, "title": {"text": _("Round")}},
        yaxis=value_axis(scale, 0.1) | {"title": {"text": item_label}},
    )
    return fig


# --- overview -----------------------------------------------------------------------------------


def band_distribution(table: pd.DataFrame, *, level_labels: Mapping[int, str]) -> go.Figure:
    """Stacked bars: per round, how many health systems reached each overall maturity level."""
    fig = go.Figure()
    rounds = [str(r) for r in table[ROUND]]
    levels = [level for level in sorted(level_labels) if level_column(level) in table.columns]
    for level in levels:
        counts = [number(v) for v in table[level_column(level)]]
        fig.add_trace(
            go.Bar(
                name=level_name(level, level_labels[level]),
                x=rounds,
                y=counts,
                marker={"color": LEVEL_COLOURS[level], "line": {"color": OUTLINE_COLOUR, "width": 1}},
                text=[("" if c is None or c == 0 else i18n.integer(round(c))) for c in counts],
                textposition="inside",
                insidetextanchor="middle",
                textangle=0,
                # plotly fills %{y} as it draws
                hovertemplate="%{x}<br>"
                + _("Level {level}: {count} health systems", level=level, count="%{y}")
                + "<extra></extra>",
            )
        )
    parts = []
    for record in table.to_dict("records"):
        listed = ", ".join(
            _("level {level} {count}", level=level, count=int(v))
            for level in levels
            if (v := number(record.get(level_column(level)))) is not None
        )
        parts.append(_("{name}: {values}", name=record[ROUND], values=listed or _("withheld")))
    fig.update_layout(
        **base_layout(
            _("Health systems per overall maturity level and round. {rounds}.", rounds="; ".join(parts)),
            height=440,
            margin={"l": 70, "r": 30, "t": 30, "b": bottom_margin(fig, 70)},
            barmode="stack",
            showlegend=True,
            legend=legend_below(legend_names(fig)) | {"traceorder": "normal"},
        ),
        xaxis={"type": "category", "title": {"text": _("Round")}},
        yaxis={
            "title": {"text": _("Health systems")},
            "gridcolor": GRID_COLOUR,
            "rangemode": "tozero",
            "tickformat": "d",
        },
        # a count that does not fit its segment is left out rather than turned sideways (the table has it)
        uniformtext={"minsize": FONT_SIZE - 2, "mode": "hide"},
    )
    return fig

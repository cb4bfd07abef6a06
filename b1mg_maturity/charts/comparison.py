"""Plotly figures of the Compare page (radar overlay, heatmaps), drawn from the typed tables of :mod:`b1mg_maturity.comparison`.

Pure: each builder takes a table (exactly the one the page shows and offers for
download) and returns a figure; no streamlit.  Columns are looked up by their
stable ids, and a row (or the radar's column) is a statistic when the table says
so (``is_aggregate``), never because of its text.  The scale is the
questionnaire's levels (``level_labels`` / ``scale``).  Colours, fonts and the
styles of overlaid health systems: :mod:`.style`; distributions, trends and the
overview's levels: :mod:`.distributions`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go

from b1mg_maturity import i18n
from b1mg_maturity.charts.style import (
    BENCHMARK_COLOUR,
    DARK_TEXT,
    FONT_SIZE,
    LEVEL_COLOURS,
    NOT_ANSWERED_COLOUR,
    NOT_APPLICABLE_COLOUR,
    OUTLINE_COLOUR,
    axis_label,
    band,
    base_layout,
    bottom_margin,
    closed,
    fmt,
    legend_below,
    legend_names,
    level_name,
    number,
    polar_layout,
    radar_line,
    system_style,
    wrap,
)
from b1mg_maturity.comparison.tables import DOMAIN, SYSTEM, Table
from b1mg_maturity.i18n import _, _n


def not_applicable_code(scale: Sequence[int]) -> int:
    """The indicator heatmap's code for "not applicable", just above the scale."""
    return scale[-1] + 1


def unanswered_code(scale: Sequence[int]) -> int:
    """The indicator heatmap's code for "not answered", above "not applicable"."""
    return scale[-1] + 2


def _levels(level_labels: Mapping[int, str]) -> list[int]:
    """The scale: the questionnaire's levels, lowest first."""
    return sorted(level_labels)


def _discrete_scale(colours: Sequence[str]) -> list[list[Any]]:
    """A plotly colour scale with one flat step per colour (z = 1 .. len(colours))."""
    scale: list[list[Any]] = []
    steps = len(colours)
    for index, colour in enumerate(colours):
        scale.append([index / steps, colour])
        scale.append([(index + 1) / steps, colour])
    return scale


def _rule_above_aggregates(fig: go.Figure, aggregate: Sequence[bool]) -> None:
    """A line across a heatmap between the health systems and the aggregate rows (median…) below them."""
    count = sum(aggregate)
    if count and count < len(aggregate):
        boundary = len(aggregate) - count - 0.5
        fig.add_shape(
            type="line",
            xref="paper",
            x0=0,
            x1=1,
            yref="y",
            y0=boundary,
            y1=boundary,
            line={"color": DARK_TEXT, "width": 2},
        )


# --- radar overlay ------------------------------------------------------------------------------


def radar_overlay(table: Table, *, scale: Sequence[int]) -> go.Figure:
    """Radar of the domain scores of up to six health systems (one column each) and the median (dotted)."""
    domains = [str(d) for d in table.values(DOMAIN)]
    theta = closed([axis_label(d) for d in domains])
    fig = go.Figure()
    statistics = [c for c in table.columns if c.aggregate]
    systems = [c for c in table.columns if c.id != DOMAIN and not c.aggregate]
    for column in statistics:
        fig.add_trace(
            radar_line(
                column.label,
                [number(v) for v in table.values(column.id)],
                theta,
                domains,
                line={"color": BENCHMARK_COLOUR, "dash": "dot", "width": 2},
                marker={"size": 6, "symbol": "square-open"},
                hover_label=column.label,
            )
        )
    for index, column in enumerate(systems):
        look = system_style(index)
        fig.add_trace(
            radar_line(
                column.label,
                [number(v) for v in table.values(column.id)],
                theta,
                domains,
                line={"color": look["colour"], "dash": look["dash"], "width": 2.5},
                marker={"size": 7, "symbol": look["symbol"], "color": look["colour"]},
                hover_label=column.label,
            )
        )
    parts = []
    for column in [*systems, *statistics]:
        listed = "; ".join(f"{d} {fmt(v)}" for d, v in zip(domains, table.values(column.id), strict=True))
        parts.append(_("{name}: {values}", name=column.label, values=listed))
    chart = _n(
        "Radar chart of the domain scores (scale {low} to {high}) of {n} health system",
        "Radar chart of the domain scores (scale {low} to {high}) of {n} health systems",
        len(systems),
        low=scale[0],
        high=scale[-1],
    )
    for statistic in statistics:
        chart = _("{chart} and the {statistic}", chart=chart, statistic=statistic.label.lower())
    description = _("{chart}. {values}.", chart=chart, values=". ".join(parts))
    fig.update_layout(
        **base_layout(
            description,
            height=680,
            margin={"l": 110, "r": 110, "t": 70, "b": bottom_margin(fig, 95)},
            showlegend=True,
            legend=legend_below(legend_names(fig)),
        ),
        polar=polar_layout(scale, len(domains)),
    )
    return fig


# --- heatmaps -----------------------------------------------------------------------------------


def _row_axis(rows: Sequence[str], highlight: Sequence[str]) -> dict[str, Any]:
    """Rows top to bottom in table order; highlighted rows in bold."""
    marked = set(highlight)
    return {
        "autorange": "reversed",
        "showgrid": False,
        "fixedrange": True,
        "tickmode": "array",
        "tickvals": list(rows),
        "ticktext": [f"<b>{r}</b>" if r in marked else r for r in rows],
        "ticksuffix": "  ",
        "tickfont": {"color": DARK_TEXT},
    }


def _level_legend(fig: go.Figure, labels: Mapping[int, str], extra: Sequence[tuple[str, str]] = ()) -> None:
    """Legend entries naming each level's colour (the heatmap's colour bar would suggest a continuum)."""
    entries = [(level_name(level, labels[level]), LEVEL_COLOURS[level]) for level in _levels(labels)]
    for name, colour in [*entries, *extra]:
        fig.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="markers",
                name=name,
                marker={"symbol": "square", "size": 14, "color": colour, "line": {"color": OUTLINE_COLOUR, "width": 1}},
                hoverinfo="skip",
            )
        )


def _finish_heatmap(
    fig: go.Figure,
    table: Table,
    summary: str,
    columns: Sequence[str],
    text: Sequence[Sequence[str]],
    highlight: Sequence[str],
    *,
    height: int,
    top: int,
    xaxis: Mapping[str, Any],
) -> None:
    """What both heatmaps share: the line above the aggregate rows, the text alternative cell by cell,
    room for the row labels, columns on top, rows in table order (``highlight`` in bold)."""
    rows = [str(v) for v in table.values(SYSTEM)]
    _rule_above_aggregates(fig, table.is_aggregate)
    cells = (
        _(
            "{name}: {values}",
            name=row,
            values=", ".join(f"{column} {value}" for column, value in zip(columns, text[i], strict=True)),
        )
        for i, row in enumerate(rows)
    )
    left = min(max((len(r) for r in rows), default=10) * 7 + 20, 320)
    fig.update_layout(
        **base_layout(
            _("{chart}: {values}.", chart=summary, values="; ".join(cells)),
            height=height,
            margin={"l": left, "r": 20, "t": top, "b": bottom_margin(fig, 20)},
            showlegend=True,
            legend=legend_below(legend_names(fig)) | {"itemclick": False},
        ),
        xaxis={"side": "top", "showgrid": False, "fixedrange": True, **xaxis},
        yaxis=_row_axis(rows, highlight),
    )


def score_heatmap(table: Table, *, level_labels: Mapping[int, str], highlight: Sequence[str] = ()) -> go.Figure:
    """Health system x item heatmap: each cell coloured by its maturity band and labelled with its score.

    Aggregate rows (median, highest) are set apart by a line; the ``highlight``
    rows' names are bold.  An empty cell (no score) says "–".
    """
    scale = _levels(level_labels)
    rows = [str(v) for v in table.values(SYSTEM)]
    columns = [c for c in table.columns if c.id != SYSTEM]
    scores = [[number(v) for v in table.values(c.id)] for c in columns]  # column-major
    z = [[band(scores[j][i], scale) for j in range(len(columns))] for i in range(len(rows))]
    text = [
        ["–" if (value := scores[j][i]) is None else i18n.number(value, 1) for j in range(len(columns))]
        for i in range(len(rows))
    ]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[axis_label(c.label, 11) for c in columns],
            y=rows,
            text=text,
            texttemplate="%{text}",
            textfont={"size": FONT_SIZE - 1},
            customdata=[[c.label for c in columns] for _row in rows],
            hovertemplate="%{y}<br>%{customdata}<br>" + _("Score") + " %{text}<extra></extra>",
            colorscale=_discrete_scale([LEVEL_COLOURS[level] for level in scale]),
            zmin=scale[0] - 0.5,
            zmax=scale[-1] + 0.5,
            showscale=False,
            xgap=2,
            ygap=2,
            hoverongaps=False,
        )
    )
    _level_legend(fig, level_labels)
    _finish_heatmap(
        fig,
        table,
        _(
            "Heatmap of {rows} by {columns}, each cell coloured by maturity level",
            rows=_n("{n} row", "{n} rows", len(rows)),
            columns=_n("{n} column", "{n} columns", len(columns)),
        ),
        [c.label for c in columns],
        text,
        highlight,
        height=max(320, 34 * len(rows) + 260),
        top=110,
        xaxis={"tickangle": 0, "tickfont": {"size": FONT_SIZE - 1, "color": DARK_TEXT}},
    )
    return fig


def indicator_heatmap(
    table: Table,
    *,
    level_labels: Mapping[int, str],
    statements: Mapping[str, str],
    highlight: Sequence[str] = (),
) -> go.Figure:
    """Health system x indicator heatmap: levels in their colours, "NA" and not answered in two greys."""
    scale = _levels(level_labels)
    rows = [str(v) for v in table.values(SYSTEM)]
    columns = [c for c in table.columns if c.id != SYSTEM]
    z: list[list[float | None]] = []
    text: list[list[str]] = []
    for record in table.data.to_dict("records"):
        z_row: list[float | None] = []
        t_row: list[str] = []
        for column in columns:
            value = record[column.id]
            if isinstance(value, str) and value == "NA":
                z_row.append(not_applicable_code(scale))
                t_row.append("NA")
                continue
            level = number(value)
            if level is None:
                z_row.append(unanswered_code(scale))
                t_row.append("–")
            else:
                z_row.append(band(level, scale))
                t_row.append(i18n.number(level, 0 if float(level).is_integer() else 1))
        z.append(z_row)
        text.append(t_row)
    colours = [*(LEVEL_COLOURS[level] for level in scale), NOT_APPLICABLE_COLOUR, NOT_ANSWERED_COLOUR]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[c.label for c in columns],
            y=rows,
            text=text,
            texttemplate="%{text}",
            textfont={"size": FONT_SIZE - 1},
            customdata=[[wrap(statements.get(c.id, ""), 60) for c in columns] for _row in rows],
            hovertemplate="%{y}<br><b>%{x}</b> %{customdata}<br>" + _("Level") + " %{text}<extra></extra>",
            colorscale=_discrete_scale(colours),
            zmin=scale[0] - 0.5,
            zmax=unanswered_code(scale) + 0.5,
            showscale=False,
            xgap=2,
            ygap=2,
        )
    )
    _level_legend(
        fig,
        level_labels,
        (("NA · " + _("not applicable"), NOT_APPLICABLE_COLOUR), ("– · " + _("not answered"), NOT_ANSWERED_COLOUR)),
    )
    _finish_heatmap(
        fig,
        table,
        _n(
            "Heatmap of the levels of {n} indicator for {rows}",
            "Heatmap of the levels of {n} indicators for {rows}",
            len(columns),
            rows=_n("{n} row", "{n} rows", len(rows)),
        ),
        [c.label for c in columns],
        text,
        highlight,
        height=max(320, 34 * len(rows) + 230),
        top=60,
        xaxis={"type": "category"},
    )
    return fig

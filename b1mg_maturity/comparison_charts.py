"""Plotly figures of the compare and overview pages, drawn from the tables in :mod:`b1mg_maturity.comparison`.

Pure: each builder takes a table (exactly the one the page shows and offers for
download) and returns a figure; no streamlit.  Levels keep the colours of
:mod:`b1mg_maturity.charts` (the same in the app and the PDF).  Health systems
overlaid in one chart differ by colour (Okabe-Ito, readable with every common
colour-vision deficiency), by line dash and by marker shape, so they stay
apart in greyscale too.  Each figure carries a text alternative
(``layout.meta["description"]``, read with :func:`b1mg_maturity.charts.describe`).
"""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from b1mg_maturity.charts import (
    BENCHMARK_COLOUR,
    DARK_TEXT,
    FONT_FAMILY,
    FONT_SIZE,
    LEVEL_COLOURS,
    NOT_ANSWERED_COLOUR,
    NOT_APPLICABLE_COLOUR,
    OUTLINE_COLOUR,
)

# Okabe & Ito (2008), without yellow (too light on white); blue first, as the single-system colour elsewhere.
SYSTEM_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
SYSTEM_DASHES = ("solid", "dash", "dashdot", "longdash", "dot", "longdashdot")
SYSTEM_SYMBOLS = ("circle", "square", "diamond", "triangle-up", "x", "star")
HIGHLIGHT_COLOUR = "#D55E00"
POINT_COLOUR = "#9e9e9e"
LEVELS = (1, 2, 3, 4, 5)
NA_CODE, UNANSWERED_CODE = 6, 7  # the indicator heatmap's codes beside the levels


# below the plot, centred; builders add the rest (``legend=LEGEND | {...}``)
LEGEND: dict[str, Any] = {
    "orientation": "h",
    "xanchor": "center",
    "x": 0.5,
    "y": 0,
    "yref": "container",
    "yanchor": "bottom",
}


def _rule_above_aggregates(fig: go.Figure, rows: Sequence[str], prefixes: tuple[str, ...]) -> None:
    """A line across a heatmap between the health systems and the aggregate rows (median…) below them."""
    aggregates = sum(1 for r in rows if r.startswith(prefixes))
    if aggregates and aggregates < len(rows):
        boundary = len(rows) - aggregates - 0.5
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


def _layout(description: str, **extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "font": {"family": FONT_FAMILY, "size": FONT_SIZE, "color": DARK_TEXT},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "meta": {"description": description},
        "hoverlabel": {"font": {"family": FONT_FAMILY}},
    }
    layout.update(extra)
    return layout


def _legend_for(names: Sequence[str]) -> dict[str, Any]:
    """A legend below the chart whose entries are wide enough for the longest name (no overlap)."""
    longest = max((len(n) for n in names), default=10)
    return LEGEND | {"entrywidth": int(longest * FONT_SIZE * 0.55) + 45, "entrywidthmode": "pixels"}


def _bottom(fig: go.Figure, base: int, plot_width: int = 820) -> int:
    """Bottom margin for the axis (``base``) and the legend rows below it."""
    names = _names(fig)
    if not names:
        return base
    entry = int(_legend_for(names)["entrywidth"])
    per_row = max(1, plot_width // entry)
    return base + math.ceil(len(names) / per_row) * 24 + 8


def _label_width(labels: Sequence[str]) -> int:
    """Pixels for the longest line of ``labels`` (tags ignored), with padding."""
    lines = [re.sub(r"<[^>]+>", "", line) for label in labels for line in label.split("<br>")]
    return int(max((len(line) for line in lines), default=0) * FONT_SIZE * 0.62) + 30


def _names(fig: go.Figure) -> list[str]:
    return [str(trace.name) for trace in fig.data if trace.name and trace.showlegend is not False]


def _wrap(text: str, width: int) -> str:
    return "<br>".join(textwrap.wrap(text, width=width, break_long_words=False)) or text


def _axis_label(label: str, width: int = 16) -> str:
    """``"I · Governance and strategy"`` -> bold code, then the name wrapped."""
    code, sep, name = label.partition(" · ")
    return f"<b>{code}</b><br>{_wrap(name, width)}" if sep else _wrap(label, width)


def _num(value: Any) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _fmt(value: Any) -> str:
    number = _num(value)
    return "no value" if number is None else f"{number:.1f}"


def _band(value: float | None) -> int | None:
    return None if value is None else max(1, min(5, math.floor(value + 1e-9)))


def _discrete_scale(colours: Sequence[str]) -> list[list[Any]]:
    """A plotly colour scale with one flat step per colour (z = 1 .. len(colours))."""
    scale: list[list[Any]] = []
    steps = len(colours)
    for index, colour in enumerate(colours):
        scale.append([index / steps, colour])
        scale.append([(index + 1) / steps, colour])
    return scale


def style(index: int) -> dict[str, str]:
    """Colour, dash and marker of the ``index``-th overlaid health system."""
    return {
        "colour": SYSTEM_COLOURS[index % len(SYSTEM_COLOURS)],
        "dash": SYSTEM_DASHES[index % len(SYSTEM_DASHES)],
        "symbol": SYSTEM_SYMBOLS[index % len(SYSTEM_SYMBOLS)],
    }


# --- radar overlay ------------------------------------------------------------------------------


def radar_overlay(table: pd.DataFrame, *, statistic_column: str | None, scale: tuple[int, int] = (1, 5)) -> go.Figure:
    """Radar of the domain scores of up to six health systems (one column each) and the median (dotted)."""
    domains = [str(d) for d in table["Domain"]]
    theta = [*(_axis_label(d) for d in domains), _axis_label(domains[0])] if domains else []
    fig = go.Figure()
    systems = [c for c in table.columns if c not in ("Domain", statistic_column)]
    if statistic_column and statistic_column in table.columns:
        values = [_num(v) for v in table[statistic_column]]
        fig.add_trace(
            go.Scatterpolar(
                name=statistic_column,
                r=[*values, values[0]] if values else [],
                theta=theta,
                mode="lines+markers",
                line={"color": BENCHMARK_COLOUR, "dash": "dot", "width": 2},
                marker={"size": 6, "symbol": "square-open"},
                connectgaps=False,
                customdata=[*domains, domains[0]] if domains else [],
                hovertemplate="%{customdata}<br>" + statistic_column + " %{r:.2f}<extra></extra>",
            )
        )
    for index, column in enumerate(systems):
        look = style(index)
        values = [_num(v) for v in table[column]]
        fig.add_trace(
            go.Scatterpolar(
                name=column,
                r=[*values, values[0]] if values else [],
                theta=theta,
                mode="lines+markers",
                line={"color": look["colour"], "dash": look["dash"], "width": 2.5},
                marker={"size": 7, "symbol": look["symbol"], "color": look["colour"]},
                connectgaps=False,
                customdata=[*domains, domains[0]] if domains else [],
                hovertemplate="%{customdata}<br>" + column + " %{r:.2f}<extra></extra>",
            )
        )
    parts = []
    described = [*systems, *([statistic_column] if statistic_column and statistic_column in table.columns else [])]
    for name in described:
        listed = "; ".join(f"{d} {_fmt(v)}" for d, v in zip(domains, table[name], strict=True))
        parts.append(f"{name}: {listed}")
    description = (
        f"Radar chart of the domain scores (scale {scale[0]} to {scale[1]}) of "
        f"{len(systems)} health system(s)"
        + (f" and the {statistic_column.lower()}" if statistic_column in table.columns and statistic_column else "")
        + ". "
        + ". ".join(parts)
        + "."
    )
    fig.update_layout(
        **_layout(
            description, height=680, margin={"l": 110, "r": 110, "t": 70, "b": _bottom(fig, 95)}, showlegend=True
        ),
        polar={
            "bgcolor": "#ffffff",
            "radialaxis": {
                "range": list(scale),
                "tickvals": list(range(scale[0], scale[1] + 1)),
                "tickfont": {"size": FONT_SIZE - 2, "color": "#595959"},
                "angle": 90 - 180 / max(len(domains), 1),
                "gridcolor": "#d9d9d9",
                "linecolor": "#bdbdbd",
            },
            "angularaxis": {
                "direction": "clockwise",
                "rotation": 90,
                "tickfont": {"size": FONT_SIZE - 1},
                "gridcolor": "#d9d9d9",
            },
        },
        legend=_legend_for(_names(fig)),
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
    entries = [(f"{level} · {labels.get(level, '')}".rstrip(" ·"), LEVEL_COLOURS[level]) for level in LEVELS]
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


def score_heatmap(
    table: pd.DataFrame,
    *,
    level_labels: Mapping[int, str],
    first_column: str = "Health system",
    highlight: Sequence[str] = (),
) -> go.Figure:
    """Health system x item heatmap: each cell coloured by its maturity band and labelled with its score.

    Rows below the health systems (median, highest) are set apart by a line;
    the ``highlight`` rows' names are bold.  An empty cell (no score) says "–".
    """
    rows = [str(v) for v in table[first_column]]
    columns = [c for c in table.columns if c != first_column]
    scores = [[_num(v) for v in table[c]] for c in columns]  # column-major
    z = [[_band(scores[j][i]) for j in range(len(columns))] for i in range(len(rows))]
    text = [
        ["–" if scores[j][i] is None else f"{scores[j][i]:.1f}" for j in range(len(columns))] for i in range(len(rows))
    ]
    x = [_axis_label(str(c), 11) for c in columns]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=x,
            y=rows,
            text=text,
            texttemplate="%{text}",
            textfont={"size": FONT_SIZE - 1},
            customdata=[[str(c) for c in columns] for _ in rows],
            hovertemplate="%{y}<br>%{customdata}<br>Score %{text}<extra></extra>",
            colorscale=_discrete_scale([LEVEL_COLOURS[level] for level in LEVELS]),
            zmin=0.5,
            zmax=5.5,
            showscale=False,
            xgap=2,
            ygap=2,
            hoverongaps=False,
        )
    )
    _level_legend(fig, level_labels)
    _rule_above_aggregates(fig, rows, ("Median", "Highest", "Lowest"))
    description = (
        f"Heatmap of {len(rows)} rows by {len(columns)} columns, each cell coloured by maturity level: "
        + "; ".join(
            f"{row}: " + ", ".join(f"{columns[j]} {text[i][j]}" for j in range(len(columns)))
            for i, row in enumerate(rows)
        )
        + "."
    )
    label_width = max((len(r) for r in rows), default=10) * 7 + 20
    fig.update_layout(
        **_layout(
            description,
            height=max(320, 34 * len(rows) + 260),
            margin={"l": min(label_width, 320), "r": 20, "t": 110, "b": _bottom(fig, 20)},
            showlegend=True,
        ),
        xaxis={
            "side": "top",
            "tickangle": 0,
            "showgrid": False,
            "fixedrange": True,
            "tickfont": {"size": FONT_SIZE - 1, "color": DARK_TEXT},
        },
        yaxis=_row_axis(rows, highlight),
        legend=_legend_for(_names(fig)) | {"itemclick": False},
    )
    return fig


def indicator_heatmap(
    table: pd.DataFrame,
    *,
    level_labels: Mapping[int, str],
    statements: Mapping[str, str],
    first_column: str = "Health system",
    highlight: Sequence[str] = (),
) -> go.Figure:
    """Health system x indicator heatmap: levels in their colours, "NA" and not answered in two greys."""
    rows = [str(v) for v in table[first_column]]
    columns = [str(c) for c in table.columns if c != first_column]
    z: list[list[float | None]] = []
    text: list[list[str]] = []
    for _, record in table.iterrows():
        z_row: list[float | None] = []
        t_row: list[str] = []
        for column in columns:
            value = record[column]
            if isinstance(value, str) and value == "NA":
                z_row.append(NA_CODE)
                t_row.append("NA")
                continue
            number = _num(value)
            if number is None:
                z_row.append(UNANSWERED_CODE)
                t_row.append("–")
            else:
                z_row.append(_band(number))
                t_row.append(f"{number:g}" if float(number).is_integer() else f"{number:.1f}")
        z.append(z_row)
        text.append(t_row)
    colours = [*(LEVEL_COLOURS[level] for level in LEVELS), NOT_APPLICABLE_COLOUR, NOT_ANSWERED_COLOUR]
    hover = [[_wrap(statements.get(c, ""), 60) for c in columns] for _ in rows]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=columns,
            y=rows,
            text=text,
            texttemplate="%{text}",
            textfont={"size": FONT_SIZE - 1},
            customdata=hover,
            hovertemplate="%{y}<br><b>%{x}</b> %{customdata}<br>Level %{text}<extra></extra>",
            colorscale=_discrete_scale(colours),
            zmin=0.5,
            zmax=7.5,
            showscale=False,
            xgap=2,
            ygap=2,
        )
    )
    _level_legend(
        fig, level_labels, (("NA · not applicable", NOT_APPLICABLE_COLOUR), ("– · not answered", NOT_ANSWERED_COLOUR))
    )
    _rule_above_aggregates(fig, rows, ("Median",))
    description = (
        f"Heatmap of the levels of {len(columns)} indicators for {len(rows)} rows: "
        + "; ".join(
            f"{row}: " + ", ".join(f"{c} {t}" for c, t in zip(columns, text[i], strict=True))
            for i, row in enumerate(rows)
        )
        + "."
    )
    label_width = max((len(r) for r in rows), default=10) * 7 + 20
    fig.update_layout(
        **_layout(
            description,
            height=max(320, 34 * len(rows) + 230),
            margin={"l": min(label_width, 320), "r": 20, "t": 60, "b": _bottom(fig, 20)},
            showlegend=True,
        ),
        xaxis={"side": "top", "showgrid": False, "fixedrange": True, "type": "category"},
        yaxis=_row_axis(rows, highlight),
        legend=_legend_for(_names(fig)) | {"itemclick": False},
    )
    return fig


# --- distribution -------------------------------------------------------------------------------


def distribution(
    table: pd.DataFrame,
    points: pd.DataFrame | None = None,
    *,
    focus_column: str | None = None,
    scale: tuple[int, int] = (1, 5),
) -> go.Figure:
    """Per item (row): a box from the lowest to the highest score with the quartiles, the median (bar)
    and the highest (triangle) marked, every health system's score as a grey dot when ``points`` are
    given (analysts only), and the focus health system highlighted."""
    items = [str(v) for v in table["Item"]]
    y = [_axis_label(i, 40).replace("<br>", " ", 1) for i in items]
    fig = go.Figure()
    shown = table["Median"].notna()
    if shown.any():
        fig.add_trace(
            go.Box(
                name="Spread (lowest, quartiles, highest)",
                y=[y[i] for i in range(len(items)) if shown.iloc[i]],
                q1=table.loc[shown, "Lower quartile"].tolist(),
                median=table.loc[shown, "Median"].tolist(),
                q3=table.loc[shown, "Upper quartile"].tolist(),
                lowerfence=table.loc[shown, "Lowest"].tolist(),
                upperfence=table.loc[shown, "Highest"].tolist(),
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
                name="Median",
                x=table.loc[shown, "Median"].tolist(),
                y=[y[i] for i in range(len(items)) if shown.iloc[i]],
                mode="markers",
                marker={"symbol": "line-ns", "size": 22, "line": {"width": 4, "color": DARK_TEXT}},
                hovertemplate="%{y}<br>Median %{x:.2f}<extra></extra>",
            )
        )
        fig.add_trace(
            go.Scatter(
                name="Highest",
                x=table.loc[shown, "Highest"].tolist(),
                y=[y[i] for i in range(len(items)) if shown.iloc[i]],
                mode="markers",
                marker={"symbol": "triangle-left", "size": 12, "color": DARK_TEXT},
                hovertemplate="%{y}<br>Highest %{x:.2f}<extra></extra>",
            )
        )
    if points is not None and not points.empty:
        label_of = dict(zip(items, y, strict=True))
        fig.add_trace(
            go.Box(
                name="Each health system",
                x=points["Score"].tolist(),
                y=[label_of.get(str(i), str(i)) for i in points["Item"]],
                orientation="h",
                boxpoints="all",
                jitter=0.6,
                pointpos=0,
                fillcolor="rgba(0,0,0,0)",
                line={"color": "rgba(0,0,0,0)"},
                marker={"color": POINT_COLOUR, "size": 6, "opacity": 0.8},
                customdata=points["Health system"].tolist(),
                hovertemplate="%{customdata}<br>%{x:.2f}<extra></extra>",
                hoveron="points",
            )
        )
    if focus_column and focus_column in table.columns:
        fig.add_trace(
            go.Scatter(
                name=focus_column,
                x=table[focus_column].tolist(),
                y=y,
                mode="markers",
                marker={
                    "symbol": "diamond",
                    "size": 15,
                    "color": HIGHLIGHT_COLOUR,
                    "line": {"color": DARK_TEXT, "width": 1},
                },
                hovertemplate="%{y}<br>" + focus_column + " %{x:.2f}<extra></extra>",
            )
        )
    parts = []
    for index, item in enumerate(items):
        record = table.iloc[index]
        if _num(record["Median"]) is None:
            text = f"{item}: statistics withheld"
        else:
            text = (
                f"{item}: median {_fmt(record['Median'])}, quartiles {_fmt(record['Lower quartile'])}-"
                f"{_fmt(record['Upper quartile'])}, lowest {_fmt(record['Lowest'])}, highest {_fmt(record['Highest'])}"
            )
        if focus_column and focus_column in table.columns:
            text += f", {focus_column} {_fmt(record[focus_column])}"
        parts.append(text)
    fig.update_layout(
        **_layout(
            "Distribution of scores per item. " + "; ".join(parts) + ".",
            height=max(360, 58 * len(items) + 170),
            margin={"l": min(_label_width(y), 360), "r": 30, "t": 20, "b": _bottom(fig, 70)},
            showlegend=True,
            boxmode="overlay",
        ),
        xaxis={
            "range": [scale[0] - 0.15, scale[1] + 0.15],
            "tickvals": list(range(scale[0], scale[1] + 1)),
            "title": {"text": "Score (maturity level)"},
            "gridcolor": "#e0e0e0",
            "zeroline": False,
        },
        yaxis={
            "autorange": "reversed",
            "automargin": True,
            "categoryorder": "array",
            "categoryarray": y,
            "ticksuffix": "  ",
        },
        legend=_legend_for(_names(fig)),
    )
    return fig


# --- trends -------------------------------------------------------------------------------------


def trend_lines(
    table: pd.DataFrame, *, item_label: str, scale: tuple[int, int] = (1, 5), systems: Sequence[str] = ()
) -> go.Figure:
    """One line per health system across its rounds (x: round, ordered by date), the median dotted.

    ``systems`` fixes the order (and so the colour, dash and marker) of the health systems, as in
    the other views; by default they come in table order.  A round whose questionnaire version
    differs from the round before it gets an open marker.
    """
    fig = go.Figure()
    order = table.groupby("Round", sort=False)["Date"].min().sort_values().index.tolist() if not table.empty else []
    present = [s for s in dict.fromkeys(table["Health system"]) if s != "Median"]
    systems = [s for s in systems if s in present] + [s for s in present if s not in systems]
    median = table.loc[table["Health system"] == "Median"]
    if not median.empty:
        fig.add_trace(
            go.Scatter(
                name="Median",
                x=median["Round"].tolist(),
                y=median["Score"].tolist(),
                mode="lines+markers",
                line={"color": BENCHMARK_COLOUR, "dash": "dot", "width": 2},
                marker={"symbol": "square-open", "size": 8},
                customdata=median["Health systems"].astype("object").tolist(),
                hovertemplate="%{x}<br>Median %{y:.2f} of %{customdata} health systems<extra></extra>",
            )
        )
    for index, system in enumerate(systems):
        look = style(index)
        rows = table.loc[table["Health system"] == system]
        differ = rows["Versions differ"].astype(bool).tolist()
        fig.add_trace(
            go.Scatter(
                name=system,
                x=rows["Round"].tolist(),
                y=rows["Score"].tolist(),
                mode="lines+markers",
                line={"color": look["colour"], "dash": look["dash"], "width": 2.5},
                marker={
                    "symbol": [look["symbol"] + ("-open" if d else "") for d in differ],
                    "size": 10,
                    "color": look["colour"],
                },
                customdata=[
                    ("" if pd.isna(c) else f"<br>Change {c:+.2f}") + ("<br>other questionnaire version" if d else "")
                    for c, d in zip(rows["Change"], differ, strict=True)
                ],
                hovertemplate="%{x}<br>" + system + " %{y:.2f}%{customdata}<extra></extra>",
            )
        )
    parts = []
    for system in [*systems, *(["Median"] if not median.empty else [])]:
        rows = table.loc[table["Health system"] == system]
        parts.append(
            f"{system}: " + ", ".join(f"{r} {_fmt(s)}" for r, s in zip(rows["Round"], rows["Score"], strict=True))
        )
    fig.update_layout(
        **_layout(
            f"Trend of {item_label} across rounds. " + "; ".join(parts) + ".",
            height=460,
            margin={"l": 70, "r": 30, "t": 30, "b": _bottom(fig, 70)},
            showlegend=True,
        ),
        xaxis={"type": "category", "categoryorder": "array", "categoryarray": order, "title": {"text": "Round"}},
        yaxis={
            "range": [scale[0] - 0.1, scale[1] + 0.1],
            "tickvals": list(range(scale[0], scale[1] + 1)),
            "title": {"text": item_label},
            "gridcolor": "#e0e0e0",
        },
        legend=_legend_for(_names(fig)),
    )
    return fig


# --- overview -----------------------------------------------------------------------------------


def band_distribution(table: pd.DataFrame, *, level_labels: Mapping[int, str]) -> go.Figure:
    """Stacked bars: per round, how many health systems reached each overall maturity level."""
    fig = go.Figure()
    rounds = [str(r) for r in table["Round"]]
    for level in LEVELS:
        column = f"Level {level}"
        if column not in table.columns:
            continue
        counts = [_num(v) for v in table[column]]
        fig.add_trace(
            go.Bar(
                name=f"{level} · {level_labels.get(level, '')}".rstrip(" ·"),
                x=rounds,
                y=counts,
                marker={"color": LEVEL_COLOURS[level], "line": {"color": OUTLINE_COLOUR, "width": 1}},
                text=[("" if c is None or c == 0 else f"{c:.0f}") for c in counts],
                textposition="inside",
                insidetextanchor="middle",
                textangle=0,
                hovertemplate="%{x}<br>Level " + str(level) + ": %{y} health systems<extra></extra>",
            )
        )
    parts = []
    for _, record in table.iterrows():
        listed = ", ".join(
            f"level {level} {int(v)}" for level in LEVELS if (v := _num(record.get(f"Level {level}"))) is not None
        )
        parts.append(f"{record['Round']}: {listed or 'withheld'}")
    fig.update_layout(
        **_layout(
            "Health systems per overall maturity level and round. " + "; ".join(parts) + ".",
            height=440,
            margin={"l": 70, "r": 30, "t": 30, "b": _bottom(fig, 70)},
            barmode="stack",
            showlegend=True,
        ),
        xaxis={"type": "category", "title": {"text": "Round"}},
        yaxis={"title": {"text": "Health systems"}, "gridcolor": "#e0e0e0", "rangemode": "tozero", "tickformat": "d"},
        # a count that does not fit its segment is left out rather than turned sideways (the table has it)
        uniformtext={"minsize": FONT_SIZE - 2, "mode": "hide"},
        legend=_legend_for(_names(fig)) | {"traceorder": "normal"},
    )
    return fig

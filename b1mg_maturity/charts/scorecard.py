"""Charts of one round's scorecard (radar, domain bars, indicator bars), for the Results page and the PDF.

No streamlit here: every function takes scored values and returns a
``plotly.graph_objects.Figure``.  Each figure carries a one-sentence text
alternative in ``layout.meta["description"]`` (read it with
:func:`~b1mg_maturity.charts.style.describe`), so the report can use it as alt
text and screen readers get the values.  Colours and fonts: :mod:`.style`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go

from b1mg_maturity import i18n
from b1mg_maturity.charts.style import (
    AXIS_LINE_COLOUR,
    BENCHMARK_COLOUR,
    CURRENT_COLOUR,
    DARK_TEXT,
    FONT_FAMILY,
    FONT_SIZE,
    GRID_COLOUR,
    LEVEL_COLOURS,
    LINE_HEIGHT,
    OUTLINE_COLOUR,
    RADAR_PAD,
    TARGET_COLOUR,
    base_layout,
    closed,
    code_label,
    fmt,
    label_margin,
    legend_names,
    level_colour,
    level_name,
    polar_layout,
    radar_line,
    radar_margins,
    text_colour_on,
    text_width,
    wrap,
)
from b1mg_maturity.i18n import _, _n
from b1mg_maturity.questionnaire import Domain, Questionnaire
from b1mg_maturity.scoring import GroupScore, IndicatorResult, ScoreCard

RADAR_PLOT_HEIGHT = 320  # pixels of the polar area when the chart is wide enough (a phone leaves less)
RADAR_KEY_WIDTH = 40  # characters a line of the key below a radar: about 260 px, narrower than a phone
KEY_FONT_SIZE = FONT_SIZE - 1


def domain_label(domain: Domain, *, width: int = 18) -> str:
    """A short label: the roman code on its own line, then the name wrapped with ``<br>``."""
    return code_label(domain.code, domain.name, width)


def _plain(domain: Domain) -> str:
    return f"{domain.code} {domain.name}" if domain.code else domain.name


def _has_targets(card: ScoreCard) -> bool:
    return any(result.target is not None for result in card.indicators)


def _scores_by_domain(card: ScoreCard, questionnaire: Questionnaire) -> list[tuple[Domain, GroupScore]]:
    return [(domain, card.domain(domain.id)) for domain in questionnaire.domains]


def _level_bar_axes(questionnaire: Questionnaire, scale: Sequence[int], labels: Sequence[str]) -> dict[str, Any]:
    """Axes of a horizontal bar chart of levels: the scale across, the labels down in the given order."""
    return {
        "xaxis": {
            "range": [0, questionnaire.max_level + 0.05],
            "tickvals": list(scale),
            # below the tick labels whatever their size: automargin makes room, the standoff keeps a gap
            "title": {"text": _("Maturity level"), "standoff": 6},
            "automargin": True,
            "gridcolor": GRID_COLOUR,
            "zeroline": True,
            "zerolinecolor": AXIS_LINE_COLOUR,
        },
        "yaxis": {
            "autorange": "reversed",
            "automargin": True,
            # invisible ticks keep labels off the axis line (automargin counts them, unlike a standoff)
            "ticks": "outside",
            "ticklen": 8,
            "tickcolor": "rgba(0,0,0,0)",
            "categoryorder": "array",
            "categoryarray": list(labels),
        },
    }


def _add_level_key(fig: go.Figure, questionnaire: Questionnaire, first_label: str) -> None:
    """Colour key of a bar chart: one legend entry per level, drawn as an empty bar (a single missing value)."""
    for level in questionnaire.scale:
        if level in LEVEL_COLOURS:
            fig.add_trace(
                go.Bar(
                    name=level_name(level, questionnaire.level_label(level)),
                    x=[None],
                    y=[first_label],
                    orientation="h",
                    marker={"color": level_colour(level), "line": {"color": OUTLINE_COLOUR, "width": 1}},
                    hoverinfo="skip",
                    legendgroup="levels",
                )
            )


# --- radar ------------------------------------------------------------------------------------


def spoke_label(domain: Domain, index: int, rated: bool) -> str:
    """A radar spoke's label: the domain's code in bold (its number without one), "not rated" below if so.

    Only the code: a domain's name, wrapped beside the rim, needs a margin a phone does not have (the
    names are in the key below the chart, in the hover text and in the text alternative).
    """
    code = f"<b>{domain.code or index}</b>"
    return code if rated else code + "<br><i>" + _("not rated") + "</i>"


def radar_key(domains: Sequence[Domain], *, width: int = RADAR_KEY_WIDTH) -> str:
    """The names behind the spokes' codes, one domain a line (wrapped at ``width`` characters)."""
    lines = []
    for index, domain in enumerate(domains, start=1):
        wrapped = wrap(f"{domain.code or index} {domain.name}", width).split("<br>")
        lines.append("<br>".join([wrapped[0], *(f"   {more}" for more in wrapped[1:])]))
    return "<br>".join(lines)


def domain_radar(
    card: ScoreCard,
    questionnaire: Questionnaire,
    *,
    benchmark: Mapping[str, float] | None = None,
    benchmark_label: str | None = None,
    key: bool = True,
) -> go.Figure:
    """Radar of the domain scores, with the target (dashed) and an optional benchmark.

    The radial axis spans the questionnaire's scale (``min_level`` at the
    centre, ``max_level`` at the rim), with a tick at every level.  The spokes
    carry the domains' codes; ``key`` lists the names below the chart (the PDF
    names them in the table beside it instead).

    A domain without a score (nothing answered, or everything not applicable)
    is drawn as a **gap**: the line breaks at its spoke instead of dropping to
    the centre, which would read as "level 1", and its label says "not rated".
    The same holds for a domain missing from ``benchmark``.
    """
    if benchmark_label is None:
        benchmark_label = _("Median of peers")
    target_word = _("Target")
    rows = _scores_by_domain(card, questionnaire)
    labels = [spoke_label(d, index, g.score is not None) for index, (d, g) in enumerate(rows, start=1)]
    theta = closed(labels)
    hover_names = [_plain(d) for d, _g in rows]
    fig = go.Figure()

    show_target = _has_targets(card)
    if show_target:
        fig.add_trace(
            radar_line(
                target_word,
                [g.target for _d, g in rows],
                theta,
                hover_names,
                line={"color": TARGET_COLOUR, "dash": "dash", "width": 2},
                marker={"size": 7, "symbol": "diamond"},
                hover_label=target_word,
                legendrank=2,
            )
        )
    if benchmark is not None:
        fig.add_trace(
            radar_line(
                benchmark_label,
                [benchmark.get(d.id) for d, _g in rows],
                theta,
                hover_names,
                line={"color": BENCHMARK_COLOUR, "dash": "dot", "width": 2},
                marker={"size": 6, "symbol": "square"},
                hover_label=benchmark_label,
                legendrank=3,
            )
        )
    fig.add_trace(
        radar_line(
            _("Current score"),
            [g.score for _d, g in rows],
            theta,
            hover_names,
            line={"color": CURRENT_COLOUR, "width": 3},
            marker={"size": 8, "color": CURRENT_COLOUR},
            hover_label=_("Score"),
            legendrank=1,
        )
    )

    fig.update_layout(
        **base_layout(
            _radar_description(rows, questionnaire, show_target, benchmark, benchmark_label), showlegend=True
        ),
        polar=polar_layout(questionnaire.scale, len(rows)),
    )
    fit_radar(fig, labels, FONT_SIZE, key=radar_key([d for d, _g in rows]) if key else None)
    return fig


def fit_radar(
    fig: go.Figure,
    labels: Sequence[str],
    font_size: float,
    *,
    key: str | None = None,
    plot_height: int = RADAR_PLOT_HEIGHT,
    width: int | None = None,
    legend_font_size: float = FONT_SIZE,
) -> None:
    """Lay out a radar so that no spoke label, key line or legend entry is ever cut, at any width.

    The angular labels (``labels``, in ``font_size``) sit outside the polar area, in margins
    sized to hold them (:func:`~b1mg_maturity.charts.style.radar_margins`).  Below the chart
    come the ``key`` (lines of text, left-aligned, centred as a block) and the legend, whose
    entries are as wide as the longest name: room is kept for one entry a row (a phone).  ``plot_height``: the
    polar area's height when the chart is wide enough; with a fixed ``width`` (print) the
    polar area is square instead.
    """
    legend_rows = sum(1 for trace in fig.data if trace.name and trace.showlegend is not False)
    margin = radar_margins(labels, font_size, legend_rows, legend_font_size)
    legend_height = math.ceil(legend_rows * (legend_font_size + 9))
    if key:  # below the bottom spoke's label, above the legend
        key_height = math.ceil((key.count("<br>") + 1) * KEY_FONT_SIZE * LINE_HEIGHT) + RADAR_PAD
        fig.add_annotation(
            text=key,
            x=0.5,
            xref="paper",
            xanchor="center",
            y=0,
            yref="paper",
            yanchor="top",
            yshift=-(margin["b"] - legend_height - RADAR_PAD),
            align="left",
            showarrow=False,
            font={"size": KEY_FONT_SIZE, "color": DARK_TEXT},
            name="key",
        )
        margin["b"] += key_height
    if width is not None:
        plot_height = max(width - margin["l"] - margin["r"], 120)
        fig.update_layout(width=width)
    fig.update_layout(
        height=margin["t"] + plot_height + margin["b"],
        margin=margin,
        legend={
            "orientation": "h",  # with a fixed entry width (a vertical legend ignores it), a row each if narrow
            "x": 0.5,
            "xanchor": "center",
            "y": 0,
            "yref": "container",
            "yanchor": "bottom",
            "font": {"size": legend_font_size, "family": FONT_FAMILY},
            # wide enough for the longest name: sized from the text alone, the entries are cut when the
            # web font arrives after plotly measured them with a narrower fallback font
            "entrywidth": max((text_width(name, legend_font_size) for name in legend_names(fig)), default=0) + 10,
            "entrywidthmode": "pixels",
        },
        polar={"angularaxis": {"tickfont": {"size": font_size}}},
    )


def _radar_description(
    rows: Sequence[tuple[Domain, GroupScore]],
    questionnaire: Questionnaire,
    show_target: bool,
    benchmark: Mapping[str, float] | None,
    benchmark_label: str,
) -> str:
    parts = []
    for domain, group in rows:
        extras = []
        if show_target and group.target is not None:
            extras.append(_("target {score}", score=i18n.number(group.target, 1)))
        if benchmark is not None:
            extras.append(f"{benchmark_label.lower()} {fmt(benchmark.get(domain.id))}")
        value = f"{_plain(domain)} {fmt(group.score, missing=_('not rated'))}"
        parts.append(_("{value} ({details})", value=value, details=", ".join(extras)) if extras else value)
    return _n(
        "Radar chart of the maturity scores of {n} domain on a scale of {low} to {high}: {scores}.",
        "Radar chart of the maturity scores of {n} domains on a scale of {low} to {high}: {scores}.",
        len(rows),
        low=questionnaire.min_level,
        high=questionnaire.max_level,
        scores="; ".join(parts),
    )


# --- bars -------------------------------------------------------------------------------------


def domain_bars(card: ScoreCard, questionnaire: Questionnaire) -> go.Figure:
    """Horizontal bars of the domain scores, coloured by maturity band, with target markers.

    Each bar shows its score; the legend names the colour of every level.  A
    domain without a score gets no bar and the words "not rated" at the start
    of its row.
    """
    rows = _scores_by_domain(card, questionnaire)
    labels = [domain_label(d, width=32).replace("<br>", " ", 1) for d, _g in rows]
    scores = [g.score for _d, g in rows]
    colours = [level_colour(g.band) for _d, g in rows]
    names = [_plain(d) for d, _g in rows]
    band_names = [questionnaire.level_label(g.band) if g.band is not None else "" for _d, g in rows]
    score_word, target_word, not_rated = _("Score"), _("Target"), _("not rated")
    fig = go.Figure(
        go.Bar(
            name=_("Current score"),
            orientation="h",
            x=scores,
            y=labels,
            marker={"color": colours, "line": {"color": OUTLINE_COLOUR, "width": 1}},
            text=[fmt(v, missing="") for v in scores],
            textposition="auto",
            insidetextanchor="end",
            insidetextfont={"color": [text_colour_on(c) for c in colours]},
            outsidetextfont={"color": DARK_TEXT},
            cliponaxis=False,
            customdata=list(zip(names, band_names, strict=True)),
            hovertemplate=f"%{{customdata[0]}}<br>{score_word} %{{x:.2f}} · %{{customdata[1]}}<extra></extra>",
            showlegend=False,
        )
    )
    _add_level_key(fig, questionnaire, labels[0])
    show_target = _has_targets(card)
    if show_target:
        fig.add_trace(
            go.Scatter(
                name=target_word,
                x=[g.target for _d, g in rows],
                y=labels,
                mode="markers",
                marker={
                    "symbol": "line-ns-open",
                    "size": 26,
                    "line": {"width": 4, "color": TARGET_COLOUR},
                    "color": TARGET_COLOUR,
                },
                customdata=names,
                hovertemplate=f"%{{customdata}}<br>{target_word} %{{x:.2f}}<extra></extra>",
                cliponaxis=False,
            )
        )
    for label, score_value in zip(labels, scores, strict=True):
        if score_value is None:
            fig.add_annotation(
                x=0,
                y=label,
                xref="x",
                yref="y",
                xshift=6,
                text=f"<i>{not_rated}</i>",
                showarrow=False,
                xanchor="left",
                font={"color": "#616161"},
            )

    parts = [_domain_bar_text(domain, group, questionnaire, show_target) for domain, group in rows]
    description = _n(
        "Bar chart of the maturity scores of {n} domain on a scale of {low} to {high}: {scores}.",
        "Bar chart of the maturity scores of {n} domains on a scale of {low} to {high}: {scores}.",
        len(rows),
        low=questionnaire.min_level,
        high=questionnaire.max_level,
        scores="; ".join(parts),
    )
    scale = list(questionnaire.scale)
    fig.update_layout(
        **base_layout(
            description,
            height=max(300, 46 * len(rows) + 170),
            # room for the longest label line; plotly's automargin alone cuts bold labels by a few pixels
            margin={"l": label_margin(labels), "r": 30, "t": 20, "b": 20},
            bargap=0.3,
            barmode="overlay",
            showlegend=True,
        ),
        **_level_bar_axes(questionnaire, scale, labels),
    )
    fig.update_layout(
        legend={"y": -0.16, "yref": "paper", "entrywidth": 160, "entrywidthmode": "pixels", "traceorder": "normal"}
    )
    return fig


def _domain_bar_text(domain: Domain, group: GroupScore, questionnaire: Questionnaire, show_target: bool) -> str:
    """One domain in the bar chart's text alternative: ``I Governance 2.5 (level 2, Managed, target 3.0)``."""
    if group.score is None or group.band is None:
        return _("{domain} not rated", domain=_plain(domain))
    fields = {
        "domain": _plain(domain),
        "score": i18n.number(group.score, 1),
        "level": group.band,
        "label": questionnaire.level_label(group.band),
    }
    if show_target and group.target is not None:
        return _(
            "{domain} {score} (level {level}, {label}, target {target})",
            target=i18n.number(group.target, 1),
            **fields,
        )
    return _("{domain} {score} (level {level}, {label})", **fields)


# --- indicator bars (one domain) ----------------------------------------------------------------


SHORT_STATEMENT = 48  # characters of a bar label: one line beside its bar


def short_statement(statement: str, limit: int = SHORT_STATEMENT) -> str:
    """The start of an indicator's statement, cut at a word and marked with an ellipsis when longer than ``limit``."""
    text = " ".join(statement.split()).rstrip(".")
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"


def _start_and_end(statement: str, limit: int) -> str:
    """The statement's first words and its last words, an ellipsis between (tells apart statements that start alike)."""
    words = " ".join(statement.split()).rstrip(".").split(" ")
    head: list[str] = []
    tail: list[str] = []
    while words and len(" ".join([*head, words[0]])) <= limit // 2 - 2:
        head.append(words.pop(0))
    while words and len(" ".join([words[-1], *tail])) <= limit - len(" ".join(head)) - 3:
        tail.insert(0, words.pop())
    if not head or not tail:
        return short_statement(statement, limit)
    return " ".join(head) + (" … " if words else " ") + " ".join(tail)


def indicator_labels(
    statements: Sequence[str], subdomains: Sequence[str] | None = None, limit: int = SHORT_STATEMENT
) -> list[str]:
    """One label per indicator of a chart, never two alike: its subdomain's name when no other indicator
    of the chart shares it, else a short form of its statement.

    Statements that share their start (``Genomics forms part of the standard training ...``) keep their
    first and their last words instead; should two labels still coincide, they are numbered.
    """
    names = list(subdomains) if subdomains is not None else [""] * len(statements)
    labels = [
        short_statement(name, limit) if name and names.count(name) == 1 else short_statement(text, limit)
        for text, name in zip(statements, names, strict=True)
    ]
    labels = [
        _start_and_end(text, limit) if labels.count(label) > 1 else label
        for text, label in zip(statements, labels, strict=True)
    ]
    numbered: list[str] = []
    for index, label in enumerate(labels):
        numbered.append(f"{label} ({labels[:index].count(label) + 1})" if labels.count(label) > 1 else label)
    return numbered


def indicator_label(indicator_id: str, subdomain_name: str, *, width: int = 30) -> str:
    """The indicator id in bold on a line of its own, then its subdomain's name wrapped with ``<br>``.

    (The id stays alone on its line: WeasyPrint drops text that follows a bold part within one
    line of a multi-line SVG label, so the PDF would lose words.)
    """
    return f"<b>{indicator_id}</b><br>{wrap(subdomain_name, width)}"


def _indicator_bar_text(result: IndicatorResult, level_name_: str) -> str:
    """One indicator in the bar chart's text alternative: ``D1.1.1 level 2 (Managed, target 3)``."""
    indicator = result.indicator_id
    if result.level is None:
        if result.not_applicable:
            return _("{indicator} not applicable", indicator=indicator)
        return _("{indicator} not answered", indicator=indicator)
    if result.target is not None:
        return _(
            "{indicator} level {level} ({label}, target {target})",
            indicator=indicator,
            level=result.level,
            label=level_name_,
            target=result.target,
        )
    return _("{indicator} level {level} ({label})", indicator=indicator, level=result.level, label=level_name_)


def indicator_bars(
    card: ScoreCard,
    questionnaire: Questionnaire,
    domain_id: str,
    *,
    show_level_key: bool = True,
    label_width: int = 30,
) -> go.Figure:
    """Horizontal bars of one domain's indicators: the level (coloured by level) and the target marker.

    An indicator marked not applicable or not yet answered gets no bar and
    says so at the start of its row.  ``show_level_key=False`` leaves out the
    colour key of the levels (the PDF report shows it once for all domains).
    Each bar is named by its subdomain or a short form of its statement (:func:`indicator_labels`, never two
    alike), wrapped at ``label_width`` characters a line; each row is as tall as its longest label needs.
    """
    domain = next(d for d in questionnaire.domains if d.id == domain_id)
    results = [card.indicator(ind.id) for ind in domain.indicators]
    statements = [questionnaire.indicator(r.indicator_id).statement for r in results]
    subdomain_names = {sub.id: sub.name for sub in domain.subdomains}
    names = [subdomain_names[r.subdomain_id] for r in results]
    labels = [wrap(label, label_width) for label in indicator_labels(statements, names)]
    levels = [r.level for r in results]
    colours = [level_colour(r.level, r.not_applicable) for r in results]
    level_names = [questionnaire.level_label(r.level) if r.level is not None else "" for r in results]
    level_word, target_word = _("Level"), _("Target")
    fig = go.Figure(
        go.Bar(
            name=level_word,
            orientation="h",
            x=levels,
            y=labels,
            marker={"color": colours, "line": {"color": OUTLINE_COLOUR, "width": 1}},
            text=[str(v) if v is not None else "" for v in levels],
            textposition="inside",
            insidetextanchor="end",
            insidetextfont={"color": [text_colour_on(c) for c in colours]},
            cliponaxis=False,
            customdata=list(zip([r.indicator_id for r in results], level_names, strict=True)),
            hovertemplate=f"%{{customdata[0]}}<br>{level_word} %{{x}} · %{{customdata[1]}}<extra></extra>",
            showlegend=False,
        )
    )
    if show_level_key:
        _add_level_key(fig, questionnaire, labels[0])
    targets = [r.target if r.level is not None else None for r in results]
    show_target = any(t is not None for t in targets)
    if show_target:
        fig.add_trace(
            go.Scatter(
                name=target_word,
                x=targets,
                y=labels,
                mode="markers",
                marker={
                    "symbol": "line-ns-open",
                    "size": 24,
                    "line": {"width": 4, "color": TARGET_COLOUR},
                    "color": TARGET_COLOUR,
                },
                customdata=[r.indicator_id for r in results],
                hovertemplate=f"%{{customdata}}<br>{target_word} %{{x}}<extra></extra>",
                cliponaxis=False,
            )
        )
    for label, result in zip(labels, results, strict=True):
        if result.level is None:
            fig.add_annotation(
                x=0,
                y=label,
                xref="x",
                yref="y",
                xshift=6,
                text="<i>" + (_("not applicable") if result.not_applicable else _("not answered")) + "</i>",
                showarrow=False,
                xanchor="left",
                font={"color": "#616161"},
            )

    parts = [_indicator_bar_text(result, named) for result, named in zip(results, level_names, strict=True)]
    description = _n(
        "Bar chart of the levels of the {n} indicator of domain {domain} on a scale of {low} to {high}: {levels}.",
        "Bar chart of the levels of the {n} indicators of domain {domain} on a scale of {low} to {high}: {levels}.",
        len(results),
        domain=_plain(domain),
        low=questionnaire.min_level,
        high=questionnaire.max_level,
        levels="; ".join(parts),
    )
    scale = list(questionnaire.scale)
    legend_rows = (1 if show_target else 0) + (2 if show_level_key else 0)
    lines = max(label.count("<br>") + 1 for label in labels)
    row_height = max(24, (FONT_SIZE + 3) * lines + 8)  # a one-line label's row: 24 px
    fig.update_layout(
        **base_layout(
            description,
            height=max(200, row_height * len(results) + 80 + 30 * legend_rows),
            margin={"l": label_margin(labels), "r": 30, "t": 10, "b": 20},
            bargap=0.35,
            barmode="overlay",
            showlegend=show_target or show_level_key,
        ),
        **_level_bar_axes(questionnaire, scale, labels),
    )
    fig.update_layout(
        legend={
            "y": 0,
            "yref": "container",
            "yanchor": "bottom",
            "entrywidth": 150,
            "entrywidthmode": "pixels",
            "traceorder": "normal",
        }
    )
    return fig

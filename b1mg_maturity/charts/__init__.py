"""Plotly figure builders, shared by the app pages and the PDF report.  No streamlit here.

``style``       the one style: colours, fonts, number formatting, wrapping, the base layout;
``scorecard``   one round's charts (radar, domain bars, indicator bars);
``comparison``  the Compare page's radar overlay and heatmaps, from :mod:`b1mg_maturity.comparison`'s tables;
``distributions`` its distribution and trends, and the overview's levels per round
                (import these two as modules: ``from b1mg_maturity.charts import comparison``).

Every figure carries a text alternative (:func:`describe`); the scale of every
chart is the questionnaire's levels.
"""

from b1mg_maturity.charts.scorecard import domain_bars, domain_label, domain_radar, indicator_bars, indicator_label
from b1mg_maturity.charts.style import (
    BENCHMARK_COLOUR,
    CURRENT_COLOUR,
    LEVEL_COLOURS,
    NOT_ANSWERED_COLOUR,
    NOT_APPLICABLE_COLOUR,
    TARGET_COLOUR,
    contrast_ratio,
    describe,
    level_colour,
    relative_luminance,
    text_colour_on,
)

__all__ = [
    "BENCHMARK_COLOUR",
    "CURRENT_COLOUR",
    "LEVEL_COLOURS",
    "NOT_ANSWERED_COLOUR",
    "NOT_APPLICABLE_COLOUR",
    "TARGET_COLOUR",
    "contrast_ratio",
    "describe",
    "domain_bars",
    "domain_label",
    "domain_radar",
    "indicator_bars",
    "indicator_label",
    "level_colour",
    "relative_luminance",
    "text_colour_on",
]

"""The colours the app draws with meet WCAG 2.1 AA: text 4.5:1, chart series and focus outlines 3:1.

The contrast is computed here from the WCAG 2 definition (not with the
charts module's own helper), and the computation is checked on known pairs first.
"""

from __future__ import annotations

import itertools
import math

import pytest

from b1mg_maturity.charts import style
from b1mg_maturity.ui import accessibility

WHITE = "#ffffff"
SIDEBAR_GREY = "#f0f2f6"  # Streamlit's light secondary background, behind the menu and its captions


def _luminance(colour: str) -> float:
    value = colour.lstrip("#")
    channels = [int(value[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(first: str, second: str) -> float:
    high, low = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _lab(colour: str) -> tuple[float, float, float]:
    """CIELAB (D65) of an sRGB colour."""
    value = colour.lstrip("#")
    r, g, b = (
        c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
        for c in (int(value[i : i + 2], 16) / 255 for i in (0, 2, 4))
    )
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def test_the_contrast_computation_gives_the_published_values() -> None:
    assert _contrast("#000000", WHITE) == pytest.approx(21.0)
    assert _contrast(WHITE, WHITE) == pytest.approx(1.0)
    # the two greys usually quoted as the lightest passing ones on white: 4.54:1 and 3.03:1
    assert _contrast("#767676", WHITE) == pytest.approx(4.54, abs=0.01)
    assert _contrast("#949494", WHITE) == pytest.approx(3.03, abs=0.01)
    # Okabe-Ito's sky blue, which the compare palette used to hold: under 3:1
    assert _contrast("#56B4E9", WHITE) < 3


def test_compare_series_colours_stand_out_from_the_background_and_from_each_other() -> None:
    colours = style.SYSTEM_COLOURS
    assert len(set(colours)) == len(colours) == 6
    for colour in colours:
        assert _contrast(colour, WHITE) >= 3, colour
    # distinguishable: any two at least 30 apart in CIELAB (a just-noticeable difference is about 2.3)
    for first, second in itertools.combinations(colours, 2):
        assert math.dist(_lab(first), _lab(second)) >= 30, (first, second)
    # the other marks drawn on charts as information: target, benchmark, highlighted and other systems
    for colour in (
        style.HIGHLIGHT_COLOUR,
        style.POINT_COLOUR,
        style.TARGET_COLOUR,
        style.BENCHMARK_COLOUR,
        style.CURRENT_COLOUR,
        style.NOT_ANSWERED_COLOUR,
    ):
        assert _contrast(colour, WHITE) >= 3, colour


def test_text_colours_reach_four_and_a_half_to_one() -> None:
    for background in (WHITE, SIDEBAR_GREY):
        assert _contrast(style.MUTED_TEXT, background) >= 4.5  # captions and level descriptions
        assert _contrast(style.DARK_TEXT, background) >= 4.5
        assert _contrast(accessibility.FOCUS_COLOUR, background) >= 3  # the focus outline (non-text)
    assert f"color: {style.MUTED_TEXT}" in accessibility.CSS
    assert f"solid {accessibility.FOCUS_COLOUR}" in accessibility.CSS
    # the text drawn on each level's colour in heatmaps
    for level, colour in style.LEVEL_COLOURS.items():
        assert _contrast(style.text_colour_on(colour), colour) >= 4.5, level

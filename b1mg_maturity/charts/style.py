"""The one style of every chart: colours, fonts, number formatting, label wrapping and the base layout.

Colours
-------
Levels use a sequential ColorBrewer palette (YlGnBu): lightness falls
monotonically from level 1 to level 5, so the order stays readable for every
kind of colour vision and in greyscale print.  "Not answered" (mid grey) and
"not applicable" (near white) are two greys whose lightness differs from every
level's by at least 5 L*, so they too stay apart without hue.  :func:`text_colour_on` picks
black or white text with the better contrast for any of them.

Health systems overlaid in one chart differ by colour (Okabe-Ito, readable with
every common colour-vision deficiency), by line dash and by marker shape, so
they stay apart in greyscale too (:func:`system_style`).
"""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go

from b1mg_maturity import i18n
from b1mg_maturity.i18n import _
from b1mg_maturity.text_colours import DARK_TEXT as DARK_TEXT
from b1mg_maturity.text_colours import LIGHT_TEXT as LIGHT_TEXT
from b1mg_maturity.text_colours import MUTED_TEXT as MUTED_TEXT

# ColorBrewer YlGnBu (7 classes): the lightest dropped so level 1 still shows on white, and the
# mid blue #1d91c0 dropped because neither black nor white text reaches 4.5:1 on it.
LEVEL_COLOURS: Mapping[int, str] = {
    1: "#c7e9b4",
    2: "#7fcdbb",
    3: "#41b6c4",
    4: "#225ea8",
    5: "#0c2c84",
}
NOT_ANSWERED_COLOUR = "#878787"
NOT_APPLICABLE_COLOUR = "#f2f2f2"

FONT_FAMILY = "Source Sans Pro, Source Sans 3, Helvetica, Arial, sans-serif"
FONT_SIZE = 13

CURRENT_COLOUR = LEVEL_COLOURS[4]
TARGET_COLOUR = "#d95f02"  # ColorBrewer Dark2 orange: stands apart from the blue-green palette
BENCHMARK_COLOUR = "#525252"
OUTLINE_COLOUR = "#4d4d4d"
GRID_COLOUR = "#e0e0e0"
POLAR_GRID_COLOUR = "#d9d9d9"
AXIS_LINE_COLOUR = "#bdbdbd"

# Okabe & Ito (2008), blue first, as the single-system colour elsewhere; each at least 3:1 on white (WCAG
# 1.4.11, graphics): their orange and sky blue (2.2:1, 2.3:1) and yellow give way to a dark ochre and
# Paul Tol's indigo.  Any two differ by at least 40 in CIELAB, besides their dashes and markers.
SYSTEM_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#997700", "#332288")
SYSTEM_DASHES = ("solid", "dash", "dashdot", "longdash", "dot", "longdashdot")
SYSTEM_SYMBOLS = ("circle", "square", "diamond", "triangle-up", "x", "star")
HIGHLIGHT_COLOUR = "#D55E00"
POINT_COLOUR = "#808080"  # 3.9:1 on white


# --- colours ----------------------------------------------------------------------------------


def level_colour(level: int | None, not_applicable: bool = False) -> str:
    """The colour of a maturity level (1..5), of "not applicable", or of "not answered" (``None``)."""
    if not_applicable:
        return NOT_APPLICABLE_COLOUR
    if level is None:
        return NOT_ANSWERED_COLOUR
    try:
        return LEVEL_COLOURS[level]
    except KeyError:
        raise ValueError(f"no colour for level {level}; levels are {min(LEVEL_COLOURS)}-{max(LEVEL_COLOURS)}") from None


def relative_luminance(colour: str) -> float:
    """WCAG 2 relative luminance of a ``#rrggbb`` colour."""
    value = colour.lstrip("#")
    if len(value) != 6:
        raise ValueError(f"expected a #rrggbb colour, found {colour!r}")

    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(value[i : i + 2]) for i in (0, 2, 4))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2 contrast ratio of two colours (1 to 21)."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def text_colour_on(background: str) -> str:
    """Dark or white text, whichever contrasts more with ``background``."""
    dark, light = contrast_ratio(background, DARK_TEXT), contrast_ratio(background, LIGHT_TEXT)
    return DARK_TEXT if dark >= light else LIGHT_TEXT


def system_style(index: int) -> dict[str, str]:
    """Colour, dash and marker of the ``index``-th overlaid health system."""
    return {
        "colour": SYSTEM_COLOURS[index % len(SYSTEM_COLOURS)],
        "dash": SYSTEM_DASHES[index % len(SYSTEM_DASHES)],
        "symbol": SYSTEM_SYMBOLS[index % len(SYSTEM_SYMBOLS)],
    }


def level_name(level: int, label: str) -> str:
    """A legend entry of a level: ``"3 · Defined"`` (just ``"3"`` without a label)."""
    return f"{level} · {label}".rstrip(" ·")


# --- numbers and text -------------------------------------------------------------------------


def number(value: Any) -> float | None:
    """A finite number, or None for a missing value (None, NaN, text)."""
    if value is None:
        return None
    try:
        result = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(result) else result


def fmt(value: Any, missing: str | None = None) -> str:
    """One decimal (written by locale), or ``missing`` where there is no number (by default "no value")."""
    result = number(value)
    if result is None:
        return _("no value") if missing is None else missing
    return i18n.number(result, 1)


def band(value: float | None, scale: Sequence[int]) -> int | None:
    """The level fully reached by a score (rounded down), kept within the scale."""
    return None if value is None else max(scale[0], min(scale[-1], math.floor(value + 1e-9)))


def wrap(text: str, width: int) -> str:
    """``text`` wrapped at ``width`` characters with ``<br>`` (words are never broken)."""
    return "<br>".join(textwrap.wrap(text, width=width, break_long_words=False)) or text


def code_label(code: str | None, name: str, width: int) -> str:
    """A short label: the code in bold on its own line, then the name wrapped (the name alone without a code)."""
    wrapped = wrap(name, width)
    return f"<b>{code}</b><br>{wrapped}" if code else wrapped


def label_margin(labels: Sequence[str]) -> int:
    """Pixels for the longest line of ``labels`` (HTML tags ignored), with padding."""
    lines = [re.sub(r"<[^>]+>", "", line) for label in labels for line in label.split("<br>")]
    return int(max((len(line) for line in lines), default=0) * FONT_SIZE * 0.62) + 30


def text_width(line: str, font_size: float) -> int:
    """A generous estimate of a label line's width in pixels (HTML tags ignored; bold counts wider)."""
    bold = sum(len(part) for part in re.findall(r"<b>(.*?)</b>", line))
    plain = re.sub(r"<[^>]+>", "", line)
    return math.ceil((len(plain) + 0.1 * bold) * font_size * CHAR_WIDTH)


CHAR_WIDTH = 0.6  # of the font size: Source Sans (the app) averages about 0.5, Noto Sans (the PDF) 0.56
LINE_HEIGHT = 1.3  # of the font size, a line of a multi-line label
RADAR_PAD = 14  # pixels between the rim and a spoke's label, and around the chart


def radar_margins(
    labels: Sequence[str], font_size: float, legend_rows: int = 0, legend_font_size: float = FONT_SIZE
) -> dict[str, int]:
    """Margins that hold every spoke label of a radar whole, whatever the chart's width.

    Plotly sets a polar area's size from the plot area and draws the angular labels outside it, in the
    margins, without ever widening them: too narrow a margin cuts a label (on a phone the chart is as
    narrow as the screen).  The spokes run clockwise from the top: the right margin takes the widest
    line of the labels on the right half, the left margin those on the left half, the top the first
    spoke's lines and the bottom the lines of the spoke pointing down (if one does), plus
    ``legend_rows`` rows of legend (room for one entry a row).
    """
    line = font_size * LINE_HEIGHT

    def width(label: str) -> int:
        return max(text_width(part, font_size) for part in label.split("<br>"))

    def height(label: str) -> int:
        return math.ceil((label.count("<br>") + 1) * line)

    count = len(labels)
    sides = [math.sin(2 * math.pi * index / count) for index in range(count)]
    right = max((width(label) for label, side in zip(labels, sides, strict=True) if side > 1e-9), default=0)
    left = max((width(label) for label, side in zip(labels, sides, strict=True) if side < -1e-9), default=0)
    top = height(labels[0]) if labels else 0
    bottom = height(labels[count // 2]) if labels and count % 2 == 0 else 0
    diagonal = max((height(label) for label in labels), default=0) // 2  # spokes near the top or bottom
    return {
        "l": left + 2 * RADAR_PAD,
        "r": right + 2 * RADAR_PAD,
        "t": max(top, diagonal) + 2 * RADAR_PAD,
        "b": max(bottom, diagonal) + 2 * RADAR_PAD + math.ceil(legend_rows * (legend_font_size + 9)),
    }


def closed(values: Sequence[Any]) -> list[Any]:
    """Repeat the first point so a radar polygon closes."""
    return [*values, values[0]] if values else []


# --- layout -----------------------------------------------------------------------------------


def separators() -> str:
    """Plotly's ``separators`` (decimal mark, then thousands separator) of the current language: ``.,`` in English,
    ``, `` (a narrow no-break space) in French, so that hover texts and ticks write numbers as the text does."""
    sample = i18n.number(1234567.5, 1)  # "1,234,567.5", "1 234 567,5", "1.234.567,5"
    group = sample[1] if not sample[1].isdigit() else ""
    return sample[-2] + group


def base_layout(description: str, **extra: Any) -> dict[str, Any]:
    """Fonts, white background, the text alternative, numbers by locale and a horizontal legend; ``extra``
    replaces keys."""
    layout: dict[str, Any] = {
        "font": {"family": FONT_FAMILY, "size": FONT_SIZE, "color": DARK_TEXT},
        "separators": separators(),
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "meta": {"description": description},
        "legend": {
            "orientation": "h",
            "yanchor": "top",
            "xanchor": "center",
            "x": 0.5,
            "font": {"size": FONT_SIZE},
        },
        "hoverlabel": {"font": {"family": FONT_FAMILY}},
    }
    layout.update(extra)
    return layout


def polar_layout(scale: Sequence[int], spokes: int) -> dict[str, Any]:
    """The polar area of a radar: the questionnaire's scale from the centre to the rim, a tick per level."""
    return {
        "bgcolor": "#ffffff",
        "radialaxis": {
            "range": [scale[0], scale[-1]],
            "tickvals": list(scale),
            "ticktext": [str(level) for level in scale],
            "tickfont": {"size": FONT_SIZE - 2, "color": MUTED_TEXT},
            # between the first two spokes, so tick labels never sit on a data point
            "angle": 90 - 180 / max(spokes, 1),
            "gridcolor": POLAR_GRID_COLOUR,
            "linecolor": AXIS_LINE_COLOUR,
            "showline": True,
        },
        "angularaxis": {
            "direction": "clockwise",
            "rotation": 90,
            "tickfont": {"size": FONT_SIZE - 1},
            "gridcolor": POLAR_GRID_COLOUR,
            "linecolor": AXIS_LINE_COLOUR,
        },
    }


# --- legends below the plot (the Compare and overview charts) ------------------------------------

# below the plot, centred; builders add the rest (``legend=LEGEND | {...}``)
LEGEND: dict[str, Any] = {
    "orientation": "h",
    "xanchor": "center",
    "x": 0.5,
    "y": 0,
    "yref": "container",
    "yanchor": "bottom",
}


def legend_below(names: Sequence[str]) -> dict[str, Any]:
    """A legend below the chart whose entries are wide enough for the longest name (no overlap)."""
    longest = max((len(n) for n in names), default=10)
    return LEGEND | {"entrywidth": int(longest * FONT_SIZE * 0.55) + 45, "entrywidthmode": "pixels"}


def legend_names(fig: go.Figure) -> list[str]:
    """The names the legend shows."""
    return [str(trace.name) for trace in fig.data if trace.name and trace.showlegend is not False]


def bottom_margin(fig: go.Figure, base: int, plot_width: int = 820) -> int:
    """Bottom margin for the axis (``base``) and the legend rows below it."""
    names = legend_names(fig)
    if not names:
        return base
    entry = int(legend_below(names)["entrywidth"])
    per_row = max(1, plot_width // entry)
    return base + math.ceil(len(names) / per_row) * 24 + 8


def axis_label(label: str, width: int = 16) -> str:
    """``"I · Governance and strategy"`` -> bold code, then the name wrapped."""
    code, sep, name = label.partition(" · ")
    return code_label(code, name, width) if sep else wrap(label, width)


def value_axis(scale: Sequence[int], pad: float) -> dict[str, Any]:
    """A score axis over the questionnaire's scale, a tick per level."""
    return {"range": [scale[0] - pad, scale[-1] + pad], "tickvals": list(scale), "gridcolor": GRID_COLOUR}


def radar_line(
    name: str,
    values: Sequence[Any],
    theta: Sequence[str],
    hover_names: Sequence[str],
    *,
    line: Mapping[str, Any],
    marker: Mapping[str, Any],
    hover_label: str,
    **extra: Any,
) -> go.Scatterpolar:
    """One closed line of a radar; a missing value is a gap in the line, never a drop to the centre."""
    return go.Scatterpolar(
        name=name,
        r=closed(values),
        theta=theta,
        mode="lines+markers",
        line=dict(line),
        marker=dict(marker),
        connectgaps=False,
        customdata=closed(hover_names),
        hovertemplate=f"%{{customdata}}<br>{hover_label} %{{r:.2f}}<extra></extra>",
        **extra,
    )


def describe(fig: go.Figure) -> str:
    """The figure's text alternative (``layout.meta["description"]``), else its title, else ``""``."""
    meta = fig.layout.meta
    if isinstance(meta, Mapping) and isinstance(meta.get("description"), str):
        return str(meta["description"])
    title = fig.layout.title.text if fig.layout.title is not None else None
    return str(title) if title else ""

"""Figures of the compare and overview pages, and the compare page's address (pure code)."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from b1mg_maturity import comparison_charts as cc
from b1mg_maturity.charts import LEVEL_COLOURS, NOT_ANSWERED_COLOUR, NOT_APPLICABLE_COLOUR, describe
from b1mg_maturity.comparison import Filters

LEVELS = {1: "Absent or ad hoc", 2: "Emerging", 3: "Defined", 4: "Established", 5: "Optimised"}


def _scale_colours(trace: object) -> list[str]:
    scale = trace.colorscale  # type: ignore[attr-defined]
    return [step[1] for step in scale[::2]]


def test_radar_overlays_systems_and_the_median_with_distinct_styles() -> None:
    table = pd.DataFrame(
        {
            "Domain": ["I · Governance", "II · Investment", "III · Ethics"],
            "XA · A": [2.0, 3.0, math.nan],
            "XB · B": [4.0, 1.0, 2.0],
            "Median of 5 health systems": [3.0, 2.0, 2.5],
        }
    )
    fig = cc.radar_overlay(table, statistic_column="Median of 5 health systems")
    names = [t.name for t in fig.data]
    assert names == ["Median of 5 health systems", "XA · A", "XB · B"]
    xa, xb = fig.data[1], fig.data[2]
    assert (xa.line.color, xa.line.dash, xa.marker.symbol) != (xb.line.color, xb.line.dash, xb.marker.symbol)
    assert xa.line.dash != xb.line.dash and xa.marker.symbol != xb.marker.symbol  # apart without colour too
    assert list(xa.r) == [2.0, 3.0, None, 2.0]  # closed, with a gap where there is no score
    text = describe(fig)
    assert "XA · A: I · Governance 2.0; II · Investment 3.0; III · Ethics no value" in text
    assert "median of 5 health systems" in text.lower()
    without = cc.radar_overlay(table.drop(columns=["Median of 5 health systems"]), statistic_column=None)
    assert [t.name for t in without.data] == ["XA · A", "XB · B"]


def test_score_heatmap_colours_cells_by_band_in_the_level_colours() -> None:
    table = pd.DataFrame(
        {
            "Health system": ["XA · A", "XB · B", "Median (2 health systems)"],
            "Overall": [2.99, 4.0, 3.5],
            "I · Governance": [1.0, math.nan, 1.0],
        }
    )
    fig = cc.score_heatmap(table, level_labels=LEVELS, highlight=["XB · B"])
    heat = fig.data[0]
    assert _scale_colours(heat) == [LEVEL_COLOURS[level] for level in range(1, 6)]
    assert (heat.zmin, heat.zmax) == (0.5, 5.5)
    assert [list(row) for row in heat.z] == [[2, 1], [4, None], [3, 1]]  # 2.99 is level 2, not 3
    assert [list(row) for row in heat.text] == [["3.0", "1.0"], ["4.0", "–"], ["3.5", "1.0"]]
    assert [t.name for t in fig.data[1:]] == [f"{k} · {v}" for k, v in LEVELS.items()]
    assert fig.layout.yaxis.ticktext[1] == "<b>XB · B</b>"
    assert len(fig.layout.shapes) == 1  # the line above the median row
    assert "XB · B: Overall 4.0, I · Governance –" in describe(fig)


def test_indicator_heatmap_tells_not_applicable_from_not_answered() -> None:
    table = pd.DataFrame(
        {"Health system": ["XA · A", "Median (3 health systems)"], "D1.1": [3, 2.5], "D1.2": ["NA", 4.0]}
    )
    table["D1.3"] = [None, math.nan]
    fig = cc.indicator_heatmap(table, level_labels=LEVELS, statements={"D1.1": "A statement"})
    heat = fig.data[0]
    assert _scale_colours(heat) == [
        *(LEVEL_COLOURS[level] for level in range(1, 6)),
        NOT_APPLICABLE_COLOUR,
        NOT_ANSWERED_COLOUR,
    ]
    assert [list(row) for row in heat.z] == [[3, cc.NA_CODE, cc.UNANSWERED_CODE], [2, 4, cc.UNANSWERED_CODE]]
    assert [list(row) for row in heat.text] == [["3", "NA", "–"], ["2.5", "4", "–"]]
    assert "A statement" in heat.customdata[0][0]


def test_distribution_marks_median_and_highest_and_highlights_the_focus() -> None:
    table = pd.DataFrame(
        {
            "Item": ["Overall", "I · Governance"],
            "Health systems": [5, None],
            "Lowest": [1.0, math.nan],
            "Lower quartile": [2.0, math.nan],
            "Median": [2.5, math.nan],
            "Upper quartile": [3.0, math.nan],
            "Highest": [4.5, math.nan],
            "Withheld": ["", "fewer than 3 health systems"],
            "XA · A": [2.2, 3.0],
        }
    )
    points = pd.DataFrame({"Item": ["Overall"] * 2, "Health system": ["XA · A", "XB · B"], "Score": [2.2, 4.5]})
    fig = cc.distribution(table, points, focus_column="XA · A")
    names = [t.name for t in fig.data]
    assert names == ["Spread (lowest, quartiles, highest)", "Median", "Highest", "Each health system", "XA · A"]
    box = fig.data[0]
    assert list(box.median) == [2.5] and list(box.upperfence) == [4.5]  # the withheld item has no box
    assert "I · Governance: statistics withheld, XA · A 3.0" in describe(fig)
    anonymous = cc.distribution(table, None, focus_column="XA · A")
    assert "Each health system" not in [t.name for t in anonymous.data]


def test_trend_lines_keep_each_systems_style_and_mark_version_changes() -> None:
    table = pd.DataFrame(
        {
            "Health system": ["XB · B", "XA · A", "XA · A", "Median"],
            "Round": ["Round 2024", "Round 2024", "Round 2025", "Round 2025"],
            "Date": [dt.date(2024, 3, 1), dt.date(2024, 4, 1), dt.date(2025, 3, 1), dt.date(2025, 3, 2)],
            "Questionnaire version": ["1", "1", "2", ""],
            "Score": [2.0, 1.5, 2.5, 2.2],
            "Change": [math.nan, math.nan, 1.0, math.nan],
            "Versions differ": [False, False, True, False],
            "Health systems": [None, None, None, 7],
        }
    )
    fig = cc.trend_lines(table, item_label="Overall", systems=["XA · A", "XB · B"])
    by_name = {t.name: t for t in fig.data}
    assert by_name["XA · A"].line.color == cc.SYSTEM_COLOURS[0]  # the first selected keeps the first style
    assert by_name["XB · B"].line.color == cc.SYSTEM_COLOURS[1]
    assert list(by_name["XA · A"].marker.symbol) == ["circle", "circle-open"]  # other version: open marker
    assert list(fig.layout.xaxis.categoryarray) == ["Round 2024", "Round 2025"]


def test_band_distribution_stacks_levels_in_their_colours() -> None:
    table = pd.DataFrame({"Round": ["Round 2024"], **{f"Level {k}": [k - 1] for k in range(1, 6)}})
    fig = cc.band_distribution(table, level_labels=LEVELS)
    assert [t.marker.color for t in fig.data] == [LEVEL_COLOURS[k] for k in range(1, 6)]
    assert "Round 2024: level 1 0, level 2 1, level 3 2, level 4 3, level 5 4" in describe(fig)


# --- the address ---------------------------------------------------------------------------------


def test_filters_round_trip_through_the_address() -> None:
    filters = Filters(
        view="heatmap",
        rounds="dates",
        date_from=dt.date(2025, 1, 1),
        date_to=dt.date(2025, 12, 31),
        questionnaire="b1mg-mlm@1.0.0",
        pillar="elsi",
        group="list",
        members=("XA", "XB"),
        systems=("XC",),
        domain="D3",
        item="D3",
        sort="overall",
    )
    query = filters.to_query()
    assert query["from"] == "2025-01-01" and query["members"] == "XA,XB"
    assert Filters.from_query(query) == filters
    assert Filters().to_query() == {}


@pytest.mark.parametrize(
    "query",
    [
        {"view": "nonsense", "rounds": "all", "group": "everyone", "from": "yesterday"},
        {"systems": ",,xa, XB ,xa", "region": "  es- "},
    ],
)
def test_the_address_is_read_leniently(query: dict[str, str]) -> None:
    filters = Filters.from_query(query)
    assert filters.view == "radar" and filters.rounds == "latest" and filters.group == "all"
    assert filters.date_from is None
    if "systems" in query:
        assert filters.systems == ("XA", "XB") and filters.region == "ES-"

"""Figures of the compare and overview pages, and the compare page's address (pure code)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence

import pandas as pd
import pytest

from b1mg_maturity.charts import LEVEL_COLOURS, NOT_ANSWERED_COLOUR, NOT_APPLICABLE_COLOUR, describe
from b1mg_maturity.charts import comparison as cc
from b1mg_maturity.charts import distributions as dc
from b1mg_maturity.charts.style import SYSTEM_COLOURS
from b1mg_maturity.comparison import Column, Filters, Table
from b1mg_maturity.ui.compare_address import filters_from_query, filters_to_query

LEVELS = {1: "Absent or ad hoc", 2: "Emerging", 3: "Defined", 4: "Established", 5: "Optimised"}
SCALE = (1, 2, 3, 4, 5)


def _table(columns: dict[str, str], data: Mapping[str, Sequence[object]], aggregate: list[bool] | None = None) -> Table:
    """A typed table: ``columns`` maps ids to labels, ``data`` holds the values by id."""
    rows = [dict(zip(data, values, strict=True)) for values in zip(*data.values(), strict=True)]
    return Table.of([Column(i, label) for i, label in columns.items()], rows, aggregate)


def _scale_colours(trace: object) -> list[str]:
    scale = trace.colorscale  # type: ignore[attr-defined]
    return [step[1] for step in scale[::2]]


def test_radar_overlays_systems_and_the_median_with_distinct_styles() -> None:
    columns = [Column("domain", "Domain"), Column("XA", "XA · A"), Column("XB", "XB · B")]
    median = Column("median", "Median of 5 health systems", aggregate=True)
    values = {
        "domain": ["I · Governance", "II · Investment", "III · Ethics"],
        "XA": [2.0, 3.0, math.nan],
        "XB": [4.0, 1.0, 2.0],
        "median": [3.0, 2.0, 2.5],
    }
    rows = [dict(zip(values, row, strict=True)) for row in zip(*values.values(), strict=True)]
    table = Table.of([*columns, median], rows)
    fig = cc.radar_overlay(table, scale=SCALE)
    names = [t.name for t in fig.data]
    assert names == ["Median of 5 health systems", "XA · A", "XB · B"]
    xa, xb = fig.data[1], fig.data[2]
    assert (xa.line.color, xa.line.dash, xa.marker.symbol) != (xb.line.color, xb.line.dash, xb.marker.symbol)
    assert xa.line.dash != xb.line.dash and xa.marker.symbol != xb.marker.symbol  # apart without colour too
    assert list(xa.r) == [2.0, 3.0, None, 2.0]  # closed, with a gap where there is no score
    text = describe(fig)
    assert "XA · A: I · Governance 2.0; II · Investment 3.0; III · Ethics no value" in text
    assert "median of 5 health systems" in text.lower()
    without = cc.radar_overlay(
        Table.of(columns, [{k: v for k, v in r.items() if k != "median"} for r in rows]), scale=SCALE
    )
    assert [t.name for t in without.data] == ["XA · A", "XB · B"]


def test_score_heatmap_colours_cells_by_band_in_the_level_colours() -> None:
    table = _table(
        {"system": "Health system", "overall": "Overall", "D1": "I · Governance"},
        {
            "system": ["XA · A", "XB · B", "Median (2 health systems)"],
            "overall": [2.99, 4.0, 3.5],
            "D1": [1.0, math.nan, 1.0],
        },
        [False, False, True],
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
    table = _table(
        {"system": "Health system", "D1.1": "D1.1", "D1.2": "D1.2", "D1.3": "D1.3"},
        {
            "system": ["XA · A", "Median (3 health systems)"],
            "D1.1": [3, 2.5],
            "D1.2": ["NA", 4.0],
            "D1.3": [None, math.nan],
        },
        [False, True],
    )
    fig = cc.indicator_heatmap(table, level_labels=LEVELS, statements={"D1.1": "A statement"})
    heat = fig.data[0]
    assert _scale_colours(heat) == [
        *(LEVEL_COLOURS[level] for level in range(1, 6)),
        NOT_APPLICABLE_COLOUR,
        NOT_ANSWERED_COLOUR,
    ]
    na, unanswered = cc.not_applicable_code(SCALE), cc.unanswered_code(SCALE)
    assert [list(row) for row in heat.z] == [[3, na, unanswered], [2, 4, unanswered]]
    assert [list(row) for row in heat.text] == [["3", "NA", "–"], ["2.5", "4", "–"]]
    assert "A statement" in heat.customdata[0][0]


def test_distribution_marks_median_and_highest_and_highlights_the_focus() -> None:
    stats = ("systems", "lowest", "q1", "median", "q3", "highest", "withheld")
    table = _table(
        {"item": "Item", **{s: s for s in stats}, "focus": "XA · A"},
        {
            "item": ["Overall", "I · Governance"],
            "systems": [5, None],
            "lowest": [1.0, math.nan],
            "q1": [2.0, math.nan],
            "median": [2.5, math.nan],
            "q3": [3.0, math.nan],
            "highest": [4.5, math.nan],
            "withheld": ["", "fewer than 3 health systems"],
            "focus": [2.2, 3.0],
        },
    )
    points = _table(
        {"item": "Item", "system": "Health system", "score": "Score"},
        {"item": ["Overall"] * 2, "system": ["XA · A", "XB · B"], "score": [2.2, 4.5]},
    )
    fig = dc.distribution(table, points, scale=SCALE)
    names = [t.name for t in fig.data]
    assert names == ["Spread (lowest, quartiles, highest)", "Median", "Highest", "Each health system", "XA · A"]
    box = fig.data[0]
    assert list(box.median) == [2.5] and list(box.upperfence) == [4.5]  # the withheld item has no box
    assert "I · Governance: statistics withheld, XA · A 3.0" in describe(fig)
    anonymous = dc.distribution(table, None, scale=SCALE)
    assert "Each health system" not in [t.name for t in anonymous.data]


def _trend_table(systems: list[str], aggregate: list[bool]) -> Table:
    ids = ("system", "round", "date", "version", "score", "change", "versions_differ", "systems")
    return _table(
        {i: i for i in ids},
        {
            "system": systems,
            "round": ["Round 2024", "Round 2024", "Round 2025", "Round 2025"],
            "date": [dt.date(2024, 3, 1), dt.date(2024, 4, 1), dt.date(2025, 3, 1), dt.date(2025, 3, 2)],
            "version": ["1", "1", "2", ""],
            "score": [2.0, 1.5, 2.5, 2.2],
            "change": [math.nan, math.nan, 1.0, math.nan],
            "versions_differ": [False, False, True, False],
            "systems": [None, None, None, 7],
        },
        aggregate,
    )


def test_trend_lines_keep_each_systems_style_and_mark_version_changes() -> None:
    table = _trend_table(["XB · B", "XA · A", "XA · A", "Median"], [False, False, False, True])
    fig = dc.trend_lines(table, item_label="Overall", scale=SCALE, systems=["XA · A", "XB · B"])
    by_name = {t.name: t for t in fig.data}
    assert by_name["XA · A"].line.color == SYSTEM_COLOURS[0]  # the first selected keeps the first style
    assert by_name["XB · B"].line.color == SYSTEM_COLOURS[1]
    assert list(by_name["XA · A"].marker.symbol) == ["circle", "circle-open"]  # other version: open marker
    assert list(fig.layout.xaxis.categoryarray) == ["Round 2024", "Round 2025"]


def test_band_distribution_stacks_levels_in_their_colours() -> None:
    table = pd.DataFrame({"Round": ["Round 2024"], **{f"Level {k}": [k - 1] for k in range(1, 6)}})
    fig = dc.band_distribution(table, level_labels=LEVELS)
    assert [t.marker.color for t in fig.data] == [LEVEL_COLOURS[k] for k in range(1, 6)]
    assert "Round 2024: level 1 0, level 2 1, level 3 2, level 4 3, level 5 4" in describe(fig)


def test_a_health_system_named_like_a_statistic_is_drawn_as_a_health_system() -> None:
    """Aggregate rows are the ones the table flags, never the ones whose text starts with "Median"."""
    heat = _table(
        {"system": "Health system", "overall": "Overall"},
        {"system": ["Median Valley", "Highest Peak", "XB · B"], "overall": [2.0, 3.0, 4.0]},
    )
    assert len(cc.score_heatmap(heat, level_labels=LEVELS).layout.shapes) == 0  # no line: no aggregate row
    flagged = _table(
        {"system": "Health system", "overall": "Overall"},
        {"system": ["Median Valley", "Median (2 health systems)"], "overall": [2.0, 3.0]},
        [False, True],
    )
    shape = cc.score_heatmap(flagged, level_labels=LEVELS).layout.shapes[0]
    assert shape.y0 == 0.5  # the line sits below "Median Valley", above the real median
    trends = _trend_table(["Median", "XA · A", "XA · A", "Median"], [False, False, False, True])
    fig = dc.trend_lines(trends, item_label="Overall", scale=SCALE)
    system = [t for t in fig.data if t.name == "Median" and t.line.dash != "dot"]
    assert len(system) == 1 and list(system[0].x) == ["Round 2024"]  # the system, in a system's style
    [statistic] = [t for t in fig.data if t.line.dash == "dot"]
    assert list(statistic.x) == ["Round 2025"]


def test_charts_take_the_scale_from_the_questionnaire() -> None:
    levels = {1: "Some", 2: "Much", 3: "All"}  # a three-level questionnaire
    heat = _table({"system": "Health system", "overall": "Overall"}, {"system": ["XA · A"], "overall": [2.0]})
    fig = cc.score_heatmap(heat, level_labels=levels)
    assert (fig.data[0].zmin, fig.data[0].zmax) == (0.5, 3.5)
    assert [t.name for t in fig.data[1:]] == ["1 · Some", "2 · Much", "3 · All"]
    trends = _trend_table(["XA · A", "XA · A", "XB · B", "XB · B"], [False] * 4)
    assert list(dc.trend_lines(trends, item_label="Overall", scale=(1, 2, 3)).layout.yaxis.tickvals) == [1, 2, 3]


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
    query = filters_to_query(filters)
    assert query["from"] == "2025-01-01" and query["members"] == "XA,XB"
    assert filters_from_query(query) == filters
    assert filters_to_query(Filters()) == {}


@pytest.mark.parametrize(
    "query",
    [
        {"view": "nonsense", "rounds": "all", "group": "everyone", "from": "yesterday"},
        {"systems": ",,xa, XB ,xa", "region": "  es- "},
    ],
)
def test_the_address_is_read_leniently(query: dict[str, str]) -> None:
    filters = filters_from_query(query)
    assert filters.view == "radar" and filters.rounds == "latest" and filters.group == "all"
    assert filters.date_from is None
    if "systems" in query:
        assert filters.systems == ("XA", "XB") and filters.region == "ES-"

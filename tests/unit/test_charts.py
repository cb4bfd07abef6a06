"""Chart builders: traces, values, axis ranges, colours, text alternatives, and their layout as Chromium draws it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import json
from collections.abc import Iterator
from typing import Any

import plotly.graph_objects as go
import pytest

from b1mg_maturity.charts import (
    LEVEL_COLOURS,
    NOT_ANSWERED_COLOUR,
    NOT_APPLICABLE_COLOUR,
    contrast_ratio,
    describe,
    domain_bars,
    domain_label,
    domain_radar,
    level_colour,
    relative_luminance,
    text_colour_on,
)
from b1mg_maturity.questionnaire import Questionnaire
from b1mg_maturity.report.context import RoundInfo, build_report_context
from b1mg_maturity.report.figures import chromium_path
from b1mg_maturity.report.render import report_figures
from b1mg_maturity.scoring import Answer, ScoreCard, score

# A = (2*1 + 3*2) / 3 = 8/3, target (4*1 + 3*2) / 3 = 10/3; B = 4; C has nothing answered.
ANSWERS = {
    "A.1.1": Answer(level=2, target=4),
    "A.1.2": Answer(level=3),
    "A.2.1": Answer(not_applicable=True),
    "B.1.1": Answer(level=4),
}


@pytest.fixture
def card(tiny: Questionnaire) -> ScoreCard:
    return score(tiny, ANSWERS)


def trace(fig: go.Figure, name: str) -> go.Scatterpolar | go.Bar | go.Scatter:
    matches = [t for t in fig.data if t.name == name]
    assert len(matches) == 1, f"expected one trace named {name!r}, found {[t.name for t in fig.data]}"
    return matches[0]


# --- colours ----------------------------------------------------------------------------------


def test_every_level_and_both_missing_states_have_distinct_colours() -> None:
    assert sorted(LEVEL_COLOURS) == [1, 2, 3, 4, 5]
    colours = [*LEVEL_COLOURS.values(), NOT_ANSWERED_COLOUR, NOT_APPLICABLE_COLOUR]
    assert len({c.lower() for c in colours}) == len(colours)
    # Distinct in lightness alone (CIE L*), so they stay apart in greyscale and for every colour vision.
    for first, second in itertools.combinations(colours, 2):
        assert abs(lightness(first) - lightness(second)) >= 5, (first, second)


def lightness(colour: str) -> float:
    """CIE L* (0 black .. 100 white) from the WCAG relative luminance."""
    y = relative_luminance(colour)
    return 116 * y ** (1 / 3) - 16 if y > 216 / 24389 else y * 24389 / 27


def test_level_palette_is_sequential_so_order_survives_colour_blindness_and_greyscale() -> None:
    luminances = [relative_luminance(LEVEL_COLOURS[level]) for level in range(1, 6)]
    assert luminances == sorted(luminances, reverse=True)
    assert len(set(luminances)) == 5


@pytest.mark.parametrize("colour", [*LEVEL_COLOURS.values(), NOT_ANSWERED_COLOUR, NOT_APPLICABLE_COLOUR])
def test_text_on_every_colour_is_readable(colour: str) -> None:
    assert contrast_ratio(colour, text_colour_on(colour)) >= 4.5


def test_level_colour_picks_level_not_applicable_and_not_answered() -> None:
    assert level_colour(3) == LEVEL_COLOURS[3]
    assert level_colour(None) == NOT_ANSWERED_COLOUR
    assert level_colour(None, not_applicable=True) == NOT_APPLICABLE_COLOUR
    assert level_colour(2, not_applicable=True) == NOT_APPLICABLE_COLOUR
    with pytest.raises(ValueError, match="no colour for level 6"):
        level_colour(6)


def test_contrast_ratio_matches_wcag_extremes() -> None:
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#777777", "#777777") == pytest.approx(1.0)


# --- radar ------------------------------------------------------------------------------------


def test_radar_current_trace_holds_domain_scores_and_a_gap_for_the_unrated_domain(
    tiny: Questionnaire, card: ScoreCard
) -> None:
    fig = domain_radar(card, tiny)
    current = trace(fig, "Current score")
    # closed polygon: the first domain repeated at the end
    assert list(current.r) == pytest.approx([8 / 3, 4.0, None, 8 / 3])
    assert current.r[2] is None and current.connectgaps is False
    assert current.theta[0] == current.theta[-1]
    assert len(current.theta) == len(tiny.domains) + 1
    assert "not rated" in current.theta[2]
    assert "not rated" not in current.theta[0]


def test_radar_axis_is_fixed_to_the_scale_with_a_tick_per_level(tiny: Questionnaire, card: ScoreCard) -> None:
    radial = domain_radar(card, tiny).layout.polar.radialaxis
    assert tuple(radial.range) == (1, 5)
    assert list(radial.tickvals) == [1, 2, 3, 4, 5]


def test_radar_target_trace_is_dashed_and_only_present_with_targets(tiny: Questionnaire, card: ScoreCard) -> None:
    target = trace(domain_radar(card, tiny), "Target")
    assert target.line.dash == "dash"
    assert list(target.r) == pytest.approx([10 / 3, 4.0, None, 10 / 3])

    without = score(tiny, {"A.1.1": Answer(level=2)})
    assert [t.name for t in domain_radar(without, tiny).data] == ["Current score"]


def test_radar_benchmark_trace_follows_domain_order_and_label(tiny: Questionnaire, card: ScoreCard) -> None:
    fig = domain_radar(card, tiny, benchmark={"C": 2.5, "A": 3.0}, benchmark_label="Highest of peers")
    bench = trace(fig, "Highest of peers")
    assert list(bench.r) == [3.0, None, 2.5, 3.0]
    assert "highest of peers 2.5" in describe(fig)


def test_radar_labels_are_wrapped_and_lead_with_the_code(tiny: Questionnaire, mlm: Questionnaire) -> None:
    assert domain_label(tiny.domains[0]) == "<b>I</b><br>Alpha"
    long = next(d for d in mlm.domains if d.code == "VI")
    label = domain_label(long)
    assert label.startswith("<b>VI</b><br>")
    assert all(len(line) <= 18 for line in label.split("<br>")[1:])
    assert label.replace("<b>VI</b><br>", "").replace("<br>", " ") == long.name


def test_radar_of_bundled_questionnaire_has_one_spoke_per_domain(mlm: Questionnaire) -> None:
    card = score(mlm, {"D1.1.1": Answer(level=5)})
    current = trace(domain_radar(card, mlm), "Current score")
    assert len(current.r) == len(mlm.domains) + 1 == 9
    assert current.r[0] == 5.0 and all(r is None for r in current.r[1:-1])


def test_radar_description_mentions_every_domain_and_its_values(tiny: Questionnaire, card: ScoreCard) -> None:
    text = describe(domain_radar(card, tiny))
    assert text.startswith("Radar chart of the maturity scores of 3 domains on a scale of 1 to 5")
    assert "I Alpha 2.7 (target 3.3)" in text
    assert "II Beta 4.0 (target 4.0)" in text
    assert "III Gamma not rated" in text


# --- bars -------------------------------------------------------------------------------------


def test_bars_hold_scores_coloured_by_band(tiny: Questionnaire, card: ScoreCard) -> None:
    fig = domain_bars(card, tiny)
    bars = trace(fig, "Current score")
    assert bars.orientation == "h"
    assert list(bars.x) == pytest.approx([8 / 3, 4.0, None])
    assert list(bars.marker.color) == [LEVEL_COLOURS[2], LEVEL_COLOURS[4], NOT_ANSWERED_COLOUR]
    assert list(bars.text) == ["2.7", "4.0", ""]
    assert fig.layout.yaxis.autorange == "reversed"  # first domain on top
    assert fig.layout.xaxis.range[0] == 0
    assert list(fig.layout.xaxis.tickvals) == [1, 2, 3, 4, 5]


def test_bars_mark_targets_and_say_not_rated(tiny: Questionnaire, card: ScoreCard) -> None:
    fig = domain_bars(card, tiny)
    assert list(trace(fig, "Target").x) == pytest.approx([10 / 3, 4.0, None])
    notes = [a for a in fig.layout.annotations if "not rated" in a.text]
    assert [a.y for a in notes] == ["<b>III</b> Gamma"]


def test_bars_legend_names_each_level_colour(tiny: Questionnaire, card: ScoreCard) -> None:
    fig = domain_bars(card, tiny)
    assert trace(fig, "3 · Three").marker.color == LEVEL_COLOURS[3]
    legend = [t.name for t in fig.data if t.showlegend is not False]
    assert legend == ["1 · One", "2 · Two", "3 · Three", "4 · Four", "5 · Five", "Target"]


def test_bars_description_gives_score_band_and_target(tiny: Questionnaire, card: ScoreCard) -> None:
    text = describe(domain_bars(card, tiny))
    assert "I Alpha 2.7 (level 2, Two, target 3.3)" in text
    assert "III Gamma not rated" in text


def test_nothing_answered_gives_empty_but_valid_figures(tiny: Questionnaire) -> None:
    card = score(tiny, {})
    radar = domain_radar(card, tiny)
    assert all(r is None for r in trace(radar, "Current score").r)
    assert describe(radar).count("not rated") == 3
    bars = domain_bars(card, tiny)
    assert len([a for a in bars.layout.annotations if "not rated" in a.text]) == 3
    assert "Target" not in [t.name for t in bars.data]


def test_describe_falls_back_to_the_title() -> None:
    assert describe(go.Figure(layout={"title": {"text": "Plain"}})) == "Plain"
    assert describe(go.Figure()) == ""


# --- layout as Chromium draws it: nothing cut off, nothing on top of something else -----------------


@dataclasses.dataclass(frozen=True)
class Box:
    left: float
    top: float
    right: float
    bottom: float
    text: str

    def inside(self, width: float, height: float) -> bool:
        return self.left >= -0.5 and self.top >= -0.5 and self.right <= width + 0.5 and self.bottom <= height + 0.5

    def overlaps(self, other: Box) -> bool:
        return not (
            self.right <= other.left or other.right <= self.left or self.bottom <= other.top or other.bottom <= self.top
        )


MEASURE = """([width, spec]) => {
  const chart = document.getElementById('chart');
  Plotly.purge(chart);
  spec.layout.width = width;
  return Plotly.newPlot(chart, spec.data, spec.layout, {staticPlot: true}).then(() => {
    const origin = chart.getBoundingClientRect();
    const boxes = {};
    for (const name of ['.angularaxistick text', '.annotation text', '.legend text', '.xtick text', '.ytick text', '.xtitle']) {
      boxes[name] = [...chart.querySelectorAll(name)].map(e => {
        const r = e.getBoundingClientRect();
        return [r.left - origin.left, r.top - origin.top, r.right - origin.left, r.bottom - origin.top, e.textContent];
      });
    }
    return boxes;
  });
}"""


@pytest.fixture(scope="module")
def plotly_page() -> Iterator[Any]:
    """A Chromium page with the installed plotly.js: figures are drawn as the app's browser draws them.

    Its sans-serif font is Noto Sans, wider than the app's Source Sans: a label that fits here fits there.
    """
    from playwright.sync_api import sync_playwright
    from plotly.offline import get_plotlyjs

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
        )
        page = browser.new_page()
        page.set_content(
            f"<html><body style='margin:0'><script>{get_plotlyjs()}</script><div id='chart'></div></body></html>"
        )
        yield page
        browser.close()


def drawn(page: Any, fig: go.Figure, width: int) -> dict[str, list[Box]]:
    found = page.evaluate(MEASURE, [width, json.loads(fig.to_json())])
    return {name.split()[0].strip("."): [Box(*box) for box in boxes] for name, boxes in found.items()}


def results_radar(mlm: Questionnaire) -> go.Figure:
    """The Results page's radar at its fullest: targets, peers with a long name, domain III not rated."""
    answers = {
        ind.id: Answer(level=1 + i % 5, target=min(5, 2 + i % 5))
        for i, ind in enumerate(mlm.indicators)
        if not ind.id.startswith("D3")
    }
    medians = {d.id: 3.0 for d in mlm.domains}
    return domain_radar(
        score(mlm, answers), mlm, benchmark=medians, benchmark_label="Median of 13 other health systems"
    )


@pytest.mark.parametrize("width", [358, 700])  # a 390 px phone's chart, and a desktop's chart column
def test_radar_spoke_labels_key_and_legend_are_whole_and_apart_on_a_phone_and_a_desktop(
    plotly_page: Any, mlm: Questionnaire, width: int
) -> None:
    fig = results_radar(mlm)
    height = fig.layout.height
    boxes = drawn(plotly_page, fig, width)
    spokes = boxes["angularaxistick"]
    assert [box.text for box in spokes][:3] == ["I", "II", "IIInot rated"]
    assert len(spokes) == len(mlm.domains) == 8
    for box in [*spokes, *boxes["annotation"], *boxes["legend"]]:
        assert box.inside(width, height), (box, width, height)
    for first, second in itertools.combinations(spokes, 2):
        assert not first.overlaps(second), (first, second)
    (key,) = boxes["annotation"]
    assert all(domain.name.split()[0] in key.text for domain in mlm.domains)
    assert key.top >= max(box.bottom for box in spokes)  # the key below the lowest spoke label
    legend = boxes["legend"]
    assert [box.text for box in legend] == ["Current score", "Target", "Median of 13 other health systems"]
    assert min(box.top for box in legend) >= key.bottom


def test_printed_charts_keep_spoke_labels_and_axis_titles_whole_and_apart(plotly_page: Any, mlm: Questionnaire) -> None:
    answers = {ind.id: Answer(level=1 + i % 5, target=5) for i, ind in enumerate(mlm.indicators) if i % 9}
    answers = {k: v for k, v in answers.items() if not k.startswith("D7")}  # a domain not rated
    context = build_report_context(mlm, score(mlm, answers), RoundInfo("Testland", "Round 2026", dt.date(2026, 3, 1)))
    figures = report_figures(context)
    (radar_key, radar, radar_width, radar_height) = figures[0]
    boxes = drawn(plotly_page, radar, radar_width)
    assert radar_key == "radar" and "VIInot rated" in [b.text for b in boxes["angularaxistick"]]
    for box in [*boxes["angularaxistick"], *boxes["legend"]]:
        assert box.inside(radar_width, radar_height), box
    for _, bars, width, height in figures[1:]:
        boxes = drawn(plotly_page, bars, width)
        (title,) = boxes["xtitle"]
        ticks = boxes["xtick"]
        assert title.text == "Maturity level" and [t.text for t in ticks] == ["1", "2", "3", "4", "5"]
        assert title.top >= max(t.bottom for t in ticks)  # the axis title below its tick labels, never on them
        assert all(box.inside(width, height) for box in [title, *ticks, *boxes["ytick"], *boxes["legend"]])
        assert all(title.bottom <= box.top for box in boxes["legend"])


# --- the action plan's timeline ------------------------------------------------------------------


def _action(action_id: int, title: str, aim: str, status: str, start: str | None, due: str | None) -> Any:
    from b1mg_maturity.domain import ActionStatus
    from b1mg_maturity.planning import Aim, PlanAction

    return PlanAction(
        id=action_id,
        health_system_id=1,
        title=title,
        aims=(Aim(aim, 4),),
        description="",
        owner_name="Ana",
        owner_username=None,
        start=dt.date.fromisoformat(start) if start else None,
        due=dt.date.fromisoformat(due) if due else None,
        status=ActionStatus(status),
        drop_reason="",
        notes="",
        done_on=None,
        version=1,
    )


PLAN = (
    _action(1, "Ethics board", "C.1.1", "planned", "2026-01-01", "2026-01-31"),  # ELSI, overdue on 1 March
    _action(2, "Alpha guidance", "A.1.1", "in_progress", "2026-02-01", "2026-06-30"),
    _action(3, "Beta survey", "B.1.1", "planned", None, None),  # no dates: not drawn
    _action(4, "Alpha audit", "A.2.1", "done", "2025-10-01", "2026-01-15"),  # past due but done: not overdue
    _action(5, "Beta pilot", "B.1.1", "proposed", "2026-04-01", None),  # a start only: not drawn
)


def test_plan_timeline_draws_dated_actions_by_pillar_with_overdue_hatched_and_said(tiny: Questionnaire) -> None:
    from b1mg_maturity.charts.plan_timeline import missing_dates, plan_timeline, undated

    fig = plan_timeline(PLAN, tiny, today=dt.date(2026, 3, 1))
    elsi, healthcare = trace(fig, "ELSI"), trace(fig, "Healthcare")
    assert len(fig.data) == 2
    assert list(elsi.y) == ["1"] and list(elsi.base) == ["2026-01-01"]
    assert list(elsi.x) == [31 * 86_400_000]  # 1 to 31 January, both days included
    assert list(healthcare.y) == ["4", "2"]  # within a pillar by start
    assert list(healthcare.x) == [107 * 86_400_000, 150 * 86_400_000]
    assert list(fig.layout.yaxis.categoryarray) == ["1", "4", "2"]  # ELSI first, as the questionnaire lists it
    assert list(elsi.text) == ["Planned · overdue"] and list(elsi.marker.pattern.shape) == ["/"]
    assert list(healthcare.text) == ["Done", "In progress"] and list(healthcare.marker.pattern.shape) == ["", ""]
    assert elsi.textangle == 0 and healthcare.textangle == 0  # never turned on its side in a short bar
    assert [a.id for a in undated(PLAN)] == [3, 5]
    assert [missing_dates(a) for a in undated(PLAN)] == ["no dates", "no due date"]
    text = describe(fig)
    assert text.startswith("Timeline of the plan: 3 actions with a start and a due date.")
    assert "Ethics board (ELSI): Planned · overdue, from 1 Jan 2026 to 31 Jan 2026." in text
    assert "Alpha audit (Healthcare): Done, from 1 Oct 2025 to 15 Jan 2026." in text
    assert text.endswith("2 actions are not on the timeline: they lack a date.")


def test_plan_timeline_coloured_by_status_and_empty(tiny: Questionnaire) -> None:
    from b1mg_maturity.charts.plan_timeline import STATUS_COLOURS, ColourBy, plan_timeline
    from b1mg_maturity.domain import ActionStatus

    fig = plan_timeline(PLAN, tiny, today=dt.date(2026, 3, 1), colour_by=ColourBy.STATUS)
    assert [t.name for t in fig.data] == ["Planned", "Done", "In progress"]
    assert trace(fig, "Done").marker.color == STATUS_COLOURS[ActionStatus.DONE]
    assert all(contrast_ratio(c, "#ffffff") >= 3 for c in STATUS_COLOURS.values())
    empty = plan_timeline(PLAN[2:3], tiny, today=dt.date(2026, 3, 1))
    assert not empty.data
    assert describe(empty) == "Timeline of the plan: no action has both a start and a due date yet."


def test_plan_timeline_shows_a_titles_tags_as_text(tiny: Questionnaire) -> None:
    """An action's title is a person's text: plotly's own tags in it are written out, never applied."""
    from b1mg_maturity.charts.plan_timeline import plan_timeline

    hostile = _action(
        9, '<a href="https://evil.example">Click</a> & <b>bold</b>', "A.1.1", "planned", "2026-01-01", "2026-02-01"
    )
    fig = plan_timeline((hostile,), tiny, today=dt.date(2026, 1, 15))
    labels = " ".join(fig.layout.yaxis.ticktext)
    assert "<a " not in labels and "<b>" not in labels
    assert "&lt;a" in labels and "&amp;" in labels
    assert fig.data[0].customdata[0][0].startswith("&lt;a href=")

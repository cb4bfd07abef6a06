"""Chart builders: traces, values, axis ranges, colours and text alternatives."""

from __future__ import annotations

import itertools

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

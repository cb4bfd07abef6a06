"""The report context: what the readiness report says, computed from a hand-made round (no rendering)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from b1mg_maturity.charts import LEVEL_COLOURS
from b1mg_maturity.questionnaire import Questionnaire
from b1mg_maturity.report.context import (
    IndicatorNotes,
    PeerMedians,
    PreviousRound,
    ReportContext,
    ReportInputs,
    RoundInfo,
    build_report_context,
    report_context_of,
)
from b1mg_maturity.scoring import Answer, score

# A = (2*1 + 3*2) / 3 = 8/3 (A.2.1 not applicable); B = 4; C = (1 + 5) / 2 = 3 with domain weight 2.
ANSWERS = {
    "A.1.1": Answer(level=2, target=4),
    "A.1.2": Answer(level=3, target=4),
    "A.2.1": Answer(not_applicable=True),
    "B.1.1": Answer(level=4, target=5),
    "C.1.1": Answer(level=1, target=3),
    "C.1.2": Answer(level=5),
}
ROUND = RoundInfo("Testland", "Round 2026", dt.date(2026, 3, 1), "published", "XT", 7)


def build(
    tiny: Questionnaire,
    answers: dict[str, Answer] | None = None,
    *,
    round_info: RoundInfo = ROUND,
    **kwargs: Any,
) -> ReportContext:
    card = score(tiny, answers if answers is not None else ANSWERS)
    return build_report_context(tiny, card, round_info, generated_on=dt.date(2026, 3, 2), **kwargs)


def test_scores_and_bands_are_the_scoring_engines(tiny: Questionnaire) -> None:
    context = build(tiny)
    card = score(tiny, ANSWERS)
    assert context.overall.score == pytest.approx(card.overall.score)
    assert context.overall.score == pytest.approx((8 / 3 + 4 + 3 * 2) / 4)
    assert context.overall.score_text == "3.2" and context.overall.band == 3
    assert context.overall.band_text == "Level 3 · Three"
    assert [p.id for p in context.pillars] == ["elsi", "healthcare"]
    assert context.pillars[1].score == pytest.approx((8 / 3 + 4) / 2)
    assert [d.score.score_text for d in context.domains] == ["2.7", "4.0", "3.0"]
    assert [d.score.colour for d in context.domains] == [LEVEL_COLOURS[2], LEVEL_COLOURS[4], LEVEL_COLOURS[3]]


def test_rows_carry_level_target_gap_next_step_and_notes(tiny: Questionnaire) -> None:
    context = build(tiny, notes={"A.1.1": IndicatorNotes(("minutes p. 3",), ("https://example.org",), "agreed")})
    alpha = context.domain("A")
    assert alpha.title == "I. Alpha" and alpha.pillar_name == "Healthcare"
    rows = {row.indicator_id: row for row in alpha.rows}
    first = rows["A.1.1"]
    assert (first.level, first.target, first.gap, first.next_step) == (2, 4, 2, "a3")
    assert first.level_text == "2 · Two" and first.subdomain_name == "Alpha one"
    assert (first.evidence, first.links, first.rationale) == (("minutes p. 3",), ("https://example.org",), "agreed")
    assert rows["A.2.1"].level_text == "not applicable" and rows["A.2.1"].next_step is None
    assert [r.indicator_id for r in alpha.noted_rows] == ["A.1.1"]
    assert alpha.score.coverage_text == "2 of 2 applicable indicators answered (100%)"


def test_action_plan_follows_the_priorities_grouped_by_pillar_largest_gap_first(tiny: Questionnaire) -> None:
    context = build(tiny)
    # healthcare: gaps 2, 1, 1 (total 4); elsi: gap 2 (total 2): equal largest gap, larger total first
    assert [g.pillar.id for g in context.action_plan] == ["healthcare", "elsi"]
    assert [[(i.rank, i.row.indicator_id, i.gap) for i in g.items] for g in context.action_plan] == [
        [(2, "A.1.1", 2), (3, "A.1.2", 1), (4, "B.1.1", 1)],
        [(1, "C.1.1", 2)],
    ]
    first = context.action_plan[1].items[0]
    assert (first.next_level, first.next_level_label, first.next_step) == (2, "Two", "e2")
    assert context.priorities_count == 4
    assert [(i.rank, i.row.indicator_id) for i in context.gaps] == [
        (1, "C.1.1"),
        (2, "A.1.1"),
        (3, "A.1.2"),
        (4, "B.1.1"),
    ]


def test_weakest_come_first_and_strongest_never_repeat_them(tiny: Questionnaire) -> None:
    context = build(tiny)
    # five answered indicators at levels 1 to 5, split at level 3: five shown either way, and the larger
    # share to the weakest
    assert [r.indicator_id for r in context.weakest] == ["C.1.1", "A.1.1", "A.1.2"]
    assert [r.indicator_id for r in context.strongest] == ["C.1.2", "B.1.1"]
    assert context.extremes_note == ""


def test_benchmark_needs_three_other_health_systems(tiny: Questionnaire) -> None:
    assert build(tiny, benchmark=PeerMedians({"A": 2.0}, count=2)).benchmark is None
    context = build(tiny, benchmark=PeerMedians({"A": 2.0, "C": 3.5}, count=3))
    assert context.benchmark is not None and context.benchmark.name == "Median of 3 other health systems"
    assert [d.benchmark for d in context.domains] == [2.0, None, 3.5]
    assert any("median of 3 other health systems" in p for s in context.methodology for p in s.paragraphs)


def test_change_since_previous_round_by_domain_pillar_and_indicator(tiny: Questionnaire) -> None:
    before = score(tiny, {"A.1.1": Answer(level=1), "B.1.1": Answer(level=4), "C.1.1": Answer(level=2)})
    context = build(tiny, previous=PreviousRound("Round 2025", dt.date(2025, 3, 1), before))
    assert context.change is not None
    # only A.1.1, B.1.1 and C.1.1 are rated in both rounds: A 1 -> 2, B 4 -> 4, C 2 -> 1
    assert [d.change.text if d.change else None for d in context.domains] == ["+1.0", "±0.0", "−1.0"]
    assert (context.change.improved, context.change.declined, context.change.unchanged) == (1, 1, 1)
    assert (context.change.compared, context.change.switched, context.change.not_compared) == (3, (), 3)
    # overall (A + B + 2 C) / 4 over those three: 9/4 before, 8/4 now
    assert context.change.overall.delta == pytest.approx(-0.25) and context.change.overall.direction == "down"
    assert context.change.sentence.startswith(
        "Since Round 2025 (1 March 2025), over the 3 indicators rated in both rounds, the overall score fell by"
    )
    assert build(tiny).change is None


def test_draft_statuses_are_watermarked_published_is_not(tiny: Questionnaire) -> None:
    for status in ("draft", "in_review", "submitted"):
        context = build(tiny, round_info=RoundInfo("Testland", "R", dt.date(2026, 1, 1), status))
        assert context.draft and context.watermark == "DRAFT"
    published = build(tiny)
    assert not published.draft and published.watermark is None and published.status_label == "Published"


def test_without_targets_no_target_gap_or_false_praise(tiny: Questionnaire) -> None:
    context = build(tiny, {"A.1.1": Answer(level=2), "B.1.1": Answer(level=3)})
    assert context.overall.target is None and context.overall.target_text == "–"
    assert all(d.score.target is None for d in context.domains)
    assert context.action_plan == ()
    assert not any("reached its target" in m for m in context.key_messages)


def test_nothing_answered_still_builds(tiny: Questionnaire) -> None:
    context = build(tiny, {})
    assert context.overall.score is None and context.overall.band_text == "not rated"
    assert context.key_messages == ("No indicator of Testland has been rated yet, so there is no score to report.",)
    assert context.strongest == () and context.weakest == ()


def test_key_messages_and_methodology_say_the_essentials(tiny: Questionnaire) -> None:
    context = build(tiny, basis_summary="consensus levels")
    assert context.key_messages[0].startswith("Testland scores 3.2 on the scale of 1 to 5: level 3, “Three”")
    assert "the largest gap is in “Gamma one”, 2 levels below its target." in " ".join(context.key_messages)
    headings = [s.heading for s in context.methodology]
    assert headings == [
        "Ratings",
        "Scores",
        "Maturity levels",
        "Coverage",
        "Targets, gaps and next steps",
        "Benchmark",
        "Change since the previous round",
        "Source of the questionnaire",
    ]
    text = " ".join(p for s in context.methodology for p in s.paragraphs)
    assert "This report uses consensus levels." in text and "Hand-made for the tests." in text
    assert "2.5 is therefore reported as level 2" in text


def test_scorecard_of_another_questionnaire_is_refused(tiny: Questionnaire, mlm: Questionnaire) -> None:
    with pytest.raises(ValueError, match="not of"):
        build_report_context(mlm, score(tiny, ANSWERS), ROUND)


def test_inputs_read_from_the_database_build_the_same_context(tiny: Questionnaire) -> None:
    card = score(tiny, ANSWERS)
    notes = {"A.1.1": IndicatorNotes(rationale="agreed")}
    inputs = ReportInputs(tiny, card, ROUND, "consensus levels", {"A.1.1": "consensus"}, notes, False)
    made = report_context_of(inputs, min_peers=3, generated_on=dt.date(2026, 3, 2))
    by_hand = build(tiny, basis_summary="consensus levels", basis={"A.1.1": "consensus"}, notes=notes)
    assert made.overall == by_hand.overall and made.rows[0].rationale == "agreed"
    assert not made.evidence_included
    assert [row.indicator_id for row in made.rows] == [ind.id for ind in tiny.indicators]


def test_basis_is_shown_in_words(tiny: Questionnaire) -> None:
    context = build(tiny, basis={"A.1.1": "consensus", "A.1.2": "experts' median", "B.1.1": "answers file"})
    labels = {row.indicator_id: row.basis_label for row in context.rows}
    assert (labels["A.1.1"], labels["A.1.2"], labels["B.1.1"], labels["C.1.1"]) == (
        "Consensus",
        "Experts' median",
        "answers file",
        "Not rated",
    )

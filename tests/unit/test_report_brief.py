"""The brief's logic: partial assessments, strongest and weakest, standing among peers, recommendations.

Every expected figure and sentence below is worked out by hand from the answers given.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from b1mg_maturity.questionnaire import Questionnaire
from b1mg_maturity.report.context import (
    PeerMedians,
    ReportContext,
    ReportInputs,
    RoundInfo,
    build_report_context,
    report_context_of,
)
from b1mg_maturity.report.inputs import PeerRound
from b1mg_maturity.report.model import Recommendation
from b1mg_maturity.scoring import Answer, score
from tests.unit.test_report_context import ANSWERS

ROUND = RoundInfo("Testland", "Round 2026", dt.date(2026, 3, 1), "published", "XT", 7)
INDICATOR_ID = re.compile(r"\b(D\d+(\.\d+)+|[A-C]\.\d\.\d)\b")


def build(questionnaire: Questionnaire, answers: dict[str, Answer], **kwargs: Any) -> ReportContext:
    card = score(questionnaire, answers)
    return build_report_context(questionnaire, card, ROUND, generated_on=dt.date(2026, 3, 2), **kwargs)


def bracket_depth(text: str) -> int:
    depth = deepest = 0
    for char in text:
        if char == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif char == ")":
            depth -= 1
    return deepest


def first_of_each_domain(mlm: Questionnaire) -> list[str]:
    return [domain.indicators[0].id for domain in mlm.domains]


# --- partial assessments -----------------------------------------------------------------------


def test_nine_of_49_answered_is_a_partial_assessment_without_a_headline_level(mlm: Questionnaire) -> None:
    ids = [*first_of_each_domain(mlm), mlm.domains[0].indicators[1].id]  # every domain rated, 9 in all
    answers = {iid: Answer(level=3) for iid in ids}
    answers[ids[-1]] = Answer(level=2)
    context = build(mlm, answers)
    assert context.partial and context.coverage_threshold == 0.8
    note = (
        "This is a partial assessment, so it gives no overall level: 9 of the 49 applicable indicators are "
        "answered (18%), fewer than the 80% needed."
    )
    assert context.partial_note == note
    assert context.key_messages[0] == note
    assert context.headline_text == "Partial assessment"
    # the tables keep the number: D1 = (3 + 2) / 2 = 2.5, seven domains at 3, overall (2.5 + 7 * 3) / 8
    assert context.overall.score_text == "2.9" and context.overall.band == 2
    assert not any("Level 2" in m or "level 2" in m or "scores 2.9" in m for m in context.key_messages)
    assert not any(m.startswith(("Strongest pillar", "Least mature domain")) for m in context.key_messages)
    assert context.standing is None


def test_three_answered_in_one_domain_names_the_missing_domains_by_count(mlm: Questionnaire) -> None:
    d1 = mlm.domains[0].indicators
    answers = {d1[0].id: Answer(level=2), d1[1].id: Answer(level=3), d1[2].id: Answer(level=4)}
    context = build(mlm, answers)
    assert context.partial
    assert context.partial_note == (
        "This is a partial assessment, so it gives no overall level: 3 of the 49 applicable indicators are "
        "answered (6%), fewer than the 80% needed, and no indicator is rated in 7 of the 8 domains."
    )
    # levels 2, 3 and 4: split at 3 (three shown either way, the larger share to the weakest)
    assert [r.level for r in context.weakest] == [2, 3]
    assert [r.level for r in context.strongest] == [4]
    assert context.extremes_note == ""


def test_two_applicable_indicators_all_answered_is_still_partial(mlm: Questionnaire) -> None:
    answers = {ind.id: Answer(not_applicable=True) for ind in mlm.indicators}
    first, last = mlm.domains[0].indicators[0].id, mlm.domains[-1].indicators[0].id
    answers[first] = Answer(level=4)
    answers[last] = Answer(level=1)
    context = build(mlm, answers)
    assert context.overall.coverage.ratio == 1.0
    assert context.partial and context.headline_text == "Partial assessment"
    assert context.partial_note == (
        "This is a partial assessment, so it gives no overall level: 2 of the 2 applicable indicators are "
        "answered (100%), but no indicator is rated in 6 of the 8 domains."
    )
    assert [r.indicator_id for r in context.strongest] == [first]
    assert [r.indicator_id for r in context.weakest] == [last]


def test_a_few_domains_not_rated_are_named(tiny: Questionnaire) -> None:
    answers = {
        "A.1.1": Answer(level=2),
        "A.1.2": Answer(level=3),
        "A.2.1": Answer(level=3),
        "B.1.1": Answer(level=4),
        "C.1.1": Answer(not_applicable=True),
        "C.1.2": Answer(not_applicable=True),
    }
    context = build(tiny, answers)
    assert context.partial_note == (
        "This is a partial assessment, so it gives no overall level: 4 of the 4 applicable indicators are "
        "answered (100%), but no indicator is rated in Gamma."
    )
    assert "This round is therefore a partial assessment." in " ".join(
        p for s in context.methodology if s.heading == "Coverage" for p in s.paragraphs
    )


def test_the_threshold_is_the_setting_passed_in(mlm: Questionnaire) -> None:
    firsts = first_of_each_domain(mlm)  # every domain rated, then others in questionnaire order up to 40
    rated_40 = firsts + [ind.id for ind in mlm.indicators if ind.id not in firsts][:32]
    assert len(set(rated_40)) == 40
    forty = {iid: Answer(level=3) for iid in rated_40}
    thirty_nine = dict(forty)
    del thirty_nine[rated_40[-1]]
    assert not build(mlm, forty).partial  # 40 / 49 = 81.6%
    assert build(mlm, thirty_nine).partial  # 39 / 49 = 79.6%
    assert build(mlm, forty).headline_text == "Level 3 · Defined"
    assert not build(mlm, thirty_nine, min_coverage=0.75).partial
    inputs = ReportInputs(mlm, score(mlm, thirty_nine), ROUND)
    assert report_context_of(inputs, generated_on=dt.date(2026, 3, 2)).partial
    relaxed = report_context_of(inputs, generated_on=dt.date(2026, 3, 2), min_coverage=0.75)
    assert not relaxed.partial and relaxed.coverage_threshold == 0.75
    assert relaxed.key_messages[0].startswith("Testland scores 3.0 on the scale of 1 to 5: level 3, “Defined”")


def test_nothing_answered_says_so_once(tiny: Questionnaire) -> None:
    context = build(tiny, {})
    assert context.partial and context.partial_note == ""
    assert context.key_messages == ("No indicator of Testland has been rated yet, so there is no score to report.",)
    assert context.extremes_note == "No indicator has been rated yet."


# --- strongest and weakest ---------------------------------------------------------------------


def test_one_level_for_all_is_said_in_one_sentence(tiny: Questionnaire) -> None:
    three = build(tiny, {"A.1.1": Answer(level=2), "B.1.1": Answer(level=2), "C.1.1": Answer(level=2)})
    assert three.strongest == () and three.weakest == ()
    assert three.extremes_note == (
        "All 3 rated indicators are at the same level, level 2, “Two”: none stands out as strongest or weakest."
    )
    one = build(tiny, {"B.1.1": Answer(level=4)})
    assert one.strongest == () and one.weakest == ()
    assert one.extremes_note == (
        "Only one indicator is rated so far, at level 4, “Four”: there is nothing yet to compare it with."
    )


def test_a_full_round_shows_five_weakest_and_three_strongest(mlm: Questionnaire) -> None:
    answers = {ind.id: Answer(level=2, target=3) for ind in mlm.indicators}
    answers["D8.5.1"] = Answer(level=5, target=5)
    answers["D2.1.1"] = Answer(level=4, target=5)
    answers["D1.1.1"] = Answer(level=4, target=4)
    answers["D3.1.1"] = Answer(level=1, target=4)
    context = build(mlm, answers)
    assert [r.indicator_id for r in context.strongest] == ["D8.5.1", "D1.1.1", "D2.1.1"]
    # the lowest, then four at level 2 in questionnaire order (equal gaps of 1)
    assert [r.indicator_id for r in context.weakest] == ["D3.1.1", "D1.2.1", "D1.3.1", "D2.2.1", "D2.3.1"]


LEVEL_OR_NOT = st.one_of(
    st.none(),
    st.just("NA"),
    st.tuples(st.integers(1, 5), st.one_of(st.none(), st.integers(1, 5))),
)


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_strongest_and_weakest_never_contradict_each_other(mlm: Questionnaire, data: st.DataObject) -> None:
    answers: dict[str, Answer] = {}
    for ind in mlm.indicators:
        given_ = data.draw(LEVEL_OR_NOT, label=ind.id)
        if given_ == "NA":
            answers[ind.id] = Answer(not_applicable=True)
        elif isinstance(given_, tuple):
            answers[ind.id] = Answer(level=given_[0], target=given_[1])
    context = build(mlm, answers)
    strong, weak = context.strongest, context.weakest
    levels = {a.level for a in answers.values() if a.level is not None}
    assert len(strong) <= 3 and len(weak) <= 5
    assert not {r.indicator_id for r in strong} & {r.indicator_id for r in weak}
    if not levels:
        assert (strong, weak, context.extremes_note) == ((), (), "No indicator has been rated yet.")
        return
    assert "No indicator has been rated" not in context.extremes_note
    if len(levels) == 1:
        assert strong == () and weak == () and context.extremes_note
        return
    assert strong and weak and context.extremes_note == ""
    assert min(r.level or 0 for r in strong) > max(r.level or 0 for r in weak)
    assert strong[0].level == max(levels) and weak[0].level == min(levels)
    # as many as the rule allows: no indicator left out fits a list with room without a contradiction
    shown = {r.indicator_id for r in (*strong, *weak)}
    for row in context.rows:
        if row.level is None or row.indicator_id in shown:
            continue
        assert not (len(weak) < 5 and row.level < min(r.level or 0 for r in strong)), row.indicator_id
        assert not (len(strong) < 3 and row.level > max(r.level or 0 for r in weak)), row.indicator_id


# --- standing among peers ----------------------------------------------------------------------

# The tiny round of the report-context tests: A = 8/3, B = 4, C = 3 counting twice: overall
# (8/3 + 4 + 6) / 4 = 3.17.
TINY = ANSWERS


def peers(*overall: float | None) -> PeerMedians:
    rounds = tuple(PeerRound(dt.date(2026, 1, 1 + i), "2026", score, True) for i, score in enumerate(overall))
    return PeerMedians({"A": 3.0, "B": 3.0, "C": 3.0}, count=len(overall), rounds=rounds)


def test_standing_is_rank_and_quartile_among_the_peers(tiny: Questionnaire) -> None:
    context = build(tiny, TINY, benchmark=peers(4.0, 3.5, 2.5, 1.5))
    # two peers above 3.17: 3rd of 5; ceil(4 * 3 / 5) = 3; median of the peers (3.5 + 2.5) / 2 = 3.0
    assert context.standing is not None
    assert (context.standing.rank, context.standing.of, context.standing.quartile) == (3, 5, 3)
    assert context.standing.peer_median == 3.0
    sentence = (
        "Among this health system and 4 peers, the overall score ranks 3rd of 5, in the third quarter; "
        "the peers' median is 3.0."
    )
    assert context.standing.sentence == sentence and sentence in context.key_messages


def test_standing_top_and_bottom_and_ties(tiny: Questionnaire) -> None:
    top = build(tiny, TINY, benchmark=peers(1.0, 2.0, 3.0))
    assert top.standing is not None and (top.standing.rank, top.standing.of, top.standing.quartile) == (1, 4, 1)
    bottom = build(tiny, TINY, benchmark=peers(3.5, 4.0, 4.5, 5.0, 3.2, 3.3, 3.4))
    assert bottom.standing is not None
    assert (bottom.standing.rank, bottom.standing.of, bottom.standing.quartile) == (8, 8, 4)
    tied = build(tiny, TINY, benchmark=peers(19 / 6, 4.0, 1.0))  # a peer at exactly 3.1666…: no one above but 4.0
    assert tied.standing is not None and (tied.standing.rank, tied.standing.quartile) == (2, 2)


def test_no_standing_without_enough_peer_scores_or_when_partial(tiny: Questionnaire) -> None:
    assert build(tiny, TINY).standing is None
    assert build(tiny, TINY, benchmark=peers(4.0, None, 2.0)).standing is None  # two peers with a score
    partial = {**TINY, "B.1.1": Answer()}  # domain B not rated
    assert build(tiny, partial, benchmark=peers(4.0, 3.0, 2.0)).standing is None


# --- recommendations ---------------------------------------------------------------------------


def test_recommendations_follow_the_largest_gaps_grouped_by_theme(tiny: Questionnaire) -> None:
    context = build(tiny, TINY)
    # priorities: C.1.1 (gap 2, level 1), A.1.1 (gap 2), A.1.2 (gap 1, level 3), B.1.1 (gap 1, level 4)
    assert [(r.theme, r.indicators[0].indicator_id) for r in context.recommendations] == [
        ("ELSI", "C.1.1"),
        ("Healthcare", "A.1.1"),
        ("Healthcare", "A.1.2"),
        ("Healthcare", "B.1.1"),
    ]
    texts = [r.text for r in context.recommendations]
    assert texts == [
        "Raise “Gamma one” from level 1 to level 2: e2. The target is level 3.",
        # two of one subdomain: each named by its statement
        "Raise “First alpha indicator” from level 2 to level 3: a3. The target is level 4.",
        "Raise “Second alpha indicator, counts double” from level 3 to level 4: b4.",
        "Raise “Beta one” from level 4 to level 5: d5.",
    ]
    assert "the largest gap is in “Gamma one”, 2 levels below its target." in " ".join(context.key_messages)
    assert [(theme, len(recs)) for theme, recs in context.recommendation_groups] == [("ELSI", 1), ("Healthcare", 3)]


def test_without_targets_the_lowest_rated_below_the_top_level(tiny: Questionnaire) -> None:
    answers = {iid: Answer(level=a.level) for iid, a in TINY.items() if a.level is not None}
    context = build(tiny, answers)
    # C.1.1 (1), A.1.1 (2), A.1.2 (3), B.1.1 (4); C.1.2 is at the top level and cannot rise
    assert [r.indicators[0].indicator_id for r in context.recommendations] == [
        "C.1.1",
        "A.1.1",
        "A.1.2",
        "B.1.1",
    ]
    assert context.recommendations[1].text == "Raise “First alpha indicator” from level 2 to level 3: a3."


def test_one_gap_is_topped_up_to_three_from_the_lowest_rated(tiny: Questionnaire) -> None:
    answers = {
        "A.1.1": Answer(level=2, target=3),
        "A.1.2": Answer(level=3),
        "B.1.1": Answer(level=4),
        "C.1.1": Answer(level=1),
        "C.1.2": Answer(level=5),
    }
    context = build(tiny, answers)
    assert [(r.theme, r.indicators[0].indicator_id) for r in context.recommendations] == [
        ("Healthcare", "A.1.1"),
        ("Healthcare", "A.1.2"),
        ("ELSI", "C.1.1"),
    ]


def test_a_planned_action_comes_first(tiny: Questionnaire) -> None:
    card = score(tiny, TINY)
    planned = Recommendation("ELSI", "Adopt the consent law drafted in 2025.")
    context = build_report_context(tiny, card, ROUND, generated_on=dt.date(2026, 3, 2), planned=(planned,))
    assert context.recommendations[0] is planned
    assert len(context.recommendations) == 5


def test_a_full_mlm_round_gets_five_plain_recommendations(mlm: Questionnaire) -> None:
    answers = {ind.id: Answer(level=2, target=4) for ind in mlm.indicators}
    context = build(mlm, answers)
    recs = context.recommendations
    assert 3 <= len(recs) <= 5 and len(recs) == 5
    themes = [r.theme for r in recs]
    assert themes == sorted(themes, key=themes.index)  # each theme in one run
    # every indicator has the same gap: no more than two of one pillar while the other three have gaps
    assert max(themes.count(theme) for theme in themes) == 2 and len(set(themes)) == 3
    for rec in recs:
        assert not INDICATOR_ID.search(rec.text)
        assert bracket_depth(rec.text) <= 1
        assert rec.text.startswith("Raise “") and "from level 2 to level 3: " in rec.text
        assert rec.text.endswith("The target is level 4.")
    for message in context.key_messages:
        assert not INDICATOR_ID.search(message) and bracket_depth(message) <= 1, message

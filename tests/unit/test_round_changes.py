"""The change between two rounds, measured only over the indicators rated in both (hand-made rounds).

The bundled questionnaire has 8 domains (D1 3 indicators, D2 5, D3 11, D4 3,
D5 7, D6 5, D7 6, D8 9), every indicator and domain with weight 1; the
healthcare pillar is D1, D2, D5 and D6.  Every expected value below is worked
out by hand in the comments.
"""

from __future__ import annotations

import datetime as dt

import pytest

from b1mg_maturity.comparison import Filters, PublishedRound, ScoredRound, Viewer
from b1mg_maturity.comparison.changes import round_changes
from b1mg_maturity.comparison.compare import assemble, plan
from b1mg_maturity.domain import RoundPeriod, RoundStatus
from b1mg_maturity.questionnaire import Questionnaire
from b1mg_maturity.report.context import PreviousRound, RoundInfo, build_report_context
from b1mg_maturity.scoring import Aggregation, Answer, score

NA = Answer(not_applicable=True)


def _rounds(mlm: Questionnaire) -> tuple[dict[str, Answer], dict[str, Answer]]:
    """Level 3 everywhere in both rounds, except:

    * D6 (the issue's Domain VI): D6.1.1 not applicable -> 1, D6.2.1 and D6.3.1 4 -> 5, D6.4.1 and
      D6.5.1 4 -> 4.  Plain scores: 4.0 -> (1 + 5 + 5 + 4 + 4) / 5 = 3.8, a fall of 0.2; over the four
      rated in both: 4.0 -> 4.5, a rise of 0.5.
    * D2 (the issue's Domain II): D2.1.1 1 -> not applicable, D2.2.1 .. D2.3.3 3, 4, 3, 4 -> 4, 5, 4, 5.
      Plain scores: (1 + 14) / 5 = 3.0 -> 18 / 4 = 4.5, +1.5; over the four rated in both: 3.5 -> 4.5, +1.0.
    * D1.1.1 3 -> 2 (the one decline): D1 over its three: 3 -> 8/3.
    * not compared: D8.1.1 answered before only, D4.1.1 answered now only, D7.1.1 not applicable in both.
    """
    before = {ind.id: Answer(level=3) for ind in mlm.indicators}
    now = dict(before)
    before["D6.1.1"], now["D6.1.1"] = NA, Answer(level=1)
    for ind in ("D6.2.1", "D6.3.1"):
        before[ind], now[ind] = Answer(level=4), Answer(level=5)
    for ind in ("D6.4.1", "D6.5.1"):
        before[ind] = now[ind] = Answer(level=4)
    before["D2.1.1"], now["D2.1.1"] = Answer(level=1), NA
    for ind, level in (("D2.2.1", 3), ("D2.3.1", 4), ("D2.3.2", 3), ("D2.3.3", 4)):
        before[ind], now[ind] = Answer(level=level), Answer(level=level + 1)
    now["D1.1.1"] = Answer(level=2)
    del now["D8.1.1"]
    del before["D4.1.1"]
    before["D7.1.1"] = now["D7.1.1"] = NA
    return before, now


def test_a_switch_from_not_applicable_does_not_turn_a_rise_into_a_fall(mlm: Questionnaire) -> None:
    before, now = _rounds(mlm)
    old, new = score(mlm, before), score(mlm, now)
    plain = (new.domain("D6").score or 0) - (old.domain("D6").score or 0)
    assert plain == pytest.approx(-0.2)  # what the old report showed in red
    found = round_changes(mlm, new, old)
    d6 = found.domain("D6")
    assert (d6.previous, d6.current, d6.compared) == pytest.approx((4.0, 4.5, 4))
    assert d6.delta == pytest.approx(0.5)
    assert [(i.indicator_id, i.previous, i.current) for i in found.switched] == [
        ("D2.1.1", 1, None),
        ("D6.1.1", None, 1),
    ]


def test_a_switch_to_not_applicable_does_not_inflate_a_rise(mlm: Questionnaire) -> None:
    before, now = _rounds(mlm)
    old, new = score(mlm, before), score(mlm, now)
    assert (new.domain("D2").score or 0) - (old.domain("D2").score or 0) == pytest.approx(1.5)
    d2 = round_changes(mlm, new, old).domain("D2")
    assert (d2.previous, d2.current, d2.compared) == pytest.approx((3.5, 4.5, 4))
    assert d2.delta == pytest.approx(1.0)


def test_overall_and_pillars_are_rescored_over_the_common_indicators(mlm: Questionnaire) -> None:
    before, now = _rounds(mlm)
    found = round_changes(mlm, score(mlm, now), score(mlm, before))
    # domain changes over the common indicators: D1 -1/3, D2 +1, D6 +0.5, the other five 0
    assert found.overall.delta == pytest.approx((-1 / 3 + 1 + 0.5) / 8)  # 7/48
    assert found.pillar("healthcare").delta == pytest.approx((-1 / 3 + 1 + 0 + 0.5) / 4)  # D1, D2, D5, D6
    assert found.pillar("elsi").delta == pytest.approx(0.0)
    # D4 without D4.1.1 (answered now only): still compared over the other two
    assert (found.domain("D4").compared, found.domain("D4").delta) == pytest.approx((2, 0.0))


def test_the_counts_add_up_to_every_indicator(mlm: Questionnaire) -> None:
    before, now = _rounds(mlm)
    found = round_changes(mlm, score(mlm, now), score(mlm, before))
    # improved: D6.2.1, D6.3.1 and the four of D2 after D2.1.1; declined: D1.1.1
    assert [i.indicator_id for i in found.improved] == ["D2.2.1", "D2.3.1", "D2.3.2", "D2.3.3", "D6.2.1", "D6.3.1"]
    assert [i.indicator_id for i in found.declined] == ["D1.1.1"]
    assert [i.indicator_id for i in found.not_compared] == ["D4.1.1", "D7.1.1", "D8.1.1"]
    assert (found.compared, len(found.unchanged), len(found.switched)) == (44, 37, 2)
    assert found.compared + len(found.switched) + len(found.not_compared) == 49
    assert found.overall.compared == 44


def test_a_domain_with_nothing_in_common_has_no_change(tiny: Questionnaire) -> None:
    # C: C.1.1 not applicable and C.1.2 unanswered before, both rated now; A and B rated in both
    old = score(tiny, {"A.1.1": Answer(level=2), "B.1.1": Answer(level=3), "C.1.1": NA})
    new = score(
        tiny, {"A.1.1": Answer(level=2), "B.1.1": Answer(level=4), "C.1.1": Answer(level=1), "C.1.2": Answer(level=5)}
    )
    found = round_changes(tiny, new, old)
    c = found.domain("C")
    assert (c.previous, c.current, c.delta, c.compared) == (None, None, None, 0)
    assert found.pillar("elsi").delta is None  # the elsi pillar is C alone
    # overall over A and B only (C, weight 2, has nothing in common): (2 + 3) / 2 -> (2 + 4) / 2
    assert found.overall.delta == pytest.approx(0.5)
    context = build_report_context(
        tiny,
        new,
        RoundInfo("Testland", "Round 2026", dt.date(2026, 3, 1)),
        previous=PreviousRound("Round 2025", dt.date(2025, 3, 1), old),
    )
    change = context.domain("C").change
    assert change is not None and (change.text, change.direction) == ("–", "none")


def test_the_aggregation_and_weights_are_the_scoring_engines(tiny: Questionnaire) -> None:
    # A.1.1 (weight 1) 1 -> 2, A.1.2 (weight 2) 3 -> 3, A.2.1 not applicable -> 1 (a switch, left out)
    old = score(tiny, {"A.1.1": Answer(level=1), "A.1.2": Answer(level=3), "A.2.1": NA})
    new = score(tiny, {"A.1.1": Answer(level=2), "A.1.2": Answer(level=3), "A.2.1": Answer(level=1)})
    # weighted mean: (1 + 2*3) / 3 = 7/3 -> (2 + 2*3) / 3 = 8/3 (with A.2.1 it would be 9/4)
    assert round_changes(tiny, new, old).domain("A").delta == pytest.approx(1 / 3)
    # minimum: 1 -> 2 (with A.2.1 it would stay at 1)
    assert round_changes(tiny, new, old, Aggregation.MINIMUM).domain("A").delta == pytest.approx(1.0)
    # median of (1, 3) = 2 -> median of (2, 3) = 2.5 (with A.2.1, median of (1, 2, 3) = 2)
    assert round_changes(tiny, new, old, Aggregation.MEDIAN).domain("A").delta == pytest.approx(0.5)


def test_the_report_says_what_the_change_is_measured_over(mlm: Questionnaire) -> None:
    before, now = _rounds(mlm)
    context = build_report_context(
        mlm,
        score(mlm, now),
        RoundInfo("Testland", "Round 2026", dt.date(2026, 3, 1)),
        previous=PreviousRound("Round 2025", dt.date(2025, 3, 1), score(mlm, before)),
    )
    change = context.change
    assert change is not None
    d6, d2 = context.domain("D6").change, context.domain("D2").change
    assert d6 is not None and (d6.text, d6.direction) == ("+0.5", "up")
    assert d2 is not None and d2.text == "+1.0"
    assert (change.improved, change.declined, change.unchanged, change.compared, change.not_compared) == (
        6,
        1,
        37,
        44,
        3,
    )
    assert change.total == 49
    assert change.scores_note == (
        "Before and now are scores over the 44 indicators rated in both rounds, so they can differ from the "
        "scores shown elsewhere in this report."
    )
    # overall +7/48 = 0.146: "rose by 0.1"
    assert change.sentence == (
        "Since Round 2025 (1 March 2025), over the 44 indicators rated in both rounds, the overall score rose by "
        "0.1: 6 improved, 1 declined and 37 stayed at the same level. The other 5 indicators are not compared: "
        "2 moved between not applicable and a level and are listed apart; 3 were not answered or not applicable "
        "in one round or both."
    )
    assert [s.text for s in change.switched] == [
        "was level 1 · Absent or ad hoc, now not applicable",
        "was not applicable, now level 1 · Absent or ad hoc",
    ]
    statement = mlm.indicator("D6.1.1").statement.rstrip(".")
    assert change.switched[1].sentence == f"{statement}: was not applicable, now level 1 · Absent or ad hoc."
    assert not any("D6" in s.sentence or "D2" in s.sentence for s in change.switched)  # no ids put to the reader
    method = next(s for s in context.methodology if s.heading == "Change since the previous round")
    assert any("only over the indicators rated with a level in both rounds" in p for p in method.paragraphs)


def test_nothing_rated_in_both_rounds_says_so(tiny: Questionnaire) -> None:
    old = score(tiny, {"A.1.1": NA, "B.1.1": Answer(level=2)})
    new = score(tiny, {"A.1.1": Answer(level=3)})
    context = build_report_context(
        tiny,
        new,
        RoundInfo("Testland", "Round 2026", dt.date(2026, 3, 1)),
        previous=PreviousRound("Round 2025", dt.date(2025, 3, 1), old),
    )
    assert context.change is not None
    assert context.change.sentence == (
        "Since Round 2025 (1 March 2025) no indicator has been rated with a level in both rounds, so no change "
        "can be measured. Of the 6 indicators, 1 moved between not applicable and a level and is listed apart; "
        "5 were not answered or not applicable in one round or both."
    )


def _published(round_id: int, year: int) -> PublishedRound:
    return PublishedRound(
        round_id,
        "P",
        "Pland",
        f"Round {year}",
        dt.date(year, 3, 1),
        "tiny",
        "0.1",
        RoundStatus.PUBLISHED.value,
        health_system_id=1,
        questionnaire_title="Tiny test questionnaire",
        period=RoundPeriod(year),
    )


def test_the_compare_pages_trend_change_uses_the_same_rule(tiny: Questionnaire) -> None:
    # A: A.1.1 1 -> 2, A.1.2 (weight 2) 3 -> unanswered, A.2.1 not applicable -> 1.
    # Plain: (1 + 2*3) / 3 = 7/3 -> (2 + 1) / 2 = 1.5, a fall of 0.83; over A.1.1 alone: 1 -> 2, +1.0.
    # Overall over A.1.1 and B.1.1 (C has nothing in common): (1 + 4) / 2 = 2.5 -> (2 + 4) / 2 = 3.0, +0.5.
    cards = {
        1: score(tiny, {"A.1.1": Answer(level=1), "A.1.2": Answer(level=3), "A.2.1": NA, "B.1.1": Answer(level=4)}),
        2: score(
            tiny,
            {"A.1.1": Answer(level=2), "A.2.1": Answer(level=1), "B.1.1": Answer(level=4), "C.1.1": Answer(level=3)},
        ),
    }
    published = [_published(2, 2026), _published(1, 2025)]
    scored = {r.round_id: ScoredRound(r, cards[r.round_id], 1, tiny) for r in published}
    viewer = Viewer(named=True)

    def trend(item: str) -> list[float]:
        chosen = plan(published, viewer, Filters(systems=("P",), item=item, view="trends"))
        result = assemble(chosen, scored, tiny, viewer, 1)
        table = result.tables["trends"]
        rows = table.data.loc[~table.data["is_aggregate"]]
        return rows["change"].tolist()

    first, second = trend("A")
    assert first != first and second == pytest.approx(1.0)  # NaN: no earlier round
    assert trend("overall")[1] == pytest.approx(0.5)


def _sentence(tiny: Questionnaire, before: dict[str, Answer], now: dict[str, Answer]) -> str:
    context = build_report_context(
        tiny,
        score(tiny, now),
        RoundInfo("Testland", "Round 2026", dt.date(2026, 3, 1)),
        previous=PreviousRound("Round 2025", dt.date(2025, 3, 1), score(tiny, before)),
    )
    assert context.change is not None
    return context.change.sentence


def test_what_is_left_out_is_said_once_in_plain_words(tiny: Questionnaire) -> None:
    five = {i: Answer(level=3) for i in ("A.1.1", "A.1.2", "A.2.1", "B.1.1", "C.1.1")}
    assert _sentence(tiny, five, five) == (
        "Since Round 2025 (1 March 2025), over the 5 indicators rated in both rounds, the overall score is "
        "unchanged: 0 improved, 0 declined and 5 stayed at the same level. The other indicator is not compared: "
        "it was not answered or not applicable in one round or both."
    )
    four = {i: Answer(level=3) for i in ("A.1.1", "A.1.2", "A.2.1", "B.1.1")}
    before = four | {"C.1.1": NA, "C.1.2": NA}
    now = four | {"C.1.1": Answer(level=2), "C.1.2": Answer(level=3)}
    assert _sentence(tiny, before, now).endswith(
        "4 stayed at the same level. The other 2 indicators moved between not applicable and a level: they are "
        "listed apart and not compared."
    )
    every = four | {"C.1.1": Answer(level=2), "C.1.2": Answer(level=3)}
    assert _sentence(tiny, every, every).endswith("6 stayed at the same level.")  # nothing left out, nothing said

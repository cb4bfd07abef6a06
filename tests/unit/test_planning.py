"""The action plan, pure: coverage of gaps, reached-or-not across rounds, overdue, since the last round, filters.

Every gap, action and level below is written by hand; so is every expected answer.
The questionnaire of the filter tests is tests/fixtures/tiny.yaml: domains A (A.1.1, A.1.2,
A.2.1) and B (B.1.1) in the healthcare pillar, C (C.1.1, C.1.2) in the ELSI pillar.
"""

from __future__ import annotations

import datetime as dt

from b1mg_maturity.domain import ActionStatus
from b1mg_maturity.planning import (
    ActionFilter,
    Aim,
    AimState,
    LevelMove,
    PlanAction,
    coverage,
    draft_for_gap,
    levels_of,
    outcome,
    overdue,
    pillar_of,
    since_last_round,
    uncovered,
)
from b1mg_maturity.questionnaire import Questionnaire
from b1mg_maturity.scoring import Answer, Priority, score

S = ActionStatus
TODAY = dt.date(2026, 5, 10)


def act(
    id: int,
    *aims: tuple[str, int],
    status: ActionStatus = S.PLANNED,
    due: dt.date | None = None,
    done_on: dt.date | None = None,
    owner_name: str = "",
    owner_username: str | None = None,
) -> PlanAction:
    return PlanAction(
        id=id,
        health_system_id=1,
        title=f"action {id}",
        aims=tuple(Aim(i, level) for i, level in aims),
        description="",
        owner_name=owner_name,
        owner_username=owner_username,
        start=None,
        due=due,
        status=status,
        drop_reason="because" if status == S.DROPPED else "",
        notes="",
        done_on=done_on,
        version=1,
    )


def gap(indicator_id: str, level: int, target: int, rank: int = 1, next_step: str | None = None) -> Priority:
    return Priority(rank, indicator_id, indicator_id[0], "healthcare", level, target, target - level, next_step)


# --- coverage ---------------------------------------------------------------------------------------------

G1, G2, G3, G4 = gap("A.1.1", 2, 4, 1), gap("B.1.1", 1, 3, 2), gap("C.1.1", 3, 5, 3), gap("C.1.2", 1, 2, 4)


def test_each_gap_is_covered_only_by_open_actions_aiming_above_its_level() -> None:
    a1 = act(1, ("A.1.1", 4))  # covers G1, to its target
    a2 = act(2, ("B.1.1", 3), status=S.DROPPED)  # dropped: covers nothing
    a3 = act(3, ("B.1.1", 1))  # aims at G2's current level: no step up, no cover
    a4 = act(4, ("C.1.1", 4), ("A.1.1", 3), status=S.IN_PROGRESS)  # G3 in part (4 < 5), and G1 (3 > 2)
    a5 = act(5, ("C.1.1", 2))  # below G3's level
    a6 = act(6, ("C.1.2", 2), status=S.PROPOSED)  # a proposal covers G4, at its target
    a7 = act(7, ("C.1.2", 5), status=S.DONE)  # done still covers: it aimed above
    covered = coverage([G1, G2, G3, G4], [a1, a2, a3, a4, a5, a6, a7])
    assert [c.gap for c in covered] == [G1, G2, G3, G4]  # the order given
    assert [[a.id for a in c.actions] for c in covered] == [[1, 4], [], [4], [6, 7]]
    assert [c.covered for c in covered] == [True, False, True, True]
    assert [c.aimed_level for c in covered] == [4, None, 4, 5]  # the highest aim at the gap's indicator
    assert [c.reaches_target for c in covered] == [True, False, False, True]
    assert uncovered(covered) == (G2,)


def test_a_gap_left_by_every_action_but_a_dropped_one_is_uncovered() -> None:
    covered = coverage([G1], [act(1, ("A.1.1", 5), status=S.DROPPED), act(2, ("A.1.1", 2)), act(3, ("B.1.1", 5))])
    assert covered[0].actions == () and covered[0].aimed_level is None and not covered[0].reaches_target
    assert uncovered(covered) == (G1,)


def test_a_gap_gives_a_draft_aimed_at_its_target(tiny: Questionnaire) -> None:
    draft = draft_for_gap(gap("A.2.1", 1, 4, next_step="Write it down."), tiny, today=TODAY)
    assert draft.title == "Reach level 4 on A.2.1 (Alpha two)"
    assert draft.aims == (Aim("A.2.1", 4),)
    assert (draft.description, draft.start, draft.due, draft.status) == ("Write it down.", TODAY, None, S.PLANNED)


# --- reached the aimed level, across rounds ---------------------------------------------------------------


def test_an_action_is_judged_in_each_later_round() -> None:
    action = act(1, ("A.1.1", 3), ("B.1.1", 4))
    # round -> levels, and what is expected: the levels found, the state per aim, the whole action's state
    rounds: dict[str, tuple[dict[str, int | None], list[int | None], list[AimState], AimState]] = {
        "2025 (nothing rated yet)": ({}, [None, None], [AimState.NOT_RATED] * 2, AimState.NOT_RATED),
        "2026 (one rated, below)": (
            {"A.1.1": 2, "B.1.1": None},
            [2, None],
            [AimState.NOT_YET, AimState.NOT_RATED],
            AimState.NOT_YET,
        ),
        "2027 (one reached, one not rated)": (
            {"A.1.1": 3},
            [3, None],
            [AimState.REACHED, AimState.NOT_RATED],
            AimState.NOT_YET,
        ),
        "2028 (one reached, one below)": (
            {"A.1.1": 5, "B.1.1": 3},
            [5, 3],
            [AimState.REACHED, AimState.NOT_YET],
            AimState.NOT_YET,
        ),
        "2029 (both at or above)": (
            {"A.1.1": 3, "B.1.1": 5},
            [3, 5],
            [AimState.REACHED, AimState.REACHED],
            AimState.REACHED,
        ),
    }
    for name, (levels, found, states, whole) in rounds.items():
        judged = outcome(action, levels)
        assert [a.aim for a in judged.aims] == [Aim("A.1.1", 3), Aim("B.1.1", 4)], name
        assert [a.level for a in judged.aims] == found, name
        assert [a.state for a in judged.aims] == states, name
        assert judged.state == whole, name


def test_a_rounds_levels_come_from_its_score_card(tiny: Questionnaire) -> None:
    card = score(
        tiny,
        {"A.1.1": Answer(level=4, target=5), "A.1.2": Answer(not_applicable=True), "C.1.1": Answer(level=1)},
    )
    levels = levels_of(card)
    assert levels == {"A.1.1": 4, "A.1.2": None, "A.2.1": None, "B.1.1": None, "C.1.1": 1, "C.1.2": None}
    assert outcome(act(1, ("A.1.1", 4), ("A.1.2", 2)), levels).state == AimState.NOT_YET  # reached + not applicable
    assert outcome(act(2, ("A.1.1", 4)), levels).state == AimState.REACHED
    assert outcome(act(3, ("C.1.1", 2)), levels).state == AimState.NOT_YET


# --- overdue ----------------------------------------------------------------------------------------------


def test_overdue_is_past_its_due_date_and_still_open() -> None:
    yesterday, long_ago = dt.date(2026, 5, 9), dt.date(2025, 1, 1)
    actions = [
        act(1, ("A.1.1", 3), due=yesterday),  # planned, a day late
        act(2, ("A.1.1", 3), due=TODAY, status=S.IN_PROGRESS),  # due today: not yet overdue
        act(3, ("A.1.1", 3), due=long_ago, status=S.DONE, done_on=long_ago),
        act(4, ("A.1.1", 3), due=long_ago, status=S.DROPPED),
        act(5, ("A.1.1", 3), due=long_ago, status=S.PROPOSED),  # a proposal long past its date
        act(6, ("A.1.1", 3)),  # no due date
        act(7, ("A.1.1", 3), due=dt.date(2026, 5, 11), status=S.IN_PROGRESS),
    ]
    assert [a.is_overdue(TODAY) for a in actions] == [True, False, False, False, True, False, False]
    assert [a.id for a in overdue(actions, TODAY)] == [1, 5]
    assert [a.id for a in overdue(actions, dt.date(2026, 5, 12))] == [1, 2, 5, 7]  # later, more are late
    assert overdue(actions, long_ago) == ()  # nothing is late on the day the oldest ones were due


# --- since the last round ---------------------------------------------------------------------------------


def test_since_the_last_round_counts_what_was_done_after_it_and_how_the_levels_moved() -> None:
    previous = dt.date(2025, 6, 1)
    actions = [
        act(1, ("A.1.1", 4), status=S.DONE, done_on=dt.date(2025, 9, 1)),
        act(2, ("A.1.2", 4), status=S.DONE, done_on=dt.date(2025, 5, 31)),  # done before the round: not counted
        act(3, ("B.1.1", 4), ("A.1.1", 5), status=S.DONE, done_on=previous),  # on the round's day: counted
        act(4, ("C.1.1", 3), ("C.1.2", 4), status=S.IN_PROGRESS),
        act(5, ("A.2.1", 5), status=S.DROPPED),  # its indicator is not the plan's
        act(6, ("A.1.2", 5), status=S.PLANNED),
    ]
    before = {"A.1.1": 2, "A.1.2": 3, "B.1.1": 3, "C.1.1": None, "C.1.2": 3, "A.2.1": 1}
    after = {"A.1.1": 4, "A.1.2": 4, "B.1.1": 2, "C.1.1": 3, "C.1.2": 3, "A.2.1": 5}
    since = since_last_round(
        actions, previous_label="2025", previous_date=previous, previous_levels=before, latest_levels=after
    )
    assert (since.previous_label, since.previous_date) == ("2025", previous)
    assert [a.id for a in since.done] == [3, 1]  # by the day they were done
    assert since.moved == (
        LevelMove("A.1.1", 2, 4),  # +2
        LevelMove("A.1.2", 3, 4),  # +1
        LevelMove("B.1.1", 3, 2),  # -1
        LevelMove("C.1.1", None, 3),  # newly rated: no rise to sort by, last
    )
    assert [m.delta for m in since.moved] == [2, 1, -1, None]
    assert since.unchanged == 1  # C.1.2


def test_since_the_last_round_with_nothing_done_and_nothing_moved() -> None:
    since = since_last_round(
        [act(1, ("A.1.1", 4), status=S.DONE, done_on=dt.date(2024, 1, 1)), act(2, ("B.1.1", 2))],
        previous_label="2025",
        previous_date=dt.date(2025, 6, 1),
        previous_levels={"A.1.1": 2},
        latest_levels={"A.1.1": 2},
    )
    assert (since.done, since.moved, since.unchanged) == ((), (), 1)  # B.1.1 rated in neither round


# --- filters ----------------------------------------------------------------------------------------------

X1 = act(1, ("A.1.1", 3), owner_name="Anna")
X2 = act(2, ("C.1.1", 3), ("B.1.1", 2), status=S.IN_PROGRESS, owner_username="bob")
X3 = act(3, ("Z.9.9", 3), status=S.PROPOSED)  # an indicator the questionnaire does not know
X4 = act(4, ("C.1.2", 3), status=S.DONE, done_on=TODAY, owner_name="Anna", owner_username="anna")
ALL = (X1, X2, X3, X4)


def _shown(tiny: Questionnaire, flt: ActionFilter) -> list[int]:
    return [a.id for a in ALL if flt.matches(a, tiny)]


def test_the_filter_narrows_by_pillar_domain_owner_and_status(tiny: Questionnaire) -> None:
    assert _shown(tiny, ActionFilter()) == [1, 2, 3, 4]
    assert _shown(tiny, ActionFilter(pillars=frozenset({"elsi"}))) == [2, 4]
    assert _shown(tiny, ActionFilter(pillars=frozenset({"healthcare"}))) == [1, 2]
    assert _shown(tiny, ActionFilter(domains=frozenset({"B"}))) == [2]
    assert _shown(tiny, ActionFilter(domains=frozenset({"A", "C"}))) == [1, 2, 4]
    assert _shown(tiny, ActionFilter(owners=frozenset({"Anna"}))) == [1, 4]  # the name before the account
    assert _shown(tiny, ActionFilter(owners=frozenset({"bob"}))) == [2]  # no name: the account
    assert _shown(tiny, ActionFilter(owners=frozenset({"anna"}))) == []
    assert _shown(tiny, ActionFilter(statuses=frozenset({S.PLANNED, S.IN_PROGRESS}))) == [1, 2]
    assert _shown(tiny, ActionFilter(statuses=frozenset({S.DROPPED}))) == []
    both = ActionFilter(pillars=frozenset({"healthcare"}), owners=frozenset({"Anna"}))
    assert _shown(tiny, both) == [1]
    assert _shown(tiny, ActionFilter(domains=frozenset({"C"}), statuses=frozenset({S.DONE}))) == [4]


def test_an_action_is_shown_under_the_pillar_of_its_first_known_indicator(tiny: Questionnaire) -> None:
    assert [pillar_of(a, tiny) for a in ALL] == ["healthcare", "elsi", None, "elsi"]
    assert pillar_of(act(5, ("Z.9.9", 3), ("C.1.1", 4)), tiny) == "elsi"


def test_a_stored_action_reads_back_as_the_draft_it_was() -> None:
    draft = X4.as_draft()
    assert (draft.title, draft.aims, draft.owner_name, draft.owner_username, draft.status) == (
        "action 4",
        (Aim("C.1.2", 3),),
        "Anna",
        "anna",
        S.DONE,
    )
    assert (X1.owner, X2.owner, X3.owner, X4.owner) == ("Anna", "bob", "", "Anna")
    assert X2.indicator_ids == ("C.1.1", "B.1.1")

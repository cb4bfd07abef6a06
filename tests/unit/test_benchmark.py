"""Benchmark statistics on a hand-made set of rounds, checked against values worked out by hand.

The tiny questionnaire: domain A (A.1.1 weight 1, A.1.2 weight 2, A.2.1), domain B
(B.1.1 only), domain C (C.1.1, C.1.2; domain weight 2).  Only A.1.1 is rated in
A, so A's score is that level; B's score is B.1.1's level; C is the mean of its
rated indicators.  Overall = (A + B + 2 C) / 4, or (A + B) / 2 without C.

    system  round   status     A  B  C.1.1 C.1.2 -> C    overall   healthcare pillar (A, B)
    P       2025    published  2  1  NA    NA      -     1.5       1.5
    P       2026    published  4  3  2     4       3     3.25      3.5
    Q       2025    published  (another questionnaire id: never compared with Q 2026)
    Q       2026    published  1  3  5     5       5     3.5       2
    R       2026    published  3  5  -     -       -     4         4
    S       2026    draft      5  5  5     5       5     (not published: never counted)
    T       2026    published  5  2  1     NA      1     2.25      3.5
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from b1mg_maturity import benchmark as bm
from b1mg_maturity.domain import RoundStatus
from b1mg_maturity.questionnaire import Questionnaire
from b1mg_maturity.scoring import Answer, ScoreCard, score


def _card(q: Questionnaire, a: int | None, b: int | None, c1: int | str | None, c2: int | str | None) -> ScoreCard:
    answers: dict[str, Answer] = {}
    for indicator_id, level in (("A.1.1", a), ("B.1.1", b), ("C.1.1", c1), ("C.1.2", c2)):
        if level == "NA":
            answers[indicator_id] = Answer(not_applicable=True)
        elif isinstance(level, int):
            answers[indicator_id] = Answer(level=level, target=5 if indicator_id == "B.1.1" else None)
    return score(q, answers)


def _meta(
    round_id: int, code: str, year: int, status: str = RoundStatus.PUBLISHED, qid: str = "tiny", version: str = "0.1"
) -> bm.RoundMeta:
    return bm.RoundMeta(round_id, code, f"System {code}", f"Round {year}", dt.date(year, 3, 1), qid, version, status)


@pytest.fixture
def rounds(tiny: Questionnaire) -> list[tuple[bm.RoundMeta, ScoreCard]]:
    return [
        (_meta(1, "P", 2025, version="0.1"), _card(tiny, 2, 1, "NA", "NA")),
        (_meta(2, "P", 2026, version="0.2"), _card(tiny, 4, 3, 2, 4)),
        (_meta(3, "Q", 2025, qid="other"), _card(tiny, 5, 5, 5, 5)),
        (_meta(4, "Q", 2026), _card(tiny, 1, 3, 5, 5)),
        (_meta(5, "R", 2026), _card(tiny, 3, 5, None, None)),
        (_meta(6, "S", 2026, status=RoundStatus.DRAFT), _card(tiny, 5, 5, 5, 5)),
        (_meta(7, "T", 2026), _card(tiny, 5, 2, 1, "NA")),
    ]


def _stat(table: pd.DataFrame, kind: str, item: str, qid: str = "tiny") -> dict[str, object]:
    rows = table.loc[(table["questionnaire_id"] == qid) & (table["kind"] == kind) & (table["item_id"] == item)]
    assert len(rows) == 1, rows
    return dict(rows.iloc[0])


def _row(table: pd.DataFrame, code: str, kind: str, item: str, qid: str = "tiny") -> dict[str, object]:
    rows = table.loc[
        (table["questionnaire_id"] == qid)
        & (table["system_code"] == code)
        & (table["kind"] == kind)
        & (table["item_id"] == item)
    ]
    assert len(rows) == 1, rows
    return dict(rows.iloc[0])


def test_the_long_table_has_one_row_per_round_and_item(rounds: list[tuple[bm.RoundMeta, ScoreCard]]) -> None:
    frame = bm.scores_frame(rounds)
    assert len(frame) == 7 * (1 + 2 + 3 + 6)  # overall, 2 pillars, 3 domains, 6 indicators
    p = frame.loc[frame["round_id"] == 1]
    assert _row(p, "P", "domain", "C")["score"] != _row(p, "P", "domain", "C")["score"]  # NaN: all NA
    na = _row(p, "P", "indicator", "C.1.1")
    assert bool(na["not_applicable"])
    assert math.isnan(float(str(na["score"])))


def test_only_published_rounds_count_and_the_note_says_so(rounds: list[tuple[bm.RoundMeta, ScoreCard]]) -> None:
    result = bm.benchmark(rounds, min_group_size=3)
    assert "Only published rounds count." in result.notes
    assert "1 round(s) not yet published were left out." in result.notes
    assert "S" not in set(result.scores["system_code"])
    assert sorted(result.scores.loc[result.scores["questionnaire_id"] == "tiny", "round_id"].unique()) == [2, 4, 5, 7]


def test_statistics_match_hand_computed_values(rounds: list[tuple[bm.RoundMeta, ScoreCard]]) -> None:
    stats = bm.benchmark(rounds, min_group_size=3).statistics
    b = _stat(stats, "domain", "B")  # 2 3 3 5
    assert (b["systems"], b["median"], b["lowest"], b["highest"]) == (4, 3.0, 2.0, 5.0)
    assert b["q1"] == pytest.approx(2.75) and b["q3"] == pytest.approx(3.5)
    a = _stat(stats, "domain", "A")  # 1 3 4 5
    assert (a["median"], a["q1"], a["q3"]) == (pytest.approx(3.5), pytest.approx(2.5), pytest.approx(4.25))
    c = _stat(stats, "domain", "C")  # R has no C: 1 3 5
    assert (c["systems"], c["median"], c["q1"], c["q3"], c["withheld"]) == (3, 3.0, 2.0, 4.0, "")
    overall = _stat(stats, "overall", "overall")  # 2.25 3.25 3.5 4
    assert overall["median"] == pytest.approx(3.375) and overall["highest"] == pytest.approx(4.0)
    pillar = _stat(stats, "pillar", "healthcare")  # 2 3.5 3.5 4
    assert pillar["median"] == pytest.approx(3.5)
    # the elsi pillar is domain C alone
    assert _stat(stats, "pillar", "elsi")["median"] == pytest.approx(3.0)


def test_groups_under_the_threshold_show_no_statistic_at_all(rounds: list[tuple[bm.RoundMeta, ScoreCard]]) -> None:
    result = bm.benchmark(rounds, min_group_size=4)
    c = _stat(result.statistics, "domain", "C")  # 3 systems < 4
    assert c["systems"] is pd.NA
    assert all(math.isnan(float(str(c[k]))) for k in ("median", "highest", "lowest", "q1", "q3"))
    assert c["withheld"] == "fewer than 4 health systems"
    assert _stat(result.statistics, "domain", "B")["withheld"] == ""  # 4 systems: shown
    # ranks and distances within a withheld group are withheld too
    p = _row(result.scores, "P", "domain", "C")
    assert p["rank"] is pd.NA and p["of"] is pd.NA and math.isnan(float(str(p["to_median"])))
    # an indicator rated by two systems only (C.1.2: P 4, Q 5; T says NA, R nothing)
    assert bm.benchmark(rounds, min_group_size=3).statistics.pipe(_stat, "indicator", "C.1.2")["withheld"] != ""
    # a group nobody scored at all (A.1.2)
    assert _stat(result.statistics, "indicator", "A.1.2")["withheld"] == "fewer than 4 health systems"


def test_ranks_share_ties_and_distances_are_to_median_and_highest(
    rounds: list[tuple[bm.RoundMeta, ScoreCard]],
) -> None:
    scores = bm.benchmark(rounds, min_group_size=3).scores
    ranks = {code: _row(scores, code, "domain", "B")["rank"] for code in "PQRT"}
    assert ranks == {"R": 1, "P": 2, "Q": 2, "T": 4}  # 5, 3, 3, 2
    assert {_row(scores, c, "domain", "B")["of"] for c in "PQRT"} == {4}
    p = _row(scores, "P", "domain", "B")
    assert (p["to_median"], p["to_highest"]) == (0.0, -2.0)
    assert _row(scores, "T", "domain", "B")["to_median"] == -1.0
    assert _row(scores, "R", "domain", "B")["to_highest"] == 0.0
    # the target of B.1.1 is 5 for everyone: distance to target = 5 - level
    assert _row(scores, "T", "indicator", "B.1.1")["to_target"] == 3.0
    healthcare = {code: _row(scores, code, "pillar", "healthcare")["rank"] for code in "PQRT"}
    assert healthcare == {"R": 1, "P": 2, "T": 2, "Q": 4}  # 4, 3.5, 3.5, 2
    # a system without a score has no rank
    r_c = _row(scores, "R", "domain", "C")
    assert r_c["rank"] is pd.NA and math.isnan(float(str(r_c["to_median"])))


def test_changes_pair_rounds_of_the_same_questionnaire_and_flag_versions(
    rounds: list[tuple[bm.RoundMeta, ScoreCard]],
) -> None:
    result = bm.benchmark(rounds, min_group_size=3)
    changes = result.changes
    p_b = _row(changes, "P", "domain", "B")
    assert (p_b["previous_score"], p_b["score"], p_b["change"]) == (1.0, 3.0, 2.0)
    assert bool(p_b["versions_differ"]) is True  # 0.1 -> 0.2: computed, and flagged
    assert math.isnan(float(str(_row(changes, "P", "domain", "C")["change"])))  # nothing to compare with
    assert set(changes["system_code"]) == {"P"}  # Q 2025 used another questionnaire: no pair
    assert any("Q Round 2026 uses questionnaire tiny" in n for n in result.notes)
    assert any("different versions" in n for n in result.notes)


def test_other_questionnaires_are_benchmarked_apart(rounds: list[tuple[bm.RoundMeta, ScoreCard]]) -> None:
    stats = bm.benchmark(rounds, min_group_size=1).statistics
    other = _stat(stats, "domain", "B", qid="other")
    assert (other["systems"], other["median"]) == (1, 5.0)
    assert _stat(stats, "domain", "B")["systems"] == 4


def test_excluded_systems_are_ranked_against_the_others(rounds: list[tuple[bm.RoundMeta, ScoreCard]]) -> None:
    result = bm.benchmark(rounds, min_group_size=3, exclude_systems={"P"})
    b = _stat(result.statistics, "domain", "B")  # Q 3, R 5, T 2
    assert (b["systems"], b["median"]) == (3, 3.0)
    p = _row(result.scores, "P", "domain", "B")  # P's 3 against 3, 5, 2: one higher
    assert (p["rank"], p["of"], p["to_median"], p["to_highest"]) == (2, 4, 0.0, -2.0)
    a = _row(result.scores, "P", "domain", "A")  # P's 4 against 1, 3, 5
    assert (a["rank"], a["of"]) == (2, 4)
    # with P left out, C has only Q and T: withheld at 3
    assert _stat(result.statistics, "domain", "C")["withheld"] == "fewer than 3 health systems"


def test_statistics_refuse_two_rounds_of_one_system(rounds: list[tuple[bm.RoundMeta, ScoreCard]]) -> None:
    frame, _ = bm.only_published(bm.scores_frame(rounds))
    with pytest.raises(ValueError, match="one round per health system"):
        bm.statistics(frame, min_group_size=1)


def test_empty_input_gives_empty_tables() -> None:
    result = bm.benchmark([], min_group_size=3)
    assert result.statistics.empty and result.scores.empty and result.changes.empty
    assert result.notes == ("Only published rounds count.",)


def test_statistics_per_round_label_keep_each_questionnaire_apart(tiny: Questionnaire) -> None:
    """One label, two questionnaires: a system's round of each counts in its own questionnaire's group.

    (A de-duplication key without the questionnaire id kept only the last of the two rounds, so the
    first questionnaire's group lost P.)
    """
    rounds = [
        (_meta(1, "P", 2026, qid="tiny"), _card(tiny, 2, 1, None, None)),
        (_meta(2, "P", 2026, qid="other"), _card(tiny, 4, 4, None, None)),
        (_meta(3, "Q", 2026, qid="tiny"), _card(tiny, 4, 3, None, None)),
    ]
    by_round = bm.round_statistics(bm.scores_frame(rounds), min_group_size=1)
    tiny_b = _stat(by_round, "domain", "B")
    assert (tiny_b["systems"], tiny_b["median"]) == (2, 2.0)  # P 1 and Q 3
    assert _stat(by_round, "domain", "B", qid="other")["median"] == 4.0
    assert bm.benchmark(rounds, min_group_size=1).by_round.equals(by_round)  # the one pipeline

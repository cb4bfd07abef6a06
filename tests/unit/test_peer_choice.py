"""Which round of each peer counts beside a round of 2025 dated 1 June 2025, worked out by hand.

The tiny questionnaire; each round rates A.1.1 and B.1.1 only, so domain A's
score is A.1.1's level, B's is B.1.1's, C is never scored (withheld), and the
overall score is (A + B) / 2 (A alone where B is not applicable).

    system  round id  period    date        status     A  B    counts?
    1       1         2024      2024-05-01  published  5  5    no: system 1 has rounds of 2025
    1       2         2025 H1   2025-03-01  published  5  5    no: an earlier round of 2025
    1       3         2025 H2   2025-09-01  published  3  1    yes (same year; dated after this round)
    1       4         2026      2026-02-01  published  5  5    no: a later year
    2       5         2024      2024-04-01  published  5  5    no: not the latest before
    2       6         2024 H2   2024-11-01  published  2  4    yes (the latest before this round)
    2       7         2026      2026-01-01  published  5  5    no: a later year
    3       8         2026      2026-01-01  published  5  5    system 3 is not a peer: all later
    4       9         2024      2025-07-01  published  5  5    no: dated after this round
    4       10        2023      2023-06-01  published  1  2    yes (the latest before this round)
    5       11        2026      2025-05-01  published  5  5    system 5 is not a peer: a later year
    6       12        2025      2025-02-01  published  4  5    yes
    6       13        2025      2025-05-01  draft      5  5    no: not published
    7       14        2025      2025-03-01  published  5  5    system 7 is not a peer: another questionnaire
    8       20        2025      2025-04-01  published  5  5    no: same date, lower round id
    8       21        2025      2025-04-01  published  5  NA   yes

Peers (oldest first): rounds 10, 6, 12, 21, 3.
Medians: A over 1, 2, 4, 5, 3 -> 3.0; B over 2, 4, 5, 1 -> (2 + 4) / 2 = 3.0.
Overall scores: 1.5, 3.0, 4.5, 5.0, 2.0.
"""

from __future__ import annotations

import datetime as dt

import pytest

from b1mg_maturity.comparison.peers import ChosenRound, choose_peer_rounds, peer_medians
from b1mg_maturity.comparison.rounds import PublishedRound, ScoredRound
from b1mg_maturity.domain import RoundPeriod, RoundStatus
from b1mg_maturity.questionnaire import Questionnaire
from b1mg_maturity.report.inputs import PeerMedians, PeerRound
from b1mg_maturity.scoring import Answer, score

PERIOD = RoundPeriod(2025)

# (system, round id, period year, half, date, status, A, B, questionnaire id)
ROUNDS: list[tuple[int, int, int, int, dt.date, str, int, int | str, str]] = [
    (1, 1, 2024, 0, dt.date(2024, 5, 1), "published", 5, 5, "tiny"),
    (1, 2, 2025, 1, dt.date(2025, 3, 1), "published", 5, 5, "tiny"),
    (1, 3, 2025, 2, dt.date(2025, 9, 1), "published", 3, 1, "tiny"),
    (1, 4, 2026, 0, dt.date(2026, 2, 1), "published", 5, 5, "tiny"),
    (2, 5, 2024, 0, dt.date(2024, 4, 1), "published", 5, 5, "tiny"),
    (2, 6, 2024, 2, dt.date(2024, 11, 1), "published", 2, 4, "tiny"),
    (2, 7, 2026, 0, dt.date(2026, 1, 1), "published", 5, 5, "tiny"),
    (3, 8, 2026, 0, dt.date(2026, 1, 1), "published", 5, 5, "tiny"),
    (4, 9, 2024, 0, dt.date(2025, 7, 1), "published", 5, 5, "tiny"),
    (4, 10, 2023, 0, dt.date(2023, 6, 1), "published", 1, 2, "tiny"),
    (5, 11, 2026, 0, dt.date(2025, 5, 1), "published", 5, 5, "tiny"),
    (6, 12, 2025, 0, dt.date(2025, 2, 1), "published", 4, 5, "tiny"),
    (6, 13, 2025, 0, dt.date(2025, 5, 1), "draft", 5, 5, "tiny"),
    (7, 14, 2025, 0, dt.date(2025, 3, 1), "published", 5, 5, "other"),
    (8, 21, 2025, 0, dt.date(2025, 4, 1), "published", 5, "NA", "tiny"),
    (8, 20, 2025, 0, dt.date(2025, 4, 1), "published", 5, 5, "tiny"),
]


def _scored(tiny: Questionnaire, row: tuple[int, int, int, int, dt.date, str, int, int | str, str]) -> ScoredRound:
    system, round_id, year, half, date, status, a, b, qid = row
    answers = {"A.1.1": Answer(level=a), "B.1.1": Answer(not_applicable=True) if b == "NA" else Answer(level=int(b))}
    meta = PublishedRound(
        round_id=round_id,
        system_code=f"S{system}",
        system_name=f"System {system}",
        label=f"Round {round_id}",
        date=date,
        questionnaire_id=qid,
        questionnaire_version="0.1",
        status=RoundStatus(status).value,
        health_system_id=system,
        questionnaire_title="Tiny",
        period=RoundPeriod(year, half),
    )
    return ScoredRound(meta, score(tiny, answers), system, tiny)


@pytest.fixture
def scored(tiny: Questionnaire) -> list[ScoredRound]:
    return [_scored(tiny, row) for row in ROUNDS]


def test_each_peer_counts_with_its_round_of_the_year_else_the_latest_before(scored: list[ScoredRound]) -> None:
    chosen = choose_peer_rounds(scored, "tiny", PERIOD)
    # system 4's latest earlier round is round 9, of 2024 though dated July 2025: the year decides, not the date
    assert [(r.meta.round_id, same) for r, same in chosen] == [
        (6, False),
        (12, True),
        (21, True),
        (9, False),
        (3, True),
    ]


def test_the_half_of_the_year_does_not_matter(scored: list[ScoredRound]) -> None:
    chosen = choose_peer_rounds(scored, "tiny", RoundPeriod(2025, 1))
    assert [r.meta.round_id for r, _ in chosen] == [6, 12, 21, 9, 3]


def test_a_round_of_2024_takes_every_peers_round_of_2024(scored: list[ScoredRound]) -> None:
    # system 4's round 9 is of 2024 though dated July 2025; system 6 and 8 have nothing up to 2024
    chosen = choose_peer_rounds(scored, "tiny", RoundPeriod(2024))
    assert [(r.meta.round_id, same) for r, same in chosen] == [(1, True), (6, True), (9, True)]


def test_a_round_of_a_year_before_every_peers_round_has_no_peers(scored: list[ScoredRound]) -> None:
    assert choose_peer_rounds(scored, "tiny", RoundPeriod(2022)) == []


def test_medians_and_facts_of_the_chosen_rounds(tiny: Questionnaire, scored: list[ScoredRound]) -> None:
    result = peer_medians(scored, tiny, 3, period=PERIOD)
    assert result is not None
    assert result.count == 5
    # A: 2, 4, 5, 5, 3 -> 4; B: 4, 5, (not applicable), 5, 1 -> 4.5
    assert dict(result.medians) == {"A": pytest.approx(4.0), "B": pytest.approx(4.5)}
    assert result.withheld == ("C",)
    assert result.year == 2025
    assert result.rounds == (
        ChosenRound(dt.date(2024, 11, 1), "2024 H2", 3.0, False),
        ChosenRound(dt.date(2025, 2, 1), "2025", 4.5, True),
        ChosenRound(dt.date(2025, 4, 1), "2025", 5.0, True),
        ChosenRound(dt.date(2025, 7, 1), "2024", 5.0, False),
        ChosenRound(dt.date(2025, 9, 1), "2025 H2", 2.0, True),
    )
    assert "S1" not in result.label and "System" not in result.label


def test_the_threshold_counts_the_chosen_rounds_only(tiny: Questionnaire, scored: list[ScoredRound]) -> None:
    five = peer_medians(scored, tiny, 5, period=PERIOD)
    assert five is not None and dict(five.medians) == {"A": pytest.approx(4.0)}  # B has four scores
    assert five.withheld == ("B", "C")
    # eight systems have published rounds of this questionnaire, but only five count for this round
    assert peer_medians(scored, tiny, 6, period=PERIOD) is None


# --- the plain words of the report and the Results page -----------------------------------------


def _peers(*rounds: PeerRound, year: int | None = 2025) -> PeerMedians:
    return PeerMedians({"A": 3.0}, len(rounds), rounds=rounds, year=year)


def test_dates_of_rounds_of_the_same_year() -> None:
    peers = _peers(
        PeerRound(dt.date(2025, 3, 4), "2025", 2.0, True),
        PeerRound(dt.date(2025, 5, 30), "2025 H1", 3.0, True),
        PeerRound(dt.date(2025, 4, 1), "2025", 4.0, True),
    )
    assert peers.name == "Median of 3 other health systems"
    assert peers.dates_text == "their rounds of 2025, dated March to May 2025"
    assert peers.sentence == "The median of 3 other health systems: their rounds of 2025, dated March to May 2025."


def test_dates_when_one_peer_counts_with_an_earlier_round() -> None:
    peers = _peers(
        PeerRound(dt.date(2024, 6, 10), "2024", 2.0, False),
        PeerRound(dt.date(2024, 12, 1), "2025", 3.0, True),
        PeerRound(dt.date(2025, 2, 1), "2025", 4.0, True),
    )
    assert peers.dates_text == (
        "their rounds of 2025, dated December 2024 to February 2025, except one with no round of 2025, "
        "which counts with its latest round before this one, of 2024, dated June 2024"
    )


def test_dates_when_several_or_all_peers_count_with_earlier_rounds() -> None:
    older = (PeerRound(dt.date(2023, 6, 1), "2023", 1.5, False), PeerRound(dt.date(2024, 11, 1), "2024 H2", 3.0, False))
    several = _peers(*older, PeerRound(dt.date(2025, 3, 1), "2025", 4.5, True))
    assert several.dates_text == (
        "their rounds of 2025, dated March 2025, except 2 with no round of 2025, which count with their "
        "latest rounds before this one, of 2023 and 2024 H2, dated June 2023 to November 2024"
    )
    every = _peers(*older, PeerRound(dt.date(2024, 1, 5), "2024", 2.0, False))
    assert every.dates_text == (
        "none had a round of 2025, so each counts with its latest round before this one, "
        "of 2023, 2024 and 2024 H2, dated June 2023 to November 2024"
    )


def test_no_dates_without_the_rounds() -> None:
    peers = PeerMedians({"A": 3.0}, 4)
    assert peers.dates_text == ""
    assert peers.sentence == "The median of 4 other health systems."

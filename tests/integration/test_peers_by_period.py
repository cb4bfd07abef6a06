"""Peers of the same period: which round of each other health system a round's benchmark uses (SQLite, PostgreSQL).

DE's report round is "Round 2025", dated 1 June 2025.  The other health
systems' published rounds (each rates D1.1.1 and D2.1.1 by consensus, so
domains D1 and D2 score those levels and the overall score is their mean):

    system  round            period    date         D1  D2   counts for DE's 2025 round?
    ES      Spain 2024       2024      2024-03-01   1   1    no: ES has a round of 2025
    ES      Spain 2025       2025      2025-03-01   2   5    yes, of the same year
    ES      Spain 2026       2026      2026-03-01   5   5    no: a later year
    IT      Italy 2024       2024      2024-05-01   3   4    yes, IT's latest round of an earlier year
    IT      Italy 2026       2026      2026-04-01   5   5    no: a later year
    NL      Netherlands H2   2025 H2   2025-10-01   4   1    yes, of the same year (dated after DE's round)
    NL      Netherlands 2026 2026      2026-01-15   5   5    no: a later year
    PT      Portugal 2026    2026      2026-02-01   5   5    PT is not a peer: all its rounds are of later years

Medians: D1 over 2, 3, 4 = 3.0; D2 over 5, 4, 1 = 4.0.  Overall scores: ES 3.5, IT 3.5, NL 2.5.
Every later round scores 5 everywhere, so taking any of them would change the medians.
"""

from __future__ import annotations

import datetime as dt

import pytest

from b1mg_maturity.domain import RoundPeriod
from b1mg_maturity.report.inputs import PeerMedians, PeerRound
from b1mg_maturity.report.rounds import context_for_round
from b1mg_maturity.services import Services
from b1mg_maturity.services.comparison import peer_domain_medians
from tests.integration.world import World

# code -> [(label, period or None for the date's year, date, D1.1.1, D2.1.1)]
PEERS: dict[str, list[tuple[str, RoundPeriod | None, dt.date, int, int]]] = {
    "ES": [
        ("Spain 2024", None, dt.date(2024, 3, 1), 1, 1),
        ("Spain 2025", None, dt.date(2025, 3, 1), 2, 5),
        ("Spain 2026", None, dt.date(2026, 3, 1), 5, 5),
    ],
    "IT": [("Italy 2024", None, dt.date(2024, 5, 1), 3, 4), ("Italy 2026", None, dt.date(2026, 4, 1), 5, 5)],
    "NL": [
        ("Netherlands", RoundPeriod(2025, 2), dt.date(2025, 10, 1), 4, 1),
        ("Netherlands 2026", None, dt.date(2026, 1, 15), 5, 5),
    ],
    "PT": [("Portugal 2026", None, dt.date(2026, 2, 1), 5, 5)],
}
SECRETS = ("ES", "IT", "NL", "PT", "Spain", "Italy", "Netherlands", "Portugal")

EXPECTED_ROUNDS = (
    PeerRound(dt.date(2024, 5, 1), "2024", 3.5, False),
    PeerRound(dt.date(2025, 3, 1), "2025", 3.5, True),
    PeerRound(dt.date(2025, 10, 1), "2025 H2", 2.5, True),
)
EXPECTED_DATES = (
    "their rounds of 2025, dated March to October 2025, except one with no round of 2025, which counts with "
    "its latest round before this one, of 2024, dated May 2024"
)


def _publish_round(
    services: Services, admin: int, code: str, label: str, period: RoundPeriod | None, date: dt.date, d1: int, d2: int
) -> int:
    round_id = services.open_round(admin, code, label, date, period=period).id
    services.set_consensus(admin, round_id, "D1.1.1", level=d1, expected_version=0)
    services.set_consensus(admin, round_id, "D2.1.1", level=d2, expected_version=0)
    services.start_review(admin, round_id)
    services.submit(admin, round_id)
    services.publish(admin, round_id)
    return round_id


@pytest.fixture
def periods(world: World) -> World:
    """The world above; DE's draft "Round 2025" (rating D1.1.1 at 3) is ``world.rounds["DE-2025"]``."""
    services, admin = world.services, world.id("admin")
    for code, rounds in PEERS.items():
        services.add_health_system(admin, code)
        for label, period, date, d1, d2 in rounds:
            _publish_round(services, admin, code, label, period, date, d1, d2)
    coordinator = world.id("coordinator-de")
    round_id = services.open_round(coordinator, "DE", "Round 2025", dt.date(2025, 6, 1)).id
    services.set_consensus(coordinator, round_id, "D1.1.1", level=3, expected_version=0)
    world.rounds["DE-2025"] = round_id
    return world


def _peers(world: World, round_key: str = "DE-2025") -> PeerMedians | None:
    return world.services.report_inputs(world.id("coordinator-de"), world.rounds[round_key], peer_group_size=3).peers


def test_a_round_of_2025_is_compared_with_the_peers_rounds_of_2025_or_the_latest_before(periods: World) -> None:
    peers = _peers(periods)
    assert peers is not None
    assert peers.count == 3  # ES, IT, NL; PT published nothing up to 2025
    assert dict(peers.medians) == {"D1": pytest.approx(3.0), "D2": pytest.approx(4.0)}
    assert "D3" in peers.withheld  # nobody scored D3
    assert peers.year == 2025
    assert peers.rounds == EXPECTED_ROUNDS
    assert peers.dates_text == EXPECTED_DATES
    assert not any(secret in text for secret in SECRETS for text in (peers.name, peers.dates_text, peers.sentence))


def test_the_results_page_radar_uses_the_same_peers(periods: World) -> None:
    radar = peer_domain_medians(periods.services, periods.id("coordinator-de"), periods.rounds["DE-2025"])
    assert radar is not None and radar.count == 3
    assert dict(radar.medians) == {"D1": pytest.approx(3.0), "D2": pytest.approx(4.0)}


def test_the_report_says_which_rounds_and_when(periods: World) -> None:
    context = context_for_round(
        periods.services, periods.id("coordinator-de"), periods.rounds["DE-2025"], min_group_size=3
    )
    assert context.benchmark is not None and context.benchmark.rounds == EXPECTED_ROUNDS
    [benchmark] = [s for s in context.methodology if s.heading == "Benchmark"]
    said = " ".join(benchmark.paragraphs)
    assert f"This report compares with the median of 3 other health systems: {EXPECTED_DATES}." in said
    assert not any(secret in said for secret in SECRETS)


def test_a_round_of_2026_is_compared_with_the_rounds_of_2026(periods: World) -> None:
    # DE's world round "Round 2026" (1 March 2026): ES 2026, IT 2026, NL 2026 and PT 2026 all count
    peers = _peers(periods, "DE")
    assert peers is not None and peers.count == 4
    assert dict(peers.medians) == {"D1": pytest.approx(5.0), "D2": pytest.approx(5.0)}
    assert [(r.date, r.same_period) for r in peers.rounds] == [
        (dt.date(2026, 1, 15), True),
        (dt.date(2026, 2, 1), True),
        (dt.date(2026, 3, 1), True),
        (dt.date(2026, 4, 1), True),
    ]
    assert peers.dates_text == "their rounds of 2026, dated January to April 2026"


def test_fewer_than_three_peers_give_no_benchmark(periods: World) -> None:
    # a round of 2024 dated 1 June 2024: ES 2024 and IT 2024 count; NL and PT have nothing up to 2024
    services, coordinator = periods.services, periods.id("coordinator-de")
    periods.rounds["DE-2024"] = services.open_round(coordinator, "DE", "Round 2024", dt.date(2024, 6, 1)).id
    assert _peers(periods, "DE-2024") is None
    assert peer_domain_medians(services, coordinator, periods.rounds["DE-2024"]) is None
    assert peer_domain_medians(services, coordinator, periods.rounds["DE-2024"], min_group_size=2) is not None


def test_a_later_publication_leaves_the_benchmark_as_it_was(periods: World) -> None:
    before = _peers(periods)
    # IT and PT publish rounds of 2027, PT one dated before DE's round (a later year all the same)
    admin = periods.id("admin")
    _publish_round(periods.services, admin, "IT", "Italy 2027", None, dt.date(2027, 2, 1), 1, 1)
    _publish_round(periods.services, admin, "PT", "Portugal", RoundPeriod(2027), dt.date(2025, 1, 1), 1, 1)
    after = _peers(periods)
    assert after == before
    assert after is not None and after.rounds == EXPECTED_ROUNDS

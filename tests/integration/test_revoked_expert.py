"""Security review finding 5: an expert whose role was revoked loses the rounds they were invited to.

The invitation alone is not enough: rating, reading and seeing a round listed
also need the current expert (or coordinator) role in the round's health system.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from b1mg_maturity.errors import PermissionDenied
from b1mg_maturity.interchange.answers_file import parse_answers_csv
from b1mg_maturity.services.answers_import import import_answers
from b1mg_maturity.services.bulk import RatingRow, write_round_answers
from b1mg_maturity.services.comparison import published_scorecards
from tests.integration.world import World


def _revoke_expert_de(world: World) -> int:
    """expert-de rated in the DE round, then lost the expert role of DE; returns their id."""
    services, expert, round_id = world.services, world.id("expert-de"), world.rounds["DE"]
    services.rate(expert, round_id, "D1.1.1", level=2, evidence="first", expected_version=0)
    assert round_id in {r.id for r in services.rounds_to_rate(expert)}
    services.revoke(world.id("admin"), "expert-de", "DE", "expert")
    return expert


def test_revoked_expert_can_no_longer_rate_read_or_list(world: World) -> None:
    services, round_id = world.services, world.rounds["DE"]
    expert = _revoke_expert_de(world)
    questionnaire = services.questionnaire_for_round(world.id("coordinator-de"), round_id)

    assert round_id not in {r.id for r in services.list_rounds(expert)}
    assert round_id not in {r.id for r in services.rounds_to_rate(expert)}
    assert services.last_changes(expert) == {}
    refused: dict[str, Callable[[], object]] = {
        "rate": lambda: services.rate(expert, round_id, "D1.1.1", level=3, expected_version=1),
        "open the round": lambda: services.get_round(expert, round_id),
        "read own ratings": lambda: services.my_ratings(expert, round_id),
        "read the answers": lambda: services.round_answers(expert, round_id),
        "read the consensus": lambda: services.consensus_of(expert, round_id),
        "read the experts": lambda: services.experts_of(expert, round_id),
        "import ratings": lambda: import_answers(
            services, expert, round_id, parse_answers_csv(b"indicator_id,level\nD1.2.1,4\n", questionnaire), "ratings"
        ),
    }
    allowed = []
    for what, call in refused.items():
        try:
            call()
        except PermissionDenied:
            continue
        allowed.append(what)
    assert allowed == [], f"a revoked expert could still: {', '.join(allowed)}"


def test_revoked_expert_does_not_see_the_published_round_in_comparisons(world: World) -> None:
    services, admin, round_id = world.services, world.id("admin"), world.rounds["DE"]
    expert = _revoke_expert_de(world)
    services.start_review(world.id("coordinator-de"), round_id)
    services.submit(world.id("coordinator-de"), round_id)
    services.publish(admin, round_id)
    assert round_id not in {s.meta.round_id for s in published_scorecards(services, expert)}


@pytest.mark.parametrize("role", ["expert", "coordinator"])
def test_invited_member_keeps_access_while_holding_the_role(world: World, role: str) -> None:
    services, admin, round_id = world.services, world.id("admin"), world.rounds["DE"]
    expert = _revoke_expert_de(world)
    services.grant(admin, "expert-de", "DE", role)  # back on the team: the invitation counts again
    assert services.rate(expert, round_id, "D1.1.1", level=3, expected_version=1).version == 2
    assert round_id in {r.id for r in services.rounds_to_rate(expert)}
    assert round_id in {r.id for r in services.list_rounds(expert)}


def test_bulk_writer_refuses_ratings_of_a_revoked_expert(world: World) -> None:
    services, round_id = world.services, world.rounds["FR"]
    services.revoke(world.id("admin"), "expert-fr", "FR", "expert")
    with pytest.raises(PermissionDenied, match="expert-fr"):
        write_round_answers(
            services, world.id("coordinator-fr"), round_id, ratings=[RatingRow("D1.1.1", "expert-fr", 3)]
        )
    assert services.all_ratings(world.id("coordinator-fr"), round_id) == []

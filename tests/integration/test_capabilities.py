"""What a page may offer (``Services.capabilities``) is exactly what the services then allow.

For every actor of the test world and every round status, each capability is
compared with the use case it stands for: offered if and only if the use case
succeeds.  A use case that succeeded changed its round, so the next actor gets
a fresh round in the same status.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable

import pytest

from b1mg_maturity.domain import RoundStatus
from b1mg_maturity.errors import InvalidState, PermissionDenied
from b1mg_maturity.permissions import Capabilities
from b1mg_maturity.services import Services
from b1mg_maturity.services.round_transfer import export_round
from tests.integration.world import World

ACTORS = ("admin", "analyst", "nobody", "coordinator-de", "coordinator-fr", "expert-de", "expert2-de", "viewer-de")
_labels = itertools.count()


def _round(world: World, status: RoundStatus) -> int:
    """A new DE round in ``status``, with expert-de invited (expert2-de is an expert of DE, not invited)."""
    services, admin = world.services, world.id("admin")
    round_id = services.open_round(admin, "DE", f"C{next(_labels)}", dt.date(2026, 1, 1)).id
    services.invite_expert(admin, round_id, "expert-de")
    if status == RoundStatus.IN_REVIEW:
        services.start_review(admin, round_id)
    if status.closed:
        services.start_review(admin, round_id)
        services.submit(admin, round_id)
    if status == RoundStatus.PUBLISHED:
        services.publish(admin, round_id)
    return round_id


Action = Callable[[Services, int, int], object]

ACTIONS: dict[str, tuple[Action, bool]] = {  # capability -> (the use case it offers, whether it changes the round)
    "may_see_results": (lambda s, a, r: s.round_scores(a, r), False),
    "may_rate": (lambda s, a, r: s.rate(a, r, "D1.1.1", level=3, expected_version=0), True),
    "may_coordinate": (lambda s, a, r: (s.consensus_of(a, r), s.all_ratings(a, r)), False),
    "may_read_all_ratings": (lambda s, a, r: s.all_ratings(a, r), False),
    "may_run_consensus": (lambda s, a, r: s.set_consensus(a, r, "D1.1.1", level=3, expected_version=0), True),
    "may_finish_part": (lambda s, a, r: s.finish_my_part(a, r), True),
    "may_reopen_part": (lambda s, a, r: s.reopen_my_part(a, r), True),
    "may_invite": (lambda s, a, r: s.invite_expert(a, r, "expert2-de"), True),
    "may_uninvite": (lambda s, a, r: s.uninvite_expert(a, r, "expert-de"), True),
    "may_see_progress": (lambda s, a, r: s.round_progress(a, r), False),
    "may_remind": (lambda s, a, r: s.send_reminders(a, r, ["expert-de"]), True),
    "may_start_review": (lambda s, a, r: s.start_review(a, r), True),
    "may_submit": (lambda s, a, r: s.submit(a, r), True),
    "may_publish": (lambda s, a, r: s.publish(a, r), True),
    "may_reopen": (lambda s, a, r: s.reopen(a, r, "a correction"), True),
    "may_export": (lambda s, a, r: export_round(s, a, r), False),
}


def _allowed(action: Action, services: Services, actor_id: int, round_id: int) -> bool:
    try:
        action(services, actor_id, round_id)
    except (PermissionDenied, InvalidState):
        return False
    return True


def test_every_capability_is_named_here() -> None:
    assert set(ACTIONS) == set(Capabilities.__dataclass_fields__)


@pytest.mark.parametrize("status", list(RoundStatus))
def test_capabilities_match_the_services(world: World, status: RoundStatus) -> None:
    services = world.services
    round_id = _round(world, status)
    wrong = []
    for name, (action, changes) in ACTIONS.items():
        for username in ACTORS:
            actor = world.id(username)
            try:
                offered = getattr(services.capabilities(actor, round_id), name)
            except PermissionDenied:
                offered = False  # the round does not exist for this user: nothing is offered
            allowed = _allowed(action, services, actor, round_id)
            if offered != allowed:
                wrong.append(f"{status} / {username} / {name}: offered {offered}, allowed {allowed}")
            if allowed and changes:
                round_id = _round(world, status)
    assert not wrong, "\n".join(wrong)


def test_capabilities_by_round_are_those_of_each_round(world: World) -> None:
    services = world.services
    for status in RoundStatus:
        _round(world, status)
    for username in ACTORS:
        actor = world.id(username)
        offers = services.capabilities_by_round(actor)
        assert set(offers) == {r.id for r in services.list_rounds(actor)}, username
        for round_id, offered in offers.items():
            assert offered == services.capabilities(actor, round_id), (username, round_id)


def test_a_round_one_may_not_open_is_refused_like_reading_it(world: World) -> None:
    """Someone else's round and a round that does not exist get the same refusal."""
    services, outsider = world.services, world.id("coordinator-fr")
    messages = []
    for round_id in (world.rounds["DE"], 999_999):
        with pytest.raises(PermissionDenied) as refused:
            services.capabilities(outsider, round_id)
        messages.append(refused.value.message)
    assert messages[0] == messages[1]

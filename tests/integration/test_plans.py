"""The action plan through the services (SQLite and PostgreSQL): versions and conflicts, the audit trail,
an expert's proposals, Learn's opt-in and threshold, and a seeded walk checking that another country sees nothing.

The world (tests/integration/world.py) has DE and FR, each with a coordinator, two experts and a viewer,
and a draft round each (so actions can be checked against its questionnaire).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, replace

import pytest

from b1mg_maturity.domain import ActionStatus
from b1mg_maturity.errors import Conflict, PermissionDenied
from b1mg_maturity.planning import ActionDraft, Aim, PlanAction
from b1mg_maturity.services import Services
from tests.integration.world import World

S = ActionStatus
TODAY = dt.date(2026, 4, 1)


def system_id(world: World, code: str) -> int:
    return next(s.id for s in world.services.plan_systems(world.id("admin")) if s.code == code)


def draft(title: str = "Write the genomics law", status: ActionStatus = S.PLANNED, **fields: object) -> ActionDraft:
    return replace(ActionDraft(title=title, aims=(Aim("D1.1.1", 4),), status=status), **fields)  # type: ignore[arg-type]


def entries(world: World, action: str) -> list[tuple[str, str, object, object]]:
    """(who, key, old, new) of the audit entries of one kind, oldest first."""
    return [
        (e.actor, e.entity_key, e.old_value, e.new_value)
        for e in reversed(world.services.audit_log(world.id("admin")))
        if e.action == action
    ]


# --- versions and conflicts -----------------------------------------------------------------------------


def test_a_stale_save_is_refused_with_both_values_and_changes_nothing(world: World) -> None:
    services, de = world.services, system_id(world, "DE")
    coordinator, admin = world.id("coordinator-de"), world.id("admin")
    added = services.add_action(coordinator, de, draft(due=dt.date(2026, 6, 30)), today=TODAY)
    assert added.version == 1
    # both open version 1; the coordinator saves first
    mine = services.update_action(
        coordinator, added.id, replace(added.as_draft(), status=S.IN_PROGRESS), expected_version=1, today=TODAY
    )
    assert (mine.version, mine.status) == (2, S.IN_PROGRESS)
    with pytest.raises(Conflict) as refused:
        services.update_action(
            admin, added.id, replace(added.as_draft(), title="A new title"), expected_version=1, today=TODAY
        )
    assert refused.value.current_version == 2
    assert refused.value.yours["title"] == "A new title" and refused.value.yours["action_status"] == "planned"
    assert refused.value.theirs["title"] == "Write the genomics law"
    assert refused.value.theirs["action_status"] == "in_progress"
    [stored] = services.plan(admin, de, today=TODAY).actions
    assert (stored.title, stored.status, stored.version, stored.due) == (
        "Write the genomics law",
        S.IN_PROGRESS,
        2,
        dt.date(2026, 6, 30),
    )
    assert len(entries(world, "change_action")) == 1  # the refused save wrote no entry
    # saved again on the version it now sees: only the title changes, the coordinator's status stays
    saved = services.update_action(
        admin, added.id, replace(stored.as_draft(), title="A new title"), expected_version=2, today=TODAY
    )
    assert (saved.title, saved.status, saved.version) == ("A new title", S.IN_PROGRESS, 3)
    assert entries(world, "change_action") == [
        ("coordinator-de", str(added.id), {"action_status": "planned"}, {"action_status": "in_progress"}),
        ("admin", str(added.id), {"title": "Write the genomics law"}, {"title": "A new title"}),
    ]


def test_a_save_that_changes_nothing_writes_nothing(world: World) -> None:
    services, de, coordinator = world.services, system_id(world, "DE"), world.id("coordinator-de")
    added = services.add_action(coordinator, de, draft(), today=TODAY)
    same = services.update_action(coordinator, added.id, added.as_draft(), expected_version=1, today=TODAY)
    assert same.version == 1
    assert entries(world, "change_action") == []


def test_only_what_was_changed_is_saved_field_by_field(world: World) -> None:
    """Every field changed alone: the version moves by one, the entry holds that field, the others stay."""
    services, de, coordinator = world.services, system_id(world, "DE"), world.id("coordinator-de")
    current = services.add_action(coordinator, de, draft(owner_name="Anna"), today=TODAY)
    steps: list[tuple[dict[str, object], str]] = [
        ({"title": "Pass the law"}, "title"),
        ({"aims": (Aim("D1.1.1", 4), Aim("D2.1.1", 3))}, "aims"),
        ({"description": "Draft, consult, pass."}, "description"),
        ({"start": dt.date(2026, 4, 1)}, "start"),
        ({"due": dt.date(2026, 12, 31)}, "due"),
        ({"notes": "Ask the ministry."}, "notes"),
        ({"owner_username": "expert-de"}, "owner"),  # the account beside the same name
        ({"owner_name": ""}, "owner"),
        ({"status": S.DONE}, "action_status"),
    ]
    for number, (change, field) in enumerate(steps, start=2):
        wanted = replace(current.as_draft(), **change)  # type: ignore[arg-type]
        current = services.update_action(coordinator, current.id, wanted, expected_version=current.version, today=TODAY)
        assert current.version == number, field
        assert current.as_draft() == wanted, field
        [stored] = services.plan(coordinator, de, today=TODAY).actions
        assert stored == current, field
        [*_, (_who, _key, old, new)] = entries(world, "change_action")
        assert isinstance(old, dict) and isinstance(new, dict)
        assert set(new) == {field} and set(old) == {field}, field
    assert current.done_on == TODAY
    assert (current.owner, current.owner_username) == ("expert-de", "expert-de")
    owners = [(old, new) for *_, old, new in entries(world, "change_action") if "owner" in new]  # type: ignore[operator]
    assert owners == [
        ({"owner": "Anna"}, {"owner": "Anna (expert-de)"}),
        ({"owner": "Anna (expert-de)"}, {"owner": "expert-de"}),
    ]


# --- the audit trail ------------------------------------------------------------------------------------


def test_each_change_of_the_plan_is_one_entry_in_words(world: World) -> None:
    services, de, coordinator = world.services, system_id(world, "DE"), world.id("coordinator-de")
    added = services.add_action(coordinator, de, draft(due=dt.date(2026, 6, 30)), today=TODAY)
    services.update_action(
        coordinator, added.id, replace(added.as_draft(), status=S.DONE), expected_version=1, today=TODAY
    )
    services.set_peer_naming(coordinator, de, True)
    services.set_peer_naming(coordinator, de, True)  # no change: no entry
    assert entries(world, "add_action") == [
        (
            "coordinator-de",
            str(added.id),
            None,
            {
                "title": "Write the genomics law",
                "aims": ["D1.1.1 → 4"],
                "due": "2026-06-30",
                "action_status": "planned",
            },
        )
    ]
    assert entries(world, "set_peer_naming") == [
        ("coordinator-de", "DE", {"named_as_peer": False}, {"named_as_peer": True})
    ]
    trail = services.audit_trail(coordinator)
    lines = [(line.who, line.action, line.health_system, line.about, line.change) for line in trail.lines[:3]]
    germany = trail.lines[0].health_system
    assert germany.endswith("(DE)")
    assert lines == [
        (
            "coordinator-de",
            "Changed whether other teams see the health system by name",
            germany,
            "",
            "named to other teams: no -> yes",
        ),
        ("coordinator-de", "Changed an action of the plan", germany, f"action {added.id}", "status: planned -> done"),
        (
            "coordinator-de",
            "Added an action to the plan",
            germany,
            f"action {added.id}",
            "status: planned; indicators and levels aimed at: D1.1.1 → 4; due: 2026-06-30; title: Write the genomics law",
        ),
    ]
    # FR's coordinator reads FR's history: none of it
    assert not [line for line in services.audit_trail(world.id("coordinator-fr")).lines if "action" in line.about]


# --- an expert's proposals ------------------------------------------------------------------------------


def test_an_expert_changes_their_own_proposal_until_it_is_planned(world: World) -> None:
    services, de = world.services, system_id(world, "DE")
    expert, other, coordinator = world.id("expert-de"), world.id("expert2-de"), world.id("coordinator-de")
    proposal = services.add_action(expert, de, draft(status=S.PROPOSED), today=TODAY)
    assert (proposal.status, proposal.proposed_by) == (S.PROPOSED, "expert-de")
    view = services.plan(expert, de, today=TODAY)
    assert (view.may_manage, view.may_propose, view.may_set_peer_naming) == (False, True, False)
    assert view.may_edit(proposal) and not services.plan(other, de, today=TODAY).may_edit(proposal)
    with pytest.raises(PermissionDenied):  # an expert may not plan it
        services.update_action(expert, proposal.id, draft(status=S.PLANNED), expected_version=1, today=TODAY)
    with pytest.raises(PermissionDenied):  # nor may another expert change it
        services.update_action(other, proposal.id, draft("Theirs", S.PROPOSED), expected_version=1, today=TODAY)
    with pytest.raises(PermissionDenied):  # an expert names no status but proposed
        services.add_action(expert, de, draft(status=S.PLANNED), today=TODAY)
    changed = services.update_action(expert, proposal.id, draft("Mine", S.PROPOSED), expected_version=1, today=TODAY)
    planned = services.update_action(
        coordinator, proposal.id, replace(changed.as_draft(), status=S.PLANNED), expected_version=2, today=TODAY
    )
    assert (planned.title, planned.status, planned.version, planned.proposed_by) == ("Mine", S.PLANNED, 3, "expert-de")
    assert not services.plan(expert, de, today=TODAY).may_edit(planned)
    with pytest.raises(PermissionDenied):
        services.update_action(expert, proposal.id, draft("Again", S.PROPOSED), expected_version=3, today=TODAY)
    [stored] = services.plan(world.id("viewer-de"), de, today=TODAY).actions
    assert (stored.title, stored.version) == ("Mine", 3)


# --- Learn: the peer opt-in and the threshold -----------------------------------------------------------

# code -> published rounds (date, D1.1.1 level or None: not rated), named to peers?
PEERS: dict[str, tuple[list[tuple[dt.date, int | None]], bool]] = {
    "ES": ([(dt.date(2025, 3, 1), 4)], True),
    "IT": ([(dt.date(2025, 3, 1), 5)], False),  # reached, but not opted in: counted, never named
    "NL": ([(dt.date(2024, 3, 1), 1), (dt.date(2025, 3, 1), 5)], True),  # its latest round counts
    "PT": ([(dt.date(2024, 3, 1), 5), (dt.date(2025, 3, 1), 3)], True),  # latest at 3: below 4 and 5
    "LV": ([(dt.date(2025, 3, 1), None)], True),  # rated D2.1.1 only: not among those rated
}


def _publish(services: Services, admin: int, code: str, date: dt.date, level: int | None) -> None:
    round_id = services.open_round(admin, code, f"{code} {date.year}", date).id
    services.set_consensus(admin, round_id, "D2.1.1", level=2, expected_version=0)
    if level is not None:
        services.set_consensus(admin, round_id, "D1.1.1", level=level, expected_version=0)
    services.start_review(admin, round_id)
    services.submit(admin, round_id)
    services.publish(admin, round_id)


@pytest.fixture
def peers(world: World) -> World:
    services, admin = world.services, world.id("admin")
    for code, (rounds, named) in PEERS.items():
        services.add_health_system(admin, code)
        for date, level in rounds:
            _publish(services, admin, code, date, level)
        services.set_peer_naming(admin, system_id(world, code), named)
    # FR: published at 1; its draft at 5 never counts
    _publish(services, admin, "FR", dt.date(2025, 3, 1), 1)
    services.set_consensus(admin, world.rounds["FR"], "D1.1.1", level=5, expected_version=0)
    services.set_peer_naming(world.id("coordinator-fr"), system_id(world, "FR"), True)
    # DE, asking: its own published round at 5 is never its own peer
    _publish(services, admin, "DE", dt.date(2025, 3, 1), 5)
    services.set_peer_naming(world.id("coordinator-de"), system_id(world, "DE"), True)
    return world


def _named(learning: object) -> list[tuple[str, int]]:
    return [(p.code, p.level) for p in learning.named]  # type: ignore[attr-defined]


def test_learn_names_only_opted_in_peers_and_counts_only_above_the_threshold(peers: World) -> None:
    services, de, asker = peers.services, system_id(peers, "DE"), peers.id("viewer-de")
    # rated D1.1.1 in their latest published round: ES 4, IT 5, NL 5, PT 3, FR 1 (five systems)
    at4 = services.peers_at_level(asker, de, "D1.1.1", 4, min_group_size=5)
    assert _named(at4) == [("NL", 5), ("ES", 4)]  # IT reached it but did not opt in
    assert (at4.rated, at4.at_or_above, at4.withheld, at4.threshold) == (5, 3, False, 5)
    assert [p.round_label for p in at4.named] == ["NL 2025", "ES 2025"]  # as typed
    at5 = services.peers_at_level(asker, de, "D1.1.1", 5, min_group_size=5)
    assert _named(at5) == [("NL", 5)]  # FR's draft at 5 does not count
    assert (at5.rated, at5.at_or_above) == (5, 2)
    at1 = services.peers_at_level(asker, de, "D1.1.1", 1, min_group_size=5)
    assert _named(at1) == [("NL", 5), ("ES", 4), ("PT", 3), ("FR", 1)]  # never DE itself
    assert (at1.rated, at1.at_or_above) == (5, 5)
    withheld = services.peers_at_level(asker, de, "D1.1.1", 4, min_group_size=6)
    assert (withheld.rated, withheld.at_or_above, withheld.withheld) == (None, None, True)
    assert _named(withheld) == [("NL", 5), ("ES", 4)]  # the opted-in are still named
    # NL opts out: it is counted, no longer named
    services.set_peer_naming(peers.id("admin"), system_id(peers, "NL"), False)
    after = services.peers_at_level(asker, de, "D1.1.1", 4, min_group_size=5)
    assert _named(after) == [("ES", 4)] and (after.rated, after.at_or_above) == (5, 3)
    # asked from FR: DE's published 5 counts, FR's own rounds do not (ES 4, IT 5, NL 5, PT 3, DE 5)
    from_fr = services.peers_at_level(peers.id("coordinator-fr"), system_id(peers, "FR"), "D1.1.1", 5, min_group_size=5)
    assert _named(from_fr) == [("DE", 5)] and (from_fr.rated, from_fr.at_or_above) == (5, 3)


def test_learn_uses_the_settings_threshold_by_default(peers: World) -> None:
    """Five systems rated D1.1.1: counted under a threshold of 5, withheld under 6."""
    for threshold, counts in ((5, (5, 3)), (6, (None, None))):
        settings = peers.services.settings.model_copy(update={"min_group_size": threshold})
        services = Services(peers.services.db, settings=settings)
        learning = services.peers_at_level(peers.id("coordinator-de"), system_id(peers, "DE"), "D1.1.1", 4)
        assert (learning.threshold, learning.rated, learning.at_or_above) == (threshold, *counts)


# --- another country sees nothing: a seeded walk ------------------------------------------------------


@dataclass
class Modelled:
    """What the test expects of one stored action."""

    code: str
    title: str
    status: ActionStatus
    aims: tuple[Aim, ...]
    version: int
    proposed_by: str


INDICATORS = ("D1.1.1", "D2.1.1", "D3.1.1", "D4.1.1", "D5.1.1")
ACTORS = {"DE": ("coordinator-de", "expert-de", "expert2-de"), "FR": ("coordinator-fr", "expert-fr", "expert2-fr")}


def _as_model(action: PlanAction, code: str) -> Modelled:
    return Modelled(code, action.title, action.status, action.aims, action.version, action.proposed_by or "")


def test_a_seeded_walk_keeps_each_plan_to_its_own_country(world: World) -> None:
    services, rng = world.services, random.Random(20260401)
    systems = {code: system_id(world, code) for code in ACTORS}
    model: dict[int, Modelled] = {}
    refusal_of_missing = {}
    for code in ACTORS:
        for username in ACTORS[code]:
            with pytest.raises(PermissionDenied) as missing:
                services.update_action(world.id(username), 999_999, draft(status=S.PROPOSED), expected_version=1)
            refusal_of_missing[username] = missing.value.message
    for step in range(30):
        code = rng.choice(("DE", "FR"))
        username = rng.choice(ACTORS[code])
        actor = world.id(username)
        coordinator = username.startswith("coordinator")
        own = [i for i, m in model.items() if m.code == code]
        mine = [i for i in own if model[i].status == S.PROPOSED and model[i].proposed_by == username]
        aims = tuple(Aim(i, rng.randint(2, 5)) for i in rng.sample(INDICATORS, rng.randint(1, 2)))
        title = f"{code} step {step}"
        move = rng.choice(("add", "change", "drop")) if own else "add"
        if move == "add":
            status = rng.choice((S.PLANNED, S.IN_PROGRESS)) if coordinator else S.PROPOSED
            added = services.add_action(actor, systems[code], ActionDraft(title, aims, status=status), today=TODAY)
            model[added.id] = Modelled(code, title, status, aims, 1, username)
        elif coordinator:
            target = rng.choice(own)
            m = model[target]
            if move == "drop":
                wanted = ActionDraft(m.title, m.aims, status=S.DROPPED, drop_reason="Not needed.")
            else:
                wanted = ActionDraft(title, aims, status=rng.choice((S.PLANNED, S.IN_PROGRESS, S.DONE)))
            services.update_action(actor, target, wanted, expected_version=m.version, today=TODAY)
            model[target] = replace(
                m, title=wanted.title, status=wanted.status, aims=wanted.aims, version=m.version + 1
            )
        else:  # an expert: changes their own proposal, or is refused on anyone else's action
            target = rng.choice(mine or own)
            m = model[target]
            wanted = ActionDraft(title, aims, status=S.PROPOSED)
            if target in mine:
                services.update_action(actor, target, wanted, expected_version=m.version, today=TODAY)
                model[target] = replace(m, title=title, aims=aims, version=m.version + 1)
            else:
                with pytest.raises(PermissionDenied):
                    services.update_action(actor, target, wanted, expected_version=m.version, today=TODAY)
        # after every step: each plan is its model, and the other country cannot tell another's action from none
        for plan_code, system in systems.items():
            view = services.plan(world.id(ACTORS[plan_code][0]), system, today=TODAY)
            seen = {a.id: _as_model(a, plan_code) for a in view.actions}
            assert seen == {i: m for i, m in model.items() if m.code == plan_code}, (step, plan_code)
        for action_id, m in model.items():
            for outsider in ACTORS["FR" if m.code == "DE" else "DE"][:2]:
                with pytest.raises(PermissionDenied) as refused:
                    services.update_action(
                        world.id(outsider), action_id, draft(status=S.PROPOSED), expected_version=m.version
                    )
                assert refused.value.message == refusal_of_missing[outsider], (step, outsider)
    assert {m.code for m in model.values()} == {"DE", "FR"}  # the walk went both ways
    assert len({m.status for m in model.values()}) >= 3

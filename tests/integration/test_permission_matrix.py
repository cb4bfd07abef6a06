"""Every role x every use case x own and other health system: allowed or refused, by the service layer.

Actors hold their roles in DE; "own" acts on a DE round, "other" on an FR round.
Global roles (admin, analyst, none) are tried on both.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable

from b1mg_maturity.domain import ActionStatus
from b1mg_maturity.errors import PermissionDenied
from b1mg_maturity.planning import ActionDraft, Aim
from b1mg_maturity.services.round_transfer import export_round
from tests.integration.world import World

ACTORS = {  # label -> username
    "admin": "admin",
    "analyst": "analyst",
    "no role": "nobody",
    "coordinator": "coordinator-de",
    "expert": "expert-de",
    "viewer": "viewer-de",
}
_labels = itertools.count()


def _fresh_round(world: World, code: str, *, status: str = "draft") -> int:
    """A new round in ``code`` set up by the admin, with that system's expert invited."""
    services, admin = world.services, world.id("admin")
    round_id = services.open_round(admin, code, f"R{next(_labels)}", dt.date(2026, 1, 1)).id
    services.invite_expert(admin, round_id, f"expert-{code.lower()}")
    if status in ("in_review", "submitted", "published"):
        services.start_review(admin, round_id)
    if status in ("submitted", "published"):
        services.submit(admin, round_id)
    if status == "published":
        services.publish(admin, round_id)
    return round_id


def _system(world: World, code: str) -> int:
    return next(s.id for s in world.services.plan_systems(world.id("admin")) if s.code == code)


def _draft(status: ActionStatus, title: str = "Write the genomics law") -> ActionDraft:
    return ActionDraft(title=title, aims=(Aim("D1.1.1", 4),), status=status)


def _action(world: World, code: str, *, by: str = "admin", status: ActionStatus = ActionStatus.PLANNED) -> int:
    """A new action in ``code``'s plan, added by ``by`` (a proposal when ``by`` is an expert)."""
    return world.services.add_action(world.id(by), _system(world, code), _draft(status)).id


def _change(world: World, actor_id: int, action_id: int, status: ActionStatus) -> object:
    return world.services.update_action(actor_id, action_id, _draft(status, "Changed"), expected_version=1)


Case = Callable[[World, int, str], object]

CASES: dict[str, Case] = {
    "read draft round": lambda w, a, c: w.services.get_round(a, _fresh_round(w, c)),
    "read draft scores": lambda w, a, c: w.services.round_scores(a, _fresh_round(w, c)),
    "read published round": lambda w, a, c: w.services.get_round(a, _fresh_round(w, c, status="published")),
    "read published scores": lambda w, a, c: w.services.round_scores(a, _fresh_round(w, c, status="published")),
    "read submitted round": lambda w, a, c: w.services.get_round(a, _fresh_round(w, c, status="submitted")),
    "read every expert's ratings": lambda w, a, c: w.services.all_ratings(a, _fresh_round(w, c)),
    "rate": lambda w, a, c: w.services.rate(a, _fresh_round(w, c), "D1.1.1", level=3, expected_version=0),
    "set consensus": lambda w, a, c: w.services.set_consensus(
        a, _fresh_round(w, c), "D1.1.1", level=3, expected_version=0
    ),
    "set target": lambda w, a, c: w.services.set_target(a, _fresh_round(w, c), "D1.1.1", target=4, expected_version=0),
    "invite expert": lambda w, a, c: w.services.invite_expert(a, _fresh_round(w, c), f"expert2-{c.lower()}"),
    "start review": lambda w, a, c: w.services.start_review(a, _fresh_round(w, c)),
    "submit": lambda w, a, c: w.services.submit(a, _fresh_round(w, c, status="in_review")),
    "finish own part": lambda w, a, c: w.services.finish_my_part(a, _fresh_round(w, c)),
    "read own part": lambda w, a, c: w.services.my_part(a, _fresh_round(w, c)),
    "see experts' progress": lambda w, a, c: w.services.round_progress(a, _fresh_round(w, c)),
    "send reminders": lambda w, a, c: w.services.send_reminders(a, _fresh_round(w, c), [f"expert-{c.lower()}"]),
    "uninvite expert": lambda w, a, c: w.services.uninvite_expert(a, _fresh_round(w, c), f"expert-{c.lower()}"),
    "read submit check": lambda w, a, c: w.services.submit_check(a, _fresh_round(w, c, status="in_review")),
    "publish": lambda w, a, c: w.services.publish(a, _fresh_round(w, c, status="submitted")),
    "reopen": lambda w, a, c: w.services.reopen(a, _fresh_round(w, c, status="submitted"), "correction"),
    "open round": lambda w, a, c: w.services.open_round(a, c, f"N{next(_labels)}", dt.date(2026, 2, 1)),
    "export round": lambda w, a, c: export_round(w.services, a, _fresh_round(w, c)),
    "read round history": lambda w, a, c: w.services.audit_log(a, round_id=_fresh_round(w, c)),
    # the action plan (every system has a round, so actions can be checked against its questionnaire);
    # before the cases below, which give "nobody" a role
    "read plan": lambda w, a, c: w.services.plan(a, _system(w, c)),
    "add action (planned)": lambda w, a, c: w.services.add_action(a, _system(w, c), _draft(ActionStatus.PLANNED)),
    "propose action": lambda w, a, c: w.services.add_action(a, _system(w, c), _draft(ActionStatus.PROPOSED)),
    "change an action": lambda w, a, c: _change(w, a, _action(w, c), ActionStatus.IN_PROGRESS),
    "change another's proposal": lambda w, a, c: _change(
        w, a, _action(w, c, by=f"expert2-{c.lower()}", status=ActionStatus.PROPOSED), ActionStatus.PROPOSED
    ),
    "set peer naming": lambda w, a, c: w.services.set_peer_naming(a, _system(w, c), True),
    "peers at level": lambda w, a, c: w.services.peers_at_level(a, _system(w, c), "D1.1.1", 3),
    "add health system": lambda w, a, c: w.services.add_health_system(a, "EE" if c == "DE" else "LV"),
    "grant expert role": lambda w, a, c: w.services.grant(a, "nobody", c, "expert"),
    "list users": lambda w, a, c: w.services.list_users(a),
}

COORDINATION = {"admin", "coordinator/own"}
EXPECTED: dict[str, set[str]] = {
    "read draft round": {"admin", "coordinator/own", "expert/own"},
    "read draft scores": {"admin", "coordinator/own", "expert/own"},
    "read submitted round": {"admin", "coordinator/own", "expert/own", "viewer/own"},
    "read published round": {"admin", "analyst", "coordinator/own", "expert/own", "viewer/own"},
    "read published scores": {"admin", "analyst", "coordinator/own", "expert/own", "viewer/own"},
    "read every expert's ratings": COORDINATION,
    "rate": {"expert/own"},  # only invited experts rate, not even the admin
    "set consensus": COORDINATION,
    "set target": COORDINATION,
    "invite expert": COORDINATION,
    "start review": COORDINATION,
    "submit": COORDINATION,
    "finish own part": {"expert/own"},  # only the invited expert, not even the admin
    "read own part": {"admin", "coordinator/own", "expert/own"},  # anyone who may open the round (their part: empty)
    "see experts' progress": COORDINATION,
    "send reminders": COORDINATION,
    "uninvite expert": COORDINATION,
    "read submit check": COORDINATION,
    "publish": {"admin"},
    "reopen": {"admin"},
    "open round": COORDINATION,
    "export round": COORDINATION,
    "read round history": COORDINATION,
    "add health system": {"admin"},
    "grant expert role": COORDINATION,
    "list users": {"admin"},
    # the action plan: members read it, the coordinator runs it, experts propose, viewers only read
    "read plan": {"admin", "coordinator/own", "expert/own", "viewer/own"},
    "add action (planned)": COORDINATION,
    "propose action": COORDINATION | {"expert/own"},
    "change an action": COORDINATION,
    "change another's proposal": COORDINATION,  # an expert changes only their own proposals
    "set peer naming": COORDINATION,
    "peers at level": {"admin", "analyst", "coordinator/own", "expert/own", "viewer/own"},  # analysts see names
}


def test_permission_matrix(world: World) -> None:
    assert set(CASES) == set(EXPECTED)
    outcome: dict[tuple[str, str], bool] = {}
    for case_name, case in CASES.items():
        for label, username in ACTORS.items():
            for where, code in (("own", "DE"), ("other", "FR")):
                cell = label if label in ("admin", "analyst", "no role") else f"{label}/{where}"
                try:
                    case(world, world.id(username), code)
                    allowed = True
                except PermissionDenied:
                    allowed = False
                key = (case_name, cell)
                # global roles are tried on both systems and must agree
                assert outcome.get(key, allowed) == allowed, key
                outcome[key] = allowed
    wrong = sorted(
        f"{case} / {cell}: {'allowed' if allowed else 'refused'}, expected {'allowed' if not allowed else 'refused'}"
        for (case, cell), allowed in outcome.items()
        if allowed != (cell in EXPECTED[case])
    )
    assert not wrong, "\n".join(wrong)
    assert len(outcome) == len(CASES) * 9


def test_refusal_reveals_nothing(world: World) -> None:
    """A round of another system and a round that does not exist get the same answer."""
    services, outsider = world.services, world.id("coordinator-fr")
    messages = []
    for round_id in (world.rounds["DE"], 999_999):
        try:
            services.get_round(outsider, round_id)
        except PermissionDenied as exc:
            messages.append(exc.message)
    assert len(messages) == 2 and messages[0] == messages[1]


def test_expert_sees_only_own_ratings(world: World) -> None:
    services, round_id = world.services, world.rounds["DE"]
    services.rate(world.id("expert-de"), round_id, "D1.1.1", level=2, expected_version=0)
    services.rate(world.id("expert2-de"), round_id, "D1.1.1", level=4, expected_version=0)
    mine = services.my_ratings(world.id("expert-de"), round_id)
    assert [r.level for r in mine.values()] == [2]
    assert len(services.all_ratings(world.id("coordinator-de"), round_id)) == 2


def test_revoked_role_takes_effect_at_once(world: World) -> None:
    services = world.services
    services.get_round(world.id("coordinator-de"), world.rounds["DE"])
    services.revoke(world.id("admin"), "coordinator-de", "DE", "coordinator")
    try:
        services.get_round(world.id("coordinator-de"), world.rounds["DE"])
    except PermissionDenied:
        return
    raise AssertionError("a revoked coordinator could still open the round")

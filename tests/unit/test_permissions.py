"""The pure rules: what a page may offer a user for a round, and which pages a user's menu holds."""

from __future__ import annotations

from dataclasses import dataclass, fields

import pytest

from b1mg_maturity.domain import GlobalRole, RoundStatus, SystemRole
from b1mg_maturity.errors import PermissionDenied
from b1mg_maturity.permissions import (
    NOTHING,
    Actor,
    Capabilities,
    Page,
    RoundFacts,
    can_read_plan,
    capabilities,
    may_edit_action,
    may_propose_action,
    pages_for,
    require_edit_action,
    require_propose_action,
)

OWN, OTHER = 1, 2  # health system ids
ROLES = {
    "admin": Actor(1, "admin", GlobalRole.ADMIN),
    "analyst": Actor(2, "analyst", GlobalRole.ANALYST),
    "no role": Actor(3, "nobody"),
    "coordinator": Actor(4, "coordinator", roles={OWN: frozenset({SystemRole.COORDINATOR})}),
    "coordinator elsewhere": Actor(5, "coordinator-fr", roles={OTHER: frozenset({SystemRole.COORDINATOR})}),
    "invited expert": Actor(6, "expert", roles={OWN: frozenset({SystemRole.EXPERT})}),
    "expert, not invited": Actor(7, "expert2", roles={OWN: frozenset({SystemRole.EXPERT})}),
    "invited, role revoked": Actor(8, "former", roles={OWN: frozenset({SystemRole.VIEWER})}),
    "invited coordinator": Actor(9, "coordinator2", roles={OWN: frozenset({SystemRole.COORDINATOR})}),
    "viewer": Actor(10, "viewer", roles={OWN: frozenset({SystemRole.VIEWER})}),
    "invited expert, finished": Actor(11, "finished", roles={OWN: frozenset({SystemRole.EXPERT})}),
}
INVITED = frozenset({6, 8, 9, 11})
FINISHED = frozenset({11})


def offered(role: str, status: RoundStatus) -> set[str]:
    """The names of the capabilities that are true, without the ``may_`` prefix."""
    caps = capabilities(ROLES[role], RoundFacts(100, OWN, status, INVITED, FINISHED))
    return {f.name.removeprefix("may_") for f in fields(caps) if getattr(caps, f.name)}


D, R, S, P = RoundStatus.DRAFT, RoundStatus.IN_REVIEW, RoundStatus.SUBMITTED, RoundStatus.PUBLISHED
COORDINATING = {"see_results", "coordinate", "read_all_ratings", "export", "see_progress"}
EDITING = {"run_consensus", "invite", "uninvite"}
RATING = {"rate", "finish_part"}
# Written out by hand, per role and status: what the pages may offer.
EXPECTED: dict[str, dict[RoundStatus, set[str]]] = {
    "admin": {
        D: COORDINATING | EDITING | {"start_review", "remind"},
        R: COORDINATING | EDITING - {"invite"} | {"submit"},  # invitations only in a draft
        S: COORDINATING | {"publish", "reopen"},
        P: COORDINATING | {"reopen"},
    },
    "analyst": {D: set(), R: set(), S: set(), P: {"see_results"}},
    "no role": {D: set(), R: set(), S: set(), P: set()},
    "coordinator": {
        D: COORDINATING | EDITING | {"start_review", "remind"},
        R: COORDINATING | EDITING - {"invite"} | {"submit"},  # invitations only in a draft
        S: COORDINATING,
        P: COORDINATING,
    },
    "coordinator elsewhere": {D: set(), R: set(), S: set(), P: set()},
    "invited expert": {
        D: {"see_results"} | RATING,
        R: {"see_results"},  # the review closes the experts' part
        S: {"see_results"},
        P: {"see_results"},
    },
    "expert, not invited": {D: set(), R: set(), S: set(), P: set()},
    "invited, role revoked": {D: set(), R: set(), S: {"see_results"}, P: {"see_results"}},  # a viewer now
    "invited coordinator": {
        D: COORDINATING | EDITING | RATING | {"start_review", "remind"},
        R: COORDINATING | EDITING - {"invite"} | {"submit"},  # invitations only in a draft
        S: COORDINATING,
        P: COORDINATING,
    },
    "viewer": {D: set(), R: set(), S: {"see_results"}, P: {"see_results"}},
    "invited expert, finished": {
        D: {"see_results", "reopen_part"},  # no rating until they reopen their part
        R: {"see_results"},
        S: {"see_results"},
        P: {"see_results"},
    },
}


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("status", list(RoundStatus))
def test_capabilities_per_role_and_status(role: str, status: RoundStatus) -> None:
    assert offered(role, status) == EXPECTED[role][status]


def test_nothing_offers_nothing() -> None:
    assert not any(getattr(NOTHING, f.name) for f in fields(Capabilities))


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("status", list(RoundStatus))
def test_every_offer_needs_the_round_to_be_readable(role: str, status: RoundStatus) -> None:
    shown = offered(role, status)
    assert not shown or "see_results" in shown


def test_a_stored_status_string_gives_the_same_answer() -> None:
    """The facts hold the status as stored (a plain string): it compares equal to its member."""
    for role in ROLES:
        for status in RoundStatus:
            as_stored = capabilities(ROLES[role], RoundFacts(100, OWN, str(status.value), INVITED, FINISHED))
            assert as_stored == capabilities(ROLES[role], RoundFacts(100, OWN, status, INVITED, FINISHED))


@dataclass(frozen=True)
class _User:
    global_role: str
    memberships: tuple[tuple[str, str], ...] = ()


EVERYONE = [Page.MY_ASSESSMENTS, Page.RESULTS, Page.COMPARE, Page.QUICK_ASSESSMENT, Page.ACCOUNT]


@pytest.mark.parametrize(
    ("user", "menu"),
    [
        (
            _User("admin"),
            [
                Page.MY_ASSESSMENTS,
                Page.CONSENSUS,
                Page.RESULTS,
                Page.PLAN,
                Page.COMPARE,
                Page.OVERVIEW,
                Page.ADMIN,
                Page.QUICK_ASSESSMENT,
                Page.ACCOUNT,
            ],
        ),
        (
            _User("analyst"),
            [Page.MY_ASSESSMENTS, Page.RESULTS, Page.COMPARE, Page.OVERVIEW, Page.QUICK_ASSESSMENT, Page.ACCOUNT],
        ),
        (_User("none"), EVERYONE),
        (
            _User("none", (("XA", "coordinator"),)),
            [
                Page.MY_ASSESSMENTS,
                Page.RATE,
                Page.CONSENSUS,
                Page.RESULTS,
                Page.PLAN,
                Page.COMPARE,
                Page.HISTORY,
                Page.QUICK_ASSESSMENT,
                Page.ACCOUNT,
            ],
        ),
        (
            _User("none", (("XA", "expert"),)),
            [
                Page.MY_ASSESSMENTS,
                Page.RATE,
                Page.RESULTS,
                Page.PLAN,
                Page.COMPARE,
                Page.QUICK_ASSESSMENT,
                Page.ACCOUNT,
            ],
        ),
        (
            _User("none", (("XA", "viewer"),)),
            [Page.MY_ASSESSMENTS, Page.RESULTS, Page.PLAN, Page.COMPARE, Page.QUICK_ASSESSMENT, Page.ACCOUNT],
        ),
        (
            _User("none", (("XA", "expert"), ("XB", "coordinator"))),
            [
                Page.MY_ASSESSMENTS,
                Page.RATE,
                Page.CONSENSUS,
                Page.RESULTS,
                Page.PLAN,
                Page.COMPARE,
                Page.HISTORY,
                Page.QUICK_ASSESSMENT,
                Page.ACCOUNT,
            ],
        ),
    ],
)
def test_menu_per_role(user: _User, menu: list[Page]) -> None:
    assert pages_for(user) == menu


def test_page_addresses() -> None:
    """The addresses are part of links people keep (``/rate?round=7``): they never change."""
    assert [p.value for p in Page] == [
        "assessments",
        "rate",
        "consensus",
        "results",
        "plan",
        "compare",
        "overview",
        "admin",
        "history",
        "quick",
        "account",
    ]


# --- the action plan ----------------------------------------------------------------------------------
# Per role, written by hand: reads the plan, proposes, plans (any status), changes a planned action, changes
# their own proposal, changes another's proposal; in the own system (OWN), then in the other (OTHER).
PLAN_RULES: dict[str, tuple[str, str]] = {  # role -> (in OWN, in OTHER); letters: r p P e o a
    "admin": ("rpPeoa", "rpPeoa"),
    "analyst": ("", ""),  # reads published rounds, never a plan
    "no role": ("", ""),
    "coordinator": ("rpPeoa", ""),
    "coordinator elsewhere": ("", "rpPeoa"),
    "invited expert": ("rpo", ""),
    "expert, not invited": ("rpo", ""),  # proposing needs no invitation, only the role
    "invited, role revoked": ("r", ""),  # a viewer now: reads only
    "invited coordinator": ("rpPeoa", ""),
    "viewer": ("r", ""),
    "invited expert, finished": ("rpo", ""),
}


def plan_rights(actor: Actor, system: int) -> str:
    """The letters of what ``actor`` may do in ``system``'s plan (``o``: a proposal of their own)."""
    rights = ""
    if can_read_plan(actor, system):
        rights += "r"
    if may_propose_action(actor, system):
        rights += "p"
    try:
        require_propose_action(actor, system, "planned")
        rights += "P"
    except PermissionDenied:
        pass
    if may_edit_action(actor, system, proposed_by=actor.user_id, status="planned"):
        rights += "e"
    if may_edit_action(actor, system, proposed_by=actor.user_id, status="proposed"):
        rights += "o"
    if may_edit_action(actor, system, proposed_by=999, status="proposed"):
        rights += "a"
    return rights


@pytest.mark.parametrize("role", list(ROLES))
def test_plan_rules_per_role_in_own_and_other_system(role: str) -> None:
    assert (plan_rights(ROLES[role], OWN), plan_rights(ROLES[role], OTHER)) == PLAN_RULES[role]


@pytest.mark.parametrize("role", list(ROLES))
def test_each_plan_refusal_says_what_may_not_be_done(role: str) -> None:
    actor = ROLES[role]
    for system in (OWN, OTHER):
        for status in ("proposed", "planned", "in_progress", "done", "dropped"):
            allowed = "P" in PLAN_RULES[role][system - 1] or (
                status == "proposed" and "p" in PLAN_RULES[role][system - 1]
            )
            try:
                require_propose_action(actor, system, status)
            except PermissionDenied as exc:
                assert not allowed, (role, system, status)
                assert exc.message.startswith("You may not "), exc.message
            else:
                assert allowed, (role, system, status)
        for proposed_by, status in ((actor.user_id, "proposed"), (actor.user_id, "in_progress"), (999, "proposed")):
            editable = may_edit_action(actor, system, proposed_by=proposed_by, status=status)
            try:
                require_edit_action(actor, system, proposed_by=proposed_by, status=status)
            except PermissionDenied:
                assert not editable, (role, system, proposed_by, status)
            else:
                assert editable, (role, system, proposed_by, status)


def test_another_systems_plan_is_refused_in_the_words_of_one_that_does_not_exist() -> None:
    """Whether a plan's action exists is not told to someone outside its health system."""
    outsider = ROLES["coordinator elsewhere"]
    words = set()
    for system in (OWN, -1):
        with pytest.raises(PermissionDenied) as refused:
            require_edit_action(outsider, system, proposed_by=None, status="planned")
        words.add(refused.value.message)
    assert words == {"You may not open this health system's plan."}

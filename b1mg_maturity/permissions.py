"""Who may do what.  Pure rules over an :class:`Actor` and the facts of a round; services enforce them.

Roles: ``admin`` (everything) and ``analyst`` (reads every published round)
are global; ``coordinator``, ``expert`` and ``viewer`` are held per health
system.  An expert works only on the rounds they were invited to, and only
while they hold the expert (or coordinator) role of the round's health
system: revoking the role ends the access an invitation gave, at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any, Protocol

from b1mg_maturity.domain import CLOSED_STATUSES, EDITABLE_STATUSES, RATING_ROLES, GlobalRole, RoundStatus, SystemRole
from b1mg_maturity.errors import InvalidState, PermissionDenied
from b1mg_maturity.i18n import N_, _

RESULT_STATUSES_FOR_VIEWERS = CLOSED_STATUSES


@dataclass(frozen=True)
class Actor:
    user_id: int
    username: str
    global_role: str = GlobalRole.NONE
    roles: Mapping[int, frozenset[str]] = field(default_factory=dict)  # health system id -> roles

    @property
    def user_ref(self) -> int | None:
        """The id to store in "who did it" columns; None for the command-line operator (not a user row)."""
        return self.user_id or None

    @property
    def is_admin(self) -> bool:
        return self.global_role == GlobalRole.ADMIN

    @property
    def is_analyst(self) -> bool:
        return self.global_role == GlobalRole.ANALYST

    def holds(self, health_system_id: int, role: str) -> bool:
        return role in self.roles.get(health_system_id, frozenset())

    def is_member(self, health_system_id: int) -> bool:
        return bool(self.roles.get(health_system_id))


@dataclass(frozen=True)
class RoundFacts:
    """What the rules need to know about a round."""

    round_id: int
    health_system_id: int
    status: str
    expert_ids: frozenset[int]  # invited; an invitation counts only with a current rating role (see is_rating_expert)
    finished_ids: frozenset[int] = frozenset()  # invited experts who marked their part finished


RATING_STATUSES = frozenset({RoundStatus.DRAFT})  # experts rate while the round is a draft; review closes their part


def _deny(what: str, **fields: Any) -> PermissionDenied:
    """``what`` is what the user may not do, as it follows "You may not" (a verb phrase), marked with ``N_``
    by the caller and translated here with its ``fields``."""
    return PermissionDenied(_("You may not {what}.", what=_(what, **fields)))


def coordinates(actor: Actor, health_system_id: int) -> bool:
    """A coordinator of the health system, or an administrator: runs its rounds (consensus, targets, status)."""
    return actor.is_admin or actor.holds(health_system_id, SystemRole.COORDINATOR)


def require_admin(actor: Actor, what: str, **fields: Any) -> None:
    if not actor.is_admin:
        raise _deny(what, **fields)


def require_coordinator(actor: Actor, health_system_id: int, what: str, **fields: Any) -> None:
    if not coordinates(actor, health_system_id):
        raise _deny(what, **fields)


def is_rating_expert(actor: Actor, facts: RoundFacts) -> bool:
    """Invited to the round and still an expert (or coordinator) of its health system."""
    held = actor.roles.get(facts.health_system_id, frozenset())
    return actor.user_id in facts.expert_ids and bool(held & RATING_ROLES)


def can_read_round(actor: Actor, facts: RoundFacts) -> bool:
    """Whether the round exists for this user at all (its status, scores and results)."""
    if coordinates(actor, facts.health_system_id):
        return True
    if is_rating_expert(actor, facts):
        return True
    if actor.holds(facts.health_system_id, SystemRole.VIEWER) and facts.status in RESULT_STATUSES_FOR_VIEWERS:
        return True
    return actor.is_analyst and facts.status == RoundStatus.PUBLISHED


def require_read(actor: Actor, facts: RoundFacts) -> None:
    if not can_read_round(actor, facts):
        raise _deny(N_("open this round"))


def can_read_all_ratings(actor: Actor, facts: RoundFacts) -> bool:
    """Every expert's own ratings and evidence: the coordinator's consensus view."""
    return coordinates(actor, facts.health_system_id)


def may_rate(actor: Actor, facts: RoundFacts) -> bool:
    """An invited expert whose part is open: the round is a draft and they have not marked their part finished."""
    return (
        is_rating_expert(actor, facts) and facts.status in RATING_STATUSES and actor.user_id not in facts.finished_ids
    )


def require_rate(actor: Actor, facts: RoundFacts) -> None:
    if not is_rating_expert(actor, facts):
        raise _deny(N_("rate in this round (only invited experts of its health system rate)"))
    if facts.status not in EDITABLE_STATUSES:
        raise InvalidState(
            _(
                "This round is {status} and locked; an administrator can reopen it.",
                status=RoundStatus.label_of(facts.status).lower(),
            )
        )
    if facts.status not in RATING_STATUSES:
        raise InvalidState(
            _(
                "This round is {status}: the experts' part is closed, so ratings can no longer change.",
                status=RoundStatus.label_of(facts.status).lower(),
            )
        )
    if actor.user_id in facts.finished_ids:
        raise InvalidState(_("You marked your part finished. Reopen your part to change your ratings."))


def require_own_part(actor: Actor, facts: RoundFacts, what: str, **fields: Any) -> None:
    """An invited expert finishing or reopening their part: only while the round is a draft."""
    if not is_rating_expert(actor, facts):
        raise _deny(what, **fields)
    if facts.status not in RATING_STATUSES:
        raise InvalidState(
            _("This round is {status}: the experts' part is closed.", status=RoundStatus.label_of(facts.status).lower())
        )


def require_coordinate(actor: Actor, facts: RoundFacts, what: str, **fields: Any) -> None:
    require_coordinator(actor, facts.health_system_id, what, **fields)


# --- the action plan ---------------------------------------------------------------------------
# A plan belongs to its health system: its members read it, its coordinators (and administrators) run it,
# its experts propose.  Analysts read published rounds only, never a plan; another system sees nothing.


def can_read_plan(actor: Actor, health_system_id: int) -> bool:
    return actor.is_admin or actor.is_member(health_system_id)


def require_read_plan(actor: Actor, health_system_id: int) -> None:
    if not can_read_plan(actor, health_system_id):
        raise _deny(N_("open this health system's plan"))


def may_propose_action(actor: Actor, health_system_id: int) -> bool:
    """Experts propose actions; coordinators (and administrators) add them at any status."""
    held = actor.roles.get(health_system_id, frozenset())
    return coordinates(actor, health_system_id) or bool(held & RATING_ROLES)


def require_propose_action(actor: Actor, health_system_id: int, status: str) -> None:
    """Adding or saving an action at ``status``: experts only propose, coordinators plan."""
    require_read_plan(actor, health_system_id)
    if not may_propose_action(actor, health_system_id):
        raise _deny(N_("add actions to this plan (experts propose; the coordinator plans)"))
    if status != "proposed" and not coordinates(actor, health_system_id):
        raise _deny(N_("plan an action (experts propose; the coordinator plans)"))


def may_edit_action(actor: Actor, health_system_id: int, *, proposed_by: int | None, status: str) -> bool:
    """A coordinator changes any action; an expert only their own proposal while it is still proposed."""
    if coordinates(actor, health_system_id):
        return True
    return may_propose_action(actor, health_system_id) and proposed_by == actor.user_id and status == "proposed"


def require_edit_action(actor: Actor, health_system_id: int, *, proposed_by: int | None, status: str) -> None:
    if not can_read_plan(actor, health_system_id):
        raise _deny(N_("open this health system's plan"))
    if not may_edit_action(actor, health_system_id, proposed_by=proposed_by, status=status):
        raise _deny(N_("change this action (experts change only their own proposals; the coordinator plans)"))


# --- the round workflow ------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusMove:
    """A step of the round workflow: where it leads, from which statuses, and who makes it."""

    to: RoundStatus
    allowed_from: frozenset[RoundStatus]
    admin_only: bool  # else the round's coordinator (or an administrator)


START_REVIEW = StatusMove(RoundStatus.IN_REVIEW, frozenset({RoundStatus.DRAFT}), admin_only=False)
SUBMIT = StatusMove(RoundStatus.SUBMITTED, frozenset({RoundStatus.IN_REVIEW}), admin_only=False)  # never from draft
PUBLISH = StatusMove(RoundStatus.PUBLISHED, frozenset({RoundStatus.SUBMITTED}), admin_only=True)
REOPEN = StatusMove(RoundStatus.IN_REVIEW, CLOSED_STATUSES, admin_only=True)  # back to consensus review


def may_move(actor: Actor, facts: RoundFacts, move: StatusMove) -> bool:
    allowed = actor.is_admin if move.admin_only else coordinates(actor, facts.health_system_id)
    return allowed and facts.status in move.allowed_from


# --- what a page may offer ---------------------------------------------------------------------


@dataclass(frozen=True)
class Capabilities:
    """What a page may offer one user for one round, from the rules above.

    Pages show or hide by these; the services check every action again when it is used.
    """

    may_see_results: bool  # the round, its status, scores and results, the answers files and the PDF report
    may_rate: bool  # give one's own ratings now (a draft round, one's part not marked finished)
    may_finish_part: bool  # mark one's own part finished (the same as may_rate)
    may_reopen_part: bool  # reopen one's own finished part (a draft round)
    may_coordinate: bool  # the round's Consensus page (read-only once the round is locked)
    may_read_all_ratings: bool  # every expert's own ratings and evidence
    may_run_consensus: bool  # record consensus levels, rationales and targets now
    may_invite: bool  # invite experts now
    may_uninvite: bool  # take an invitation back (draft or in review), the expert's ratings with it
    may_see_progress: bool  # every invited expert's progress
    may_remind: bool  # send reminders to experts who have not finished (a draft round)
    may_start_review: bool
    may_submit: bool
    may_publish: bool
    may_reopen: bool
    may_export: bool  # the round document (JSON), which holds every expert's own ratings


def capabilities(actor: Actor, facts: RoundFacts) -> Capabilities:
    readable = can_read_round(actor, facts)
    coordinate = readable and coordinates(actor, facts.health_system_id)
    editable = facts.status in EDITABLE_STATUSES
    rating = may_rate(actor, facts)
    return Capabilities(
        may_see_results=readable,
        may_rate=rating,
        may_finish_part=rating,
        may_reopen_part=(
            is_rating_expert(actor, facts) and facts.status in RATING_STATUSES and actor.user_id in facts.finished_ids
        ),
        may_coordinate=coordinate,
        may_read_all_ratings=readable and can_read_all_ratings(actor, facts),
        may_run_consensus=coordinate and editable,
        may_invite=coordinate and facts.status in RATING_STATUSES,  # an expert invited later could not rate
        may_uninvite=coordinate and editable,
        may_see_progress=coordinate,
        may_remind=coordinate and facts.status in RATING_STATUSES,
        may_start_review=readable and may_move(actor, facts, START_REVIEW),
        may_submit=readable and may_move(actor, facts, SUBMIT),
        may_publish=readable and may_move(actor, facts, PUBLISH),
        may_reopen=readable and may_move(actor, facts, REOPEN),
        may_export=coordinate,
    )


NOTHING = Capabilities(**{f.name: False for f in fields(Capabilities)})  # for a round the user may not open


# --- the menu ----------------------------------------------------------------------------------


class Page(StrEnum):
    """The app's pages in menu order; the value is the page's address (``/rate``)."""

    MY_ASSESSMENTS = "assessments"
    RATE = "rate"
    CONSENSUS = "consensus"
    RESULTS = "results"
    PLAN = "plan"
    COMPARE = "compare"
    OVERVIEW = "overview"
    ADMIN = "admin"
    HISTORY = "history"
    QUICK_ASSESSMENT = "quick"
    ACCOUNT = "account"


class Member(Protocol):
    """Who is signed in, as the pages know them (:class:`~b1mg_maturity.services.UserView`)."""

    @property
    def global_role(self) -> str: ...

    @property
    def memberships(self) -> tuple[tuple[str, str], ...]: ...  # (health system code, role)


def pages_for(user: Member) -> list[Page]:
    """The pages in a user's menu: none that could only ever say "not allowed" (the services decide the rest)."""
    roles = {role for _code, role in user.memberships}
    admin = user.global_role == GlobalRole.ADMIN
    shown = {
        Page.MY_ASSESSMENTS: True,
        Page.RATE: bool(roles & RATING_ROLES),  # a coordinator may invite themselves to rate
        Page.CONSENSUS: admin or SystemRole.COORDINATOR in roles,
        Page.RESULTS: True,
        Page.PLAN: admin or bool(roles),  # a health system's members; an analyst reads no plan
        Page.COMPARE: True,
        Page.OVERVIEW: _sees_names(user.global_role),
        Page.ADMIN: admin,
        Page.HISTORY: SystemRole.COORDINATOR in roles and not admin,  # an admin reads it under Administration
        Page.QUICK_ASSESSMENT: True,
        Page.ACCOUNT: True,
    }
    return [page for page in Page if shown[page]]


def _sees_names(global_role: str) -> bool:
    return global_role in (GlobalRole.ADMIN, GlobalRole.ANALYST)


def sees_names(actor: Actor) -> bool:
    """Only analysts and administrators see other health systems by name (comparisons, programme overview)."""
    return _sees_names(actor.global_role)

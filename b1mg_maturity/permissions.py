"""Who may do what.  Pure rules over an :class:`Actor` and the facts of a round; services enforce them.

Roles: ``admin`` (everything) and ``analyst`` (reads every published round)
are global; ``coordinator``, ``expert`` and ``viewer`` are held per health
system.  An expert works only on the rounds they were invited to, and only
while they hold the expert (or coordinator) role of the round's health
system: revoking the role ends the access an invitation gave, at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from b1mg_maturity.errors import PermissionDenied

EDITABLE_STATUSES = frozenset({"draft", "in_review"})
RATING_ROLES = frozenset({"expert", "coordinator"})  # the roles an invitation to rate needs (see invite_expert)
RESULT_STATUSES_FOR_VIEWERS = frozenset({"submitted", "published"})


@dataclass(frozen=True)
class Actor:
    user_id: int
    username: str
    global_role: str = "none"
    roles: Mapping[int, frozenset[str]] = field(default_factory=dict)  # health system id -> roles

    @property
    def user_ref(self) -> int | None:
        """The id to store in "who did it" columns; None for the command-line operator (not a user row)."""
        return self.user_id or None

    @property
    def is_admin(self) -> bool:
        return self.global_role == "admin"

    @property
    def is_analyst(self) -> bool:
        return self.global_role == "analyst"

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


def _deny(what: str) -> PermissionDenied:
    return PermissionDenied(f"You may not {what}.")


def require_admin(actor: Actor, what: str) -> None:
    if not actor.is_admin:
        raise _deny(what)


def require_coordinator(actor: Actor, health_system_id: int, what: str) -> None:
    if not (actor.is_admin or actor.holds(health_system_id, "coordinator")):
        raise _deny(what)


def is_rating_expert(actor: Actor, facts: RoundFacts) -> bool:
    """Invited to the round and still an expert (or coordinator) of its health system."""
    held = actor.roles.get(facts.health_system_id, frozenset())
    return actor.user_id in facts.expert_ids and bool(held & RATING_ROLES)


def can_read_round(actor: Actor, facts: RoundFacts) -> bool:
    """Whether the round exists for this user at all (its status, scores and results)."""
    if actor.is_admin or actor.holds(facts.health_system_id, "coordinator"):
        return True
    if is_rating_expert(actor, facts):
        return True
    if actor.holds(facts.health_system_id, "viewer") and facts.status in RESULT_STATUSES_FOR_VIEWERS:
        return True
    return actor.is_analyst and facts.status == "published"


def require_read(actor: Actor, facts: RoundFacts) -> None:
    if not can_read_round(actor, facts):
        raise _deny("open this round")


def can_read_all_ratings(actor: Actor, facts: RoundFacts) -> bool:
    """Every expert's own ratings and evidence: the coordinator's consensus view."""
    return actor.is_admin or actor.holds(facts.health_system_id, "coordinator")


def require_rate(actor: Actor, facts: RoundFacts) -> None:
    if not is_rating_expert(actor, facts):
        raise _deny("rate in this round (only invited experts of its health system rate)")


def require_coordinate(actor: Actor, facts: RoundFacts, what: str) -> None:
    require_coordinator(actor, facts.health_system_id, what)


def sees_names(actor: Actor) -> bool:
    """Only analysts and administrators see other health systems by name (comparisons, programme overview)."""
    return actor.is_admin or actor.is_analyst

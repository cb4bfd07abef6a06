"""Bulk writes for the demo loader: many rows in one transaction, with the same checks and audit trail.

The per-call use cases run one transaction
per rating, and each account costs one argon2 hash (about a third of a second
at the default cost).  Filling a demo database that way takes over a minute, so
the demo loader writes accounts and a round's answers here instead.  The rules
are the services' rules: the same permission checks, the same validation, one
audit entry per row written, all in one transaction (nothing is written when
anything is refused).

Only for fresh records: accounts that do not exist yet and rounds that hold no
ratings, consensus or targets yet.  Everyday edits go through the services.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from b1mg_maturity import audit
from b1mg_maturity.auth import hash_password
from b1mg_maturity.domain import RATING_ROLES, GlobalRole
from b1mg_maturity.errors import InvalidState, PermissionDenied, Problem, ValidationFailed
from b1mg_maturity.i18n import N_, _
from b1mg_maturity.permissions import require_admin, require_coordinate
from b1mg_maturity.services.checks import (
    MAX_EVIDENCE_CHARS,
    MAX_RATIONALE_CHARS,
    answer_problems_at,
    global_role_problem,
    links_at,
    text_at,
    username_problem,
)
from b1mg_maturity.storage.models import Consensus, Membership, Rating, Target, User, utcnow

if TYPE_CHECKING:
    from b1mg_maturity.services import Services

BULK_NOTE = "bulk demo load"


@dataclass(frozen=True)
class NewAccount:
    username: str
    display_name: str
    global_role: str = GlobalRole.NONE


@dataclass(frozen=True)
class RatingRow:
    indicator_id: str
    expert: str  # username of an expert invited to the round
    level: int | None
    not_applicable: bool = False
    evidence: str = ""
    links: tuple[str, ...] = ()


@dataclass(frozen=True)
class ConsensusRow:
    indicator_id: str
    level: int | None
    not_applicable: bool = False
    rationale: str = ""


@dataclass(frozen=True)
class TargetRow:
    indicator_id: str
    target: int


@dataclass(frozen=True)
class WrittenAnswers:
    ratings: int
    consensus: int
    targets: int


def add_accounts(services: Services, actor_id: int, accounts: Sequence[NewAccount], password: str) -> dict[str, int]:
    """Create many accounts sharing one password (hashed once); returns username -> user id.

    Admin only.  Refuses (writing nothing) when any username is malformed or taken.
    """
    names = [a.username.strip().lower() for a in accounts]
    problems = [
        Problem(problem.where, _("'{value}': {problem}", value=name, problem=problem.message))
        for name, problem in ((n, username_problem(n)) for n in names)
        if problem is not None
    ]
    problems += [
        Problem(problem.where, _("'{value}': {problem}", value=a.global_role, problem=problem.message))
        for a, problem in ((a, global_role_problem(a.global_role)) for a in accounts)
        if problem is not None
    ]
    if len(set(names)) != len(names):
        problems.append(Problem("username", _("the same username is given twice")))
    if problems:
        raise ValidationFailed("bad accounts", tuple(problems))
    password_hash = hash_password(password)
    with services.db.transaction() as session:
        actor = services.load_actor(session, actor_id)
        require_admin(actor, N_("add users"))
        taken = sorted(session.scalars(select(User.username).where(User.username.in_(names))))
        if taken:
            raise ValidationFailed(
                "exists", tuple(Problem("username", _("'{username}' is taken", username=n)) for n in taken)
            )
        users = [
            User(
                username=name,
                display_name=account.display_name or name,
                email=None,
                password_hash=password_hash,
                global_role=account.global_role,
            )
            for name, account in zip(names, accounts, strict=True)
        ]
        session.add_all(users)
        session.flush()
        for user in users:
            audit.record(
                session,
                actor,
                "add",
                "user",
                user.username,
                new={
                    "username": user.username,
                    "display_name": user.display_name,
                    "global_role": user.global_role,
                    "via": BULK_NOTE,
                },
            )
        return {u.username: u.id for u in users}


def write_round_answers(
    services: Services,
    actor_id: int,
    round_id: int,
    *,
    ratings: Sequence[RatingRow] = (),
    consensus: Sequence[ConsensusRow] = (),
    targets: Sequence[TargetRow] = (),
) -> WrittenAnswers:
    """Write the experts' ratings, the consensus and the targets of a fresh round at once.

    The actor must be allowed to coordinate the round (its coordinator or an
    admin), the round must be editable and still empty, and every rating must
    belong to an invited expert.  Every value is checked as the services check
    it; all problems are reported together and nothing is written.
    """
    questionnaire = services.questionnaire_for_round(actor_id, round_id)
    problems: list[Problem] = []

    links_of: list[tuple[str, ...]] = []
    for index, r in enumerate(ratings, start=1):
        where = f"ratings[{index}] {r.indicator_id}/{r.expert}"
        problems += answer_problems_at(
            where, questionnaire, r.indicator_id, level=r.level, not_applicable=r.not_applicable
        )
        text_at(where, r.evidence, "evidence", MAX_EVIDENCE_CHARS, problems)
        links_of.append(links_at(where, r.links, problems))
    for index, c in enumerate(consensus, start=1):
        where = f"consensus[{index}] {c.indicator_id}"
        problems += answer_problems_at(
            where, questionnaire, c.indicator_id, level=c.level, not_applicable=c.not_applicable
        )
        text_at(where, c.rationale, "rationale", MAX_RATIONALE_CHARS, problems)
    for index, t in enumerate(targets, start=1):
        problems += answer_problems_at(
            f"targets[{index}] {t.indicator_id}", questionnaire, t.indicator_id, target=t.target
        )
    for kind, keys in (
        ("ratings", [(r.indicator_id, r.expert.strip().lower()) for r in ratings]),
        ("consensus", [(c.indicator_id, "") for c in consensus]),
        ("targets", [(t.indicator_id, "") for t in targets]),
    ):
        if len(set(keys)) != len(keys):
            problems.append(Problem(kind, _("the same indicator is given twice")))
    if problems:
        raise ValidationFailed("invalid answers", tuple(problems))

    with services.db.transaction() as session:
        actor = services.load_actor(session, actor_id)
        round_, facts = services.load_round(session, round_id, lock=True)
        require_coordinate(actor, facts, N_("write this round's answers"))
        services.require_editable(round_)
        for model in (Rating, Consensus, Target):
            existing = session.scalar(select(func.count()).select_from(model).where(model.round_id == round_id))
            if existing:
                raise InvalidState(_("This round already holds answers; bulk writing is only for fresh rounds."))
        wanted = {r.expert.strip().lower() for r in ratings}
        experts = {
            name: user_id
            for name, user_id in session.execute(
                select(User.username, User.id).where(User.username.in_(sorted(wanted)))
            )
        }
        members = set(
            session.scalars(
                select(Membership.user_id).where(
                    Membership.health_system_id == round_.health_system_id, Membership.role.in_(RATING_ROLES)
                )
            )
        )
        outsiders = sorted(
            name for name in wanted if experts.get(name) not in facts.expert_ids or experts.get(name) not in members
        )
        if outsiders:
            raise PermissionDenied(
                _(
                    "Only invited experts of the round's health system rate in this round; "
                    "not invited or no longer an expert: {names}.",
                    names=", ".join(outsiders),
                )
            )
        now = utcnow()
        system_id, who = round_.health_system_id, actor.user_ref
        for r, links in zip(ratings, links_of, strict=True):
            name = r.expert.strip().lower()
            values = {
                "level": r.level,
                "not_applicable": r.not_applicable,
                "evidence": r.evidence,
                "links": list(links),
            }
            session.add(
                Rating(
                    round_id=round_id,
                    indicator_id=r.indicator_id,
                    expert_id=experts[name],
                    level=r.level,
                    not_applicable=r.not_applicable,
                    evidence=r.evidence,
                    links=json.dumps(list(links)),
                    version=1,
                    updated_at=now,
                )
            )
            audit.record(
                session,
                actor,
                "rate",
                "rating",
                f"{round_id}/{r.indicator_id}/{name}",
                new={**values, "expert": name, "via": BULK_NOTE},
                health_system_id=system_id,
                round_id=round_id,
            )
        for c in consensus:
            values = {"level": c.level, "not_applicable": c.not_applicable, "rationale": c.rationale}
            session.add(
                Consensus(
                    round_id=round_id, indicator_id=c.indicator_id, version=1, updated_by=who, updated_at=now, **values
                )
            )
            audit.record(
                session,
                actor,
                "set_consensus",
                "consensus",
                f"{round_id}/{c.indicator_id}",
                new={**values, "via": BULK_NOTE},
                health_system_id=system_id,
                round_id=round_id,
            )
        for t in targets:
            session.add(
                Target(
                    round_id=round_id,
                    indicator_id=t.indicator_id,
                    target=t.target,
                    version=1,
                    updated_by=who,
                    updated_at=now,
                )
            )
            audit.record(
                session,
                actor,
                "set_target",
                "target",
                f"{round_id}/{t.indicator_id}",
                new={"target": t.target, "via": BULK_NOTE},
                health_system_id=system_id,
                round_id=round_id,
            )
        return WrittenAnswers(len(ratings), len(consensus), len(targets))

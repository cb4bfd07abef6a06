"""The plumbing every use case shares: the database, the acting user, the round and its facts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from b1mg_maturity.domain import EDITABLE_STATUSES, GlobalRole, RoundStatus
from b1mg_maturity.errors import InvalidState, NotFound, PermissionDenied
from b1mg_maturity.permissions import Actor, RoundFacts
from b1mg_maturity.settings import Settings, get_settings
from b1mg_maturity.storage.database import Database
from b1mg_maturity.storage.models import AssessmentRound, HealthSystem, RoundExpert, User
from b1mg_maturity.text_rules import find_control

OPERATOR_ID = 0


class UseCases:
    """Base of every group of use cases."""

    def __init__(self, db: Database, *, operator: bool = False, settings: Settings | None = None) -> None:
        self.db = db
        self.operator = operator
        self.settings = settings if settings is not None else get_settings()

    @contextmanager
    def reading_as(self, actor_id: int) -> Iterator[tuple[Session, Actor]]:
        """A read-only unit of work on behalf of an active user (or the command-line operator)."""
        with self.db.reading() as session:
            yield session, self.load_actor(session, actor_id)

    @contextmanager
    def writing_as(self, actor_id: int) -> Iterator[tuple[Session, Actor]]:
        """A unit of work that changes data (one transaction, committed when the block ends without error)."""
        with self.db.transaction() as session:
            yield session, self.load_actor(session, actor_id)

    def load_actor(self, session: Session, user_id: int) -> Actor:
        if user_id == OPERATOR_ID and self.operator:
            return Actor(OPERATOR_ID, "operator", GlobalRole.ADMIN)
        # The user and its memberships in one statement (a lazy load of the memberships would be a second).
        user = (
            session.scalars(select(User).options(joinedload(User.memberships)).where(User.id == user_id))
            .unique()
            .one_or_none()
        )
        if user is None or not user.is_active:
            raise PermissionDenied("Your account is not active; sign in again.")
        roles: dict[int, set[str]] = {}
        for membership in user.memberships:
            roles.setdefault(membership.health_system_id, set()).add(membership.role)
        return Actor(user.id, user.username, user.global_role, {k: frozenset(v) for k, v in roles.items()})

    def actor(self, user_id: int) -> Actor:
        with self.reading_as(user_id) as (_, actor):
            return actor

    @staticmethod
    def load_round(
        session: Session,
        round_id: int,
        *,
        lock: bool | Literal["share"] = False,
        with_questionnaire: bool = False,
    ) -> tuple[AssessmentRound, RoundFacts]:
        """The round and what the permission rules need to know about it.

        ``lock`` holds the round's row until the transaction ends (PostgreSQL; a
        SQLite write transaction holds the whole database anyway), so that a
        status change and the work that depends on the status never overlap:
        ``True`` (``FOR UPDATE``) for the status change itself, ``"share"``
        (``FOR SHARE``; many holders at once) for a save that checks the round is
        editable and then writes.  Under a lock the status read is the committed
        one, also when this session had loaded the round before.  ``with_questionnaire``
        loads the round's questionnaire version in the same statement (joined; the
        lock still covers the round's row only).
        """
        query = select(AssessmentRound).where(AssessmentRound.id == round_id)
        if with_questionnaire:
            query = query.options(joinedload(AssessmentRound.questionnaire_version, innerjoin=True))
        if lock:
            query = query.with_for_update(read=lock == "share", of=AssessmentRound).execution_options(
                populate_existing=True
            )
        round_ = session.scalars(query).one_or_none()
        if round_ is None:
            # Same words as a refusal: a missing round and someone else's round look alike.
            raise PermissionDenied("You may not open this round.")
        experts = frozenset(session.scalars(select(RoundExpert.user_id).where(RoundExpert.round_id == round_id)))
        return round_, RoundFacts(round_.id, round_.health_system_id, round_.status, experts)

    @staticmethod
    def require_editable(round_: AssessmentRound) -> None:
        if round_.status not in EDITABLE_STATUSES:
            raise InvalidState(
                f"This round is {RoundStatus.label_of(round_.status).lower()} and locked; an administrator can reopen it."
            )

    @staticmethod
    def user_by_name(session: Session, username: str) -> User:
        if find_control(username) is not None:  # never sent to the database (PostgreSQL refuses NUL)
            raise NotFound(f"No user '{username.encode('unicode_escape').decode('ascii')}'.")
        user = session.scalars(select(User).where(User.username == username.strip().lower())).first()
        if user is None:
            raise NotFound(f"No user '{username}'.")
        return user

    @staticmethod
    def system_by_code(session: Session, code: str) -> HealthSystem:
        if find_control(code) is not None:  # never sent to the database (PostgreSQL refuses NUL)
            raise NotFound(f"No health system '{code.encode('unicode_escape').decode('ascii')}'.")
        system = session.scalars(select(HealthSystem).where(HealthSystem.code == code.strip().upper())).first()
        if system is None:
            raise NotFound(f"No health system '{code}'.")
        return system

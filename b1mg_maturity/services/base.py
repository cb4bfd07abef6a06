"""The plumbing every use case shares: the database, the acting user, the round and its facts."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeAlias, cast

from sqlalchemy import Connection, Row, Select, Table, bindparam, event, exists, select
from sqlalchemy.orm import Session, joinedload

from b1mg_maturity.domain import EDITABLE_STATUSES, GlobalRole, RoundStatus
from b1mg_maturity.errors import InvalidState, NotFound, PermissionDenied
from b1mg_maturity.i18n import _
from b1mg_maturity.notify import Mail
from b1mg_maturity.permissions import Actor, RoundFacts, can_read_round
from b1mg_maturity.settings import Settings, get_settings
from b1mg_maturity.storage.database import Database
from b1mg_maturity.storage.models import (
    AssessmentRound,
    HealthSystem,
    Membership,
    OutboxMail,
    QuestionnaireVersion,
    RoundExpert,
    User,
)
from b1mg_maturity.text_rules import find_control

OPERATOR_ID = 0
_MAIL_HOOK = "b1mg_mail_queued"  # session.info key: this transaction queued mail, its commit wakes the deliverer

AnyRow: TypeAlias = Row[*tuple[Any, ...]]  # a result row of any columns

_USERS = cast(Table, User.__table__)
_MEMBERSHIPS = cast(Table, Membership.__table__)
_ROUNDS = cast(Table, AssessmentRound.__table__)
_ROUND_EXPERTS = cast(Table, RoundExpert.__table__)
_QUESTIONNAIRE_VERSIONS = cast(Table, QuestionnaireVersion.__table__)

_ACTOR_COLUMNS = (
    _USERS.c.id.label("user_id"),
    _USERS.c.username,
    _USERS.c.global_role,
    _USERS.c.is_active,
    _MEMBERSHIPS.c.health_system_id.label("member_of"),
    _MEMBERSHIPS.c.role,
)

# The acting user with every role they hold: one row per membership (one row with no role when they hold none).
_ACTOR_QUERY = (
    select(*_ACTOR_COLUMNS)
    .select_from(_USERS)
    .outerjoin(_MEMBERSHIPS, _MEMBERSHIPS.c.user_id == _USERS.c.id)
    .where(_USERS.c.id == bindparam("actor_id"))
)


def round_access_query(*columns: Any) -> Select[Any]:
    """One statement for what a write in a round checks first; :meth:`UseCases.load_access` runs it.

    The round (its row share-locked: ``FOR SHARE OF rounds`` on PostgreSQL, so a
    status change waits for the write and the write for it), its questionnaire's
    content hash, the acting user with every role they hold, and whether they
    are invited to the round.  Bind parameters ``round_id`` and ``actor_id``;
    one row per role the user holds.  ``columns`` are the caller's own, from
    tables it outer-joins onto the result (``.outerjoin(...)``), at most one
    row each, so that they repeat unchanged on every row.
    """
    invited = exists().where(
        _ROUND_EXPERTS.c.round_id == _ROUNDS.c.id, _ROUND_EXPERTS.c.user_id == bindparam("actor_id")
    )
    finished = exists().where(
        _ROUND_EXPERTS.c.round_id == _ROUNDS.c.id,
        _ROUND_EXPERTS.c.user_id == bindparam("actor_id"),
        _ROUND_EXPERTS.c.finished_at.is_not(None),
    )
    return (
        select(
            _ROUNDS.c.health_system_id,
            _ROUNDS.c.status,
            _ROUNDS.c.questionnaire_version_id,
            _QUESTIONNAIRE_VERSIONS.c.content_hash.label("questionnaire_hash"),
            invited.label("invited"),
            finished.label("finished"),
            *_ACTOR_COLUMNS,
            *columns,
        )
        .select_from(_ROUNDS)
        .join(_QUESTIONNAIRE_VERSIONS, _QUESTIONNAIRE_VERSIONS.c.id == _ROUNDS.c.questionnaire_version_id)
        .outerjoin(_USERS, _USERS.c.id == bindparam("actor_id"))
        .outerjoin(_MEMBERSHIPS, _MEMBERSHIPS.c.user_id == _USERS.c.id)
        .where(_ROUNDS.c.id == bindparam("round_id"))
        .with_for_update(read=True, of=_ROUNDS)
    )


_ROUND_ACCESS_QUERY = round_access_query()


@dataclass(frozen=True)
class RoundAccess:
    """The acting user and one round, as a write in that round checks them (read in one statement).

    ``facts.expert_ids`` holds the acting user when they are invited, and no one
    else: every rule in :mod:`~b1mg_maturity.permissions` asks only whether the
    actor is among the invited, so the answers are those the full list gives.
    """

    actor: Actor
    facts: RoundFacts
    questionnaire_version_id: int
    questionnaire_hash: str
    row: AnyRow  # the statement's first row, for the caller's own columns


class _HasStatus(Protocol):
    @property
    def status(self) -> str: ...


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
        return self._load_actor(session.connection(), user_id)

    def _load_actor(self, connection: Connection, user_id: int) -> Actor:
        return self._actor_of(user_id, connection.execute(_ACTOR_QUERY, {"actor_id": user_id}).all())

    def _actor_of(self, user_id: int, rows: Iterable[AnyRow]) -> Actor:
        """The actor from rows of :data:`_ACTOR_COLUMNS` (the user's columns None: no such user)."""
        if user_id == OPERATOR_ID and self.operator:
            return Actor(OPERATOR_ID, "operator", GlobalRole.ADMIN)
        rows = list(rows)
        if not rows or rows[0].user_id is None or not rows[0].is_active:
            raise PermissionDenied(_("Your account is not active; sign in again."))
        roles: dict[int, set[str]] = {}
        for row in rows:
            if row.role is not None:
                roles.setdefault(row.member_of, set()).add(row.role)
        user = rows[0]
        return Actor(user.user_id, user.username, user.global_role, _frozen(roles))

    def actor(self, user_id: int) -> Actor:
        with self.reading_as(user_id) as (_session, actor):
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
            raise _no_round()
        invited = session.execute(
            select(RoundExpert.user_id, RoundExpert.finished_at).where(RoundExpert.round_id == round_id)
        ).all()
        experts = frozenset(user_id for user_id, _finished in invited)
        finished = frozenset(user_id for user_id, at in invited if at is not None)
        return round_, RoundFacts(round_.id, round_.health_system_id, round_.status, experts, finished)

    def load_access(
        self,
        connection: Connection,
        actor_id: int,
        round_id: int,
        query: Select[Any] = _ROUND_ACCESS_QUERY,
        **params: Any,
    ) -> RoundAccess:
        """The acting user and the round, share-locked, in one statement (for a write in the round).

        Run in a write transaction (:meth:`Database.writing`, or a session's
        ``connection()``).  ``query`` is :func:`round_access_query` with the
        caller's columns (their bind parameters in ``params``).  The refusals are
        :meth:`load_actor`'s and :meth:`load_round`'s, with the same words.
        """
        rows = connection.execute(query, {"actor_id": actor_id, "round_id": round_id, **params}).all()
        if not rows:
            self._load_actor(connection, actor_id)  # an inactive account is told so before anything about the round
            raise _no_round()
        actor = self._actor_of(actor_id, rows)
        first = rows[0]
        invited = frozenset({actor.user_id}) if first.invited else frozenset()
        finished = frozenset({actor.user_id}) if first.finished else frozenset()
        return RoundAccess(
            actor,
            RoundFacts(round_id, first.health_system_id, first.status, invited, finished),
            first.questionnaire_version_id,
            first.questionnaire_hash,
            first,
        )

    def mail_configured(self) -> bool:
        return bool(self.settings.smtp_host)

    def queue_mail(
        self, session: Session, mail: Mail, *, health_system_id: int | None = None, round_id: int | None = None
    ) -> Mail:
        """Write a notification to the outbox in the transaction that causes it; returns it.

        The outbox is the one record of what was said to whom: with SMTP
        configured its mails are delivered after the commit (``services/mail.py``);
        without, they stay unsent and the round's page shows them to copy.  A
        mail holding a one-time link (``secret``) is stored only when it can be
        sent; otherwise the use case shows the link to the person who asked.

        Delivery: when the session's transaction commits (``writing_as`` or
        ``db.transaction()``, whichever the use case runs in), this process's
        mail thread is woken; a rollback sends nothing.
        """
        if mail.secret and not self.mail_configured():
            return mail
        if self.mail_configured() and not session.info.get(_MAIL_HOOK):
            session.info[_MAIL_HOOK] = True
            event.listen(session, "after_commit", self._mail_committed, once=True)
        session.add(
            OutboxMail(
                kind=mail.kind.value,
                recipients=json.dumps(list(mail.recipients)),
                subject=mail.subject,
                body=mail.body,
                health_system_id=health_system_id,
                round_id=round_id,
            )
        )
        return mail

    def _mail_committed(self, session: Session) -> None:
        """After a commit that queued mail: wake the deliverer (a thread; the click never waits for it).

        The action is committed already, so nothing here may fail it: a deliverer that cannot
        start is logged, and the mail waits in the outbox for the next run (``mail send``).
        """
        from b1mg_maturity.services.mail import wake_deliverer

        session.info.pop(_MAIL_HOOK, None)
        try:
            wake_deliverer(self.db, self.settings)
        except Exception:  # nothing may fail a committed action (see above)
            logging.getLogger(__name__).exception("could not wake the mail deliverer")

    @staticmethod
    def require_editable(round_: _HasStatus) -> None:
        """Refused unless the round (an :class:`AssessmentRound` or its :class:`RoundFacts`) may still change."""
        if round_.status not in EDITABLE_STATUSES:
            raise InvalidState(
                _(
                    "This round is {status} and locked; an administrator can reopen it.",
                    status=RoundStatus.label_of(round_.status).lower(),
                )
            )

    @staticmethod
    def user_by_name(session: Session, username: str) -> User:
        if find_control(username) is not None:  # never sent to the database (PostgreSQL refuses NUL)
            raise NotFound(_("No user '{username}'.", username=username.encode("unicode_escape").decode("ascii")))
        user = session.scalars(select(User).where(User.username == username.strip().lower())).first()
        if user is None:
            raise NotFound(_("No user '{username}'.", username=username))
        return user

    @staticmethod
    def system_by_code(session: Session, code: str) -> HealthSystem:
        if find_control(code) is not None:  # never sent to the database (PostgreSQL refuses NUL)
            raise NotFound(_("No health system '{code}'.", code=code.encode("unicode_escape").decode("ascii")))
        system = session.scalars(select(HealthSystem).where(HealthSystem.code == code.strip().upper())).first()
        if system is None:
            raise NotFound(_("No health system '{code}'.", code=code))
        return system


def readable_rounds(session: Session, actor: Actor, rounds: Sequence[AssessmentRound]) -> list[AssessmentRound]:
    """The rounds this user may open, in the order given (their invitations read in one statement)."""
    if not rounds:
        return []
    experts: dict[int, set[int]] = {}
    for round_id, user_id in session.execute(
        select(RoundExpert.round_id, RoundExpert.user_id).where(RoundExpert.round_id.in_([r.id for r in rounds]))
    ):
        experts.setdefault(round_id, set()).add(user_id)
    return [
        r
        for r in rounds
        if can_read_round(actor, RoundFacts(r.id, r.health_system_id, r.status, frozenset(experts.get(r.id, ()))))
    ]


def _no_round() -> PermissionDenied:
    # Same words as a refusal: a missing round and someone else's round look alike.
    return PermissionDenied(_("You may not open this round."))


def _frozen(roles: Mapping[int, set[str]]) -> dict[int, frozenset[str]]:
    return {system: frozenset(held) for system, held in roles.items()}

"""SQLAlchemy 2 models.  Every editable record has a ``version`` counter for conflict detection."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from b1mg_maturity.domain import ActionStatus, GlobalRole, RoundStatus, SystemRole

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _one_of(column: str, values: Iterable[StrEnum]) -> str:
    """A check constraint's text: the column holds one of the values (in the order the migrations wrote them)."""
    quoted = ", ".join(f"'{v.value}'" for v in values)
    return f"{column} in ({quoted})"


# The stored values come from b1mg_maturity.domain; the order keeps the constraint text of the migrations.
GLOBAL_ROLE_CHECK = _one_of("global_role", (GlobalRole.NONE, GlobalRole.ADMIN, GlobalRole.ANALYST))
MEMBER_ROLE_CHECK = _one_of("role", SystemRole)
ROUND_STATUS_CHECK = _one_of("status", RoundStatus)
ACTION_STATUS_CHECK = _one_of("status", ActionStatus)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UtcDateTime(TypeDecorator[dt.datetime]):
    """Timestamps in UTC on every database (SQLite forgets the time zone; this puts it back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dt.datetime: UtcDateTime()}


class HealthSystem(Base):
    __tablename__ = "health_systems"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)  # ISO 3166-1 alpha-2 or ISO 3166-2
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    parent_code: Mapped[str | None] = mapped_column(String(16))
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Other teams may see this system by name where it has reached a level (Learn); off until its coordinator opts in.
    named_as_peer: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    __table_args__ = (CheckConstraint("kind in ('country', 'region')", name="kind"),)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    global_role: Mapped[str] = mapped_column(String(16), default=GlobalRole.NONE.value)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The language the person chose for the app, the PDF and e-mails to them; None: their browser's.
    language: Mapped[str | None] = mapped_column(String(16), default=None)

    memberships: Mapped[list[Membership]] = relationship(back_populates="user", cascade="all, delete-orphan")

    __table_args__ = (CheckConstraint(GLOBAL_ROLE_CHECK, name="global_role"),)


class Membership(Base):
    """A user's role in one health system (coordinator, expert or viewer)."""

    __tablename__ = "memberships"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    health_system_id: Mapped[int] = mapped_column(ForeignKey("health_systems.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))

    user: Mapped[User] = relationship(back_populates="memberships")
    health_system: Mapped[HealthSystem] = relationship()

    __table_args__ = (
        UniqueConstraint("user_id", "health_system_id", "role", name="uq_memberships_user_system_role"),
        CheckConstraint(MEMBER_ROLE_CHECK, name="role"),
    )


class QuestionnaireVersion(Base):
    """A questionnaire as it was registered: its YAML text is kept so old rounds read the same forever."""

    __tablename__ = "questionnaire_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(32))
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    yaml_text: Mapped[str] = mapped_column(Text, deferred=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("questionnaire_id", "version", name="uq_questionnaire_versions_id_version"),)


class AssessmentRound(Base):
    __tablename__ = "rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    health_system_id: Mapped[int] = mapped_column(ForeignKey("health_systems.id", ondelete="RESTRICT"))
    questionnaire_version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_versions.id", ondelete="RESTRICT"))
    label: Mapped[str] = mapped_column(String(120))  # the round's unique name, composed from period and free label
    period_year: Mapped[int] = mapped_column(Integer, server_default="0")
    period_half: Mapped[int] = mapped_column(Integer, server_default="0")  # 0: the whole year; 1 or 2: a half
    free_label: Mapped[str] = mapped_column(String(80), server_default="")
    round_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default=RoundStatus.DRAFT.value)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[dt.datetime | None] = mapped_column()
    published_at: Mapped[dt.datetime | None] = mapped_column()
    version: Mapped[int] = mapped_column(Integer, default=1)

    health_system: Mapped[HealthSystem] = relationship()
    questionnaire_version: Mapped[QuestionnaireVersion] = relationship()

    __table_args__ = (
        UniqueConstraint("health_system_id", "label", name="uq_rounds_system_label"),
        CheckConstraint(ROUND_STATUS_CHECK, name="status"),
        Index("ix_rounds_status", "status"),
    )


class RoundExpert(Base):
    """An expert invited to a round."""

    __tablename__ = "round_experts"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    invited_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    invited_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column()  # the expert marked their part finished

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    __table_args__ = (UniqueConstraint("round_id", "user_id", name="uq_round_experts_round_user"),)


class Rating(Base):
    """One expert's own rating of one indicator in one round."""

    __tablename__ = "ratings"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    indicator_id: Mapped[str] = mapped_column(String(64))
    expert_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    level: Mapped[int | None] = mapped_column(Integer)
    not_applicable: Mapped[bool] = mapped_column(Boolean, default=False)
    evidence: Mapped[str] = mapped_column(Text, default="")
    links: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of URLs (stored, never fetched)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    expert: Mapped[User] = relationship()

    __table_args__ = (
        UniqueConstraint("round_id", "indicator_id", "expert_id", name="uq_ratings_round_indicator_expert"),
        CheckConstraint("NOT (not_applicable AND level IS NOT NULL)", name="level_or_na"),
    )


class Consensus(Base):
    """The agreed level of one indicator in one round, with its rationale (set by the coordinator)."""

    __tablename__ = "consensus"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    indicator_id: Mapped[str] = mapped_column(String(64))
    level: Mapped[int | None] = mapped_column(Integer)
    not_applicable: Mapped[bool] = mapped_column(Boolean, default=False)
    rationale: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("round_id", "indicator_id", name="uq_consensus_round_indicator"),
        CheckConstraint("NOT (not_applicable AND level IS NOT NULL)", name="level_or_na"),
    )


class Target(Base):
    """The target level of one indicator in one round."""

    __tablename__ = "targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    indicator_id: Mapped[str] = mapped_column(String(64))
    target: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("round_id", "indicator_id", name="uq_targets_round_indicator"),)


class Action(Base):
    """One action of a health system's plan.  It belongs to the system, not to a round: a plan carries across rounds."""

    __tablename__ = "actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    health_system_id: Mapped[int] = mapped_column(ForeignKey("health_systems.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    owner_name: Mapped[str] = mapped_column(String(200), default="")
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default=ActionStatus.PROPOSED.value)
    drop_reason: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    done_on: Mapped[dt.date | None] = mapped_column(Date)  # the day it was marked done
    proposed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    aims: Mapped[list[ActionAim]] = relationship(
        cascade="all, delete-orphan", order_by="ActionAim.position", lazy="selectin"
    )

    __table_args__ = (
        CheckConstraint(ACTION_STATUS_CHECK, name="status"),
        Index("ix_actions_health_system", "health_system_id"),
    )


class ActionAim(Base):
    """An indicator an action serves, and the level it aims the indicator at."""

    __tablename__ = "action_aims"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id", ondelete="CASCADE"))
    indicator_id: Mapped[str] = mapped_column(String(64))
    level: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (UniqueConstraint("action_id", "indicator_id", name="uq_action_aims_action_indicator"),)


class AuditEntry(Base):
    """Append-only: who changed what, when, old and new value (JSON).  Triggers refuse UPDATE and DELETE."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(Integer)  # no FK: the log outlives deleted users
    actor_name: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64))
    entity_key: Mapped[str] = mapped_column(String(200))
    health_system_id: Mapped[int | None] = mapped_column(Integer)
    round_id: Mapped[int | None] = mapped_column(Integer)
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_audit_log_round", "round_id"),
        Index("ix_audit_log_at", "at"),
    )


class AppSecret(Base):
    """Secrets shared by every app instance on this database (for example the session-signing key)."""

    __tablename__ = "app_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class UserSession(Base):
    """A signed-in browser.  Only the SHA-256 of its random 256-bit id is stored; deleting the row ends it."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    id_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column()

    __table_args__ = (
        Index("ix_user_sessions_user", "user_id"),
        Index("ix_user_sessions_expires_at", "expires_at"),
    )


class SignInFailures(Base):
    """Wrong passwords in a row per typed username (its SHA-256), for every name, account or not.

    Keyed by the name rather than the account, so that an unknown name pauses
    exactly like a real one and the answers say nothing about which exists.
    """

    __tablename__ = "sign_in_failures"

    name_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    paused_until: Mapped[dt.datetime | None] = mapped_column()
    last_failure_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_sign_in_failures_last_failure_at", "last_failure_at"),)


class PasswordReset(Base):
    """A one-time link to set a new password.  Only the SHA-256 of its random token is stored."""

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_by: Mapped[int | None] = mapped_column(Integer)  # no FK: the admin may be deleted later
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column()
    used_at: Mapped[dt.datetime | None] = mapped_column()

    __table_args__ = (Index("ix_password_resets_user", "user_id"),)


class OutboxMail(Base):
    """An e-mail written in the transaction of the action that causes it, delivered after that commits.

    The action never waits for the mail server and is never lost with it: a
    mail that could not be sent stays here with its error, to be sent again.
    """

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(32))
    recipients: Mapped[str] = mapped_column(Text)  # JSON list of addresses
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    health_system_id: Mapped[int | None] = mapped_column(Integer)
    round_id: Mapped[int | None] = mapped_column(Integer)
    sent_at: Mapped[dt.datetime | None] = mapped_column()
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_outbox_sent_at", "sent_at"),)

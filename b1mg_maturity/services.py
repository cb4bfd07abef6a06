"""Use cases.  Every one of them checks permissions itself (the UI is not the gatekeeper),
runs in one transaction, and writes the audit trail in that same transaction.

Concurrent edits: every editable record carries a version counter.  A save
names the version it was based on (0 for "there was none"); when the record
has moved on since, the save is refused with :class:`Conflict`, which carries
both values.  Nothing is ever overwritten silently.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from b1mg_maturity import audit, sign_in_failures, text_rules, user_sessions
from b1mg_maturity.auth import hash_password, verify_password
from b1mg_maturity.edits import CONSENSUS, RATING, TARGET, FieldEdit, RecordFields, normalise_links
from b1mg_maturity.errors import (
    AuthenticationFailed,
    Conflict,
    InvalidState,
    NotFound,
    PermissionDenied,
    Problem,
    ValidationFailed,
)
from b1mg_maturity.geography import resolve
from b1mg_maturity.permissions import (
    EDITABLE_STATUSES,
    RATING_ROLES,
    Actor,
    RoundFacts,
    can_read_all_ratings,
    can_read_round,
    require_admin,
    require_coordinate,
    require_coordinator,
    require_rate,
    require_read,
)
from b1mg_maturity.questionnaire import BUNDLED_MLM, Questionnaire, load_questionnaire
from b1mg_maturity.scoring import Aggregation, Answer, ScoreCard, score
from b1mg_maturity.settings import get_settings
from b1mg_maturity.storage.database import Database
from b1mg_maturity.storage.models import (
    AppSecret,
    AssessmentRound,
    AuditEntry,
    Consensus,
    HealthSystem,
    Membership,
    QuestionnaireVersion,
    Rating,
    RoundExpert,
    Target,
    User,
    utcnow,
)
from b1mg_maturity.text_rules import clean_line, clean_text, find_control

MAX_EVIDENCE_CHARS = text_rules.MAX_EVIDENCE_CHARS
MAX_RATIONALE_CHARS = text_rules.MAX_RATIONALE_CHARS

Basis = Literal["consensus", "experts' median", "none"]


# --- views: what use cases return (plain values, never ORM objects) --------------------------------


@dataclass(frozen=True)
class HealthSystemView:
    id: int
    code: str
    name: str
    kind: str
    is_demo: bool


@dataclass(frozen=True)
class UserView:
    id: int
    username: str
    display_name: str
    email: str | None
    global_role: str
    memberships: tuple[tuple[str, str], ...]  # (health system code, role)
    is_active: bool = True


@dataclass(frozen=True)
class RoundView:
    id: int
    health_system: HealthSystemView
    label: str
    round_date: dt.date
    status: str
    questionnaire_id: str
    questionnaire_version: str
    content_hash: str
    version: int
    updated_at: dt.datetime

    @property
    def editable(self) -> bool:
        return self.status in EDITABLE_STATUSES


@dataclass(frozen=True)
class RatingView:
    indicator_id: str
    expert: str
    level: int | None
    not_applicable: bool
    evidence: str
    links: tuple[str, ...]
    version: int
    updated_at: dt.datetime | None


@dataclass(frozen=True)
class ConsensusView:
    indicator_id: str
    level: int | None
    not_applicable: bool
    rationale: str
    version: int


@dataclass(frozen=True)
class TargetView:
    indicator_id: str
    target: int | None
    version: int


@dataclass(frozen=True)
class RoundScores:
    card: ScoreCard
    basis: Mapping[str, Basis]  # per indicator: where its level came from

    @property
    def summary(self) -> str:
        agreed = sum(1 for v in self.basis.values() if v == "consensus")
        median = sum(1 for v in self.basis.values() if v == "experts' median")
        if agreed and not median:
            return "consensus levels"
        if median and not agreed:
            return "the median of the experts' levels (no consensus recorded yet)"
        if not agreed and not median:
            return "no ratings yet"
        return (
            f"consensus levels for {agreed} indicators and the median of the experts' levels "
            f"for {median} without consensus"
        )


@dataclass(frozen=True)
class AuditView:
    at: dt.datetime
    actor: str
    action: str
    entity: str
    entity_key: str
    round_id: int | None
    old_value: Any
    new_value: Any


# --- helpers -----------------------------------------------------------------------------------


@lru_cache(maxsize=32)
def _parse_questionnaire(yaml_text: str, name: str = "<registered questionnaire>") -> Questionnaire:
    return load_questionnaire(yaml_text.encode("utf-8"), name=name)


_by_hash: dict[str, Questionnaire] = {}


@lru_cache(maxsize=1)
def _DUMMY_HASH() -> str:
    """A real hash to verify against for unknown users, so their answer takes as long."""
    return hash_password("not-a-real-password-0")


def questionnaire_of(version: QuestionnaireVersion) -> Questionnaire:
    """The parsed questionnaire of a registered version.

    Registered versions never change (the content hash is unique), so the parse
    is kept per hash and the deferred YAML text is only fetched the first time.
    """
    cached = _by_hash.get(version.content_hash)
    if cached is None:
        cached = _by_hash[version.content_hash] = _parse_questionnaire(version.yaml_text)
    return cached


def effective_answers(
    questionnaire: Questionnaire,
    ratings: Iterable[Rating],
    consensus: Iterable[Consensus],
    targets: Iterable[Target],
) -> tuple[dict[str, Answer], dict[str, Basis]]:
    """Per indicator: the consensus where recorded, else the lower median of the experts' levels.

    The lower median (for 2 and 3 it is 2) keeps the result a level of the
    scale and errs on the cautious side.  When every expert who answered said
    "not applicable", the indicator is not applicable.
    """
    by_indicator: dict[str, list[Rating]] = {}
    for rating in ratings:
        by_indicator.setdefault(rating.indicator_id, []).append(rating)
    agreed = {c.indicator_id: c for c in consensus}
    target_of = {t.indicator_id: t.target for t in targets}
    answers: dict[str, Answer] = {}
    basis: dict[str, Basis] = {}
    for indicator in questionnaire.indicators:
        iid = indicator.id
        target = target_of.get(iid)
        chosen = agreed.get(iid)
        if chosen is not None and (chosen.level is not None or chosen.not_applicable):
            answers[iid] = Answer(chosen.level, chosen.not_applicable, target, chosen.rationale)
            basis[iid] = "consensus"
            continue
        given = by_indicator.get(iid, [])
        levels = [r.level for r in given if r.level is not None]
        if levels:
            answers[iid] = Answer(level=int(statistics.median_low(levels)), target=target)
            basis[iid] = "experts' median"
        elif any(r.not_applicable for r in given):
            answers[iid] = Answer(not_applicable=True, target=target)
            basis[iid] = "experts' median"
        else:
            if target is not None:
                answers[iid] = Answer(target=target)
            basis[iid] = "none"
    return answers, basis


def _check_level(questionnaire: Questionnaire, value: int | None, field: str) -> None:
    if value is not None and value not in questionnaire.scale:
        raise ValidationFailed(
            f"invalid {field}",
            (Problem(field, f"{value} is not a level; expected {questionnaire.min_level}-{questionnaire.max_level}"),),
        )


def _check_indicator(questionnaire: Questionnaire, indicator_id: str) -> None:
    if not questionnaire.has_indicator(indicator_id):
        raise ValidationFailed(
            "unknown indicator",
            (Problem("indicator_id", f"no indicator '{indicator_id}' in {questionnaire.id} {questionnaire.version}"),),
        )


def _check_text(value: str, field: str, limit: int) -> str:
    """Evidence and rationale: tabs and line breaks kept, other control characters (NUL too) refused."""
    return clean_text(value, field, limit)


def clean_links(links: Sequence[str]) -> tuple[str, ...]:
    """Evidence links: http(s) web addresses only (a bare ``www.…`` gets ``https://``), stored and never fetched."""
    return normalise_links(links)


def _rating_view(rating: Rating, username: str) -> RatingView:
    return RatingView(
        rating.indicator_id,
        username,
        rating.level,
        rating.not_applicable,
        rating.evidence,
        tuple(json.loads(rating.links or "[]")),
        rating.version,
        rating.updated_at,
    )


def _user_view(session: Session, user: User) -> UserView:
    codes = dict(session.execute(select(HealthSystem.id, HealthSystem.code)).all())
    return UserView(
        user.id,
        user.username,
        user.display_name,
        user.email,
        user.global_role,
        tuple(sorted((codes[m.health_system_id], m.role) for m in user.memberships)),
        user.is_active,
    )


def _system_view(system: HealthSystem) -> HealthSystemView:
    return HealthSystemView(system.id, system.code, system.name, system.kind, system.is_demo)


def _round_view(round_: AssessmentRound) -> RoundView:
    q = round_.questionnaire_version
    return RoundView(
        id=round_.id,
        health_system=_system_view(round_.health_system),
        label=round_.label,
        round_date=round_.round_date,
        status=round_.status,
        questionnaire_id=q.questionnaire_id,
        questionnaire_version=q.version,
        content_hash=q.content_hash,
        version=round_.version,
        updated_at=round_.updated_at,
    )


# --- the services ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _VersionedRecord:
    """One kind of per-indicator record with a version counter (rating, consensus, target)."""

    model: Any
    entity: str
    action: str
    fields: RecordFields
    experts_own: bool = False  # a rating belongs to the expert who gives it

    def keys(self, round_id: int, indicator_id: str, actor: Actor) -> dict[str, Any]:
        keys: dict[str, Any] = {"round_id": round_id, "indicator_id": indicator_id}
        if self.experts_own:
            keys["expert_id"] = actor.user_id
        return keys

    def columns_of(self, row: Any) -> dict[str, Any]:
        return {column: getattr(row, column) for column in self.fields.blank}

    def describe(self, columns: Mapping[str, Any]) -> dict[str, Any]:
        """Stored columns as people read them (conflict messages, the audit trail)."""
        described = dict(columns)
        if "links" in described:
            described["links"] = json.loads(described["links"] or "[]")
        return described


@dataclass(frozen=True)
class _Saved:
    version: int
    at: dt.datetime
    username: str
    columns: Mapping[str, Any]  # the record's stored values after the save


_RATINGS = _VersionedRecord(Rating, "rating", "rate", RATING, experts_own=True)
_CONSENSUS = _VersionedRecord(Consensus, "consensus", "set_consensus", CONSENSUS)
_TARGETS = _VersionedRecord(Target, "target", "set_target", TARGET)


OPERATOR_ID = 0


class Services:
    """All use cases over one database.  Each public method takes the acting user's id first.

    ``operator=True`` is for the command line only: whoever can run it holds the
    database credentials anyway, so actor id :data:`OPERATOR_ID` acts as an
    administrator (audited as ``operator``).  The web app never enables it.
    """

    def __init__(self, db: Database, *, operator: bool = False) -> None:
        self.db = db
        self.operator = operator

    # -- actors ---------------------------------------------------------------------------------

    def load_actor(self, session: Session, user_id: int) -> Actor:
        if user_id == OPERATOR_ID and self.operator:
            return Actor(OPERATOR_ID, "operator", "admin")
        user = session.get(User, user_id)
        if user is None or not user.is_active:
            raise PermissionDenied("Your account is not active; sign in again.")
        roles: dict[int, set[str]] = {}
        for membership in user.memberships:
            roles.setdefault(membership.health_system_id, set()).add(membership.role)
        return Actor(user.id, user.username, user.global_role, {k: frozenset(v) for k, v in roles.items()})

    def actor(self, user_id: int) -> Actor:
        with self.db.reading() as session:
            return self.load_actor(session, user_id)

    @staticmethod
    def load_round(
        session: Session, round_id: int, *, lock: bool | Literal["share"] = False
    ) -> tuple[AssessmentRound, RoundFacts]:
        """The round and what the permission rules need to know about it.

        ``lock`` holds the round's row until the transaction ends (PostgreSQL; a
        SQLite write transaction holds the whole database anyway), so that a
        status change and the work that depends on the status never overlap:
        ``True`` (``FOR UPDATE``) for the status change itself, ``"share"``
        (``FOR SHARE``; many holders at once) for a save that checks the round is
        editable and then writes.  Under a lock the status read is the committed
        one, also when this session had loaded the round before.
        """
        query = select(AssessmentRound).where(AssessmentRound.id == round_id)
        if lock:
            query = query.with_for_update(read=lock == "share").execution_options(populate_existing=True)
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
                f"This round is {round_.status.replace('_', ' ')} and locked; an administrator can reopen it."
            )

    # -- signing in ----------------------------------------------------------------------------

    def sign_in(self, username: str, password: str) -> int:
        """The user id for a correct username and password.

        After ``login_max_failures`` wrong passwords in a row for a name, that
        name pauses for ``login_pause_seconds`` (doubling with each further
        failure, at most a day).  Names without an account are counted and
        paused the same way, and every attempt verifies one password hash, so
        neither the answers nor the work tell which names exist.

        The password is verified outside any transaction (argon2 is slow on
        purpose): read, close, verify, then record the outcome atomically.
        """
        settings = get_settings()
        refused = AuthenticationFailed("Wrong username or password.")
        name = username.strip().lower()
        key = sign_in_failures.name_key(name)
        now = utcnow()
        account: tuple[int, str | None] | None = None
        with self.db.reading() as session:
            paused = sign_in_failures.paused_for(session, key, now=now)
            # A name that could not be a username (control characters: PostgreSQL refuses NUL) is never looked up.
            if paused is None and find_control(name) is None and len(name) <= 80:
                row = session.execute(
                    select(User.id, User.password_hash).where(User.username == name, User.is_active.is_(True))
                ).first()
                account = None if row is None else (row[0], row[1])
        correct = verify_password(account[1] if account else _DUMMY_HASH(), password) and account is not None
        if paused is not None:
            raise AuthenticationFailed(sign_in_failures.pause_message(paused))
        with self.db.transaction() as session:
            if correct and account is not None:
                paused = sign_in_failures.record_success(session, key, now=now)
                if paused is None:
                    return account[0]
            else:
                pause = sign_in_failures.record_failure(session, key, settings, now=now)
                if pause is not None and account is not None:
                    audit.record(session, None, "sign_in_paused", "user", name, new={"seconds": pause})
        if paused is not None:
            raise AuthenticationFailed(sign_in_failures.pause_message(paused))
        raise refused

    # -- sessions: one per signed-in browser, ended on the server ---------------------------------

    def start_session(self, user_id: int) -> str:
        """A new server-side session for an active account (after :meth:`sign_in` or single sign-on)."""
        with self.db.transaction() as session:
            actor = self.load_actor(session, user_id)
            return user_sessions.start(session, actor.user_id, now=utcnow())

    def session_user(self, session_id: str) -> UserView | None:
        """Who a live session belongs to; None when it was ended or expired, or the account is inactive."""
        with self.db.reading() as session:
            user_id = user_sessions.user_of(session, session_id, now=utcnow())
            user = None if user_id is None else session.get(User, user_id)
            if user is None or not user.is_active:
                return None
            return _user_view(session, user)

    def end_session(self, session_id: str) -> None:
        """Sign-out: this browser's session ends on the server (its cookie is worthless from now on)."""
        with self.db.transaction() as session:
            user_sessions.end(session, session_id)

    def end_sessions(self, actor_id: int, username: str) -> int:
        """An administrator ends every session of a user (signed out everywhere); returns how many."""
        with self.db.transaction() as session:
            actor = self.load_actor(session, actor_id)
            require_admin(actor, "end other people's sessions")
            user = self.user_by_name(session, username)
            ended = user_sessions.end_all(session, user.id)
            audit.record(session, actor, "end_sessions", "user", user.username, new={"sessions": ended})
            return ended

    def change_password(
        self, actor_id: int, username: str, new_password: str, *, current_password: str | None = None
    ) -> None:
        """Set a user's password (an administrator), or one's own (with the current one).

        Every session of that user ends.  Hashing and verifying happen outside
        the transaction; the write refuses when the password changed meanwhile.
        """
        new_hash = hash_password(new_password)
        now = utcnow()
        with self.db.reading() as session:
            actor = self.load_actor(session, actor_id)
            if username.strip().lower() != actor.username:
                require_admin(actor, "set other people's passwords")
            user = self.user_by_name(session, username)
            user_id, old_hash = user.id, user.password_hash
            must_prove = user.id == actor.user_id and not actor.is_admin
            key = sign_in_failures.name_key(user.username)
            paused = sign_in_failures.paused_for(session, key, now=now) if must_prove else None
        if paused is not None:
            raise AuthenticationFailed(sign_in_failures.pause_message(paused))
        if must_prove and not verify_password(old_hash, current_password or ""):
            with self.db.transaction() as session:  # counted like a wrong password at sign-in
                sign_in_failures.record_failure(session, key, get_settings(), now=now)
            raise AuthenticationFailed("Your current password is not right; the password was not changed.")
        with self.db.transaction() as session:
            changed = session.execute(
                update(User)
                .where(
                    User.id == user_id,
                    User.password_hash.is_(None) if old_hash is None else User.password_hash == old_hash,
                )
                .values(password_hash=new_hash, version=User.version + 1)
                .execution_options(synchronize_session=False)
            )
            if changed.rowcount != 1:  # type: ignore[attr-defined]
                raise Conflict(
                    "The password was changed by someone else a moment ago; nothing was changed.",
                    yours=None,
                    theirs=None,
                    current_version=0,
                )
            ended = user_sessions.end_all(session, user_id)
            audit.record(
                session, actor, "set_password", "user", username.strip().lower(), new={"sessions_ended": ended}
            )

    def set_active(self, actor_id: int, username: str, active: bool) -> None:
        """Deactivate an account (it cannot sign in, and every session of it ends) or reactivate it."""
        with self.db.transaction() as session:
            actor = self.load_actor(session, actor_id)
            require_admin(actor, "deactivate or reactivate accounts")
            user = self.user_by_name(session, username)
            if user.id == actor.user_id and not active:
                raise ValidationFailed("own account", (Problem("username", "you cannot deactivate your own account"),))
            if user.is_active == active:
                return
            user.is_active = active
            user.version += 1
            ended = 0 if active else user_sessions.end_all(session, user.id)
            audit.record(
                session,
                actor,
                "activate" if active else "deactivate",
                "user",
                user.username,
                old={"active": not active},
                new={"active": active, **({} if active else {"sessions_ended": ended})},
            )

    def shared_secret(self, name: str) -> str:
        """A random secret shared by every app instance on this database, created on first use."""
        with self.db.reading() as session:
            row = session.get(AppSecret, name)
            if row is not None:
                return row.value
        try:
            with self.db.transaction() as session:
                session.add(AppSecret(name=name, value=secrets.token_hex(32)))
        except IntegrityError:
            pass  # another instance created it at the same moment: use theirs
        with self.db.reading() as session:
            row = session.get(AppSecret, name)
            assert row is not None
            return row.value

    def user_for_email(self, email: str, *, email_verified: bool) -> int | None:
        """The active account with this e-mail (single sign-on), if any.

        Only an address the identity provider says it verified (the OpenID
        Connect claim ``email_verified``) is matched: otherwise anyone who can
        register an account there with someone else's address would become them.
        """
        if not email_verified or find_control(email) is not None:
            return None
        with self.db.reading() as session:
            user = session.scalars(
                select(User).where(User.email == email.strip().lower(), User.is_active.is_(True))
            ).first()
            return None if user is None else user.id

    def whoami(self, user_id: int) -> UserView:
        with self.db.reading() as session:
            actor = self.load_actor(session, user_id)
            user = session.get(User, actor.user_id)
            assert user is not None
            return _user_view(session, user)

    def has_demo_data(self) -> bool:
        with self.db.reading() as session:
            return session.scalars(select(HealthSystem.id).where(HealthSystem.is_demo.is_(True))).first() is not None

    # -- health systems and users (admin) -------------------------------------------------------

    def add_health_system(self, actor_id: int, code: str, *, demo_name: str | None = None) -> HealthSystemView:
        place = resolve(code, demo_name=demo_name)
        with self.db.transaction() as session:
            actor = self.load_actor(session, actor_id)
            require_admin(actor, "add health systems")
            if session.scalars(select(HealthSystem).where(HealthSystem.code == place.code)).first():
                raise ValidationFailed("exists", (Problem("code", f"health system {place.code} already exists"),))
            system = HealthSystem(
                code=place.code,
                name=place.name,
                kind=place.kind,
                parent_code=place.parent_code,
                is_demo=demo_name is not None,
            )
            session.add(system)
            session.flush()
            audit.record(
                session,
                actor,
                "add",
                "health_system",
                place.code,
                new={"code": place.code, "name": place.name, "kind": place.kind},
                health_system_id=system.id,
            )
            return _system_view(system)

    def list_health_systems(self, actor_id: int) -> list[HealthSystemView]:
        """Admins and analysts see all; others the health systems they belong to."""
        with self.db.reading() as session:
            actor = self.load_actor(session, actor_id)
            query = select(HealthSystem).order_by(HealthSystem.code)
            if not (actor.is_admin or actor.is_analyst):
                query = query.where(HealthSystem.id.in_(list(actor.roles)))
            return [_system_view(s) for s in session.scalars(query)]

    def add_user(
        self,
        actor_id: int | None,
        username: str,
        password: str,
        *,
        display_name: str = "",
        email: str | None = None,
        global_role: str = "none",
    ) -> UserView:
        """Create an account.  ``actor_id=None`` is the bootstrap path (only while no admin exists)."""
        username = username.strip().lower()
        if not username or len(username) > 80 or not all(c.isalnum() or c in "._-@" for c in username):
            raise ValidationFailed(
                "bad username", (Problem("username", "use 1-80 letters, digits, '.', '_', '-' or '@'"),)
            )
        if global_role not in ("none", "admin", "analyst"):
            raise ValidationFailed("bad role", (Problem("role", "expected none, admin or analyst"),))
        password_hash = hash_password(password)
        with self.db.transaction() as session:
            if actor_id is None:
                if session.scalars(select(User).where(User.global_role == "admin")).first():
                    raise PermissionDenied("An administrator exists: sign in as one to add users.")
                actor = None
            else:
                actor = self.load_actor(session, actor_id)
                require_admin(actor, "add users")
            if session.scalars(select(User).where(User.username == username)).first():
                raise ValidationFailed("exists", (Problem("username", f"'{username}' is taken"),))
            user = User(
                username=username,
                display_name=clean_line(display_name, "display_name", 200) or username,
                email=clean_line(email, "email", 254).lower() or None if email else None,
                password_hash=password_hash,
                global_role=global_role,
            )
            session.add(user)
            session.flush()
            audit.record(
                session,
                actor,
                "add",
                "user",
                username,
                new={"username": username, "display_name": user.display_name, "global_role": global_role},
            )
            return UserView(user.id, user.username, user.display_name, user.email, user.global_role, ())

    def set_global_role(self, actor_id: int, username: str, role: str) -> None:
        if role not in ("none", "admin", "analyst"):
            raise ValidationFailed("bad role", (Problem("role", "expected none, admin or analyst"),))
        with self.db.transaction() as session:
            actor = self.load_actor(session, actor_id)
            require_admin(actor, "change roles")
            user = self.user_by_name(session, username)
            old = user.global_role
            user.global_role = role
            user.version += 1
            if old not in ("none", role):  # a role taken away: the user signs in again everywhere
                user_sessions.end_all(session, user.id)
            audit.record(
                session, actor, "set_role", "user", user.username, old={"global_role": old}, new={"global_role": role}
            )

    def grant(self, actor_id: int, username: str, health_system_code: str, role: str) -> None:
        """Give a user a role in a health system (admin, or that system's coordinator for experts/viewers)."""
        if role not in ("coordinator", "expert", "viewer"):
            raise ValidationFailed("bad role", (Problem("role", "expected coordinator, expert or viewer"),))
        with self.db.transaction() as session:
            actor = self.load_actor(session, actor_id)
            system = self.system_by_code(session, health_system_code)
            if role == "coordinator":
                require_admin(actor, "appoint coordinators")
            else:
                require_coordinator(actor, system.id, "give roles in this health system")
            user = self.user_by_name(session, username)
            exists = session.scalars(
                select(Membership).where(
                    Membership.user_id == user.id, Membership.health_system_id == system.id, Membership.role == role
                )
            ).first()
            if exists is None:
                session.add(Membership(user_id=user.id, health_system_id=system.id, role=role))
                audit.record(
                    session,
                    actor,
                    "grant",
                    "membership",
                    f"{user.username}@{system.code}",
                    new={"role": role},
                    health_system_id=system.id,
                )

    def revoke(self, actor_id: int, username: str, health_system_code: str, role: str) -> None:
        with self.db.transaction() as session:
            actor = self.load_actor(session, actor_id)
            require_admin(actor, "remove roles")
            system = self.system_by_code(session, health_system_code)
            user = self.user_by_name(session, username)
            membership = session.scalars(
                select(Membership).where(
                    Membership.user_id == user.id, Membership.health_system_id == system.id, Membership.role == role
                )
            ).first()
            if membership is not None:
                session.delete(membership)
                user_sessions.end_all(session, user.id)  # a role taken away: the user signs in again everywhere
                audit.record(
                    session,
                    actor,
                    "revoke",
                    "membership",
                    f"{user.username}@{system.code}",
                    old={"role": role},
                    health_system_id=system.id,
                )

    def list_users(self, actor_id: int) -> list[UserView]:
        with self.db.reading() as session:
            actor = self.load_actor(session, actor_id)
            require_admin(actor, "list users")
            codes = dict(session.execute(select(HealthSystem.id, HealthSystem.code)).all())
            return [
                UserView(
                    u.id,
                    u.username,
                    u.display_name,
                    u.email,
                    u.global_role,
                    tuple(sorted((codes[m.health_system_id], m.role) for m in u.memberships)),
                    u.is_active,
                )
                for u in session.scalars(select(User).order_by(User.username))
            ]

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

    # -- questionnaires ------------------------------------------------------------------------

    def register_questionnaire(self, actor_id: int | None, yaml_text: str, name: str = "questionnaire.yaml") -> int:
        """Store a questionnaire version (validated); returns its id.  Same content -> same id."""
        questionnaire = _parse_questionnaire(yaml_text, name)
        with self.db.transaction() as session:
            actor = None if actor_id is None else self.load_actor(session, actor_id)
            if actor is not None:
                require_admin(actor, "add questionnaire versions")
            return self.register(session, actor, questionnaire, yaml_text)

    @staticmethod
    def register(session: Session, actor: Actor | None, q: Questionnaire, yaml_text: str) -> int:
        existing = session.scalars(
            select(QuestionnaireVersion).where(QuestionnaireVersion.content_hash == q.content_hash)
        ).first()
        if existing is not None:
            return existing.id
        same_label = session.scalars(
            select(QuestionnaireVersion).where(
                QuestionnaireVersion.questionnaire_id == q.id, QuestionnaireVersion.version == q.version
            )
        ).first()
        if same_label is not None:
            raise ValidationFailed(
                "version exists with other content",
                (Problem("version", f"{q.id} {q.version} is registered with other content; raise the version"),),
            )
        row = QuestionnaireVersion(
            questionnaire_id=q.id, version=q.version, content_hash=q.content_hash, title=q.title, yaml_text=yaml_text
        )
        session.add(row)
        session.flush()
        audit.record(
            session, actor, "register", "questionnaire", f"{q.id} {q.version}", new={"content_hash": q.content_hash}
        )
        return row.id

    def bundled_questionnaire_id(self) -> int:
        """The bundled MLM's registered version (registered on first use)."""
        return self.register_questionnaire(None, BUNDLED_MLM.read_text(encoding="utf-8"))

    def questionnaire_for_round(self, actor_id: int, round_id: int) -> Questionnaire:
        with self.db.reading() as session:
            actor = self.load_actor(session, actor_id)
            round_, facts = self.load_round(session, round_id)
            require_read(actor, facts)
            return questionnaire_of(round_.questionnaire_version)

    # -- rounds --------------------------------------------------------------------------------

    def open_round(
        self,
        actor_id: int,
        health_system_code: str,
        label: str,
        round_date: dt.date,
        *,
        questionnaire_version_id: int | None = None,
        copy_from_round_id: int | None = None,
    ) -> RoundView:
        label = clean_line(label, "label")
        if not label or len(label) > 120:
            raise ValidationFailed("bad label", (Problem("label", "give the round a name of 1-120 characters"),))
        qv_id = questionnaire_version_id or self.bundled_questionnaire_id()
        with self.db.transaction() as session:
            actor = self.load_actor(session, actor_id)
            system = self.system_by_code(session, health_system_code)
            require_coordinator(actor, system.id, "open rounds for this health system")
            if session.get(QuestionnaireVersion, qv_id) is None:
                raise NotFound(f"No questionnaire version {qv_id}.")
            taken = session.scalars(
                select(AssessmentRound).where(
                    AssessmentRound.health_system_id == system.id, AssessmentRound.label == label
                )
            ).first()
            if taken is not None:
                raise ValidationFailed(
                    "label taken", (Problem("label", f"{system.code} already has a round '{label}'"),)
                )
            round_ = AssessmentRound(
                health_system_id=system.id,
                questionnaire_version_id=qv_id,
                label=label,
                round_date=round_date,
                created_by=actor.user_ref,
            )
            session.add(round_)
            session.flush()
            audit.record(
                session,
                actor,
                "open",
                "round",
                f"{system.code}/{label}",
                new={"label": label, "date": round_date.isoformat(), "questionnaire_version_id": qv_id},
                health_system_id=system.id,
                round_id=round_.id,
            )
            if copy_from_round_id is not None:
                self._copy_answers(session, actor, copy_from_round_id, round_)
            session.refresh(round_)
            return _round_view(round_)

    def _copy_answers(self, session: Session, actor: Actor, source_id: int, round_: AssessmentRound) -> None:
        """Start from the previous round: its consensus (or experts' median) becomes this round's consensus."""
        source, facts = self.load_round(session, source_id)
        require_coordinate(actor, facts, "copy from that round")
        if source.health_system_id != round_.health_system_id:
            raise ValidationFailed("other system", (Problem("copy_from", "copy only from the same health system"),))
        if source.questionnaire_version_id != round_.questionnaire_version_id:
            raise ValidationFailed(
                "other questionnaire",
                (Problem("copy_from", "that round used another questionnaire version; its answers cannot be copied"),),
            )
        questionnaire = questionnaire_of(source.questionnaire_version)
        answers, _ = effective_answers(
            questionnaire,
            session.scalars(select(Rating).where(Rating.round_id == source.id)),
            session.scalars(select(Consensus).where(Consensus.round_id == source.id)),
            session.scalars(select(Target).where(Target.round_id == source.id)),
        )
        for indicator_id, answer in answers.items():
            if answer.level is not None or answer.not_applicable:
                session.add(
                    Consensus(
                        round_id=round_.id,
                        indicator_id=indicator_id,
                        level=answer.level,
                        not_applicable=answer.not_applicable,
                        rationale=answer.evidence,
                        updated_by=actor.user_ref,
                    )
                )
            if answer.target is not None:
                session.add(
                    Target(
                        round_id=round_.id, indicator_id=indicator_id, target=answer.target, updated_by=actor.user_ref
                    )
                )
        audit.record(
            session,
            actor,
            "copy_answers",
            "round",
            str(round_.id),
            new={"from_round_id": source.id, "indicators": len(answers)},
            health_system_id=round_.health_system_id,
            round_id=round_.id,
        )

    def get_round(self, actor_id: int, round_id: int) -> RoundView:
        with self.db.reading() as session:
            actor = self.load_actor(session, actor_id)
            round_, facts = self.load_round(session, round_id)
            require_read(actor, facts)
            return _round_view(round_)

    def list_rounds(self, actor_id: int) -> list[RoundView]:
        """Every round this user may open, newest first."""
        with self.db.reading() as session:
            actor = self.load_actor(session, actor_id)
            rounds = session.scalars(
                select(AssessmentRound).order_by(AssessmentRound.round_date.desc(), AssessmentRound.id.desc())
            ).all()
            experts: dict[int, set[int]] = {}
            for round_id, user_id in session.execute(select(RoundExpert.round_id, RoundExpert.user_id)):
                experts.setdefault(round_id, set()).add(user_id)
            return [
                _round_view(r)
                for r in rounds
                if can_read_round(
                    actor, RoundFacts(r.id, r.health_system_id, r.status, frozenset(experts.get(r.id, set())))
                )
            ]

    def rounds_to_rate(self, actor_id: int) -> list[RoundView]:
        """Open rounds this user was invited to rate, in health systems where they still hold a rating role."""
        with self.db.reading() as session:
            actor = self.load_actor(session, actor_id)
            rating_in = [system_id for system_id, roles in actor.roles.items() if roles & RATING_ROLES]
            rounds = session.scalars(
                select(AssessmentRound)
                .join(RoundExpert, RoundExpert.round_id == AssessmentRound.id)
                .where(RoundExpert.user_id == actor.user_id, AssessmentRound.status.in_(EDITABLE_STATUSES))
                .where(AssessmentRound.health_system_id.in_(rating_in))
                .order_by(AssessmentRound.round_date.desc(), AssessmentRound.id.desc())
            )
            return [_round_view(r) for r in rounds]

    def last_changes(self, actor_id: int) -> dict[int, dt.datetime]:
        """When each round the user may open was last changed (from the audit trail)."""
        readable = {r.id for r in self.list_rounds(actor_id)}
        with self.db.reading() as session:
            rows = session.execute(
                select(AuditEntry.round_id, func.max(AuditEntry.at))
                .where(AuditEntry.round_id.in_(readable))
                .group_by(AuditEntry.round_id)
            ).all()
            return {round_id: at for round_id, at in rows if round_id is not None}

    def invitable_experts(self, actor_id: int, health_system_code: str) -> list[UserView]:
        """The experts (and coordinators) of a health system, for its coordinator to invite."""
        with self.db.reading() as session:
            actor = self.load_actor(session, actor_id)
            system = self.system_by_code(session, health_system_code)
            require_coordinator(actor, system.id, "invite experts of this health system")
            users = session.scalars(
                select(User)
                .join(Membership, Membership.user_id == User.id)
                .where(
                    Membership.health_system_id == system.id,
                    Membership.role.in_(("expert", "coordinator")),
                    User.is_active.is_(True),
                )
                .order_by(User.username)
                .distinct()
            )
            return [UserView(u.id, u.username, u.display_name, u.email, u.global_role, ()) for u in users]

    def coordinated_systems(self, actor_id: int) -> list[HealthSystemView]:
        """Health systems whose rounds this user may open (all, for an admin)."""
        with self.db.reading() as session:
            actor = self.load_actor(session, actor_id)
            systems = session.scalars(select(HealthSystem).order_by(HealthSystem.code))
            return [_system_view(s) for s in systems if actor.is_admin or actor.holds(s.id, "coordinator")]

    def invite_expert(self, actor_id: int, round_id: int, username: str) -> None:
        with self.db.transaction() as session:
            actor = self.load_actor(session, actor_id)
            round_, facts = self.load_round(session, round_id, lock="share")  # no invitation lands after submit
            require_coordinate(actor, facts, "invite experts to this round")
            self.require_editable(round_)
            user = self.user_by_name(session, username)
            member_roles = {m.role for m in user.memberships if m.health_system_id == round_.health_system_id}
            if not member_roles & {"expert", "coordinator"}:
                raise ValidationFailed(
                    "not an expert",
                    (
                        Problem(
                            "username",
                            f"'{user.username}' is not an expert of {round_.health_system.code}; "
                            "give them the expert role first",
                        ),
                    ),
                )
            if user.id not in facts.expert_ids:
                session.add(RoundExpert(round_id=round_.id, user_id=user.id, invited_by=actor.user_ref))
                audit.record(
                    session,
                    actor,
                    "invite",
                    "round_expert",
                    f"{round_.id}/{user.username}",
                    new={"expert": user.username},
                    health_system_id=round_.health_system_id,
                    round_id=round_.id,
                )

    def experts_of(self, actor_id: int, round_id: int) -> list[str]:
        with self.db.reading() as session:
            actor = self.load_actor(session, actor_id)
            _, facts = self.load_round(session, round_id)
            require_read(actor, facts)
            return sorted(
                session.scalars(
                    select(User.username)
                    .join(RoundExpert, RoundExpert.user_id == User.id)
                    .where(RoundExpert.round_id == round_id)
                )
            )

    # -- rating, consensus, targets -------------------------------------------------------------

    def rate(
        self,
        actor_id: int,
        round_id: int,
        indicator_id: str,
        *,
        level: int | None,
        not_applicable: bool = False,
        evidence: str = "",
        links: Sequence[str] = (),
        expected_version: int,
    ) -> RatingView:
        """Save the acting expert's whole rating of one indicator (``expected_version`` 0 for a first save).

        For scripts and imports; the Rate page saves field by field with :meth:`edit_rating`.
        """
        if not_applicable and level is not None:
            raise ValidationFailed("level and NA", (Problem("Level", "choose a level or 'not applicable', not both"),))
        evidence = _check_text(evidence, "Evidence", MAX_EVIDENCE_CHARS)
        clean = clean_links(links)
        shown = {"level": level, "not_applicable": not_applicable, "evidence": evidence, "links": list(clean)}
        saved = self._save_versioned(
            _RATINGS,
            actor_id,
            round_id,
            indicator_id,
            stored={**shown, "links": json.dumps(list(clean))},
            shown=shown,
            expected_version=expected_version,
        )
        return _rating_view_of(indicator_id, saved)

    def edit_rating(self, actor_id: int, round_id: int, indicator_id: str, edit: FieldEdit) -> RatingView:
        """Save one field of the acting expert's rating (level, evidence or links), and nothing else.

        Refused with :class:`Conflict` when the stored value of that field is no
        longer the one the expert saw (``edit.seen``).
        """
        value = self._clean_field(edit.field, edit.value)
        seen = self._clean_field(edit.field, edit.seen, checked=False)
        saved = self._save_field(_RATINGS, actor_id, round_id, indicator_id, edit.field, seen, value)
        return _rating_view_of(indicator_id, saved)

    @staticmethod
    def _clean_field(field: str, value: Any, *, checked: bool = True) -> Any:
        """A field's value as the services store it; ``checked`` applies the limits (not to what was seen)."""
        if field in ("evidence", "rationale"):
            text = str(value or "")
            limit = MAX_EVIDENCE_CHARS if field == "evidence" else MAX_RATIONALE_CHARS
            return _check_text(text, field.capitalize(), limit) if checked else text
        if field == "links":
            lines = value.splitlines() if isinstance(value, str) else list(value or ())
            return normalise_links(lines) if checked else tuple(line.strip() for line in lines if line.strip())
        return value

    def my_ratings(self, actor_id: int, round_id: int) -> dict[str, RatingView]:
        with self.db.reading() as session:
            actor = self.load_actor(session, actor_id)
            _, facts = self.load_round(session, round_id)
            require_read(actor, facts)
            rows = session.scalars(select(Rating).where(Rating.round_id == round_id, Rating.expert_id == actor.user_id))
            return {r.indicator_id: _rating_view(r, actor.username) for r in rows}

    def all_ratings(self, actor_id: int, round_id: int) -> list[RatingView]:
        """Every expert's ratings (coordinator and admin only: the consensus view)."""
        with self.db.reading() as session:
            actor = self.load_actor(session, actor_id)
            _, facts = self.load_round(session, round_id)
            require_read(actor, facts)
            if not can_read_all_ratings(actor, facts):
                raise PermissionDenied("You may not see other experts' ratings.")
            rows = session.execute(
                select(Rating, User.username)
                .join(User, User.id == Rating.expert_id)
                .where(Rating.round_id == round_id)
                .order_by(Rating.indicator_id, User.username)
            )
            return [_rating_view(r, name) for r, name in rows]

    def set_consensus(
        self,
        actor_id: int,
        round_id: int,
        indicator_id: str,
        *,
        level: int | None,
        not_applicable: bool = False,
        rationale: str = "",
        expected_version: int,
    ) -> ConsensusView:
        """Save the whole consensus of one indicator (for scripts; the page uses :meth:`edit_consensus`)."""
        if not_applicable and level is not None:
            raise ValidationFailed("level and NA", (Problem("Level", "choose a level or 'not applicable', not both"),))
        rationale = _check_text(rationale, "Rationale", MAX_RATIONALE_CHARS)
        values = {"level": level, "not_applicable": not_applicable, "rationale": rationale}
        saved = self._save_versioned(
            _CONSENSUS,
            actor_id,
            round_id,
            indicator_id,
            stored=values,
            shown=values,
            expected_version=expected_version,
        )
        return _consensus_view_of(indicator_id, saved)

    def edit_consensus(self, actor_id: int, round_id: int, indicator_id: str, edit: FieldEdit) -> ConsensusView:
        """Save one field of an indicator's consensus (level or rationale), and nothing else."""
        value = self._clean_field(edit.field, edit.value)
        seen = self._clean_field(edit.field, edit.seen, checked=False)
        saved = self._save_field(_CONSENSUS, actor_id, round_id, indicator_id, edit.field, seen, value)
        return _consensus_view_of(indicator_id, saved)

    def set_target(
        self, actor_id: int, round_id: int, indicator_id: str, *, target: int | None, expected_version: int
    ) -> TargetView:
        values = {"target": target}
        saved = self._save_versioned(
            _TARGETS,
            actor_id,
            round_id,
            indicator_id,
            stored=values,
            shown=values,
            expected_version=expected_version,
        )
        return TargetView(indicator_id, target, saved.version)

    def edit_target(self, actor_id: int, round_id: int, indicator_id: str, edit: FieldEdit) -> TargetView:
        """Save an indicator's target, refused when it is no longer the one the coordinator saw."""
        saved = self._save_field(_TARGETS, actor_id, round_id, indicator_id, "target", edit.seen, edit.value)
        return TargetView(indicator_id, saved.columns["target"], saved.version)

    def _save_field(
        self,
        record: _VersionedRecord,
        actor_id: int,
        round_id: int,
        indicator_id: str,
        field: str,
        seen: Any,
        value: Any,
    ) -> _Saved:
        stored = record.fields.columns(field, value)
        return self._save_versioned(
            record,
            actor_id,
            round_id,
            indicator_id,
            stored=stored,
            shown=record.describe(stored),
            seen=record.fields.columns(field, seen),
        )

    def _save_versioned(
        self,
        record: _VersionedRecord,
        actor_id: int,
        round_id: int,
        indicator_id: str,
        *,
        stored: dict[str, Any],
        shown: dict[str, Any],
        expected_version: int | None = None,
        seen: Mapping[str, Any] | None = None,
    ) -> _Saved:
        """Insert or update one per-indicator record of a round, refusing a stale save.

        ``stored`` are the columns to write (all of them, or the few of one field),
        ``shown`` the same values as people read them.  Exactly one guard: either
        ``expected_version`` (the whole record as it was read; 0 for "none yet") or
        ``seen`` (the columns' values the person saw): a save never lands on a
        value its author did not see.  Experts write their own ratings;
        coordinators (and admins) the round's consensus and targets.
        """
        assert (expected_version is None) != (seen is None), "give exactly one guard"
        try:
            with self.db.transaction() as session:
                actor = self.load_actor(session, actor_id)
                # The round row is share-locked: saves run side by side, a submit waits for them (and they for it).
                round_, facts = self.load_round(session, round_id, lock="share")
                if record.experts_own:
                    require_rate(actor, facts)
                else:
                    require_coordinate(actor, facts, f"set the {record.entity} in this round")
                self.require_editable(round_)
                questionnaire = questionnaire_of(round_.questionnaire_version)
                _check_indicator(questionnaire, indicator_id)
                for key in ("level", "target"):
                    if key in stored:
                        _check_level(questionnaire, stored[key], key.capitalize())
                keys = record.keys(round_id, indicator_id, actor)
                model = record.model
                current = session.scalars(select(model).filter_by(**keys).with_for_update()).first()
                before = dict(record.fields.blank) if current is None else record.columns_of(current)
                stale = (
                    expected_version != (0 if current is None else current.version)
                    if seen is None
                    else any(record.describe(before)[c] != v for c, v in record.describe(seen).items())
                )
                if stale:
                    raise Conflict(
                        f"This {record.entity} was removed since you opened it."
                        if current is None
                        else f"Someone changed this {record.entity} since you opened it.",
                        yours=shown,
                        theirs=None if current is None else record.describe(before),
                        current_version=0 if current is None else current.version,
                    )
                now = utcnow()
                who = {} if record.experts_own else {"updated_by": actor.user_ref}
                if current is None:
                    version = 1
                    session.add(model(**keys, **{**before, **stored}, **who, version=version, updated_at=now))
                    session.flush()
                    old = None
                else:
                    version = current.version + 1
                    session.execute(
                        update(model)
                        .where(model.id == current.id)
                        .values(**stored, **who, version=version, updated_at=now)
                        .execution_options(synchronize_session=False)
                    )
                    session.expunge(current)  # stale after the UPDATE; what was written is known
                    old = record.describe({column: before[column] for column in stored})
                key_text = "/".join(str(v) for v in (round_id, indicator_id)) + (
                    f"/{actor.username}" if record.experts_own else ""
                )
                audit.record(
                    session,
                    actor,
                    record.action,
                    record.entity,
                    key_text,
                    old=old,
                    new=shown,
                    health_system_id=round_.health_system_id,
                    round_id=round_id,
                )
                return _Saved(version, now, actor.username, {**before, **stored})
        except IntegrityError:
            # Two first saves raced (PostgreSQL): the other one won; show it.
            theirs = self._current(record, round_id, indicator_id, actor_id)
            raise Conflict(
                f"Someone saved this {record.entity} at the same moment.",
                yours=shown,
                theirs=theirs[0] if theirs else None,
                current_version=theirs[1] if theirs else 0,
            ) from None

    def _current(
        self, record: _VersionedRecord, round_id: int, indicator_id: str, actor_id: int
    ) -> tuple[dict[str, Any], int] | None:
        with self.db.reading() as session:
            actor = self.load_actor(session, actor_id)
            row = session.scalars(select(record.model).filter_by(**record.keys(round_id, indicator_id, actor))).first()
            return None if row is None else (record.describe(record.columns_of(row)), row.version)

    def consensus_of(self, actor_id: int, round_id: int) -> dict[str, ConsensusView]:
        with self.db.reading() as session:
            actor = self.load_actor(session, actor_id)
            _, facts = self.load_round(session, round_id)
            require_read(actor, facts)
            rows = session.scalars(select(Consensus).where(Consensus.round_id == round_id))
            return {
                c.indicator_id: ConsensusView(c.indicator_id, c.level, c.not_applicable, c.rationale, c.version)
                for c in rows
            }

    def targets_of(self, actor_id: int, round_id: int) -> dict[str, TargetView]:
        with self.db.reading() as session:
            actor = self.load_actor(session, actor_id)
            _, facts = self.load_round(session, round_id)
            require_read(actor, facts)
            rows = session.scalars(select(Target).where(Target.round_id == round_id))
            return {t.indicator_id: TargetView(t.indicator_id, t.target, t.version) for t in rows}

    # -- status changes --------------------------------------------------------------------------

    def _change_status(
        self,
        actor_id: int,
        round_id: int,
        *,
        allowed_from: set[str],
        to: str,
        who: Literal["coordinator", "admin"],
        reason: str = "",
    ) -> RoundView:
        with self.db.transaction() as session:
            actor = self.load_actor(session, actor_id)
            round_, facts = self.load_round(session, round_id, lock=True)
            if who == "admin":
                require_admin(actor, f"move rounds to {to.replace('_', ' ')}")
            else:
                require_coordinate(actor, facts, f"move this round to {to.replace('_', ' ')}")
            if round_.status not in allowed_from:
                raise InvalidState(
                    f"A round that is {round_.status.replace('_', ' ')} cannot move to {to.replace('_', ' ')}."
                )
            old = round_.status
            now = utcnow()
            round_.status = to
            round_.version += 1
            round_.updated_at = now
            if to == "submitted":
                round_.submitted_at = now
            if to == "published":
                round_.published_at = now
            audit.record(
                session,
                actor,
                f"status_{to}",
                "round",
                str(round_.id),
                old={"status": old},
                new={"status": to, **({"reason": reason} if reason else {})},
                health_system_id=round_.health_system_id,
                round_id=round_.id,
            )
            session.flush()
            return _round_view(round_)

    def start_review(self, actor_id: int, round_id: int) -> RoundView:
        return self._change_status(actor_id, round_id, allowed_from={"draft"}, to="in_review", who="coordinator")

    def submit(self, actor_id: int, round_id: int) -> RoundView:
        return self._change_status(
            actor_id, round_id, allowed_from={"draft", "in_review"}, to="submitted", who="coordinator"
        )

    def publish(self, actor_id: int, round_id: int) -> RoundView:
        return self._change_status(actor_id, round_id, allowed_from={"submitted"}, to="published", who="admin")

    def reopen(self, actor_id: int, round_id: int, reason: str) -> RoundView:
        reason = clean_text(reason, "reason", 2_000)
        if not reason.strip():
            raise ValidationFailed("reason needed", (Problem("reason", "say why the round is reopened"),))
        return self._change_status(
            actor_id, round_id, allowed_from={"submitted", "published"}, to="in_review", who="admin", reason=reason
        )

    # -- results -------------------------------------------------------------------------------

    def round_answers(self, actor_id: int, round_id: int) -> tuple[Questionnaire, dict[str, Answer], dict[str, Basis]]:
        """The round's effective answers (consensus, else experts' median) with targets."""
        with self.db.reading() as session:
            actor = self.load_actor(session, actor_id)
            round_, facts = self.load_round(session, round_id)
            require_read(actor, facts)
            questionnaire = questionnaire_of(round_.questionnaire_version)
            answers, basis = effective_answers(
                questionnaire,
                session.scalars(select(Rating).where(Rating.round_id == round_id)),
                session.scalars(select(Consensus).where(Consensus.round_id == round_id)),
                session.scalars(select(Target).where(Target.round_id == round_id)),
            )
            return questionnaire, answers, basis

    def round_scores(self, actor_id: int, round_id: int, aggregation: Aggregation = Aggregation.MEAN) -> RoundScores:
        questionnaire, answers, basis = self.round_answers(actor_id, round_id)
        return RoundScores(score(questionnaire, answers, aggregation), basis)

    def progress(self, actor_id: int, round_id: int) -> dict[str, tuple[int, int]]:
        """Per domain: (indicators with a level or NA, indicators in the domain)."""
        questionnaire, answers, _ = self.round_answers(actor_id, round_id)
        result = {}
        for domain in questionnaire.domains:
            done = sum(
                1
                for ind in domain.indicators
                if ind.id in answers and (answers[ind.id].answered or answers[ind.id].not_applicable)
            )
            result[domain.id] = (done, len(domain.indicators))
        return result

    # -- audit ---------------------------------------------------------------------------------

    def audit_log(
        self, actor_id: int, *, round_id: int | None = None, username: str | None = None, limit: int = 500
    ) -> list[AuditView]:
        with self.db.reading() as session:
            actor = self.load_actor(session, actor_id)
            if round_id is not None:
                _, facts = self.load_round(session, round_id)
                require_coordinate(actor, facts, "read this round's history")
            else:
                require_admin(actor, "read the audit log")
            query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
            if round_id is not None:
                query = query.where(AuditEntry.round_id == round_id)
            if username:
                username = clean_line(username, "username")
                query = query.where(AuditEntry.actor_name == username.lower())
            return [
                AuditView(
                    e.at,
                    e.actor_name,
                    e.action,
                    e.entity,
                    e.entity_key,
                    e.round_id,
                    json.loads(e.old_value) if e.old_value else None,
                    json.loads(e.new_value) if e.new_value else None,
                )
                for e in session.scalars(query)
            ]

    def count(self, model: Any) -> int:
        """Row count of a table (for tests and the demo loader)."""
        with self.db.reading() as session:
            return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _rating_view_of(indicator_id: str, saved: _Saved) -> RatingView:
    c = saved.columns
    links = tuple(json.loads(c["links"] or "[]"))
    return RatingView(
        indicator_id, saved.username, c["level"], c["not_applicable"], c["evidence"], links, saved.version, saved.at
    )


def _consensus_view_of(indicator_id: str, saved: _Saved) -> ConsensusView:
    c = saved.columns
    return ConsensusView(indicator_id, c["level"], c["not_applicable"], c["rationale"], saved.version)

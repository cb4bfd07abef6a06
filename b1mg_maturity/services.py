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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal
from urllib.parse import urlparse

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from b1mg_maturity import audit
from b1mg_maturity.auth import hash_password, verify_password
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

MAX_EVIDENCE_CHARS = 20_000
MAX_RATIONALE_CHARS = 20_000
MAX_LINKS = 20
MAX_LINK_CHARS = 2_000

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
    if len(value) > limit:
        raise ValidationFailed(
            f"{field} too long", (Problem(field, f"{len(value):,} characters; at most {limit:,} are kept"),)
        )
    return value


def clean_links(links: Sequence[str]) -> tuple[str, ...]:
    """Evidence links: http(s) URLs only, stored as text and never fetched."""
    cleaned = tuple(link.strip() for link in links if link and link.strip())
    problems = []
    if len(cleaned) > MAX_LINKS:
        problems.append(Problem("links", f"{len(cleaned)} links; at most {MAX_LINKS}"))
    for index, link in enumerate(cleaned, start=1):
        parsed = urlparse(link)
        if parsed.scheme not in ("http", "https") or not parsed.netloc or len(link) > MAX_LINK_CHARS:
            problems.append(Problem(f"links[{index}]", f"'{link[:80]}' is not an http(s) web address"))
    if problems:
        raise ValidationFailed("invalid links", tuple(problems))
    return cleaned


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
    describe: Callable[[Any], dict[str, Any]]
    experts_own: bool = False  # a rating belongs to the expert who gives it

    def keys(self, round_id: int, indicator_id: str, actor: Actor) -> dict[str, Any]:
        keys: dict[str, Any] = {"round_id": round_id, "indicator_id": indicator_id}
        if self.experts_own:
            keys["expert_id"] = actor.user_id
        return keys


@dataclass(frozen=True)
class _Saved:
    version: int
    at: dt.datetime
    username: str


def _values_of(values: Mapping[str, Any]) -> Callable[[Any], dict[str, Any]]:
    """Read back the named columns of a row, for conflict messages and the audit trail."""
    return lambda row: {key: getattr(row, key) for key in values}


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
        with self.db.transaction() as session:
            return self.load_actor(session, user_id)

    @staticmethod
    def load_round(session: Session, round_id: int, *, lock: bool = False) -> tuple[AssessmentRound, RoundFacts]:
        query = select(AssessmentRound).where(AssessmentRound.id == round_id)
        if lock:
            query = query.with_for_update()
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

        After ``login_max_failures`` wrong passwords in a row the account pauses
        for ``login_pause_seconds`` (doubling with each further failure, at most a
        day).  Unknown names and wrong passwords get the same message and cost.
        """
        settings = get_settings()
        refused = AuthenticationFailed("Wrong username or password.")
        if find_control(username) is not None:  # PostgreSQL refuses NUL: such a name is never compared there
            verify_password(_DUMMY_HASH(), password)
            raise refused
        with self.db.transaction() as session:
            user = session.scalars(select(User).where(User.username == username.strip().lower())).first()
            if user is None or not user.is_active:
                verify_password(_DUMMY_HASH(), password)
                raise refused
            now = utcnow()
            if user.locked_until is not None and user.locked_until > now:
                wait = int((user.locked_until - now).total_seconds()) + 1
                raise AuthenticationFailed(f"Too many failed attempts: try again in {wait} seconds.")
            if not verify_password(user.password_hash, password):
                user.failed_logins += 1
                if user.failed_logins >= settings.login_max_failures:
                    extra = user.failed_logins - settings.login_max_failures
                    pause = min(settings.login_pause_seconds * 2**extra, 86_400)
                    user.locked_until = now + dt.timedelta(seconds=pause)
                    audit.record(session, None, "sign_in_paused", "user", user.username, new={"seconds": pause})
                failed = AuthenticationFailed(str(refused))
            else:
                user.failed_logins = 0
                user.locked_until = None
                return user.id
        raise failed

    def shared_secret(self, name: str) -> str:
        """A random secret shared by every app instance on this database, created on first use."""
        with self.db.transaction() as session:
            row = session.get(AppSecret, name)
            if row is not None:
                return row.value
        try:
            with self.db.transaction() as session:
                session.add(AppSecret(name=name, value=secrets.token_hex(32)))
        except IntegrityError:
            pass  # another instance created it at the same moment: use theirs
        with self.db.transaction() as session:
            row = session.get(AppSecret, name)
            assert row is not None
            return row.value

    def user_for_email(self, email: str) -> int | None:
        """The active account with this e-mail (single sign-on), if any."""
        with self.db.transaction() as session:
            user = session.scalars(
                select(User).where(User.email == email.strip().lower(), User.is_active.is_(True))
            ).first()
            return None if user is None else user.id

    def whoami(self, user_id: int) -> UserView:
        with self.db.transaction() as session:
            actor = self.load_actor(session, user_id)
            user = session.get(User, actor.user_id)
            assert user is not None
            codes = dict(session.execute(select(HealthSystem.id, HealthSystem.code)).all())
            return UserView(
                user.id,
                user.username,
                user.display_name,
                user.email,
                user.global_role,
                tuple(sorted((codes[m.health_system_id], m.role) for m in user.memberships)),
            )

    def has_demo_data(self) -> bool:
        with self.db.transaction() as session:
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
        with self.db.transaction() as session:
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
        with self.db.transaction() as session:
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
        with self.db.transaction() as session:
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
        with self.db.transaction() as session:
            actor = self.load_actor(session, actor_id)
            round_, facts = self.load_round(session, round_id)
            require_read(actor, facts)
            return _round_view(round_)

    def list_rounds(self, actor_id: int) -> list[RoundView]:
        """Every round this user may open, newest first."""
        with self.db.transaction() as session:
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
        with self.db.transaction() as session:
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
        with self.db.transaction() as session:
            rows = session.execute(
                select(AuditEntry.round_id, func.max(AuditEntry.at))
                .where(AuditEntry.round_id.in_(readable))
                .group_by(AuditEntry.round_id)
            ).all()
            return {round_id: at for round_id, at in rows if round_id is not None}

    def invitable_experts(self, actor_id: int, health_system_code: str) -> list[UserView]:
        """The experts (and coordinators) of a health system, for its coordinator to invite."""
        with self.db.transaction() as session:
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
        with self.db.transaction() as session:
            actor = self.load_actor(session, actor_id)
            systems = session.scalars(select(HealthSystem).order_by(HealthSystem.code))
            return [_system_view(s) for s in systems if actor.is_admin or actor.holds(s.id, "coordinator")]

    def invite_expert(self, actor_id: int, round_id: int, username: str) -> None:
        with self.db.transaction() as session:
            actor = self.load_actor(session, actor_id)
            round_, facts = self.load_round(session, round_id)
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
        with self.db.transaction() as session:
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
        """Save the acting expert's own rating of one indicator (``expected_version`` 0 for a first save)."""
        if not_applicable and level is not None:
            raise ValidationFailed("level and NA", (Problem("level", "choose a level or 'not applicable', not both"),))
        evidence = _check_text(evidence, "evidence", MAX_EVIDENCE_CHARS)
        clean = clean_links(links)
        shown = {"level": level, "not_applicable": not_applicable, "evidence": evidence, "links": list(clean)}
        saved = self._save_versioned(
            _VersionedRecord(Rating, "rating", "rate", _rating_values, experts_own=True),
            actor_id,
            round_id,
            indicator_id,
            expected_version,
            stored={**shown, "links": json.dumps(list(clean))},
            shown=shown,
        )
        return RatingView(indicator_id, saved.username, level, not_applicable, evidence, clean, saved.version, saved.at)

    def my_ratings(self, actor_id: int, round_id: int) -> dict[str, RatingView]:
        with self.db.transaction() as session:
            actor = self.load_actor(session, actor_id)
            _, facts = self.load_round(session, round_id)
            require_read(actor, facts)
            rows = session.scalars(select(Rating).where(Rating.round_id == round_id, Rating.expert_id == actor.user_id))
            return {r.indicator_id: _rating_view(r, actor.username) for r in rows}

    def all_ratings(self, actor_id: int, round_id: int) -> list[RatingView]:
        """Every expert's ratings (coordinator and admin only: the consensus view)."""
        with self.db.transaction() as session:
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
        if not_applicable and level is not None:
            raise ValidationFailed("level and NA", (Problem("level", "choose a level or 'not applicable', not both"),))
        rationale = _check_text(rationale, "rationale", MAX_RATIONALE_CHARS)
        values = {"level": level, "not_applicable": not_applicable, "rationale": rationale}
        saved = self._save_versioned(
            _VersionedRecord(Consensus, "consensus", "set_consensus", _values_of(values)),
            actor_id,
            round_id,
            indicator_id,
            expected_version,
            stored=values,
            shown=values,
        )
        return ConsensusView(indicator_id, level, not_applicable, rationale, saved.version)

    def set_target(
        self, actor_id: int, round_id: int, indicator_id: str, *, target: int | None, expected_version: int
    ) -> TargetView:
        values = {"target": target}
        saved = self._save_versioned(
            _VersionedRecord(Target, "target", "set_target", _values_of(values)),
            actor_id,
            round_id,
            indicator_id,
            expected_version,
            stored=values,
            shown=values,
        )
        return TargetView(indicator_id, target, saved.version)

    def _save_versioned(
        self,
        record: _VersionedRecord,
        actor_id: int,
        round_id: int,
        indicator_id: str,
        expected_version: int,
        *,
        stored: dict[str, Any],
        shown: dict[str, Any],
    ) -> _Saved:
        """Insert or update one per-indicator record of a round, refusing a save based on a stale version.

        Experts write their own ratings; coordinators (and admins) the round's
        consensus and targets.  ``stored`` are the column values, ``shown`` the
        same values as people read them (conflict messages, the audit trail).
        """
        try:
            with self.db.transaction() as session:
                actor = self.load_actor(session, actor_id)
                round_, facts = self.load_round(session, round_id)
                if record.experts_own:
                    require_rate(actor, facts)
                else:
                    require_coordinate(actor, facts, f"set the {record.entity} in this round")
                self.require_editable(round_)
                questionnaire = questionnaire_of(round_.questionnaire_version)
                _check_indicator(questionnaire, indicator_id)
                for key in ("level", "target"):
                    if key in shown:
                        _check_level(questionnaire, shown[key], key)
                keys = record.keys(round_id, indicator_id, actor)
                model = record.model
                current = session.scalars(select(model).filter_by(**keys)).first()
                now = utcnow()
                who = {} if record.experts_own else {"updated_by": actor.user_ref}
                if current is None:
                    if expected_version != 0:
                        raise Conflict(
                            f"This {record.entity} was removed since you opened it.",
                            yours=shown,
                            theirs=None,
                            current_version=0,
                        )
                    session.add(model(**keys, **stored, **who, version=1, updated_at=now))
                    session.flush()
                    old = None
                else:
                    old = record.describe(current)
                    changed = session.execute(
                        update(model)
                        .where(model.id == current.id, model.version == expected_version)
                        .values(**stored, **who, version=model.version + 1, updated_at=now)
                        .execution_options(synchronize_session=False)
                    )
                    if changed.rowcount != 1:  # type: ignore[attr-defined]
                        session.refresh(current)
                        raise Conflict(
                            f"Someone changed this {record.entity} since you opened it.",
                            yours=shown,
                            theirs=record.describe(current),
                            current_version=current.version,
                        )
                    session.expunge(current)  # stale after the UPDATE; what was written is known
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
                return _Saved(1 if old is None else expected_version + 1, now, actor.username)
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
        with self.db.transaction() as session:
            actor = self.load_actor(session, actor_id)
            row = session.scalars(select(record.model).filter_by(**record.keys(round_id, indicator_id, actor))).first()
            return None if row is None else (record.describe(row), row.version)

    def consensus_of(self, actor_id: int, round_id: int) -> dict[str, ConsensusView]:
        with self.db.transaction() as session:
            actor = self.load_actor(session, actor_id)
            _, facts = self.load_round(session, round_id)
            require_read(actor, facts)
            rows = session.scalars(select(Consensus).where(Consensus.round_id == round_id))
            return {
                c.indicator_id: ConsensusView(c.indicator_id, c.level, c.not_applicable, c.rationale, c.version)
                for c in rows
            }

    def targets_of(self, actor_id: int, round_id: int) -> dict[str, TargetView]:
        with self.db.transaction() as session:
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
        with self.db.transaction() as session:
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
        with self.db.transaction() as session:
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
        with self.db.transaction() as session:
            return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _rating_values(row: Rating) -> dict[str, Any]:
    return {
        "level": row.level,
        "not_applicable": row.not_applicable,
        "evidence": row.evidence,
        "links": json.loads(row.links or "[]"),
    }

"""Accounts: signing in, sessions, passwords, users and their roles."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from b1mg_maturity import audit, i18n, notify, sign_in_failures, user_sessions
from b1mg_maturity.auth import hash_password, verify_password
from b1mg_maturity.domain import GlobalRole, SystemRole
from b1mg_maturity.errors import AuthenticationFailed, Conflict, PermissionDenied, Problem, ValidationFailed
from b1mg_maturity.i18n import N_, _
from b1mg_maturity.permissions import Actor, require_admin, require_coordinator
from b1mg_maturity.services.base import UseCases
from b1mg_maturity.services.checks import clean_username, require_global_role, require_system_role
from b1mg_maturity.services.mail_language import mail_language
from b1mg_maturity.services.views import UserView, user_view
from b1mg_maturity.storage.models import AppSecret, HealthSystem, Membership, PasswordReset, User, utcnow
from b1mg_maturity.text_rules import clean_line, find_control

# Marked for the catalogue here, translated where they are raised or shown (``_(INVALID_RESET_LINK)``).
DEACTIVATED = N_("This account is deactivated. Ask your administrator to reactivate it.")
INVALID_RESET_LINK = N_(
    "This link does not work: it was already used, it expired, or a newer link replaced it. "
    "Ask your administrator for a new one."
)


@dataclass(frozen=True)
class ResetLink:
    """A one-time link just issued: shown once to the administrator unless it went by e-mail."""

    username: str
    link: str
    expires_at: dt.datetime
    mailed_to: tuple[str, ...]  # empty: not sent (no SMTP, or no address): the page shows the link to copy


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@lru_cache(maxsize=1)
def _DUMMY_HASH() -> str:
    """A real hash to verify against for unknown users, so their answer takes as long."""
    return hash_password("not-a-real-password-0")


class AccountUseCases(UseCases):
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
        settings = self.settings
        refused = AuthenticationFailed(_("Wrong username or password."))
        name = username.strip().lower()
        key = sign_in_failures.name_key(name)
        now = utcnow()
        account: tuple[int, str | None] | None = None
        active = False
        with self.db.reading() as session:
            paused = sign_in_failures.paused_for(session, key, now=now)
            # A name that could not be a username (control characters: PostgreSQL refuses NUL) is never looked up.
            if paused is None and find_control(name) is None and len(name) <= 80:
                row = session.execute(
                    select(User.id, User.password_hash, User.is_active).where(User.username == name)
                ).first()
                account = None if row is None else (row[0], row[1])
                active = row is not None and bool(row[2])
        correct = verify_password(account[1] if account else _DUMMY_HASH(), password) and account is not None
        if paused is not None:
            raise AuthenticationFailed(sign_in_failures.pause_message(paused))
        if correct and not active:
            # Said only to whoever knows the password: a wrong one gets the usual answer, so this tells
            # nobody else that the name exists.
            raise AuthenticationFailed(_(DEACTIVATED))
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
            return user_view(session, user)

    def end_session(self, session_id: str) -> None:
        """Sign-out: this browser's session ends on the server (its cookie is worthless from now on)."""
        with self.db.transaction() as session:
            user_sessions.end(session, session_id)

    def end_sessions(self, actor_id: int, username: str) -> int:
        """An administrator ends every session of a user (signed out everywhere); returns how many."""
        with self.writing_as(actor_id) as (session, actor):
            require_admin(actor, N_("end other people's sessions"))
            user = self.user_by_name(session, username)
            ended = user_sessions.end_all(session, user.id)
            audit.record(session, actor, "end_sessions", "user", user.username, new={"sessions": ended})
            return ended

    def change_own_password(
        self, actor_id: int, current_password: str, new_password: str, new_password_again: str, *, keep_session: str
    ) -> None:
        """The My account form: the current password, the new one twice.  Every other session of the user ends."""
        if new_password != new_password_again:
            raise ValidationFailed(
                "passwords differ", (Problem("new password", _("the two new passwords are not the same")),)
            )
        username = self.actor(actor_id).username
        self.change_password(
            actor_id, username, new_password, current_password=current_password, keep_session=keep_session
        )

    def change_password(
        self,
        actor_id: int,
        username: str,
        new_password: str,
        *,
        current_password: str | None = None,
        keep_session: str | None = None,
    ) -> None:
        """Set a user's password (an administrator), or one's own (with the current one).

        Every session of that user ends, except ``keep_session`` (the browser of
        a user changing their own).  Hashing and verifying happen outside the
        transaction; the write refuses when the password changed meanwhile.
        """
        new_hash = hash_password(new_password)
        now = utcnow()
        with self.reading_as(actor_id) as (session, actor):
            if username.strip().lower() != actor.username:
                require_admin(actor, N_("set other people's passwords"))
            user = self.user_by_name(session, username)
            user_id, old_hash = user.id, user.password_hash
            own = user.id == actor.user_id
            must_prove = own and (not actor.is_admin or current_password is not None)
            key = sign_in_failures.name_key(user.username)
            paused = sign_in_failures.paused_for(session, key, now=now) if must_prove else None
        if paused is not None:
            raise AuthenticationFailed(sign_in_failures.pause_message(paused))
        if must_prove and not verify_password(old_hash, current_password or ""):
            with self.db.transaction() as session:  # counted like a wrong password at sign-in
                sign_in_failures.record_failure(session, key, self.settings, now=now)
            raise AuthenticationFailed(_("Your current password is not right; the password was not changed."))
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
                    _("The password was changed by someone else a moment ago; nothing was changed."),
                    yours=None,
                    theirs=None,
                    current_version=0,
                )
            ended = user_sessions.end_all(session, user_id, keep=keep_session if own else None)
            audit.record(
                session, actor, "set_password", "user", username.strip().lower(), new={"sessions_ended": ended}
            )

    def set_active(self, actor_id: int, username: str, active: bool) -> None:
        """Deactivate an account (it cannot sign in, and every session of it ends) or reactivate it."""
        with self.writing_as(actor_id) as (session, actor):
            require_admin(actor, N_("deactivate or reactivate accounts"))
            user = self.user_by_name(session, username)
            if user.id == actor.user_id and not active:
                raise ValidationFailed(
                    "own account", (Problem("username", _("you cannot deactivate your own account")),)
                )
            if user.is_active == active:
                return
            user.is_active = active
            user.version += 1
            ended = 0 if active else user_sessions.end_all(session, user.id)
            if not active:
                _revoke_reset_links(session, user.id, utcnow())
            audit.record(
                session,
                actor,
                "activate" if active else "deactivate",
                "user",
                user.username,
                old={"active": not active},
                new={"active": active, **({} if active else {"sessions_ended": ended})},
            )

    def issue_reset_link(self, actor_id: int, username: str) -> ResetLink:
        """An administrator issues a one-time link for a user to choose a new password.

        The token is random (256 bits) and only its SHA-256 is stored, so the
        table (or a backup) holds no usable link.  Earlier unused links of the
        user stop working.  With SMTP configured and an address on the account,
        the link goes by e-mail (written to the outbox in this transaction);
        otherwise it is returned for the administrator to pass on, once.
        """
        token = secrets.token_urlsafe(32)
        now = utcnow()
        expires_at = now + dt.timedelta(hours=self.settings.password_reset_hours)
        link = notify.app_link(self.settings.public_url, "reset-password", token=token)
        with self.writing_as(actor_id) as (session, actor):
            require_admin(actor, N_("issue password-reset links"))
            user = self.user_by_name(session, username)
            if not user.is_active:
                raise ValidationFailed(
                    "inactive",
                    (
                        Problem(
                            "user", _("{username} is deactivated; reactivate the account first", username=user.username)
                        ),
                    ),
                )
            revoked = _revoke_reset_links(session, user.id, now)
            session.add(
                PasswordReset(
                    token_hash=token_hash(token),
                    user_id=user.id,
                    created_by=actor.user_ref,
                    created_at=now,
                    expires_at=expires_at,
                )
            )
            mailed: tuple[str, ...] = ()
            with i18n.language(mail_language(user.language)):
                mail = notify.password_reset_mail([user.email or ""], user.display_name, link, expires_at)
            if self.mail_configured() and mail.recipients:  # an address that could not be written is no address
                self.queue_mail(session, mail)
                mailed = mail.recipients
            audit.record(
                session,
                actor,
                "issue_reset_link",
                "user",
                user.username,
                new={
                    "expires_at": expires_at.isoformat(timespec="minutes"),
                    "mailed": bool(mailed),
                    "revoked": revoked,
                },
            )
            return ResetLink(user.username, link, expires_at, mailed)

    def reset_link_works(self, token: str) -> bool:
        """Whether a reset link would still set a password (the page shows its form, or why not)."""
        if not _token_shape(token):
            return False
        with self.db.reading() as session:
            return _live_reset(session, token_hash(token), utcnow()) is not None

    def reset_password(self, token: str, new_password: str, new_password_again: str) -> str:
        """Set a new password with a one-time link; returns the username.  The link is used up, every session ends.

        A used, expired, revoked or unknown link gets the same answer.  The new
        password is hashed before the transaction; the link is claimed with one
        conditional UPDATE, so two browsers racing with the same link cannot both win.
        """
        if new_password != new_password_again:
            raise ValidationFailed(
                "passwords differ", (Problem("new password", _("the two new passwords are not the same")),)
            )
        if not _token_shape(token):
            raise AuthenticationFailed(_(INVALID_RESET_LINK))
        new_hash = hash_password(new_password)
        digest = token_hash(token)
        now = utcnow()
        with self.db.transaction() as session:
            reset = _live_reset(session, digest, now)
            user = None if reset is None else session.get(User, reset.user_id)
            claimed = (
                session.execute(
                    update(PasswordReset)
                    .where(
                        PasswordReset.token_hash == digest,
                        PasswordReset.used_at.is_(None),
                        PasswordReset.expires_at > now,
                    )
                    .values(used_at=now)
                    .execution_options(synchronize_session=False)
                ).rowcount  # type: ignore[attr-defined]
                if reset is not None
                else 0
            )
            if user is None or not user.is_active or claimed != 1:
                raise AuthenticationFailed(_(INVALID_RESET_LINK))
            user.password_hash = new_hash
            user.version += 1
            ended = user_sessions.end_all(session, user.id)
            audit.record(
                session,
                Actor(user.id, user.username, user.global_role),
                "reset_password",
                "user",
                user.username,
                new={"sessions_ended": ended},
            )
            return user.username

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
            return user_view(session, user)

    def add_user(
        self,
        actor_id: int | None,
        username: str,
        password: str,
        *,
        display_name: str = "",
        email: str | None = None,
        global_role: str = GlobalRole.NONE,
    ) -> UserView:
        """Create an account.  ``actor_id=None`` is the bootstrap path (only while no admin exists)."""
        username = clean_username(username)
        require_global_role(global_role)
        password_hash = hash_password(password)
        with self.db.transaction() as session:
            if actor_id is None:
                if session.scalars(select(User).where(User.global_role == GlobalRole.ADMIN)).first():
                    raise PermissionDenied(_("An administrator exists: sign in as one to add users."))
                actor = None
            else:
                actor = self.load_actor(session, actor_id)
                require_admin(actor, N_("add users"))
            if session.scalars(select(User).where(User.username == username)).first():
                raise ValidationFailed("exists", (Problem("username", _("'{username}' is taken", username=username)),))
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
        require_global_role(role)
        with self.writing_as(actor_id) as (session, actor):
            require_admin(actor, N_("change roles"))
            user = self.user_by_name(session, username)
            old = user.global_role
            user.global_role = role
            user.version += 1
            if old not in (GlobalRole.NONE, role):  # a role taken away: the user signs in again everywhere
                user_sessions.end_all(session, user.id)
            audit.record(
                session, actor, "set_role", "user", user.username, old={"global_role": old}, new={"global_role": role}
            )

    def grant(self, actor_id: int, username: str, health_system_code: str, role: str) -> None:
        """Give a user a role in a health system (admin, or that system's coordinator for experts/viewers)."""
        require_system_role(role)
        with self.writing_as(actor_id) as (session, actor):
            system = self.system_by_code(session, health_system_code)
            if role == SystemRole.COORDINATOR:
                require_admin(actor, N_("appoint coordinators"))
            else:
                require_coordinator(actor, system.id, N_("give roles in this health system"))
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
        with self.writing_as(actor_id) as (session, actor):
            require_admin(actor, N_("remove roles"))
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
        with self.reading_as(actor_id) as (session, actor):
            require_admin(actor, N_("list users"))
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


def _token_shape(token: str) -> bool:
    """A token as :meth:`AccountUseCases.issue_reset_link` makes them (43 URL-safe characters)."""
    return 20 <= len(token) <= 100 and all(c.isascii() and (c.isalnum() or c in "-_") for c in token)


def _live_reset(session: Session, digest: str, now: dt.datetime) -> PasswordReset | None:
    return session.scalars(
        select(PasswordReset).where(
            PasswordReset.token_hash == digest, PasswordReset.used_at.is_(None), PasswordReset.expires_at > now
        )
    ).first()


def _revoke_reset_links(session: Session, user_id: int, now: dt.datetime) -> int:
    """Mark every unused link of a user as used (so none of them works any more); returns how many."""
    result = session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user_id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]

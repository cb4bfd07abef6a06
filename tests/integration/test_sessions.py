"""Server-side sessions (issue 16, finding 1): a signed cookie is worth nothing once its session ended.

A session ends on sign-out, on a password change, on deactivation, when a role
is taken away, and when an administrator ends all of a user's sessions.  Every
test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import hashlib
import secrets

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from b1mg_maturity import session_tokens
from b1mg_maturity.cli import app
from b1mg_maturity.errors import AuthenticationFailed, PermissionDenied, ValidationFailed
from b1mg_maturity.services import Services
from b1mg_maturity.settings import get_settings
from b1mg_maturity.storage.models import AuditEntry, UserSession, utcnow
from tests.integration.world import PASSWORD, World

NEW_PASSWORD = "another-password-456"


def _live(services: Services, *session_ids: str) -> list[bool]:
    return [services.session_user(s) is not None for s in session_ids]


def _two_sessions(world: World, username: str) -> tuple[str, str]:
    user_id = world.services.sign_in(username, PASSWORD)
    return world.services.start_session(user_id), world.services.start_session(user_id)


def test_a_session_names_its_user_and_ends_on_sign_out(world: World) -> None:
    services = world.services
    laptop, phone = _two_sessions(world, "expert-de")
    user = services.session_user(laptop)
    assert user is not None and user.username == "expert-de"
    services.end_session(laptop)
    assert _live(services, laptop, phone) == [False, True]  # signing out ends this browser's session only
    for junk in ("", "42", "f" * 64, laptop.upper()):
        assert services.session_user(junk) is None


def test_only_a_hash_of_the_session_id_is_stored(world: World) -> None:
    session_id = world.services.start_session(world.id("viewer-de"))
    with world.services.db.reading() as session:
        stored = session.scalars(select(UserSession.id_hash)).all()
    assert stored == [hashlib.sha256(session_id.encode()).hexdigest()]


def test_whoever_reads_the_database_cannot_forge_a_session(world: World) -> None:
    """Finding 4: with the signing key of a backup (kept in the database when none is configured), a
    well-signed cookie still needs a live session id, and the database holds only hashes of those."""
    services = world.services
    key = services.shared_secret("session-signing-key")
    live = services.start_session(world.id("admin"))
    with services.db.reading() as session:
        (stored,) = session.scalars(select(UserSession.id_hash)).all()
    for guessed in (secrets.token_hex(32), stored):
        forged = session_tokens.verify(session_tokens.issue(guessed, key), key)
        assert forged == guessed  # the signature is fine ...
        assert services.session_user(forged) is None  # ... but it names no session
    assert services.session_user(live) is not None


def test_an_expired_session_is_refused(world: World) -> None:
    services = world.services
    session_id = services.start_session(world.id("viewer-de"))
    with services.db.transaction() as session:
        session.execute(update(UserSession).values(expires_at=utcnow()))
    assert services.session_user(session_id) is None


def test_a_password_change_ends_every_session(world: World) -> None:
    services = world.services
    laptop, phone = _two_sessions(world, "expert-de")
    other = world.services.start_session(world.id("expert-fr"))
    with pytest.raises(AuthenticationFailed):
        services.change_password(world.id("expert-de"), "expert-de", NEW_PASSWORD, current_password="wrong-one-x")
    assert _live(services, laptop, phone) == [True, True]  # a refused change ends nothing
    services.change_password(world.id("expert-de"), "expert-de", NEW_PASSWORD, current_password=PASSWORD)
    assert _live(services, laptop, phone, other) == [False, False, True]
    assert services.sign_in("expert-de", NEW_PASSWORD) == world.id("expert-de")
    with pytest.raises(AuthenticationFailed):
        services.sign_in("expert-de", PASSWORD)


def test_guessing_the_current_password_is_paused_like_signing_in(world: World) -> None:
    services, expert = world.services, world.id("expert-de")
    messages = []
    for n in range(get_settings().login_max_failures + 1):
        with pytest.raises(AuthenticationFailed) as caught:
            services.change_password(expert, "expert-de", NEW_PASSWORD, current_password=f"guess-{n}")
        messages.append(caught.value.message)
    assert messages[-1].startswith("Too many failed attempts"), messages
    with pytest.raises(AuthenticationFailed, match="Too many failed attempts"):
        services.sign_in("expert-de", PASSWORD)


def test_an_administrator_sets_a_password_and_others_may_not(world: World) -> None:
    services = world.services
    (session_id,) = _two_sessions(world, "viewer-fr")[:1]
    with pytest.raises(PermissionDenied):
        services.change_password(world.id("coordinator-fr"), "viewer-fr", NEW_PASSWORD, current_password=PASSWORD)
    assert _live(services, session_id) == [True]
    services.change_password(world.id("admin"), "viewer-fr", NEW_PASSWORD)
    assert _live(services, session_id) == [False]
    with pytest.raises(ValidationFailed):
        services.change_password(world.id("admin"), "viewer-fr", "short")


def test_deactivation_ends_every_session_and_reactivation_revives_none(world: World) -> None:
    services = world.services
    laptop, phone = _two_sessions(world, "coordinator-de")
    services.set_active(world.id("admin"), "coordinator-de", False)
    assert _live(services, laptop, phone) == [False, False]
    with pytest.raises(AuthenticationFailed):
        services.sign_in("coordinator-de", PASSWORD)
    with pytest.raises(PermissionDenied):
        services.start_session(world.id("coordinator-de"))
    services.set_active(world.id("admin"), "coordinator-de", True)
    assert _live(services, laptop, phone) == [False, False]
    assert services.sign_in("coordinator-de", PASSWORD) == world.id("coordinator-de")
    with pytest.raises(ValidationFailed) as caught:
        services.set_active(world.id("admin"), "admin", False)
    assert "you cannot deactivate your own account" in caught.value.lines()[0]
    with pytest.raises(PermissionDenied):
        services.set_active(world.id("coordinator-fr"), "viewer-fr", False)


def test_taking_a_role_away_ends_every_session_giving_one_does_not(world: World) -> None:
    services, admin = world.services, world.id("admin")
    expert = _two_sessions(world, "expert-de")
    analyst = _two_sessions(world, "analyst")
    services.grant(admin, "expert-de", "FR", "viewer")
    services.set_global_role(admin, "expert-de", "analyst")
    assert _live(services, *expert) == [True, True]
    services.revoke(admin, "expert-de", "FR", "viewer")
    assert _live(services, *expert) == [False, False]
    services.set_global_role(admin, "analyst", "none")
    assert _live(services, *analyst) == [False, False]


def test_an_administrator_ends_all_of_a_users_sessions(world: World) -> None:
    services = world.services
    sessions = _two_sessions(world, "viewer-de")
    mine = services.start_session(world.id("admin"))
    with pytest.raises(PermissionDenied):
        services.end_sessions(world.id("coordinator-de"), "viewer-de")
    assert services.end_sessions(world.id("admin"), "viewer-de") == 2
    assert _live(services, *sessions, mine) == [False, False, True]
    entries = services.audit_log(world.id("admin"), username="admin")
    assert entries[0].action == "end_sessions" and entries[0].new_value == {"sessions": 2}


def test_password_changes_are_audited_without_the_password(world: World) -> None:
    services = world.services
    services.change_password(world.id("admin"), "viewer-de", NEW_PASSWORD)
    with services.db.reading() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "set_password")).one()
    assert NEW_PASSWORD not in f"{entry.old_value} {entry.new_value}"


def test_cli_ends_sessions_sets_passwords_and_deactivates(world: World) -> None:
    services, runner = world.services, CliRunner()
    db = ["--database-url", str(services.db.engine.url.render_as_string(hide_password=False))]

    def ok(*args: str) -> str:
        result = runner.invoke(app, [*args, *db])
        assert result.exit_code == 0, result.output
        return result.stdout

    sessions = _two_sessions(world, "viewer-de")
    assert "ended 2 sessions of viewer-de" in ok("users", "end-sessions", "viewer-de")
    assert _live(services, *sessions) == [False, False]
    session_id = services.start_session(world.id("viewer-de"))
    assert "viewer-de is deactivated" in ok("users", "deactivate", "viewer-de")
    assert _live(services, session_id) == [False]
    assert "viewer-de is active again" in ok("users", "activate", "viewer-de")
    assert "new password set for viewer-de" in ok("users", "set-password", "viewer-de", "--password", NEW_PASSWORD)
    assert services.sign_in("viewer-de", NEW_PASSWORD) == world.id("viewer-de")

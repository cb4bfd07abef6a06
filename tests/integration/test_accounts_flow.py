"""Accounts (issue 11): one's own password, deactivation, one-time reset links, and the readable audit log.

Every test runs on SQLite and on PostgreSQL.  The expected words are written
here by hand, never taken from the code under test.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select, update

from b1mg_maturity.edits import FieldEdit
from b1mg_maturity.errors import AuthenticationFailed, PermissionDenied, ValidationFailed
from b1mg_maturity.services import Services
from b1mg_maturity.settings import Settings
from b1mg_maturity.storage.models import AuditEntry, OutboxMail, PasswordReset, utcnow
from tests.integration.world import PASSWORD, World

NEW_PASSWORD = "a-new-password-789"
WRONG = "Wrong username or password."
DEACTIVATED = "This account is deactivated. Ask your administrator to reactivate it."
DEAD_LINK = (
    "This link does not work: it was already used, it expired, or a newer link replaced it. "
    "Ask your administrator for a new one."
)


def _live(services: Services, *session_ids: str) -> list[bool]:
    return [services.session_user(s) is not None for s in session_ids]


def _sessions(world: World, username: str, n: int) -> list[str]:
    user_id = world.services.sign_in(username, PASSWORD)
    return [world.services.start_session(user_id) for _ in range(n)]


def _token(link: str) -> str:
    (token,) = parse_qs(urlsplit(link).query)["token"]
    return token


def _refused(services: Services, token: str, password: str = NEW_PASSWORD) -> str:
    with pytest.raises(AuthenticationFailed) as caught:
        services.reset_password(token, password, password)
    return caught.value.message


def _invalid(action: Callable[[], object]) -> str:
    """The words a refused input is shown with (each problem on its line)."""
    with pytest.raises(ValidationFailed) as caught:
        action()
    return " / ".join(caught.value.lines())


def _audit_values(services: Services, action: str) -> list[str]:
    with services.db.reading() as session:
        rows = session.execute(
            select(AuditEntry.old_value, AuditEntry.new_value).where(AuditEntry.action == action)
        ).all()
    return [f"{old} {new}" for old, new in rows]


def test_changing_ones_own_password_keeps_this_browser_and_ends_the_others(world: World) -> None:
    services, expert = world.services, world.id("expert-de")
    here, laptop, phone = _sessions(world, "expert-de", 3)
    colleague = _sessions(world, "expert-fr", 1)[0]

    assert "not the same" in _invalid(
        lambda: services.change_own_password(expert, PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "x", keep_session=here)
    )
    assert "at least 10 characters" in _invalid(
        lambda: services.change_own_password(expert, PASSWORD, "short", "short", keep_session=here)
    )
    with pytest.raises(AuthenticationFailed, match="current password is not right"):
        services.change_own_password(expert, "not-my-password", NEW_PASSWORD, NEW_PASSWORD, keep_session=here)
    assert _live(services, here, laptop, phone) == [True, True, True]  # nothing refused ended anything
    assert services.sign_in("expert-de", PASSWORD) == expert

    services.change_own_password(expert, PASSWORD, NEW_PASSWORD, NEW_PASSWORD, keep_session=here)
    assert _live(services, here, laptop, phone, colleague) == [True, False, False, True]
    assert services.sign_in("expert-de", NEW_PASSWORD) == expert
    with pytest.raises(AuthenticationFailed, match=WRONG):
        services.sign_in("expert-de", PASSWORD)

    (line,) = [x for x in services.audit_trail(world.id("admin"), username="expert-de").lines if x.about]
    assert (line.action, line.about, line.change) == ("Set a new password", "user expert-de", "2 sessions ended")
    assert all(NEW_PASSWORD not in v and PASSWORD not in v for v in _audit_values(services, "set_password"))


def test_a_deactivated_user_is_told_so_only_with_the_right_password(world: World) -> None:
    services, admin = world.services, world.id("admin")
    browsers = _sessions(world, "viewer-de", 2)
    with pytest.raises(PermissionDenied):
        services.set_active(world.id("coordinator-de"), "viewer-de", False)
    assert _live(services, *browsers) == [True, True]

    services.set_active(admin, "viewer-de", False)
    assert _live(services, *browsers) == [False, False]  # their next click finds no session
    with pytest.raises(AuthenticationFailed) as wrong:
        services.sign_in("viewer-de", "not-the-password")
    assert wrong.value.message == WRONG  # a wrong password learns nothing about the account
    with pytest.raises(AuthenticationFailed) as right:
        services.sign_in("viewer-de", PASSWORD)
    assert right.value.message == DEACTIVATED

    services.set_active(admin, "viewer-de", True)
    assert _live(services, *browsers) == [False, False]  # reactivation revives no old session
    assert services.sign_in("viewer-de", PASSWORD) == world.id("viewer-de")
    changes = [(x.action, x.change) for x in services.audit_trail(admin, username="admin").lines[:2]]
    assert changes == [("Reactivated the account", ""), ("Deactivated the account", "2 sessions ended")]


def test_a_reset_link_sets_a_password_once_and_ends_every_session(world: World) -> None:
    services, admin = world.services, world.id("admin")
    browsers = _sessions(world, "coordinator-fr", 2)
    for outsider in ("coordinator-fr", "analyst", "viewer-fr"):
        with pytest.raises(PermissionDenied):
            services.issue_reset_link(world.id(outsider), "viewer-fr")

    before = utcnow()
    issued = services.issue_reset_link(admin, "coordinator-fr")
    token = _token(issued.link)
    assert issued.link.startswith(services.settings.public_url.rstrip("/") + "/reset-password?token=")
    assert issued.mailed_to == ()  # no SMTP here: the administrator passes it on
    hours = services.settings.password_reset_hours
    assert before + dt.timedelta(hours=hours) <= issued.expires_at <= utcnow() + dt.timedelta(hours=hours)
    with services.db.reading() as session:
        stored = session.scalars(select(PasswordReset.token_hash)).all()
        audit_text = " ".join(
            f"{e.old_value} {e.new_value} {e.entity_key}" for e in session.scalars(select(AuditEntry))
        )
    assert stored == [hashlib.sha256(token.encode()).hexdigest()]  # only the hash is kept ...
    assert token not in audit_text  # ... and the audit log never holds the token

    assert services.reset_link_works(token)
    assert "not the same" in _invalid(lambda: services.reset_password(token, NEW_PASSWORD, "something-else-1"))
    assert "at least 10 characters" in _invalid(lambda: services.reset_password(token, "short", "short"))
    assert services.reset_link_works(token)  # a refused attempt does not use the link up
    assert _live(services, *browsers) == [True, True]

    assert services.reset_password(token, NEW_PASSWORD, NEW_PASSWORD) == "coordinator-fr"
    assert _live(services, *browsers) == [False, False]
    assert services.sign_in("coordinator-fr", NEW_PASSWORD) == world.id("coordinator-fr")
    assert not services.reset_link_works(token)
    assert _refused(services, token, "yet-another-pass-1") == DEAD_LINK  # used: never twice
    assert services.sign_in("coordinator-fr", NEW_PASSWORD) == world.id("coordinator-fr")

    lines = services.audit_trail(admin).lines
    assert (lines[0].who, lines[0].action, lines[0].change) == (
        "coordinator-fr",
        "Set a new password with a reset link",
        "2 sessions ended",
    )
    assert lines[1].action == "Issued a reset link" and lines[1].about == "user coordinator-fr"
    assert "shown to copy" in lines[1].change


def test_expired_revoked_and_unknown_links_get_the_same_answer(world: World) -> None:
    services, admin = world.services, world.id("admin")
    first = _token(services.issue_reset_link(admin, "expert-fr").link)
    second = _token(services.issue_reset_link(admin, "expert-fr").link)
    assert first != second
    assert (services.reset_link_works(first), services.reset_link_works(second)) == (False, True)
    assert "1 earlier link revoked" in services.audit_trail(admin).lines[0].change

    other = _token(services.issue_reset_link(admin, "expert2-fr").link)
    with services.db.transaction() as session:  # the second link's time runs out
        session.execute(
            update(PasswordReset)
            .where(PasswordReset.token_hash == hashlib.sha256(second.encode()).hexdigest())
            .values(expires_at=utcnow() - dt.timedelta(seconds=1))
        )
    assert services.reset_link_works(other)  # the other user's link is not touched
    unknown = "A" * 43
    messages = {
        name: _refused(services, t) for name, t in [("replaced", first), ("expired", second), ("unknown", unknown)]
    }
    messages["malformed"] = _refused(services, "../../etc/passwd")
    messages["empty"] = _refused(services, "")
    assert set(messages.values()) == {DEAD_LINK}, messages
    assert services.sign_in("expert-fr", PASSWORD) == world.id("expert-fr")  # nothing changed

    services.set_active(admin, "expert2-fr", False)  # deactivating also ends the links
    assert not services.reset_link_works(other)
    services.set_active(admin, "expert2-fr", True)
    assert _refused(services, other) == DEAD_LINK
    services.set_active(admin, "expert2-fr", False)
    refusal = _invalid(lambda: services.issue_reset_link(admin, "expert2-fr"))
    assert refusal == "user: expert2-fr is deactivated; reactivate the account first"  # no link for a closed account


def test_with_smtp_the_reset_link_goes_by_mail_to_the_user(world: World) -> None:
    services, admin = world.services, world.id("admin")
    services.add_user(admin, "mailed-user", PASSWORD, display_name="Mia Mailed", email="mia@example.org")
    settings = Settings(
        smtp_host="127.0.0.1", smtp_port=9, public_url="https://mlm.example.org/"
    )  # nobody listens: the mail stays queued
    mailing = Services(services.db, settings=settings)

    issued = mailing.issue_reset_link(admin, "mailed-user")
    assert issued.mailed_to == ("mia@example.org",)
    assert issued.link.startswith("https://mlm.example.org/reset-password?token=")
    with services.db.reading() as session:
        (mail,) = session.scalars(select(OutboxMail).where(OutboxMail.kind == "password_reset")).all()
    assert mail.kind == "password_reset" and json.loads(mail.recipients) == ["mia@example.org"]
    assert issued.link in mail.body and "Mia Mailed" in mail.body
    assert "sent by e-mail" in mailing.audit_trail(admin).lines[0].change

    no_address = mailing.issue_reset_link(admin, "viewer-de")  # no e-mail on the account: shown instead
    assert no_address.mailed_to == ()
    services.add_user(admin, "odd-address", PASSWORD, email="mia@example.org, eve@example.org")
    assert mailing.issue_reset_link(admin, "odd-address").mailed_to == ()  # not an address: never mailed
    with services.db.reading() as session:
        assert len(session.scalars(select(OutboxMail).where(OutboxMail.kind == "password_reset")).all()) == 1
    assert mailing.reset_password(_token(issued.link), NEW_PASSWORD, NEW_PASSWORD) == "mailed-user"


def test_the_audit_log_reads_in_words_and_filters_by_round_user_and_indicator(world: World) -> None:
    services, admin = world.services, world.id("admin")
    de, fr = world.rounds["DE"], world.rounds["FR"]
    expert, coordinator = world.id("expert-de"), world.id("coordinator-de")
    services.rate(expert, de, "D1.1.1", level=2, evidence="=HYPERLINK(1)", expected_version=0)
    services.edit_rating(expert, de, "D1.1.1", FieldEdit("level", 2, 3))
    services.edit_rating(expert, de, "D1.1.1", FieldEdit("evidence", "=HYPERLINK(1)", "A law of 2024."))
    services.rate(expert, de, "D1.2.1", level=4, expected_version=0)
    services.set_consensus(coordinator, de, "D1.1.1", level=None, not_applicable=True, expected_version=0)
    services.set_consensus(coordinator, de, "D1.1.1", level=1, rationale="Agreed.", expected_version=1)
    services.set_target(coordinator, de, "D1.1.1", target=3, expected_version=0)
    services.rate(world.id("expert-fr"), fr, "D1.1.1", level=5, expected_version=0)

    trail = services.audit_trail(admin, indicator_id="D1.1.1")
    assert [(x.who, x.health_system, x.round, x.indicator, x.change) for x in trail.lines] == [
        ("expert-fr", "France (FR)", "Round 2026", "D1.1.1 Governance", "level 5"),
        ("coordinator-de", "Germany (DE)", "Round 2026", "D1.1.1 Governance", "target 3"),
        (
            "coordinator-de",
            "Germany (DE)",
            "Round 2026",
            "D1.1.1 Governance",
            "not applicable -> level 1; rationale added",
        ),
        ("coordinator-de", "Germany (DE)", "Round 2026", "D1.1.1 Governance", "not applicable"),
        ("expert-de", "Germany (DE)", "Round 2026", "D1.1.1 Governance", "evidence changed"),
        ("expert-de", "Germany (DE)", "Round 2026", "D1.1.1 Governance", "level 2 -> 3"),
        ("expert-de", "Germany (DE)", "Round 2026", "D1.1.1 Governance", "level 2; evidence added"),
    ]
    assert [x.action for x in trail.lines[:3]] == ["Rated", "Set a target", "Set the consensus"]
    assert trail.lines[-1].about == "expert-de's rating"
    assert ("D1.2.1", "D1.2.1 Priority") in trail.indicators
    assert {"expert-de", "coordinator-de", "expert-fr", "admin"} <= set(trail.people)

    both = services.audit_trail(admin, round_id=de, username="expert-de", indicator_id="D1.1.1")
    assert [x.change for x in both.lines] == ["evidence changed", "level 2 -> 3", "level 2; evidence added"]
    assert [x.indicator for x in services.audit_trail(admin, round_id=de, username="expert-de").lines] == [
        "D1.2.1 Priority",
        "D1.1.1 Governance",
        "D1.1.1 Governance",
        "D1.1.1 Governance",
    ]
    assert services.audit_trail(admin, indicator_id="D1.1").lines == ()  # a subdomain id is not an indicator
    assert services.audit_trail(admin, indicator_id="D1_1_1").lines == ()  # "_" matches only itself
    limited = services.audit_trail(admin, indicator_id="D1.1.1", limit=2)
    assert len(limited.lines) == 2 and limited.more

    own = services.audit_trail(coordinator)  # a coordinator reads their own health system's history only
    assert {x.health_system for x in own.lines} == {"Germany (DE)"}
    assert [r for r, _ in own.rounds] == [de]
    assert "expert-fr" not in own.people
    assert len(services.audit_trail(coordinator, round_id=de, indicator_id="D1.1.1").lines) == 6
    refusals: tuple[Callable[[], object], ...] = (
        lambda: services.audit_trail(coordinator, round_id=fr),
        lambda: services.audit_trail(expert),
        lambda: services.audit_trail(expert, round_id=de),
        lambda: services.audit_trail(world.id("analyst")),
        lambda: services.audit_trail(world.id("viewer-de"), round_id=de),
    )
    for refused in refusals:
        with pytest.raises(PermissionDenied):
            refused()

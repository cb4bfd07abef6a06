"""E-mail end to end: the outbox on SQLite and PostgreSQL, delivered to a real local SMTP server (aiosmtpd).

The mails are queued by hand inside a real unit of work (``writing_as``) next to
a real change of data, as a use case does, so that each test knows exactly
which mails exist.
"""

from __future__ import annotations

import datetime as dt
import socket
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import delete, select, update

from b1mg_maturity.errors import InvalidState, PermissionDenied
from b1mg_maturity.notify import (
    Mail,
    MailFailure,
    MailKind,
    SmtpConfig,
    SmtpConnection,
    invitation_mail,
    password_reset_mail,
    status_mail,
)
from b1mg_maturity.services import Services
from b1mg_maturity.services.mail import MailState, deliver_pending, deliverer_for
from b1mg_maturity.settings import Settings
from b1mg_maturity.storage.database import Database
from b1mg_maturity.storage.models import AssessmentRound, OutboxMail, utcnow
from tests.integration.world import World
from tests.smtp_server import LocalSmtp, dead_port, running_smtp

LINK = "http://mlm.example.org/rate?round="


@pytest.fixture
def smtp(world: World) -> Iterator[LocalSmtp]:
    """The local server, and an empty outbox (the world's invitations are in it: experts were invited)."""
    with world.services.db.writing() as connection:
        connection.execute(delete(OutboxMail))
    with running_smtp() as server:
        yield server


def mail_settings(port: int, **more: object) -> Settings:
    # No retry by the clock during a test: a later run is one the test starts itself.
    options: dict[str, object] = {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_starttls": False,
        "smtp_sender": "mlm@example.org",
        "smtp_timeout_seconds": 5,
        "mail_retry_seconds": 3600,
        "public_url": "http://mlm.example.org",
    }
    options.update(more)
    return Settings(**options)  # type: ignore[arg-type]


def with_mail(world: World, settings: Settings) -> Services:
    """The world's services (the same database) with these mail settings."""
    return Services(world.services.db, settings=settings)


def rename_and_invite(services: Services, actor_id: int, round_id: int, label: str, *to: str) -> None:
    """A change of data and its mail in one transaction, as a use case makes them."""
    with services.writing_as(actor_id) as (session, _):
        round_ = session.get(AssessmentRound, round_id)
        assert round_ is not None
        round_.free_label = label
        mail = invitation_mail(to, "Germany", f"Round 2026 {label}", "Dana Coordinator", f"{LINK}{round_id}")
        services.queue_mail(session, mail, health_system_id=round_.health_system_id, round_id=round_id)


def settle(services: Services) -> None:
    """Wait until the background deliverer has finished every run asked for so far."""
    assert deliverer_for(services.db, services.settings).wait_idle(timeout=60)


def free_label(services: Services, round_id: int) -> str:
    with services.db.reading() as session:
        label = session.scalar(select(AssessmentRound.free_label).where(AssessmentRound.id == round_id))
        assert label is not None
        return label


def test_a_committed_mail_reaches_the_server_and_the_round_shows_it_sent(world: World, smtp: LocalSmtp) -> None:
    services = with_mail(world, mail_settings(smtp.port))
    coordinator, round_id = world.id("coordinator-de"), world.rounds["DE"]

    rename_and_invite(services, coordinator, round_id, "spring", "expert@example.org", "second@example.org")

    [got] = smtp.wait_for(1)
    assert got.mail_from == "mlm@example.org"
    assert got.rcpt_tos == ("expert@example.org", "second@example.org")
    assert got.message["To"] == "expert@example.org, second@example.org"
    assert got.subject == "You are invited to rate Round 2026 spring of Germany"
    assert f"{LINK}{round_id}\n" in got.body
    assert "Dana Coordinator has invited you" in got.body

    settle(services)
    [entry] = services.round_mails(coordinator, round_id)
    assert entry.state is MailState.SENT
    assert entry.sent_at is not None and entry.last_error is None and entry.attempts == 1
    assert entry.recipients == ("expert@example.org", "second@example.org")
    assert entry.kind == MailKind.INVITATION
    # The round's coordinators and the administrators see its mails; nobody else.
    assert [m.id for m in services.round_mails(world.id("admin"), round_id)] == [entry.id]
    for outsider in ("expert-de", "viewer-de", "coordinator-fr", "analyst"):
        with pytest.raises(PermissionDenied):
            services.round_mails(world.id(outsider), round_id)
    assert services.round_mails(world.id("coordinator-fr"), world.rounds["FR"]) == []
    # Nothing is left to send: a run now sends nothing again.
    assert services.send_pending_mail(world.id("admin")) == []
    assert len(smtp.received) == 1


def test_a_failing_server_never_undoes_the_action_and_a_later_run_sends_the_mail(world: World, smtp: LocalSmtp) -> None:
    coordinator, admin, round_id = world.id("coordinator-de"), world.id("admin"), world.rounds["DE"]

    # 1. Nothing listens at the mail server's port: the action is kept, the row says why.
    down = with_mail(world, mail_settings(dead_port()))
    rename_and_invite(down, coordinator, round_id, "first", "expert@example.org")
    settle(down)
    assert free_label(down, round_id) == "first"
    [entry] = down.round_mails(coordinator, round_id)
    assert entry.state is MailState.RETRYING
    assert entry.attempts == 1 and entry.sent_at is None
    assert entry.last_error is not None and "nothing answers at 127.0.0.1:" in entry.last_error

    # 2. The server answers but refuses the recipient for now (451): still kept, still waiting.
    refusing = with_mail(world, mail_settings(smtp.port))
    smtp.answer = "451 4.3.0 Mailbox busy, try again later"
    rename_and_invite(refusing, coordinator, round_id, "second", "other@example.org")
    settle(refusing)
    assert free_label(refusing, round_id) == "second"
    newest, oldest = refusing.round_mails(coordinator, round_id)
    for mail in (newest, oldest):
        assert mail.state is MailState.RETRYING
        assert mail.last_error is not None and "451 4.3.0 Mailbox busy" in mail.last_error
    assert oldest.attempts == 2 and newest.attempts == 1
    assert smtp.received == []

    # 3. The server is back: the next run sends both, oldest first, and records it.
    smtp.answer = None
    results = refusing.send_pending_mail(admin)
    assert [(r.sent, r.recipients, r.error) for r in results] == [
        (True, ("expert@example.org",), None),
        (True, ("other@example.org",), None),
    ]
    got = smtp.wait_for(2)
    assert [m.rcpt_tos for m in got] == [("expert@example.org",), ("other@example.org",)]
    assert [m.state for m in refusing.round_mails(coordinator, round_id)] == [MailState.SENT, MailState.SENT]
    assert [m.attempts for m in refusing.round_mails(coordinator, round_id)] == [2, 3]


def test_a_mail_refused_again_and_again_is_given_up_after_the_last_attempt(world: World, smtp: LocalSmtp) -> None:
    coordinator, admin, round_id = world.id("coordinator-de"), world.id("admin"), world.rounds["DE"]
    services = with_mail(world, mail_settings(smtp.port, mail_max_attempts=2))
    smtp.answer = "554 5.7.1 Recipient address rejected"
    rename_and_invite(services, coordinator, round_id, "x", "gone@example.org")
    settle(services)
    assert [r.sent for r in services.send_pending_mail(admin)] == [False]
    [entry] = services.round_mails(coordinator, round_id)
    assert (entry.state, entry.attempts) == (MailState.GAVE_UP, 2)
    assert entry.last_error is not None and "554 5.7.1 Recipient address rejected" in entry.last_error
    smtp.answer = None
    assert services.send_pending_mail(admin) == []  # not tried again
    assert smtp.received == []


def test_a_rolled_back_action_sends_nothing(world: World, smtp: LocalSmtp) -> None:
    coordinator, round_id = world.id("coordinator-de"), world.rounds["DE"]
    services = with_mail(world, mail_settings(smtp.port))
    with pytest.raises(RuntimeError, match="the action failed"), services.writing_as(coordinator) as (session, _):
        mail = status_mail(MailKind.IN_REVIEW, ("lost@example.org",), "Germany", "Round 2026", f"{LINK}{round_id}")
        services.queue_mail(session, mail, round_id=round_id)
        raise RuntimeError("the action failed")
    assert services.round_mails(coordinator, round_id) == []
    # A mail committed after it is the only one the server ever gets.
    rename_and_invite(services, coordinator, round_id, "kept", "kept@example.org")
    settle(services)
    assert [m.rcpt_tos for m in smtp.wait_for(1)] == [("kept@example.org",)]
    assert [m.recipients for m in services.round_mails(coordinator, round_id)] == [("kept@example.org",)]


def test_a_reset_link_is_sent_and_then_blanked_in_the_outbox(world: World, smtp: LocalSmtp) -> None:
    admin = world.id("admin")
    services = with_mail(world, mail_settings(smtp.port))
    link = "http://mlm.example.org/reset_password?token=one-time-secret"
    mail = password_reset_mail(("ann@example.org",), "Ann", link, dt.datetime(2026, 12, 5, 9, 0, tzinfo=dt.UTC))
    with services.writing_as(admin) as (session, _):
        services.queue_mail(session, mail)
    [got] = smtp.wait_for(1)
    assert got.rcpt_tos == ("ann@example.org",)
    assert link in got.body
    settle(services)
    [entry] = services.outbox(admin)
    assert entry.state is MailState.SENT
    assert entry.body == ""
    with services.db.reading() as session:
        assert "one-time-secret" not in session.scalars(select(OutboxMail.body)).one()
    # Without a mail server a one-time link is never stored: the page shows it to whoever asked.
    offline = Services(services.db, settings=Settings(smtp_host=None))
    with offline.writing_as(admin) as (session, _):
        assert offline.queue_mail(session, mail) is mail
    assert len(offline.outbox(admin)) == 1


def test_a_line_break_in_a_name_or_an_address_never_becomes_a_header(world: World, smtp: LocalSmtp) -> None:
    coordinator, round_id = world.id("coordinator-de"), world.rounds["DE"]
    services = with_mail(world, mail_settings(smtp.port))
    mail = invitation_mail(
        ("expert@example.org", "x@example.org\r\nBcc: spy@example.com"),
        "Germany\r\nBcc: spy@example.com",
        "Round 2026\nX-Evil: 1",
        "Dana\r\n\r\n<script>",
        f"{LINK}{round_id}",
    )
    with services.writing_as(coordinator) as (session, _):
        services.queue_mail(session, mail, round_id=round_id)
    [got] = smtp.wait_for(1)
    assert got.rcpt_tos == ("expert@example.org",)
    assert "Bcc" not in got.message and "X-Evil" not in got.message
    assert got.subject == "You are invited to rate Round 2026 X-Evil: 1 of Germany Bcc: spy@example.com"
    settle(services)


def test_two_deliverers_sharing_the_database_send_each_mail_once(world: World, smtp: LocalSmtp) -> None:
    coordinator, round_id = world.id("coordinator-de"), world.rounds["DE"]
    offline = Services(world.services.db, settings=Settings(smtp_host=None))  # queued, not yet delivered
    for n in range(8):
        rename_and_invite(offline, coordinator, round_id, f"n{n}", f"expert{n}@example.org")
    assert {m.state for m in offline.round_mails(coordinator, round_id)} == {MailState.TO_COPY}
    with pytest.raises(InvalidState, match="No mail server is set up"):
        offline.send_pending_mail(world.id("admin"))

    settings = mail_settings(smtp.port)
    barrier = threading.Barrier(2)
    sent: list[list[int]] = []

    def run() -> None:
        barrier.wait()
        sent.append([d.id for d in deliver_pending(world.services.db, settings) if d.sent])

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(sent) == 2
    assert sorted(sent[0] + sent[1]) == sorted(m.id for m in offline.round_mails(coordinator, round_id))
    got = smtp.wait_for(8)
    assert sorted(m.rcpt_tos[0] for m in got) == sorted(f"expert{n}@example.org" for n in range(8))
    assert len(got) == 8


def test_the_command_line_lists_the_outbox_and_sends_it(
    world: World, smtp: LocalSmtp, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from b1mg_maturity.cli import app
    from b1mg_maturity.cli.output import out
    from b1mg_maturity.settings import get_settings

    coordinator, round_id = world.id("coordinator-de"), world.rounds["DE"]
    offline = Services(world.services.db, settings=Settings(smtp_host=None))
    rename_and_invite(offline, coordinator, round_id, "a", "expert@example.org")
    rename_and_invite(offline, coordinator, round_id, "b")  # nobody to send it to
    rename_and_invite(offline, coordinator, round_id, "c", "late@example.org")
    with world.services.db.writing() as connection:  # written two days ago, while no server was set up
        connection.execute(
            update(OutboxMail)
            .where(OutboxMail.recipients == '["late@example.org"]')
            .values(created_at=utcnow() - dt.timedelta(days=2))
        )
    db = ["--database-url", world.services.db.url]
    runner = CliRunner()
    monkeypatch.setattr(out, "width", 250)  # one line per mail: the cells are not wrapped

    listed = runner.invoke(app, ["mail", "outbox", *db])
    assert listed.exit_code == 0, listed.output
    assert listed.stdout.count("No mail server is set up") == 3
    assert "expert@example.org" in listed.stdout

    without = runner.invoke(app, ["mail", "send", *db])
    assert without.exit_code == 2 and "No mail server is set up" in without.stderr

    for name, value in smtp.settings_env().items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        sent = runner.invoke(app, ["mail", "send", *db])
        assert sent.exit_code == 1, sent.output  # one mail could not be sent
        assert "1 sent, 2 not sent." in sent.stdout
        assert "not sent: nobody it concerns has an e-mail address; no more tries" in sent.stdout
        assert "not sent: it was written more than a day ago and is not sent any more; no more tries" in sent.stdout
        assert [m.rcpt_tos for m in smtp.wait_for(1)] == [("expert@example.org",)]
        listed = runner.invoke(app, ["mail", "outbox", *db])
        assert listed.exit_code == 0, listed.output
        assert "Sent at" in listed.stdout and "Copy it and send it yourself" in listed.stdout
        again = runner.invoke(app, ["mail", "send", *db])
        assert (again.exit_code, again.stdout.strip()) == (0, "Nothing to send.")
    finally:
        get_settings.cache_clear()


def test_an_app_started_later_sends_what_was_left_waiting(world: World, smtp: LocalSmtp) -> None:
    coordinator, round_id = world.id("coordinator-de"), world.rounds["DE"]
    stopped = Services(world.services.db, settings=Settings(smtp_host=None))  # wrote the mail, sent nothing
    rename_and_invite(stopped, coordinator, round_id, "left", "waiting@example.org")
    restarted = Services(Database(world.services.db.url), settings=mail_settings(smtp.port))
    try:
        [entry] = restarted.round_mails(coordinator, round_id)  # the first look starts the deliverer
        assert entry.state is MailState.WAITING
        assert [m.rcpt_tos for m in smtp.wait_for(1)] == [("waiting@example.org",)]
        settle(restarted)
        assert [m.state for m in restarted.round_mails(coordinator, round_id)] == [MailState.SENT]
    finally:
        restarted.db.dispose()


# --- the SMTP client against servers that misbehave (no database) ------------------------------


def _one(to: str = "expert@example.org") -> Mail:
    return invitation_mail((to,), "Zoë's Ministry", "Round 2026", "Zoë", "https://mlm.example.org/rate?round=1")


def test_the_smtp_client_says_in_words_why_a_server_took_nothing() -> None:
    def failure(config: SmtpConfig, mail: Mail) -> MailFailure:
        with SmtpConnection(config) as connection, pytest.raises(MailFailure) as caught:
            connection.send(mail)
        return caught.value

    dead = dead_port()
    refused = failure(SmtpConfig("127.0.0.1", dead, "mlm@example.org", starttls=False), _one())
    assert refused.reason == f"nothing answers at 127.0.0.1:{dead} (connection refused)"
    assert refused.server_down and not refused.final

    with socket.socket() as silent:  # accepts the connection, never says hello
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        config = SmtpConfig("127.0.0.1", port, "mlm@example.org", starttls=False, timeout_seconds=0.5)
        mute = failure(config, _one())
    assert mute.reason == f"the mail server at 127.0.0.1:{port} did not answer within 0.5 seconds"
    assert mute.server_down

    with running_smtp() as smtp:
        plain = SmtpConfig(smtp.host, smtp.port, "mlm@example.org", starttls=True)
        no_tls = failure(plain, _one())
        assert no_tls.reason == f"the mail server at {smtp.host}:{smtp.port} does not offer STARTTLS"

        config = SmtpConfig(smtp.host, smtp.port, "mlm@example.org", starttls=False)
        smtp.answer = "554 5.7.1 Relay access denied"
        denied = failure(config, _one())
        assert denied.reason == (
            "the mail server refused every recipient (expert@example.org: 554 5.7.1 Relay access denied)"
        )
        assert not denied.server_down and not denied.final

        nobody = failure(config, Mail(MailKind.REMINDER, (), "Reminder", "Hello", "https://x"))
        assert nobody.final
        forged = Mail(MailKind.REMINDER, ("a@example.org",), "Hi\r\nBcc: spy@example.com", "Hello", "https://x")
        assert failure(config, forged).final  # a mail built without the builders: the strict policy refuses it

        smtp.answer = None
        with SmtpConnection(config) as connection:
            assert connection.send(_one()) == {}
            assert connection.send(_one("second@example.org")) == {}  # one connection for a run
        first, second = smtp.wait_for(2)
    assert first.subject == "You are invited to rate Round 2026 of Zoë's Ministry"
    assert "Zoë has invited you" in first.body
    assert first.message["Auto-Submitted"] == "auto-generated"
    assert first.message["From"] == "mlm@example.org"
    assert second.rcpt_tos == ("second@example.org",)
    assert smtp.received == [first, second]

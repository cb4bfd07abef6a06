"""What each notification says, and that no name or address can add a header to it."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage
from email.policy import SMTP

import pytest

from b1mg_maturity.notify import (
    MailKind,
    app_link,
    clean_recipients,
    invitation_mail,
    password_reset_mail,
    reminder_mail,
    status_mail,
)
from b1mg_maturity.services.mail import MailState, OutboxEntry, state_words

LINK = "https://mlm.example.org/rate?round=3"


def test_invitation_names_the_system_the_round_the_inviter_and_the_link() -> None:
    mail = invitation_mail(("expert@example.org",), "Xanadu", "Round 2026", "Dana Coordinator", LINK)
    assert mail.kind is MailKind.INVITATION
    assert mail.recipients == ("expert@example.org",)
    assert mail.subject == "You are invited to rate Round 2026 of Xanadu"
    assert "Dana Coordinator has invited you to rate Round 2026 of Xanadu." in mail.body
    assert f"\n{LINK}\n" in mail.body
    assert mail.link == LINK
    assert not mail.secret
    assert "<" not in mail.body  # plain text, no HTML


@pytest.mark.parametrize(
    ("kind", "subject", "says"),
    [
        (MailKind.IN_REVIEW, "Round 2026 of Xanadu is ready for review", "sent Round 2026 of Xanadu to review"),
        (MailKind.SUBMITTED, "Round 2026 of Xanadu has been submitted", "answers are now final"),
        (MailKind.PUBLISHED, "Round 2026 of Xanadu is published", "PDF readiness report"),
    ],
)
def test_status_mails_say_what_happened(kind: MailKind, subject: str, says: str) -> None:
    mail = status_mail(kind, ("a@example.org", "b@example.org"), "Xanadu", "Round 2026", LINK)
    assert (mail.kind, mail.subject) == (kind, subject)
    assert says in mail.body
    assert LINK in mail.body
    assert mail.recipients == ("a@example.org", "b@example.org")


def test_a_status_mail_is_only_for_a_status() -> None:
    with pytest.raises(ValueError, match="no status mail"):
        status_mail(MailKind.INVITATION, ("a@example.org",), "Xanadu", "Round 2026", LINK)


def test_reminder_counts_what_is_left_in_words() -> None:
    many = reminder_mail(("e@example.org",), "Xanadu", "Round 2026", "Dana", 46, LINK)
    one = reminder_mail(("e@example.org",), "Xanadu", "Round 2026", "Dana", 1, LINK)
    none = reminder_mail(("e@example.org",), "Xanadu", "Round 2026", "Dana", 0, LINK)
    assert many.subject == "Reminder: Round 2026 of Xanadu is waiting for you"
    assert "Dana reminds you of Round 2026 of Xanadu: 46 indicators are still without your rating." in many.body
    assert "1 indicator is still without your rating." in one.body
    assert "You have rated every indicator" in none.body and "mark your part finished" in none.body
    assert all(LINK in m.body for m in (many, one, none))


def test_reset_mail_is_secret_and_says_until_when_in_utc() -> None:
    cet = dt.timezone(dt.timedelta(hours=1))
    mail = password_reset_mail(("ann@example.org",), "Ann", LINK, dt.datetime(2026, 12, 2, 6, 4, tzinfo=cet))
    assert mail.secret
    assert mail.kind is MailKind.PASSWORD_RESET
    assert mail.body.startswith("Hello Ann,\n")
    assert "until 2 December 2026 at 05:04 UTC" in mail.body
    assert LINK in mail.body


HOSTILE = [
    "Xanadu\r\nBcc: evil@example.com",
    "Xanadu\nBcc: evil@example.com",
    "Xanadu\rBcc: evil@example.com",
    "Xanadu\u2028Bcc: evil@example.com",
    "Xanadu\x85Bcc: evil@example.com",
    "Xanadu\x00\x1b[31m",
]


@pytest.mark.parametrize("name", HOSTILE)
def test_no_line_break_in_a_name_reaches_the_subject(name: str) -> None:
    mails = [
        invitation_mail(("a@example.org",), name, name, name, LINK),
        status_mail(MailKind.PUBLISHED, ("a@example.org",), name, name, LINK),
        reminder_mail(("a@example.org",), name, name, name, 3, LINK),
        password_reset_mail(("a@example.org",), name, LINK, dt.datetime(2026, 1, 1, tzinfo=dt.UTC)),
    ]
    for mail in mails:
        assert not any(c in mail.subject for c in "\r\n\x00\x1b\x85\u2028")
        # The standard library, strict about headers, takes the subject as one header.
        message = EmailMessage(policy=SMTP)
        message["Subject"] = mail.subject
        message["To"] = ", ".join(mail.recipients)
        assert "Bcc" not in message
        # The body keeps its own lines; the name in it stays on one line.
        assert "\nBcc:" not in mail.body and "\rBcc" not in mail.body


def test_a_long_name_is_shortened_so_the_subject_fits_the_outbox() -> None:
    mail = invitation_mail(("a@example.org",), "X" * 500, "R" * 500, "I", LINK)
    assert len(mail.subject) <= 250
    assert mail.subject.startswith("You are invited to rate RRR")


def test_only_plain_addresses_become_recipients() -> None:
    assert clean_recipients(
        [
            " expert@example.org ",
            "expert@example.org",
            "two@example.org, three@example.org",
            "evil@example.org\r\nBcc: x@example.com",
            "Name <name@example.org>",
            "no-at-sign",
            "a@b@example.org",
            "",
        ]
    ) == ("expert@example.org",)


def test_app_link_addresses_a_page_with_its_query() -> None:
    assert app_link("https://mlm.example.org/", "rate", round=3) == LINK
    assert app_link("https://mlm.example.org", "account") == "https://mlm.example.org/account"


def _entry(state: MailState, *, sent_at: dt.datetime | None = None, error: str | None = None) -> OutboxEntry:
    return OutboxEntry(
        id=1,
        kind="invitation",
        recipients=("a@example.org",),
        subject="You are invited",
        body="Hello",
        created_at=dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC),
        sent_at=sent_at,
        attempts=1,
        last_error=error,
        state=state,
    )


def test_each_state_of_a_mail_in_words() -> None:
    now = dt.datetime(2026, 12, 2, 18, 0, tzinfo=dt.UTC)
    today = dt.datetime(2026, 12, 2, 14, 2, tzinfo=dt.UTC)
    yesterday = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    refused = "nothing answers at mail.example.org:587 (connection refused)"
    assert state_words(_entry(MailState.SENT, sent_at=today), now) == "Sent at 14:02 UTC."
    assert state_words(_entry(MailState.SENT, sent_at=yesterday), now) == "Sent on 1 Dec 2026 at 08:30 UTC."
    assert state_words(_entry(MailState.WAITING), now) == "Waiting to be sent."
    assert state_words(_entry(MailState.SENDING), now) == "Being sent now."
    assert state_words(_entry(MailState.RETRYING, error=refused), now) == (
        f"Could not be sent: {refused}; it will be tried again."
    )
    assert state_words(_entry(MailState.GAVE_UP, error="the mail server answered 554 no"), now) == (
        "Not sent: the mail server answered 554 no. Copy it and send it yourself."
    )
    assert state_words(_entry(MailState.TO_COPY), now) == (
        "No mail server is set up: copy this message and send it yourself."
    )

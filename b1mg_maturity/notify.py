"""E-mail messages: what a notification says, and handing it to an SMTP server.

Pure except :class:`SmtpConnection`.  A use case that causes a mail builds a
:class:`Mail` with one of the builders below and hands it to
``UseCases.queue_mail`` (``services/base.py``) inside its transaction: the mail
is written to the outbox with the action.  With SMTP configured it is delivered
after the commit (``services/mail.py``); without, the round's page shows it for
the user to copy.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from b1mg_maturity import i18n
from b1mg_maturity.i18n import N_, _, _n

if TYPE_CHECKING:  # smtplib, ssl and email load only where a mail is sent
    import smtplib
    from email.message import EmailMessage


class MailKind(StrEnum):
    INVITATION = "invitation"
    IN_REVIEW = "in_review"
    SUBMITTED = "submitted"
    PUBLISHED = "published"
    REMINDER = "reminder"
    PASSWORD_RESET = "password_reset"  # noqa: S105 (a kind of mail, not a password)


@dataclass(frozen=True)
class Mail:
    """One message to one or more people (plain text; ``link`` is the one address it is about)."""

    kind: MailKind
    recipients: tuple[str, ...]  # e-mail addresses; empty when nobody concerned has one
    subject: str
    body: str
    link: str
    secret: bool = False  # holds a one-time link: its body is blanked in the outbox once sent


def app_link(public_url: str, page: str, **query: str | int) -> str:
    """The absolute address of a page of the app (``page`` is its url path, ``"rate"``)."""
    base = public_url.rstrip("/")
    suffix = f"?{urlencode({k: str(v) for k, v in query.items()})}" if query else ""
    return f"{base}/{page}{suffix}"


# --- What each notification says -------------------------------------------------------------
#
# Every name and label that reaches a mail passes through :func:`one_line` first: a carriage
# return or line break in a subject would start a header of the attacker's choosing (header
# injection), so every control character and Unicode line separator becomes a space.  Addresses
# are checked by :func:`clean_recipients`: one that could carry a second header is left out.

SUBJECT_MAX_CHARS = 250  # the outbox column holds 300
_NAME_MAX_CHARS = 120
_BREAKS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_ADDRESS = re.compile(r"[^@\s<>(),;:\"\[\]\\]+@[^@\s<>(),;:\"\[\]\\]+")
_SIGNATURE = N_("This message comes from the B1MG maturity self-assessment tool.")

# Subject and body of each status mail (a mail is written whole, in its reader's language, where it is made).
_STATUS_WORDS: dict[MailKind, tuple[str, str]] = {
    MailKind.IN_REVIEW: (
        N_("{round} of {system} is ready for review"),
        N_(
            "Hello,\n\n"
            "The coordinator has sent {round} of {system} to review.\n\n"
            "Please look at the consensus levels and the results, and tell the coordinator\n"
            "what should change before the round is submitted:\n"
            "{link}"
        ),
    ),
    MailKind.SUBMITTED: (
        N_("{round} of {system} has been submitted"),
        N_(
            "Hello,\n\n"
            "{round} of {system} has been submitted. Its answers are now final.\n\n"
            "An administrator will publish it. You can read the results here:\n"
            "{link}"
        ),
    ),
    MailKind.PUBLISHED: (
        N_("{round} of {system} is published"),
        N_(
            "Hello,\n\n"
            "{round} of {system} is published.\n\n"
            "Its results and the PDF readiness report are ready to read and share:\n"
            "{link}"
        ),
    ),
}


def one_line(text: str, limit: int = _NAME_MAX_CHARS) -> str:
    """``text`` safe inside a header: no control character or line break, blanks collapsed, shortened."""
    flat = " ".join(_BREAKS.sub(" ", text).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def clean_recipients(addresses: Iterable[str]) -> tuple[str, ...]:
    """The plain addresses among ``addresses`` (``name@host``), each once; any other text is left out.

    An address holding a line break, a comma or a second ``@`` could add recipients or
    headers, so it is not written to the mail at all.
    """
    kept: list[str] = []
    for address in addresses:
        address = address.strip()
        if _ADDRESS.fullmatch(address) and address not in kept:
            kept.append(address)
    return tuple(kept)


def _mail(kind: MailKind, to: Iterable[str], subject: str, body: str, link: str, *, secret: bool = False) -> Mail:
    return Mail(
        kind=kind,
        recipients=clean_recipients(to),
        subject=one_line(subject, SUBJECT_MAX_CHARS),
        body=f"{body}\n\n{_(_SIGNATURE)}\n",
        link=one_line(link, 2_000),
        secret=secret,
    )


def invitation_mail(to: Iterable[str], system_name: str, round_name: str, inviter_name: str, link: str) -> Mail:
    """An expert is invited to rate a round."""
    system, round_, inviter = one_line(system_name), one_line(round_name), one_line(inviter_name)
    body = _(
        "Hello,\n\n"
        "{inviter} has invited you to rate {round} of {system}.\n\n"
        "Open the round and rate the indicators of the domains you know:\n"
        "{link}\n\n"
        "When your part is done, mark it finished so that the coordinator knows.",
        inviter=inviter,
        round=round_,
        system=system,
        link=one_line(link, 2_000),
    )
    subject = _("You are invited to rate {round} of {system}", round=round_, system=system)
    return _mail(MailKind.INVITATION, to, subject, body, link)


def status_mail(kind: MailKind, to: Iterable[str], system_name: str, round_name: str, link: str) -> Mail:
    """A round has moved on: sent to review, submitted or published."""
    if kind not in _STATUS_WORDS:
        raise ValueError(f"no status mail for {kind!r}")
    subject, text = _STATUS_WORDS[kind]
    words = {"round": one_line(round_name), "system": one_line(system_name)}
    body = _(text, link=one_line(link, 2_000), **words)
    return _mail(kind, to, _(subject, **words), body, link)


def reminder_mail(
    to: Iterable[str], system_name: str, round_name: str, coordinator_name: str, unanswered: int, link: str
) -> Mail:
    """A coordinator reminds an expert who has not finished their part."""
    words = {
        "coordinator": one_line(coordinator_name),
        "round": one_line(round_name),
        "system": one_line(system_name),
        "link": one_line(link, 2_000),
    }
    if unanswered > 0:
        body = _n(
            "Hello,\n\n"
            "{coordinator} reminds you of {round} of {system}: {n} indicator is still without your rating.\n\n"
            "Open the round to carry on where you left off:\n"
            "{link}\n\n"
            "When your part is done, mark it finished so that the coordinator knows.",
            "Hello,\n\n"
            "{coordinator} reminds you of {round} of {system}: {n} indicators are still without your rating.\n\n"
            "Open the round to carry on where you left off:\n"
            "{link}\n\n"
            "When your part is done, mark it finished so that the coordinator knows.",
            unanswered,
            **words,
        )
    else:
        body = _(
            "Hello,\n\n"
            "{coordinator} reminds you of {round} of {system}: You have rated every indicator; "
            "please check your answers and mark your part finished.\n\n"
            "Open the round to carry on where you left off:\n"
            "{link}\n\n"
            "When your part is done, mark it finished so that the coordinator knows.",
            **words,
        )
    subject = _("Reminder: {round} of {system} is waiting for you", round=words["round"], system=words["system"])
    return _mail(MailKind.REMINDER, to, subject, body, link)


def password_reset_mail(to: Iterable[str], display_name: str, link: str, expires_at: dt.datetime) -> Mail:
    """A one-time link to choose a new password (``secret``: its body is blanked once sent)."""
    when = expires_at if expires_at.tzinfo is not None else expires_at.replace(tzinfo=dt.UTC)
    until = when.astimezone(dt.UTC)
    body = _(
        "Hello {name},\n\n"
        "A new password was asked for your account. Open this link to choose one:\n"
        "{link}\n\n"
        "The link works once, until {date} at {time} UTC.\n"
        "If you did not ask for it, ignore this message: your password stays as it is.",
        name=one_line(display_name),
        link=one_line(link, 2_000),
        date=i18n.date(until),
        time=until.strftime("%H:%M"),
    )
    return _mail(
        MailKind.PASSWORD_RESET, to, _("Choose a new password for the B1MG maturity tool"), body, link, secret=True
    )


# --- Handing mails to the SMTP server ---------------------------------------------------------


class MailFailure(Exception):
    """A mail that the server did not take, in plain words (``reason``).

    ``server_down``: nothing more can be sent in this run (no connection, refused,
    timed out, the login failed); otherwise only this mail failed.  ``final``:
    trying again cannot help (nobody to send it to).
    """

    def __init__(self, reason: str, *, server_down: bool = False, final: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.server_down = server_down
        self.final = final


@dataclass(frozen=True)
class SmtpConfig:
    """What :class:`SmtpConnection` needs of the settings (read once at the edge and passed in)."""

    host: str
    port: int
    sender: str
    starttls: bool = True
    username: str | None = None
    password: str | None = None
    timeout_seconds: float = 10.0


def message_of(mail: Mail, sender: str) -> EmailMessage:
    """The mail as an RFC 5322 message; the strict SMTP policy refuses any header holding a line break."""
    from email.message import EmailMessage
    from email.policy import SMTP as SMTP_POLICY
    from email.utils import formatdate, make_msgid

    message = EmailMessage(policy=SMTP_POLICY)
    message["From"] = sender
    message["To"] = ", ".join(mail.recipients)
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies to a notification
    message.set_content(mail.body)
    return message


class SmtpConnection:
    """One connection to the SMTP server for a run of deliveries (opened at the first mail)."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        import smtplib

        if self._smtp is not None:
            with suppress(smtplib.SMTPException, OSError):
                self._smtp.quit()
            self._smtp = None

    def send(self, mail: Mail) -> dict[str, str]:
        """Hand ``mail`` over; returns the recipients the server refused (``{}``: all taken).

        Raises :class:`MailFailure` when the server took it for nobody.
        """
        import smtplib

        if not mail.recipients:
            raise MailFailure("nobody it concerns has an e-mail address", final=True)
        try:
            message = message_of(mail, self.config.sender)
        except ValueError as exc:  # a header the policy refuses
            raise MailFailure(f"the message cannot be written ({exc})", final=True) from exc
        smtp = self._connect()
        try:
            refused = smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            raise MailFailure(f"the mail server refused every recipient ({_refusals(exc.recipients)})") from exc
        except smtplib.SMTPServerDisconnected as exc:
            self._smtp = None
            raise MailFailure("the mail server closed the connection", server_down=True) from exc
        except smtplib.SMTPResponseException as exc:
            raise MailFailure(f"the mail server answered {_answer(exc.smtp_code, exc.smtp_error)}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            self._smtp = None
            raise MailFailure(f"sending stopped half-way ({_words(exc)})", server_down=True) from exc
        return {address: _answer(code, text) for address, (code, text) in refused.items()}

    def _connect(self) -> smtplib.SMTP:
        import smtplib
        import ssl

        if self._smtp is not None:
            return self._smtp
        where = f"{self.config.host}:{self.config.port}"
        smtp: smtplib.SMTP | None = None
        try:
            smtp = smtplib.SMTP(self.config.host, self.config.port, timeout=self.config.timeout_seconds)
            if self.config.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.config.username:
                smtp.login(self.config.username, self.config.password or "")
        except smtplib.SMTPNotSupportedError as exc:
            _close(smtp)
            raise MailFailure(f"the mail server at {where} does not offer STARTTLS", server_down=True) from exc
        except smtplib.SMTPAuthenticationError as exc:
            _close(smtp)
            raise MailFailure(
                f"the mail server at {where} did not accept the user name and password", server_down=True
            ) from exc
        except smtplib.SMTPResponseException as exc:
            _close(smtp)
            raise MailFailure(
                f"the mail server at {where} answered {_answer(exc.smtp_code, exc.smtp_error)}", server_down=True
            ) from exc
        except (TimeoutError, smtplib.SMTPServerDisconnected) as exc:
            _close(smtp)
            if not isinstance(exc, TimeoutError) and not isinstance(exc.__context__, TimeoutError):
                raise MailFailure(f"the mail server at {where} closed the connection", server_down=True) from exc
            raise MailFailure(
                f"the mail server at {where} did not answer within {self.config.timeout_seconds:g} seconds",
                server_down=True,
            ) from exc
        except ConnectionRefusedError as exc:
            raise MailFailure(f"nothing answers at {where} (connection refused)", server_down=True) from exc
        except (smtplib.SMTPException, OSError) as exc:
            _close(smtp)
            raise MailFailure(f"could not reach the mail server at {where} ({_words(exc)})", server_down=True) from exc
        self._smtp = smtp
        return smtp


def _close(smtp: smtplib.SMTP | None) -> None:
    import smtplib

    if smtp is not None:
        with suppress(smtplib.SMTPException, OSError):
            smtp.close()


def _answer(code: int, text: bytes | str) -> str:
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {one_line(words, 200)}"


def _refusals(refused: dict[str, tuple[int, bytes]]) -> str:
    return "; ".join(f"{address}: {_answer(code, text)}" for address, (code, text) in refused.items())


def _words(exc: BaseException) -> str:
    return one_line(getattr(exc, "strerror", None) or str(exc) or type(exc).__name__, 200)

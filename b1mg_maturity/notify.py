"""E-mail messages: what a notification says, and sending it through SMTP when one is configured.

Pure except :func:`send`.  A use case that causes a mail builds a :class:`Mail`
and hands it to ``UseCases.queue_mail`` (``services/base.py``) inside its
transaction: with SMTP configured the mail is written to the outbox and
delivered after the commit; without, nothing is stored and the page shows the
returned mail for the user to copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlencode


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

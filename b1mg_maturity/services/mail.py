"""E-mail through the outbox: written with the action that causes it, delivered after it commits.

A use case writes its mail to the ``outbox`` table in its own transaction
(``UseCases.queue_mail``), so a mail exists exactly when its action does: a
rolled-back action leaves none.  When that transaction commits and an SMTP
server is configured, ``UseCases.writing_as`` wakes this process's
:class:`Deliverer`, a daemon thread; the click never waits for the mail server.

Delivery (:func:`deliver_pending`, also ``b1mg-maturity mail send``) takes one
row at a time, each step in a short transaction of its own:

1. claim: ``UPDATE outbox SET sent_at = now, last_error = SENDING,
   attempts = attempts + 1 WHERE id = :id AND sent_at IS NULL`` -- of two app
   instances sharing PostgreSQL only one updates the row (the other's update
   waits for the first to commit, then finds ``sent_at`` set and changes
   nothing), so no mail goes out twice;
2. hand it to the SMTP server, no transaction open;
3. record: sent (``last_error`` cleared; a one-time link's body blanked), or
   ``sent_at`` back to NULL with the reason in ``last_error``, to be tried again
   by a later run until ``mail_max_attempts``.

A claim whose process died before step 3 is released after a lease (:func:`_lease`).
The thread runs again ``mail_retry_seconds`` after a run that left a mail to retry.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import Table, func, select, update

from b1mg_maturity import i18n
from b1mg_maturity.errors import InvalidState
from b1mg_maturity.i18n import N_, _
from b1mg_maturity.notify import Mail, MailFailure, MailKind, SmtpConfig, SmtpConnection
from b1mg_maturity.permissions import require_admin, require_coordinator
from b1mg_maturity.services.base import UseCases
from b1mg_maturity.settings import Settings
from b1mg_maturity.storage.database import Database
from b1mg_maturity.storage.models import OutboxMail, utcnow

log = logging.getLogger(__name__)

_OUTBOX = cast(Table, OutboxMail.__table__)
SENDING = "(being sent)"  # ``last_error`` while a deliverer holds the row (``sent_at`` is then the claim time)
SECRET_KINDS = frozenset({MailKind.PASSWORD_RESET})  # bodies hold a one-time link: blanked once sent
# Reasons stored in English as ``last_error`` (marked for the catalogue: shown translated by state_words).
INTERRUPTED = N_("the sending was interrupted (the app stopped)")
NOBODY = N_("nobody it concerns has an e-mail address")
MAX_AGE = dt.timedelta(days=1)  # an unsent mail older than this is not sent any more
TOO_OLD = N_("it was written more than a day ago and is not sent any more")
_STORED_REASONS = frozenset({INTERRUPTED, NOBODY, TOO_OLD})


class MailState(StrEnum):
    """Where one outbox mail stands, as the round's page says it."""

    SENT = "sent"
    WAITING = "waiting"  # not tried yet
    SENDING = "sending"
    RETRYING = "retrying"  # failed; a later run tries again
    GAVE_UP = "gave_up"  # failed mail_max_attempts times
    TO_COPY = "to_copy"  # no mail server is configured: someone has to send it by hand


@dataclass(frozen=True)
class OutboxEntry:
    id: int
    kind: str
    recipients: tuple[str, ...]
    subject: str
    body: str  # empty for a sent one-time link
    created_at: dt.datetime
    sent_at: dt.datetime | None  # when it was sent (None unless SENT)
    attempts: int
    last_error: str | None  # why the last try failed, in plain words
    state: MailState


@dataclass(frozen=True)
class Delivery:
    """One mail's result in a delivery run."""

    id: int
    recipients: tuple[str, ...]
    subject: str
    sent: bool
    attempts: int
    error: str | None  # why it failed, or which recipients the server refused although it was sent


NO_SERVER = N_("No mail server is set up: copy this message and send it yourself.")


def state_words(mail: OutboxEntry, now: dt.datetime | None = None) -> str:
    """Where the mail stands, in one sentence (the round's page and ``mail outbox`` say the same)."""
    match mail.state:
        case MailState.SENT:
            return _sent_when(mail.sent_at, now) if mail.sent_at else _("Sent.")
        case MailState.SENDING:
            return _("Being sent now.")
        case MailState.WAITING:
            return _("Waiting to be sent.")
        case MailState.RETRYING:
            return _("Could not be sent: {error}; it will be tried again.", error=_reason(mail.last_error))
        case MailState.GAVE_UP:
            return _("Not sent: {error}. Copy it and send it yourself.", error=_reason(mail.last_error))
        case MailState.TO_COPY:
            return _(NO_SERVER)


def _reason(error: str | None) -> str:
    """A stored reason in the reader's language when it is one of ours (a mail server's words stay as they are)."""
    return _(error) if error in _STORED_REASONS else str(error)


def _sent_when(at: dt.datetime, now: dt.datetime | None) -> str:
    at = at.astimezone(dt.UTC)
    today = (now or utcnow()).astimezone(dt.UTC).date()
    time = at.strftime("%H:%M")
    if at.date() == today:
        return _("Sent at {time} UTC.", time=time)
    return _("Sent on {date} at {time} UTC.", date=i18n.date(at, "medium"), time=time)


def smtp_config(settings: Settings) -> SmtpConfig | None:
    """The SMTP server to use, or None when none is configured."""
    if not settings.smtp_host:
        return None
    return SmtpConfig(
        host=settings.smtp_host,
        port=settings.smtp_port,
        sender=settings.smtp_sender,
        starttls=settings.smtp_starttls,
        username=settings.smtp_username,
        password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
        timeout_seconds=settings.smtp_timeout_seconds,
    )


def _lease(settings: Settings) -> dt.timedelta:
    """How long a claim may stay unrecorded before it counts as interrupted (connect, STARTTLS, login, data)."""
    return dt.timedelta(seconds=60 + 6 * settings.smtp_timeout_seconds)


def deliver_pending(db: Database, settings: Settings, *, limit: int = 200) -> list[Delivery]:
    """Send the outbox's unsent mails (oldest first, at most ``limit``) and record each result on its row."""
    config = smtp_config(settings)
    if config is None:
        return []
    now = utcnow()
    unsent = (_OUTBOX.c.sent_at.is_(None), _OUTBOX.c.attempts < settings.mail_max_attempts)
    with db.writing() as connection:
        # Claims of a process that died while sending are released.
        connection.execute(
            update(_OUTBOX)
            .where(
                _OUTBOX.c.sent_at.is_not(None),
                _OUTBOX.c.last_error == SENDING,
                _OUTBOX.c.sent_at < now - _lease(settings),
            )
            .values(sent_at=None, last_error=INTERRUPTED)
        )
        # What cannot or should not be sent is given up at once, in bulk: a mail to nobody, and one
        # written long ago (while no mail server was set up, its text was offered to copy; sent
        # now it would come late, or a second time).
        results: list[Delivery] = []
        for condition, reason in (
            (_OUTBOX.c.recipients == "[]", NOBODY),
            (_OUTBOX.c.created_at < now - MAX_AGE, TOO_OLD),
        ):
            rows = connection.execute(
                select(_OUTBOX.c.id, _OUTBOX.c.recipients, _OUTBOX.c.subject).where(*unsent, condition)
            ).all()
            connection.execute(
                update(_OUTBOX).where(*unsent, condition).values(attempts=settings.mail_max_attempts, last_error=reason)
            )
            results += [
                Delivery(r.id, tuple(json.loads(r.recipients)), r.subject, False, settings.mail_max_attempts, reason)
                for r in rows
            ]
    with db.reading() as session:
        pending = list(
            session.scalars(
                select(_OUTBOX.c.id)
                .where(_OUTBOX.c.sent_at.is_(None), _OUTBOX.c.attempts < settings.mail_max_attempts)
                .order_by(_OUTBOX.c.id)
                .limit(limit)
            )
        )
    with SmtpConnection(config) as smtp:
        for index, mail_id in enumerate(pending):
            claimed = _claim(db, mail_id, settings.mail_max_attempts)
            if claimed is None:
                continue  # another deliverer took it
            mail, attempts = claimed
            try:
                refused = smtp.send(mail)
            except MailFailure as failure:
                _record(
                    db, mail_id, sent=False, error=failure.reason, give_up=settings.mail_max_attempts * failure.final
                )
                tries = settings.mail_max_attempts if failure.final else attempts
                results.append(Delivery(mail_id, mail.recipients, mail.subject, False, tries, failure.reason))
                if failure.server_down:  # say so on the rest too, without counting a try
                    _note_waiting(db, pending[index + 1 :], failure.reason)
                    break
                continue
            partly = "; ".join(f"not taken for {address}: {why}" for address, why in refused.items()) or None
            _record(db, mail_id, sent=True, error=partly, blank=mail.kind in SECRET_KINDS)
            results.append(Delivery(mail_id, mail.recipients, mail.subject, True, attempts, partly))
    return results


def _claim(db: Database, mail_id: int, max_attempts: int) -> tuple[Mail, int] | None:
    with db.writing() as connection:
        taken = connection.execute(
            update(_OUTBOX)
            .where(_OUTBOX.c.id == mail_id, _OUTBOX.c.sent_at.is_(None), _OUTBOX.c.attempts < max_attempts)
            .values(sent_at=utcnow(), last_error=SENDING, attempts=_OUTBOX.c.attempts + 1)
        ).rowcount
        if taken != 1:
            return None
        row = connection.execute(select(_OUTBOX).where(_OUTBOX.c.id == mail_id)).one()
    mail = Mail(
        kind=MailKind(row.kind),
        recipients=tuple(json.loads(row.recipients)),
        subject=row.subject,
        body=row.body,
        link="",
    )
    return mail, row.attempts


def _record(
    db: Database, mail_id: int, *, sent: bool, error: str | None, blank: bool = False, give_up: int = 0
) -> None:
    """A try's result on its row; ``give_up``: the attempts to record so that no run tries it again."""
    values: dict[str, Any] = {"sent_at": utcnow() if sent else None, "last_error": error}
    if sent and blank:
        values["body"] = ""
    if give_up:
        values["attempts"] = give_up
    with db.writing() as connection:
        connection.execute(update(_OUTBOX).where(_OUTBOX.c.id == mail_id).values(**values))


def _note_waiting(db: Database, mail_ids: list[int], reason: str) -> None:
    if not mail_ids:
        return
    with db.writing() as connection:
        connection.execute(
            update(_OUTBOX).where(_OUTBOX.c.id.in_(mail_ids), _OUTBOX.c.sent_at.is_(None)).values(last_error=reason)
        )


def _retry_left(db: Database, settings: Settings) -> bool:
    """Whether the outbox holds a mail a later run should try (unsent, tries left)."""
    with db.reading() as session:
        return bool(
            session.scalar(
                select(func.count())
                .select_from(_OUTBOX)
                .where(_OUTBOX.c.sent_at.is_(None), _OUTBOX.c.attempts < settings.mail_max_attempts)
            )
        )


# --- the background deliverer -------------------------------------------------------------------


class Deliverer:
    """One daemon thread per database in this process: runs :func:`deliver_pending` when woken.

    It holds its database weakly and ends when the database is gone.  A run that
    leaves a mail to retry is followed by another after ``mail_retry_seconds``.
    """

    def __init__(self, db: Database, settings: Settings) -> None:
        self._db = weakref.ref(db)
        self.settings = settings
        self._wake = threading.Event()
        self._done = threading.Condition()
        self._runs = 0  # runs finished
        self._asked = 0  # wakes asked for
        self._thread = threading.Thread(target=self._loop, name="b1mg-mail", daemon=True)
        self._thread.start()
        weakref.finalize(db, self._wake.set)  # the database gone: the thread wakes, sees it, and ends

    def wake(self) -> None:
        with self._done:
            self._asked += 1
        self._wake.set()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every run asked for so far has finished (for tests and the CLI); False on timeout."""
        with self._done:
            wanted = self._asked
            return self._done.wait_for(lambda: self._runs >= wanted, timeout=timeout)

    def _loop(self) -> None:
        retry = False
        while True:
            self._wake.wait(timeout=self.settings.mail_retry_seconds if retry else None)
            self._wake.clear()
            with self._done:
                asked = self._asked
            db = self._db()
            if db is None:
                return
            try:
                deliver_pending(db, self.settings)
                retry = _retry_left(db, self.settings)
            except Exception:  # the database is away: log it, try again later; never end the thread
                log.exception("mail delivery failed")
                retry = True
            del db
            with self._done:
                self._runs = max(self._runs, asked)
                self._done.notify_all()


_deliverers: weakref.WeakKeyDictionary[Database, Deliverer] = weakref.WeakKeyDictionary()
_deliverers_lock = threading.Lock()


def deliverer_for(db: Database, settings: Settings) -> Deliverer:
    """This process's deliverer for ``db`` (started at the first call), using ``settings`` from now on."""
    with _deliverers_lock:
        deliverer = _deliverers.get(db)
        if deliverer is None:
            deliverer = _deliverers[db] = Deliverer(db, settings)
        deliverer.settings = settings
        return deliverer


def resume_delivery(db: Database, settings: Settings) -> None:
    """Start this process's deliverer if it has not run yet (mails left waiting by an app that stopped)."""
    if not settings.smtp_host:
        return
    with _deliverers_lock:
        running = db in _deliverers
    if not running:
        deliverer_for(db, settings).wake()


def wake_deliverer(db: Database, settings: Settings) -> None:
    """After a commit that queued mail: deliver it in the background (nothing happens without SMTP)."""
    if settings.smtp_host:
        deliverer_for(db, settings).wake()


# --- use cases ----------------------------------------------------------------------------------


class MailUseCases(UseCases):
    def round_mails(self, actor_id: int, round_id: int, limit: int = 20) -> list[OutboxEntry]:
        """The round's mails, newest first, for its coordinators and administrators."""
        with self.reading_as(actor_id) as (session, actor):
            _round, facts = self.load_round(session, round_id)
            require_coordinator(actor, facts.health_system_id, N_("see this round's messages"))
            rows = session.execute(
                select(_OUTBOX)
                .where(_OUTBOX.c.round_id == round_id)
                .order_by(_OUTBOX.c.id.desc())
                .limit(max(1, min(limit, 200)))
            ).all()
        return self._entries(rows)

    def outbox(self, actor_id: int, limit: int = 50) -> list[OutboxEntry]:
        """Every recent mail, newest first (administrators; ``b1mg-maturity mail outbox``)."""
        with self.reading_as(actor_id) as (session, actor):
            require_admin(actor, N_("see the outbox"))
            rows = session.execute(select(_OUTBOX).order_by(_OUTBOX.c.id.desc()).limit(max(1, limit))).all()
        return self._entries(rows)

    def send_pending_mail(self, actor_id: int) -> list[Delivery]:
        """Deliver the unsent mails now, in this thread (administrators; ``b1mg-maturity mail send``)."""
        actor = self.actor(actor_id)
        require_admin(actor, N_("send the outbox"))
        if not self.mail_configured():
            raise InvalidState(_("No mail server is set up: set B1MG_SMTP_HOST (and the other B1MG_SMTP_ settings)."))
        return deliver_pending(self.db, self.settings)

    def _entries(self, rows: Sequence[Any]) -> list[OutboxEntry]:
        entries = [self._entry(row) for row in rows]
        if any(e.state in (MailState.WAITING, MailState.RETRYING) for e in entries):
            resume_delivery(self.db, self.settings)  # after a restart nothing else would wake the deliverer
        return entries

    def _entry(self, row: Any) -> OutboxEntry:
        return OutboxEntry(
            id=row.id,
            kind=row.kind,
            recipients=tuple(json.loads(row.recipients)),
            subject=row.subject,
            body=row.body,
            created_at=row.created_at,
            sent_at=row.sent_at if row.sent_at is not None and row.last_error != SENDING else None,
            attempts=row.attempts,
            last_error=row.last_error if row.last_error != SENDING else None,
            state=self._state_of(row),
        )

    def _state_of(self, row: Any) -> MailState:
        if row.sent_at is not None:
            return MailState.SENDING if row.last_error == SENDING else MailState.SENT
        if not self.mail_configured():
            return MailState.TO_COPY
        if row.attempts >= self.settings.mail_max_attempts:
            return MailState.GAVE_UP
        return MailState.RETRYING if row.last_error else MailState.WAITING

"""E-mail from the command line: ``mail send`` (deliver the outbox now) and ``mail outbox`` (list it).

The app delivers by itself after each action that causes a mail; ``mail send``
is for a failed mail one does not want to wait for, or a cron job where the
app runs without its own delivery thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from b1mg_maturity.cli.options import DatabaseOption
from b1mg_maturity.cli.output import EXIT_FAILED, new_table, out, run_safely, say
from b1mg_maturity.i18n import _, _n

if TYPE_CHECKING:
    from rich.text import Text

mail = typer.Typer(help="E-mail notifications: the outbox and its delivery.", no_args_is_help=True)


def _cell(text: str) -> Text:
    """A table cell shown as stored (no rich markup applied, no control character printed)."""
    from rich.text import Text

    from b1mg_maturity.text_rules import strip_controls

    return Text(strip_controls(text))


@mail.command("send")
def send(database_url: DatabaseOption = None) -> None:
    """Send the unsent mails now through the configured SMTP server (B1MG_SMTP_HOST ...).

    Exit status 1 when a mail could not be sent (it stays in the outbox, to be tried again).
    """

    def body() -> int:
        from b1mg_maturity.cli.database import OPERATOR_ID, operator_services

        services = operator_services(database_url)
        results = services.send_pending_mail(OPERATOR_ID)
        if not results:
            say(out, _("Nothing to send."))
            return 0
        table = new_table("id", "to", "subject", "result")
        for r in results:
            if r.sent:
                result = _("sent ({note})", note=r.error) if r.error else _("sent")
            else:
                left = services.settings.mail_max_attempts - r.attempts
                later = _n("{n} more try", "{n} more tries", left) if left > 0 else _("no more tries")
                result = _("not sent: {error}; {later}", error=r.error, later=later)
            table.add_row(str(r.id), _cell(", ".join(r.recipients) or "-"), _cell(r.subject), _cell(result))
        out.print(table)
        failed = sum(not r.sent for r in results)
        say(out, _("{sent} sent, {failed} not sent.", sent=len(results) - failed, failed=failed))
        return failed

    if run_safely(body):
        raise typer.Exit(EXIT_FAILED)


@mail.command("outbox")
def outbox(
    limit: Annotated[int, typer.Option(min=1, help="How many of the newest mails to list.")] = 50,
    database_url: DatabaseOption = None,
) -> None:
    """List the newest mails with their recipients and where each stands."""

    def body() -> None:
        from b1mg_maturity.cli.database import OPERATOR_ID, operator_services
        from b1mg_maturity.services.mail import state_words

        entries = operator_services(database_url).outbox(OPERATOR_ID, limit=limit)
        if not entries:
            say(out, _("The outbox is empty."))
            return
        table = new_table("id", "written (UTC)", "to", "subject", "state")
        for e in entries:
            table.add_row(
                str(e.id),
                e.created_at.strftime("%Y-%m-%d %H:%M"),
                _cell(", ".join(e.recipients) or "-"),
                _cell(e.subject),
                _cell(state_words(e)),
            )
        out.print(table)

    run_safely(body)

"""The ``b1mg-maturity`` command line (Typer).  Output and error formatting live in :mod:`.output`."""

from __future__ import annotations

import sys

import typer

from b1mg_maturity.cli import (
    admin_commands,
    db_commands,
    demo_command,
    file_commands,
    report_command,
    round_commands,
)
from b1mg_maturity.cli.output import err, explain_database_failure, say

app = typer.Typer(
    name="b1mg-maturity",
    help="Self-assessment against the B1MG Maturity Level Model for genomics in healthcare.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.registered_commands.extend(file_commands.app.registered_commands)
app.registered_commands.extend(demo_command.app.registered_commands)
app.registered_commands.extend(report_command.app.registered_commands)
app.add_typer(admin_commands.users, name="users")
app.add_typer(admin_commands.systems, name="systems")
app.add_typer(round_commands.rounds, name="rounds")
app.add_typer(db_commands.db, name="db")
app.command("export")(round_commands.export)
app.command("import")(round_commands.import_)


def main() -> None:
    """Console-script entry point; no Python traceback ever reaches the user."""
    try:
        app()
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001 - last line of defence
        try:
            explain_database_failure(exc)  # a full disk or a read-only database is no internal error
        except typer.Exit as done:
            sys.exit(done.exit_code)
        say(err, f"internal error: {type(exc).__name__}: {exc}")
        say(err, "Please report this with the command you ran.")
        sys.exit(1)


__all__ = ["app", "main"]

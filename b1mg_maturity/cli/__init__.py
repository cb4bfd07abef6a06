"""The ``b1mg-maturity`` command line (Typer).  Output and error formatting live in :mod:`.output`."""

from __future__ import annotations

import typer

from b1mg_maturity.cli import (
    admin_commands,
    db_commands,
    demo_command,
    file_commands,
    mail_commands,
    plan_commands,
    report_command,
    round_commands,
    serve_command,
)
from b1mg_maturity.cli.output import run_command_line

app = typer.Typer(
    name="b1mg-maturity",
    help="Self-assessment against the B1MG Maturity Level Model for genomics in healthcare.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _language(
    lang: str = typer.Option(
        "en",
        "--lang",
        envvar="B1MG_LANGUAGE",
        help="Language of messages and reports: en, fr, de, es, it, pt or pl.",
        show_default=True,
    ),
) -> None:
    """Self-assessment against the B1MG Maturity Level Model for genomics in healthcare."""
    from b1mg_maturity import i18n

    chosen = i18n.supported(lang)
    if chosen is None:
        raise typer.BadParameter(f"'{lang}' is not one of {', '.join(i18n.LANGUAGES)}", param_hint="--lang")
    i18n.activate(chosen)


app.registered_commands.extend(file_commands.app.registered_commands)
app.registered_commands.extend(demo_command.app.registered_commands)
app.registered_commands.extend(report_command.app.registered_commands)
app.registered_commands.extend(serve_command.app.registered_commands)
app.add_typer(admin_commands.users, name="users")
app.add_typer(admin_commands.systems, name="systems")
app.add_typer(round_commands.rounds, name="rounds")
app.add_typer(db_commands.db, name="db")
app.add_typer(mail_commands.mail, name="mail")
app.add_typer(plan_commands.plan, name="plan")
app.command("export")(round_commands.export)
app.command("import")(round_commands.import_)


def main() -> None:
    """Console-script entry point; no Python traceback ever reaches the user."""
    run_command_line(app)


__all__ = ["app", "main"]

"""The database itself: ``db upgrade`` (as the owner role) and ``db grant-runtime ROLE`` (PostgreSQL)."""

from __future__ import annotations

from typing import Annotated

import typer

from b1mg_maturity.cli.options import DatabaseOption, configured_database_url
from b1mg_maturity.cli.output import out, run_safely, say
from b1mg_maturity.i18n import _

db = typer.Typer(help="The database: schema upgrades and the app's least-privilege role.", no_args_is_help=True)


@db.command("upgrade")
def upgrade(database_url: DatabaseOption = None) -> None:
    """Bring the database to the newest schema.  On PostgreSQL connect as the owner role."""

    def body() -> None:
        from b1mg_maturity.storage.migrate import upgrade_to_head

        upgrade_to_head(configured_database_url(database_url))
        say(out, _("the database schema is up to date"))

    run_safely(body)


@db.command("grant-runtime")
def grant_runtime(
    role: Annotated[str, typer.Argument(help="The database role the app connects as (it must exist).")],
    database_url: DatabaseOption = None,
) -> None:
    """Give the app's role exactly what it needs (PostgreSQL): read and write the data, only add to and read
    the audit log, no schema changes.  Connect as the owner role; run again after every upgrade."""

    def body() -> None:
        from b1mg_maturity.storage.runtime_role import grant_runtime as grant

        for line in grant(configured_database_url(database_url), role).summary():
            say(out, line)

    run_safely(body)

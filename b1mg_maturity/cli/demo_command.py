"""``b1mg-maturity demo``: fill an empty database with synthetic demo data."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated

import typer

from b1mg_maturity import i18n
from b1mg_maturity.cli.output import new_table, out, run_safely, say
from b1mg_maturity.i18n import _

if TYPE_CHECKING:
    from b1mg_maturity.demo import DemoAccount

app = typer.Typer()


@app.command()
def demo(
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            help="SQLAlchemy URL of the database to fill (default: B1MG_DATABASE_URL, else the SQLite file under var/).",
            show_default=False,
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed: the same seed gives the same demo data.")] = 2026,
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Load only into an empty database; otherwise just say so (exit 0).")
    ] = False,
) -> None:
    """Fill an empty database with synthetic demo data."""

    def body() -> None:
        from b1mg_maturity.cli.database import OPERATOR_ID, operator_services
        from b1mg_maturity.demo import ensure_demo, load_demo, named_accounts

        services = operator_services(database_url)
        try:
            started = time.perf_counter()
            summary = (
                ensure_demo(services, OPERATOR_ID, seed=seed)
                if if_empty
                else load_demo(services, OPERATOR_ID, seed=seed)
            )
            seconds = time.perf_counter() - started
            demo_present = services.has_demo_data()
        finally:
            services.db.dispose()
        if summary is None:
            say(out, _("The database already holds data: nothing was loaded."))
            if demo_present:
                _print_accounts(named_accounts())
            return
        say(out, _("SYNTHETIC DEMO DATA: fictional health systems (codes XA-XZ, names ending in '(demo)')."))
        say(out, _("Not a real assessment of any country or region; do not use this database for real data."))
        counts = new_table(title=_("Loaded"))
        counts.add_column("what")
        counts.add_column("count", justify="right")
        for what, count in (
            ("health systems", summary.systems),
            ("rounds", summary.rounds),
            *((f"  {status.replace('_', ' ')}", n) for status, n in sorted(summary.rounds_by_status.items())),
            ("experts' ratings", summary.ratings),
            ("consensus levels", summary.consensus),
            ("targets", summary.targets),
            ("actions in plans", summary.actions),
            ("systems named to peers", summary.named_peers),
            ("accounts", summary.users),
        ):
            counts.add_row(what, i18n.integer(count))
        out.print(counts)
        _print_accounts(summary.accounts)
        say(out, _("Loaded in {seconds} s.", seconds=i18n.number(seconds, 1)))

    run_safely(body)


def _print_accounts(accounts: tuple[DemoAccount, ...]) -> None:
    table = new_table(title=_("Demo accounts (demo only: everyone knows this password)"))
    for column in ("username", "role", "password"):
        table.add_column(column)
    for account in accounts:
        table.add_row(account.username, account.role, account.password)
    out.print(table)
    say(out, _("Other demo accounts (<code>-coordinator, <code>-expertN) share the same password."))

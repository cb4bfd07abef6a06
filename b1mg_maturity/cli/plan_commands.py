"""A health system's action plan from the command line: ``plan export`` (CSV or XLSX)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from b1mg_maturity.cli.options import DatabaseOption
from b1mg_maturity.cli.output import out, run_safely, say
from b1mg_maturity.errors import NotFound, Problem, ValidationFailed
from b1mg_maturity.i18n import _, _n

plan = typer.Typer(help="Action plans of the health systems.", no_args_is_help=True)


class PlanFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


@plan.command("export")
def export(
    system: Annotated[str, typer.Option("--system", help="Health system code (see `systems list`).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write (.csv or .xlsx).")],
    format: Annotated[
        PlanFormat | None, typer.Option("--format", help="Default: from the file name (.csv, .xlsx).")
    ] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Export a health system's plan as a table: one row per action, with what it aims at and whether it got there."""

    def body() -> None:
        from b1mg_maturity.cli.database import OPERATOR_ID, operator_services
        from b1mg_maturity.interchange.plan_table import plan_csv, plan_xlsx

        kind = format or _format_of(output)
        services = operator_services(database_url)
        code = system.strip().upper()
        found = next((s for s in services.plan_systems(OPERATOR_ID) if s.code == code), None)
        if found is None:
            raise NotFound(_("No health system '{code}'.", code=system))
        view = services.plan(OPERATOR_ID, found.id)
        output.write_bytes(plan_csv(view) if kind is PlanFormat.CSV else plan_xlsx(view))
        say(
            out,
            _n(
                "wrote {output} ({kind}): {n} action",
                "wrote {output} ({kind}): {n} actions",
                len(view.actions),
                output=output,
                kind=kind.value,
            ),
        )

    run_safely(body)


def _format_of(path: Path) -> PlanFormat:
    try:
        return PlanFormat(path.suffix.lower().lstrip("."))
    except ValueError:
        raise ValidationFailed(
            "unknown format", (Problem(str(path), _("end the file name in .csv or .xlsx, or give --format")),)
        ) from None

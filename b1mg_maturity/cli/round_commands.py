"""Rounds in and out: ``rounds list``, ``export`` and ``import``."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from b1mg_maturity.cli.options import DatabaseOption
from b1mg_maturity.cli.output import new_table, out, run_safely, say
from b1mg_maturity.errors import ImportFailed, Problem, ValidationFailed
from b1mg_maturity.i18n import _, _n

rounds = typer.Typer(help="Assessment rounds.", no_args_is_help=True)


class ExportFormat(StrEnum):
    JSON = "json"
    CSV = "csv"
    XLSX = "xlsx"
    FHIR = "fhir"
    FHIR_QUESTIONNAIRE = "fhir-questionnaire"
    FHIR_PLAN = "fhir-plan"


@rounds.command("list")
def list_rounds(database_url: DatabaseOption = None) -> None:
    """List every round with its status."""

    def body() -> None:
        from b1mg_maturity.cli.database import OPERATOR_ID, operator_services

        table = new_table("id", "health system", "label", "date", "status", "questionnaire")
        for r in operator_services(database_url).list_rounds(OPERATOR_ID):
            table.add_row(
                str(r.id), r.health_system.code, r.label, r.round_date.isoformat(), r.status,
                f"{r.questionnaire_id} {r.questionnaire_version}",
            )  # fmt: skip
        out.print(table)

    run_safely(body)


def export(
    round_id: Annotated[int, typer.Option("--round", help="Round id (see `rounds list`).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write.")],
    format: Annotated[
        ExportFormat | None, typer.Option("--format", help="Default: from the file name (.json, .csv, .xlsx).")
    ] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Export a round: the whole round (with the plan) as JSON, its answers as CSV/XLSX, or FHIR R4 resources.

    FHIR: ``fhir`` the consensus (QuestionnaireResponse), ``fhir-questionnaire`` the questionnaire,
    ``fhir-plan`` the health system's plan (a Bundle of Tasks).
    """

    def body() -> None:
        from b1mg_maturity.cli.database import OPERATOR_ID, operator_services
        from b1mg_maturity.interchange.answers_file import answers_csv_bytes, answers_xlsx_bytes
        from b1mg_maturity.interchange.fhir_export import (
            fhir_json,
            plan_to_fhir_bundle,
            questionnaire_to_fhir,
            round_to_fhir_response,
        )
        from b1mg_maturity.services.round_transfer import export_round, round_json

        services = operator_services(database_url)
        kind = format or _format_of(output)
        if kind in (ExportFormat.CSV, ExportFormat.XLSX):
            questionnaire, answers, _notes = services.round_answers(OPERATOR_ID, round_id)
            write = answers_csv_bytes if kind is ExportFormat.CSV else answers_xlsx_bytes
            output.write_bytes(write(questionnaire, answers))
        elif kind is ExportFormat.JSON:
            output.write_text(round_json(export_round(services, OPERATOR_ID, round_id)), encoding="utf-8")
        elif kind is ExportFormat.FHIR_PLAN:
            bundle = plan_to_fhir_bundle(export_round(services, OPERATOR_ID, round_id))
            output.write_text(fhir_json(bundle), encoding="utf-8")
        else:
            questionnaire = services.questionnaire_for_round(OPERATOR_ID, round_id)
            resource = (
                questionnaire_to_fhir(questionnaire)
                if kind is ExportFormat.FHIR_QUESTIONNAIRE
                else round_to_fhir_response(export_round(services, OPERATOR_ID, round_id), questionnaire)
            )
            output.write_text(fhir_json(resource), encoding="utf-8")
        say(out, _("wrote {output} ({kind})", output=output, kind=kind.value))

    run_safely(body)


def import_(
    path: Annotated[Path, typer.Argument(help="A round .json, or an answers .csv/.xlsx with --round.")],
    round_id: Annotated[int | None, typer.Option("--round", help="Round to import an answers file into.")] = None,
    system: Annotated[str | None, typer.Option(help="Health system for a round .json (default: its own).")] = None,
    label: Annotated[str | None, typer.Option(help="Label for the imported round (default: its own).")] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace consensus levels and targets already recorded in the round.")
    ] = False,
    database_url: DatabaseOption = None,
) -> None:
    """Import a round (.json) or an answers file as a round's consensus levels and targets. All or nothing.

    An answers file only adds what the round lacks; values already recorded are
    listed and replaced only with --overwrite (and only if nobody changed them
    in the meantime).
    """

    def body() -> None:
        from b1mg_maturity.cli.database import OPERATOR_ID, operator_services
        from b1mg_maturity.interchange.answers_file import read_answers
        from b1mg_maturity.services.answers_import import describe_value, import_answers, plan_answers_import
        from b1mg_maturity.services.round_transfer import import_round, parse_round_json

        services = operator_services(database_url)
        if path.suffix.lower() == ".json":
            try:
                raw = path.read_bytes()
            except OSError as exc:
                raise ValidationFailed(
                    "cannot read", (Problem(str(path), _("cannot read: {reason}", reason=exc.strerror)),)
                ) from None
            view = import_round(
                services, OPERATOR_ID, parse_round_json(raw, name=str(path)), health_system_code=system, label=label
            )
            say(
                out,
                _(
                    "imported round {id}: {code} {label} ({status})",
                    id=view.id,
                    code=view.health_system.code,
                    label=view.label,
                    status=view.status,
                ),
            )
            return
        if round_id is None:
            raise typer.BadParameter("an answers file goes into a round: add --round ID")
        questionnaire = services.questionnaire_for_round(OPERATOR_ID, round_id)
        answers = read_answers(path, questionnaire)
        plan = plan_answers_import(services, OPERATOR_ID, round_id, answers, "consensus")
        if plan.overwrites and not overwrite:
            raise ImportFailed(
                "values would be overwritten",
                (
                    *(
                        Problem(
                            _("indicator {id}, {entity}", id=c.indicator_id, entity=c.entity),
                            _("would overwrite {old} with {new}", old=describe_value(c.old), new=describe_value(c.new)),
                        )
                        for c in plan.overwrites
                    ),
                    Problem(str(path), "nothing was imported; to replace the values above, run again with --overwrite"),
                ),
            )
        written = import_answers(services, OPERATOR_ID, round_id, answers, "consensus", based_on=plan)
        if plan.overwrites:
            say(
                out,
                _n(
                    "imported {written} indicators into round {round}; {n} value overwritten",
                    "imported {written} indicators into round {round}; {n} values overwritten",
                    len(plan.overwrites),
                    written=written,
                    round=round_id,
                ),
            )
        else:
            say(out, _("imported {written} indicators into round {round}", written=written, round=round_id))

    run_safely(body)


def _format_of(path: Path) -> ExportFormat:
    suffix = path.suffix.lower().lstrip(".")
    try:
        return ExportFormat(suffix)
    except ValueError:
        raise ValidationFailed(
            "unknown format", (Problem(str(path), "end the file name in .json, .csv or .xlsx, or give --format"),)
        ) from None

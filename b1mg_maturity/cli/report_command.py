"""``b1mg-maturity report``: the PDF readiness report of a round, of an answers file, or of many rounds."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from b1mg_maturity.cli.options import DatabaseOption
from b1mg_maturity.cli.output import EXIT_INVALID, err, out, run_safely, say
from b1mg_maturity.domain import RoundStatus
from b1mg_maturity.errors import B1mgError, Problem, ValidationFailed
from b1mg_maturity.i18n import _, _n
from b1mg_maturity.questionnaire import BUNDLED_MLM

if TYPE_CHECKING:
    from b1mg_maturity.report.context import ReportContext
    from b1mg_maturity.services import RoundView

app = typer.Typer()


@app.command()
def report(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The PDF to write; with --all, the directory for the PDFs and zip.")
    ],
    round_id: Annotated[
        int | None, typer.Option("--round", help="A round in the database (see `rounds list`).")
    ] = None,
    answers: Annotated[
        Path | None, typer.Option("--answers", "-a", help="An answers file (.csv or .xlsx): no database needed.")
    ] = None,
    questionnaire: Annotated[
        Path, typer.Option("--questionnaire", "-q", help="Questionnaire of the answers file.")
    ] = BUNDLED_MLM,
    all_rounds: Annotated[bool, typer.Option("--all", help="One report per round in the database, and a zip.")] = False,
    published: Annotated[bool, typer.Option("--published", help="With --all: published rounds only.")] = False,
    system: Annotated[
        str | None, typer.Option("--system", help="With --answers: the health system's name on the report.")
    ] = None,
    label: Annotated[str | None, typer.Option("--label", help="With --answers: the round's name.")] = None,
    date: Annotated[
        dt.datetime | None, typer.Option("--date", formats=["%Y-%m-%d"], help="With --answers: the round's date.")
    ] = None,
    status: Annotated[
        RoundStatus, typer.Option("--status", help="With --answers: anything but published is marked DRAFT.")
    ] = RoundStatus.DRAFT,
    charts: Annotated[
        bool, typer.Option("--charts/--no-charts", help="Draw the charts (needs Chromium) or print them as text.")
    ] = True,
    database_url: DatabaseOption = None,
) -> None:
    """Write the PDF readiness report: of a round (--round), of an answers file (-a), or of every round (--all)."""

    def body() -> None:
        from b1mg_maturity.cli.database import OPERATOR_ID, operator_services
        from b1mg_maturity.report.render import render_pdf
        from b1mg_maturity.report.rounds import context_for_round, report_date

        chosen = [
            name
            for name, given in (("--round", round_id is not None), ("--answers", answers), ("--all", all_rounds))
            if given
        ]
        if len(chosen) != 1:
            raise ValidationFailed(
                "choose one source",
                (Problem("report", "give exactly one of --round ID, --answers FILE or --all"),),
            )
        if published and not all_rounds:
            raise ValidationFailed("--published", (Problem("--published", "goes with --all"),))
        if all_rounds:
            _report_all(output, published=published, charts=charts, database_url=database_url)
            return
        if answers is not None:
            context = _file_context(answers, questionnaire, system, label, date, status)
        else:
            assert round_id is not None
            services = operator_services(database_url)
            try:
                context = context_for_round(
                    services,
                    OPERATOR_ID,
                    round_id,
                    min_group_size=services.settings.min_group_size,
                    generated_on=report_date(services.get_round(OPERATOR_ID, round_id)),
                )
            finally:
                services.db.dispose()
        _write(output, render_pdf(context, charts=charts))
        say(
            out,
            _(
                "wrote {output} ({system}, {round}, {status})",
                output=output,
                system=context.round.health_system_name,
                round=context.round.label,
                status=context.status_label,
            ),
        )

    run_safely(body)


def _file_context(
    answers_path: Path,
    questionnaire_path: Path,
    system: str | None,
    label: str | None,
    date: dt.datetime | None,
    status: RoundStatus,
) -> ReportContext:
    from b1mg_maturity.cli.options import settings
    from b1mg_maturity.interchange.answers_file import read_answers
    from b1mg_maturity.questionnaire import load_questionnaire
    from b1mg_maturity.report.context import IndicatorNotes, RoundInfo, build_report_context
    from b1mg_maturity.scoring import score

    questionnaire = load_questionnaire(questionnaire_path)
    answers = read_answers(answers_path, questionnaire)
    notes = {iid: IndicatorNotes(evidence=(a.evidence.strip(),)) for iid, a in answers.items() if a.evidence.strip()}
    return build_report_context(
        questionnaire,
        score(questionnaire, answers),
        RoundInfo(
            health_system_name=(system or "").strip() or _("Health system (from an answers file)"),
            label=(label or "").strip() or answers_path.stem,
            date=date.date() if date is not None else dt.date.today(),
            status=status.value,
        ),
        basis_summary=_("the levels in the answers file {name}", name=answers_path.name),
        basis={iid: "answers file" for iid, a in answers.items() if a.answered or a.not_applicable},
        notes=notes,
        min_coverage=settings().report_min_coverage,
    )


def _write(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise ValidationFailed(
            "cannot write", (Problem(str(path), _("cannot write: {reason}", reason=exc.strerror or exc)),)
        ) from None


def _report_all(directory: Path, *, published: bool, charts: bool, database_url: str | None) -> None:
    """One report per round, made by the report worker pool (every core) and written as each is ready.

    The rounds' contexts are read here one after another while the workers render; a report made
    before (the cache, keyed by everything it shows) is written at once.
    """
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValidationFailed(
            "cannot create",
            (Problem(str(directory), _("cannot create the directory: {reason}", reason=exc.strerror or exc)),),
        ) from None
    from concurrent.futures import Future, as_completed

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from b1mg_maturity.cli.database import OPERATOR_ID, operator_services
    from b1mg_maturity.cli.options import configured_database_url, settings
    from b1mg_maturity.report.files import report_file_name
    from b1mg_maturity.report.jobs import PreparedReport, jobs_for
    from b1mg_maturity.report.rounds import context_for_round, report_date

    services = operator_services(database_url)
    jobs = jobs_for(settings(), database_url=configured_database_url(database_url), warm_charts=charts)
    try:
        rounds = [r for r in services.list_rounds(OPERATOR_ID) if not published or r.status == RoundStatus.PUBLISHED]
        rounds.sort(key=lambda r: (r.health_system.code, r.round_date, r.id))
        if not rounds:
            say(out, _("no published rounds: nothing written") if published else _("no rounds: nothing written"))
            return
        written: dict[int, Path] = {}
        failed: list[str] = []
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=err, transient=False) as progress:
            task = progress.add_task(_("Writing reports"), total=len(rounds))
            asked: dict[Future[PreparedReport], tuple[RoundView, Path]] = {}

            def located(view: RoundView, lines: list[str]) -> None:
                failed.extend(
                    _(
                        "round {id} ({code} {label}): {problem}",
                        id=view.id,
                        code=view.health_system.code,
                        label=view.label,
                        problem=line,
                    )
                    for line in lines
                )
                progress.advance(task)

            for view in rounds:
                try:
                    context = context_for_round(
                        services,
                        OPERATOR_ID,
                        view.id,
                        min_group_size=services.settings.min_group_size,
                        generated_on=report_date(view),
                    )
                except B1mgError as exc:
                    located(view, exc.lines())
                    continue
                asked[jobs.submit(context, charts=charts)] = (view, directory / report_file_name(context))
            for future in as_completed(asked):
                view, path = asked[future]
                progress.update(task, description=f"{view.health_system.code} {view.label}")
                try:
                    _write(path, future.result().pdf)
                except B1mgError as exc:
                    located(view, exc.lines())
                    continue
                written[view.id] = path
                progress.advance(task)
    finally:
        jobs.shutdown()
        services.db.dispose()
    archive = directory / f"readiness-reports{'-published' if published else ''}-{dt.date.today():%Y%m%d}.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for view in rounds:  # in the rounds' order, whatever order the reports were made in
            if view.id in written:
                bundle.write(written[view.id], arcname=written[view.id].name)
    say(
        out,
        _n(
            "wrote {n} report to {directory} and {archive}",
            "wrote {n} reports to {directory} and {archive}",
            len(written),
            directory=directory,
            archive=archive.name,
        ),
    )
    for line in failed:
        say(err, line)
    if failed:
        raise typer.Exit(EXIT_INVALID)

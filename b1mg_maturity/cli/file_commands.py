"""Commands on files: validate questionnaires, score answers files, write blank templates."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from b1mg_maturity import i18n
from b1mg_maturity.cli.output import EXIT_INVALID, err, new_table, out, run_safely, say
from b1mg_maturity.i18n import _, _n
from b1mg_maturity.questionnaire import BUNDLED_MLM
from b1mg_maturity.scoring import Aggregation, GroupScore, ScoreCard, score

app = typer.Typer()


QuestionnaireOption = Annotated[
    Path,
    typer.Option("--questionnaire", "-q", help="Questionnaire YAML file.", show_default=True),
]


@app.command()
def validate(
    paths: Annotated[list[Path], typer.Argument(help="Questionnaire YAML files, or translations of them, to check.")],
) -> None:
    """Check questionnaire files and their translations; print every problem as PATH:LINE:COL: message."""
    from b1mg_maturity.questionnaire import check_questionnaire
    from b1mg_maturity.questionnaire.translation import check_translation_file, is_translation_file

    bad = 0
    for path in paths:
        covered = None
        if is_translation_file(path):
            problems, covered = check_translation_file(path)
        else:
            problems = check_questionnaire(path)
        for problem in problems:
            say(err, str(problem))
        if problems:
            bad += 1
        elif covered is not None:
            say(
                out,
                _(
                    "{path}: valid translation; {translated} of {total} texts translated ({share})",
                    path=path,
                    translated=i18n.integer(covered.translated),
                    total=i18n.integer(covered.total),
                    share=i18n.percent(covered.share),
                ),
            )
        else:
            say(out, _("{path}: valid", path=path))
    if bad:
        raise typer.Exit(EXIT_INVALID)


@app.command(name="translation-template")
def translation_template(
    language: Annotated[str, typer.Argument(help="Language code of the translation, for example fr or nl.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the translation file.")],
    questionnaire: QuestionnaireOption = BUNDLED_MLM,
) -> None:
    """Write a questionnaire translation file to fill in: every text of the questionnaire, keyed by id."""

    def body() -> None:
        from b1mg_maturity.questionnaire import load_questionnaire
        from b1mg_maturity.questionnaire.translation import template

        output.write_text(template(load_questionnaire(questionnaire), language), encoding="utf-8")
        say(out, _("wrote {output}", output=output))

    run_safely(body)


@app.command(name="score")
def score_command(
    answers: Annotated[Path, typer.Option("--answers", "-a", help="Answers file (.csv or .xlsx).")],
    questionnaire: QuestionnaireOption = BUNDLED_MLM,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
    aggregation: Annotated[
        Aggregation, typer.Option("--aggregation", help="How indicator levels combine.")
    ] = Aggregation.MEAN,
) -> None:
    """Score an answers file against a questionnaire."""

    def body() -> None:
        from b1mg_maturity.interchange.answers_file import read_answers
        from b1mg_maturity.questionnaire import load_questionnaire

        q = load_questionnaire(questionnaire)
        card = score(q, read_answers(answers, q), aggregation)
        if as_json:
            sys.stdout.write(json.dumps(card.to_dict(), indent=2, ensure_ascii=False) + "\n")
        else:
            _print_scorecard(card)

    run_safely(body)


@app.command()
def template(
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write: FILE.csv or FILE.xlsx.")],
    questionnaire: QuestionnaireOption = BUNDLED_MLM,
) -> None:
    """Write the blank answers file for offline filling."""

    def body() -> None:
        from b1mg_maturity.interchange.answers_file import write_answers
        from b1mg_maturity.questionnaire import load_questionnaire

        q = load_questionnaire(questionnaire)
        write_answers(output, q)
        say(
            out,
            _n("wrote {output} ({n} indicator)", "wrote {output} ({n} indicators)", len(q.indicators), output=output),
        )

    run_safely(body)


def _fmt(value: float | None) -> str:
    return "-" if value is None else i18n.number(value, 2)


def _group_row(group: GroupScore) -> list[str]:
    cov = group.coverage
    return [
        group.name,
        _fmt(group.score),
        "-" if group.band is None else str(group.band),
        _fmt(group.target),
        _fmt(group.gap),
        f"{cov.answered}/{cov.applicable} ({i18n.percent(cov.ratio)})",
    ]


def _print_scorecard(card: ScoreCard) -> None:
    table = new_table(title=f"{card.questionnaire_id} {card.questionnaire_version} ({card.aggregation.value})")
    for column in ("", "score", "level", "target", "gap", "answered"):
        table.add_column(column, justify="left" if not column else "right")
    table.add_row(*_group_row(card.overall), style="bold")
    table.add_section()
    for pillar in card.pillars:
        table.add_row(*_group_row(pillar))
    table.add_section()
    for domain in card.domains:
        table.add_row(*_group_row(domain))
    out.print(table)
    if card.priorities:
        gaps = new_table(title=_("Largest gaps to target"))
        for column in ("#", "indicator", "level", "target", "gap", "next step"):
            gaps.add_column(column)
        for item in card.priorities[:10]:
            gaps.add_row(
                str(item.rank),
                item.indicator_id,
                str(item.level),
                str(item.target),
                str(item.gap),
                item.next_step or "",
            )
        out.print(gaps)

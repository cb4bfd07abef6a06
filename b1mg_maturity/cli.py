"""The ``b1mg-maturity`` command line.

Errors are formatted here, in one place (:func:`_run`): each located problem
on its own line on stderr, exit status 2 for bad input, never a traceback.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from b1mg_maturity.errors import B1mgError
from b1mg_maturity.interchange.answers_file import read_answers, write_answers
from b1mg_maturity.questionnaire import BUNDLED_MLM, check_questionnaire, load_questionnaire
from b1mg_maturity.scoring import Aggregation, GroupScore, ScoreCard, score

app = typer.Typer(
    name="b1mg-maturity",
    help="Self-assessment against the B1MG Maturity Level Model for genomics in healthcare.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
out = Console()
err = Console(stderr=True)

EXIT_INVALID = 2


def _say(console: Console, text: str) -> None:
    """Print plain text: no markup, no colouring of numbers, no wrapping of long paths."""
    console.print(text, markup=False, highlight=False, soft_wrap=True)


T = TypeVar("T")


def _run(action: Callable[[], T]) -> T:
    """Run a command body; turn project errors into located lines and exit 2."""
    try:
        return action()
    except B1mgError as exc:
        for line in exc.lines():
            _say(err, line)
        raise typer.Exit(EXIT_INVALID) from None
    except KeyboardInterrupt:
        _say(err, "interrupted")
        raise typer.Exit(130) from None


QuestionnaireOption = Annotated[
    Path,
    typer.Option("--questionnaire", "-q", help="Questionnaire YAML file.", show_default=True),
]


@app.command()
def validate(paths: Annotated[list[Path], typer.Argument(help="Questionnaire YAML files to check.")]) -> None:
    """Check questionnaire files; print every problem as PATH:LINE:COL: message."""
    bad = 0
    for path in paths:
        problems = check_questionnaire(path)
        for problem in problems:
            _say(err, str(problem))
        if problems:
            bad += 1
        else:
            _say(out, f"{path}: valid")
    if bad:
        raise typer.Exit(EXIT_INVALID)


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
        q = load_questionnaire(questionnaire)
        card = score(q, read_answers(answers, q), aggregation)
        if as_json:
            sys.stdout.write(json.dumps(card.to_dict(), indent=2, ensure_ascii=False) + "\n")
        else:
            _print_scorecard(card)

    _run(body)


@app.command()
def template(
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write: FILE.csv or FILE.xlsx.")],
    questionnaire: QuestionnaireOption = BUNDLED_MLM,
) -> None:
    """Write the blank answers file for offline filling."""

    def body() -> None:
        q = load_questionnaire(questionnaire)
        write_answers(output, q)
        _say(out, f"wrote {output} ({len(q.indicators)} indicators)")

    _run(body)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _group_row(group: GroupScore) -> list[str]:
    cov = group.coverage
    return [
        group.name,
        _fmt(group.score),
        "-" if group.band is None else str(group.band),
        _fmt(group.target),
        _fmt(group.gap),
        f"{cov.answered}/{cov.applicable} ({cov.ratio:.0%})",
    ]


def _print_scorecard(card: ScoreCard) -> None:
    table = Table(title=f"{card.questionnaire_id} {card.questionnaire_version} ({card.aggregation.value})")
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
        gaps = Table(title="Largest gaps to target")
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


def main() -> None:
    """Console-script entry point; no Python traceback ever reaches the user."""
    try:
        app()
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001 - last line of defence
        _say(err, f"internal error: {type(exc).__name__}: {exc}")
        _say(err, "Please report this with the command you ran.")
        sys.exit(1)


if __name__ == "__main__":
    main()

"""Terminal output for the CLI, and the one place where errors become text.

Each located problem is printed on its own line on stderr; bad input exits
with status 2; a database that cannot do its part (disk full, read-only,
unreachable) is said in plain words and exits with status 1; no Python
traceback ever reaches the user.  Everything printed goes through
:func:`say`, which drops control characters (an escape sequence in a stored
name must not recolour or rewrite the terminal).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from rich.console import Console

from b1mg_maturity.errors import B1mgError, Conflict, ValidationFailed
from b1mg_maturity.i18n import _
from b1mg_maturity.text_rules import strip_controls

if TYPE_CHECKING:
    from rich.table import Table

out = Console()
err = Console(stderr=True)

EXIT_INVALID = 2
EXIT_FAILED = 1
T = TypeVar("T")


def say(console: Console, text: str) -> None:
    """Print plain text: no markup, no colouring of numbers, no wrapping of long paths."""
    console.print(strip_controls(text), markup=False, highlight=False, soft_wrap=True)


def new_table(*headers: str, **options: Any) -> Table:
    """A rich table, imported when a command prints one (``validate`` prints none)."""
    from rich.table import Table

    return Table(*headers, **options)


def run_safely(action: Callable[[], T]) -> T:
    """Run a command body; turn project errors into located lines and exit 2."""
    try:
        return action()
    except Conflict as exc:
        say(
            err,
            _("{message} Yours: {yours}. Theirs: {theirs}.", message=exc.message, yours=exc.yours, theirs=exc.theirs),
        )
        raise typer.Exit(EXIT_INVALID) from None
    except B1mgError as exc:
        for line in exc.lines():
            say(err, line)
        raise typer.Exit(EXIT_INVALID) from None
    except KeyboardInterrupt:
        say(err, _("interrupted"))
        raise typer.Exit(130) from None
    except Exception as exc:
        explain_database_failure(exc)
        raise


def run_command_line(app: Callable[[], object]) -> None:
    """Run the whole command line: the last line of defence, so that no Python traceback reaches the user."""
    try:
        app()
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001 - last line of defence
        try:
            explain_database_failure(exc)  # a full disk or a read-only database is no internal error
        except typer.Exit as done:
            sys.exit(done.exit_code)
        say(err, _("internal error: {kind}: {error}", kind=type(exc).__name__, error=exc))
        say(err, _("Please report this with the command you ran."))
        sys.exit(1)


def explain_database_failure(exc: BaseException) -> None:
    """Say a database failure (disk full, read-only ...) in plain words and exit 1; return for anything else."""
    from b1mg_maturity.storage.failures import database_failure  # SQLAlchemy: not for --help

    failure = database_failure(exc)
    if failure is None:
        return
    for line in failure.lines():
        say(err, line)
    raise typer.Exit(EXIT_INVALID if isinstance(failure, ValidationFailed) else EXIT_FAILED)

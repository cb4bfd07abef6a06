"""Terminal output for the CLI, and the one place where errors become text.

Each located problem is printed on its own line on stderr; bad input exits
with status 2; no Python traceback ever reaches the user.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import typer
from rich.console import Console

from b1mg_maturity.errors import B1mgError, Conflict

out = Console()
err = Console(stderr=True)

EXIT_INVALID = 2
T = TypeVar("T")


def say(console: Console, text: str) -> None:
    """Print plain text: no markup, no colouring of numbers, no wrapping of long paths."""
    console.print(text, markup=False, highlight=False, soft_wrap=True)


def run_safely(action: Callable[[], T]) -> T:
    """Run a command body; turn project errors into located lines and exit 2."""
    try:
        return action()
    except Conflict as exc:
        say(err, f"{exc.message} Yours: {exc.yours}. Theirs: {exc.theirs}.")
        raise typer.Exit(EXIT_INVALID) from None
    except B1mgError as exc:
        for line in exc.lines():
            say(err, line)
        raise typer.Exit(EXIT_INVALID) from None
    except KeyboardInterrupt:
        say(err, "interrupted")
        raise typer.Exit(130) from None

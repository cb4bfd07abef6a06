"""The project's one error hierarchy.

Every error a user can cause carries one or more located problems.  The CLI
and the UI each format them in one place; nobody else prints tracebacks.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, and where it is.

    ``where`` is a human-readable location such as ``file.yaml:12:5`` or
    ``answers.csv: row 4, column level``; ``message`` says what was wrong
    and what would be valid.
    """

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class B1mgError(Exception):
    """Base class of every error the project raises on purpose."""

    def __init__(self, message: str, problems: tuple[Problem, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.problems = problems

    def lines(self) -> list[str]:
        """The error as lines for a terminal or a page: each problem on its own line."""
        return [str(p) for p in self.problems] or [self.message]


class QuestionnaireError(B1mgError):
    """A questionnaire file is unreadable or breaks the schema."""


class AnswersError(B1mgError):
    """An answers file (CSV, XLSX) cannot be imported."""


class ScoringError(B1mgError):
    """Answers do not fit the questionnaire they are scored against."""

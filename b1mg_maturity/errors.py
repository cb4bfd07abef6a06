"""The project's one error hierarchy.

Every error a user can cause carries one or more located problems.  The CLI
and the UI each format them in one place; nobody else prints tracebacks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from b1mg_maturity.i18n import N_, _


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
        word = FIELD_WORDS.get(self.where)
        where = _(word) if word else self.where
        return _("{where}: {problem}", where=where, problem=self.message) if where else self.message


# The fields use cases name in their problems, as people read them (never an internal name on screen).
FIELD_WORDS = {
    "username": N_("Username"),
    "password": N_("Password"),
    "display_name": N_("Name"),
    "email": N_("E-mail"),
    "role": N_("Role"),
    "global_role": N_("Role"),
    "code": N_("Health system code"),
    "name": N_("Name"),
    "label": N_("Round name"),
    "copy_from": N_("Copy answers from"),
    "questionnaire": N_("Questionnaire"),
    "version": N_("Version"),
    "reason": N_("Reason"),
    "indicator_id": N_("Indicator"),
    "level": N_("Level"),
    "target": N_("Target"),
    "evidence": N_("Evidence"),
    "rationale": N_("Rationale"),
    "links": N_("Links"),
    "title": N_("Title"),
    "description": N_("Description"),
    "owner": N_("Owner"),
    "aims": N_("Indicators and levels aimed at"),
    "start": N_("Start"),
    "due": N_("Due"),
    "drop_reason": N_("Reason for dropping"),
    "notes": N_("Notes"),
    # Places named in words already (shown as they are in English, translated in other languages).
    "Period": N_("Period"),
    "Free label": N_("Free label"),
    "Evidence": N_("Evidence"),
    "Rationale": N_("Rationale"),
    "Level": N_("Level"),
    "new password": N_("new password"),
    "user": N_("user"),
    "indicator": N_("indicator"),
    "round label": N_("round label"),
    "experts": N_("experts"),
}


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


class ValidationFailed(B1mgError):
    """A value given to a use case is not valid (names the field and what would be)."""

    def located(self, where: str) -> list[Problem]:
        """The problems placed inside ``where`` (a row or entry of an imported file)."""
        return located(where, self.problems) or [Problem(where, self.message)]


def located(where: str, problems: Iterable[Problem]) -> list[Problem]:
    """Problems of one value placed inside ``where``; ``where`` names its indicator already, so that field is not repeated."""
    return [
        Problem(f"{where}, {p.where}" if p.where not in ("", "indicator_id") else where, p.message) for p in problems
    ]


class PermissionDenied(B1mgError):
    """The acting user may not do this.  The message never reveals what exists elsewhere."""


class NotFound(B1mgError):
    """The record does not exist (or, to someone who may not see it, looks as if it did not)."""


class Conflict(B1mgError):
    """Someone else changed the record since it was read; carries both values."""

    def __init__(self, message: str, *, yours: Any, theirs: Any, current_version: int) -> None:
        super().__init__(message)
        self.yours = yours
        self.theirs = theirs
        self.current_version = current_version


class InvalidState(B1mgError):
    """The use case does not fit the record's state (for example: editing a submitted round)."""


class ImportFailed(B1mgError):
    """An import was refused; nothing was written.  Lists every problem found."""


class AuthenticationFailed(B1mgError):
    """Signing in failed (wrong name or password, or a pause after repeated failures)."""


class StorageFailed(B1mgError):
    """The database could not do its part (disk full, read-only, unreachable): nothing was half-written.

    Made from the driver's error by :func:`b1mg_maturity.storage.failures.database_failure`.
    """

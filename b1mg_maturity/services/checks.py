"""The value rules every write path applies (the use cases, the imports and the bulk writes): one copy."""

from __future__ import annotations

from collections.abc import Sequence

from b1mg_maturity import text_rules
from b1mg_maturity.domain import GlobalRole, SystemRole
from b1mg_maturity.edits import normalise_links
from b1mg_maturity.errors import Problem, ValidationFailed, located
from b1mg_maturity.i18n import N_, _
from b1mg_maturity.questionnaire import Questionnaire
from b1mg_maturity.text_rules import clean_text

MAX_EVIDENCE_CHARS = text_rules.MAX_EVIDENCE_CHARS
MAX_RATIONALE_CHARS = text_rules.MAX_RATIONALE_CHARS
MAX_USERNAME_CHARS = 80
USERNAME_RULE = N_("use 1-80 letters, digits, '.', '_', '-' or '@'")


def answer_problems(
    questionnaire: Questionnaire,
    indicator_id: str,
    *,
    level: int | None = None,
    not_applicable: bool = False,
    target: int | None = None,
) -> list[Problem]:
    """What is wrong with an answer to one indicator: unknown indicator, a level the scale lacks, level and NA."""
    problems = []
    if not questionnaire.has_indicator(indicator_id):
        problems.append(
            Problem(
                "indicator_id",
                _(
                    "no indicator '{indicator}' in {questionnaire} {version}",
                    indicator=indicator_id,
                    questionnaire=questionnaire.id,
                    version=questionnaire.version,
                ),
            )
        )
    for field, value in (("level", level), ("target", target)):
        if value is not None and value not in questionnaire.scale:
            expected = f"{questionnaire.min_level}-{questionnaire.max_level}"
            problems.append(
                Problem(field, _("{value} is not a level; expected {expected}", value=value, expected=expected))
            )
    if not_applicable and level is not None:
        problems.append(Problem("level", _("choose a level or 'not applicable', not both")))
    return problems


def require_valid_answer(
    questionnaire: Questionnaire,
    indicator_id: str,
    *,
    level: int | None = None,
    not_applicable: bool = False,
    target: int | None = None,
) -> None:
    problems = answer_problems(questionnaire, indicator_id, level=level, not_applicable=not_applicable, target=target)
    if problems:
        raise ValidationFailed("invalid answer", tuple(problems))


def answer_problems_at(
    where: str,
    questionnaire: Questionnaire,
    indicator_id: str,
    *,
    level: int | None = None,
    not_applicable: bool = False,
    target: int | None = None,
) -> list[Problem]:
    """:func:`answer_problems` placed inside ``where`` (an entry of an imported file or a bulk write)."""
    found = answer_problems(questionnaire, indicator_id, level=level, not_applicable=not_applicable, target=target)
    return located(where, found)


def text_at(where: str, value: str, field: str, limit: int, problems: list[Problem]) -> str:
    """The text as it would be stored; a refused text adds its problems (placed at ``where``) and comes back as given."""
    try:
        return check_text(value, field, limit)
    except ValidationFailed as exc:
        problems.extend(exc.located(where))
        return value


def links_at(where: str, links: Sequence[str], problems: list[Problem]) -> tuple[str, ...]:
    """The links as they would be stored; refused links add their problems (placed at ``where``) and give none."""
    try:
        return clean_links(links)
    except ValidationFailed as exc:
        problems.extend(exc.located(where))
        return ()


def check_text(value: str, field: str, limit: int) -> str:
    """Evidence and rationale: tabs and line breaks kept, other control characters (NUL too) refused."""
    return clean_text(value, field, limit)


def clean_links(links: Sequence[str]) -> tuple[str, ...]:
    """Evidence links: http(s) web addresses only (a bare ``www.…`` gets ``https://``), stored and never fetched."""
    return normalise_links(links)


def username_problem(username: str) -> Problem | None:
    name = username.strip().lower()
    valid = 0 < len(name) <= MAX_USERNAME_CHARS and all(c.isalnum() or c in "._-@" for c in name)
    return None if valid else Problem("username", _(USERNAME_RULE))


def clean_username(username: str) -> str:
    """The stored form of a username (trimmed, lower case), refused when it breaks the rule."""
    problem = username_problem(username)
    if problem is not None:
        raise ValidationFailed("bad username", (problem,))
    return username.strip().lower()


def global_role_problem(role: str) -> Problem | None:
    expected = ", ".join(r.value for r in GlobalRole)
    return None if role in set(GlobalRole) else Problem("role", _("expected one of {expected}", expected=expected))


def require_global_role(role: str) -> None:
    problem = global_role_problem(role)
    if problem is not None:
        raise ValidationFailed("bad role", (problem,))


def require_system_role(role: str) -> None:
    if role not in set(SystemRole):
        expected = ", ".join(r.value for r in SystemRole)
        raise ValidationFailed("bad role", (Problem("role", _("expected one of {expected}", expected=expected)),))

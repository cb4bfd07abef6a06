"""The rules of a round's period and free label, shared by opening a round and importing one."""

from __future__ import annotations

from b1mg_maturity.domain import MAX_FREE_LABEL_CHARS, MAX_PERIOD_YEAR, MIN_PERIOD_YEAR, RoundPeriod
from b1mg_maturity.errors import Problem, ValidationFailed
from b1mg_maturity.i18n import _
from b1mg_maturity.text_rules import clean_line

PERIOD = "Period"  # as a problem's place: shown in words by errors.FIELD_WORDS
FREE_LABEL = "Free label"


def period_problem(year: object, half: object) -> Problem | None:
    """What is wrong with a period's year and half, in words; None when nothing is."""
    if isinstance(year, bool) or not isinstance(year, int) or not MIN_PERIOD_YEAR <= year <= MAX_PERIOD_YEAR:
        return Problem(
            PERIOD,
            _(
                "the year must be a number from {first} to {last}",
                first=str(MIN_PERIOD_YEAR),
                last=str(MAX_PERIOD_YEAR),
            ),
        )
    if isinstance(half, bool) or half not in (0, 1, 2):
        return Problem(PERIOD, _("the half must be 0 (the whole year), 1 (January-June) or 2 (July-December)"))
    return None


def check_period(period: RoundPeriod) -> RoundPeriod:
    problem = period_problem(period.year, period.half)
    if problem is not None:
        raise ValidationFailed("bad period", (problem,))
    return period


def check_free_label(text: str) -> str:
    """The free label, stripped; refused when longer than 80 characters or holding control characters."""
    return clean_line(text or "", FREE_LABEL, MAX_FREE_LABEL_CHARS)


def name_taken(system_code: str, name: str, free_label: str) -> Problem:
    """The problem of a round name the health system already has, said so that the way out is plain."""
    if free_label:
        return Problem(
            FREE_LABEL,
            _(
                "{system} already has a round '{name}'; choose another free label for this one",
                system=system_code,
                name=name,
            ),
        )
    return Problem(
        FREE_LABEL,
        _(
            "{system} already has a round '{name}' in this period; give this one a free label "
            "(for example 'Autumn review') to tell them apart",
            system=system_code,
            name=name,
        ),
    )

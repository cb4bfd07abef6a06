"""The project's vocabulary: round statuses, roles and the basis of a result, each defined once.

The values are the strings stored in the database and written to the
interchange files, so they never change; the labels are what people read.
Each is a ``StrEnum``, so a stored string compares equal to its member.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from b1mg_maturity.i18n import N_, _


class RoundStatus(StrEnum):
    """Where a round is in its workflow: draft -> in review -> submitted -> published."""

    DRAFT = "draft"
    IN_REVIEW = "in_review"
    SUBMITTED = "submitted"
    PUBLISHED = "published"

    @property
    def label(self) -> str:
        return _(_STATUS_LABELS[self])

    @property
    def editable(self) -> bool:
        """Ratings, consensus and targets may change (draft or in review)."""
        return self in EDITABLE_STATUSES

    @property
    def closed(self) -> bool:
        """Submitted or published: the answers are final and count as a previous round."""
        return self in CLOSED_STATUSES

    @classmethod
    def label_of(cls, value: str) -> str:
        """The label of a stored status; an unknown value is shown as it is."""
        try:
            return cls(value).label
        except ValueError:
            return value.replace("_", " ").capitalize()  # not a known status: shown as stored, untranslated


_STATUS_LABELS = {
    RoundStatus.DRAFT: N_("Draft"),
    RoundStatus.IN_REVIEW: N_("In review"),
    RoundStatus.SUBMITTED: N_("Submitted"),
    RoundStatus.PUBLISHED: N_("Published"),
}

EDITABLE_STATUSES = frozenset({RoundStatus.DRAFT, RoundStatus.IN_REVIEW})
CLOSED_STATUSES = frozenset({RoundStatus.SUBMITTED, RoundStatus.PUBLISHED})


class GlobalRole(StrEnum):
    """A role held across the whole installation (``none``: roles per health system only)."""

    NONE = "none"
    ANALYST = "analyst"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return _(_GLOBAL_ROLE_LABELS[self])


_GLOBAL_ROLE_LABELS = {
    GlobalRole.NONE: N_("None (roles per health system only)"),
    GlobalRole.ANALYST: N_("Analyst"),
    GlobalRole.ADMIN: N_("Administrator"),
}


class SystemRole(StrEnum):
    """A role held in one health system."""

    COORDINATOR = "coordinator"
    EXPERT = "expert"
    VIEWER = "viewer"

    @property
    def label(self) -> str:
        return _(_SYSTEM_ROLE_LABELS[self])


_SYSTEM_ROLE_LABELS = {
    SystemRole.COORDINATOR: N_("Coordinator"),
    SystemRole.EXPERT: N_("Expert"),
    SystemRole.VIEWER: N_("Viewer"),
}


RATING_ROLES = frozenset({SystemRole.EXPERT, SystemRole.COORDINATOR})  # the roles an invitation to rate needs


class Basis(StrEnum):
    """What an indicator's result rests on."""

    CONSENSUS = "consensus"
    EXPERTS_MEDIAN = "experts' median"
    NONE = "none"

    @property
    def label(self) -> str:
        return _(_BASIS_LABELS[self])


_BASIS_LABELS = {
    Basis.CONSENSUS: N_("Consensus"),
    Basis.EXPERTS_MEDIAN: N_("Experts' median"),
    Basis.NONE: N_("Not rated"),
}


class ActionStatus(StrEnum):
    """Where an action of a health system's plan stands: proposed -> planned -> in progress -> done (or dropped)."""

    PROPOSED = "proposed"
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    DROPPED = "dropped"

    @property
    def label(self) -> str:
        return _(_ACTION_STATUS_LABELS[self])

    @property
    def open(self) -> bool:
        """Still to be done: neither done nor dropped."""
        return self not in (ActionStatus.DONE, ActionStatus.DROPPED)

    @classmethod
    def label_of(cls, value: str) -> str:
        try:
            return cls(value).label
        except ValueError:
            return value.replace("_", " ").capitalize()


_ACTION_STATUS_LABELS = {
    ActionStatus.PROPOSED: N_("Proposed"),
    ActionStatus.PLANNED: N_("Planned"),
    ActionStatus.IN_PROGRESS: N_("In progress"),
    ActionStatus.DONE: N_("Done"),
    ActionStatus.DROPPED: N_("Dropped"),
}


@dataclass(frozen=True, order=True)
class RoundPeriod:
    """When a round takes stock: a year, or one half of it.  Rounds are grouped and compared by period."""

    year: int
    half: int = 0  # 0: the whole year; 1: January-June; 2: July-December

    @property
    def text(self) -> str:
        """``2026`` or ``2026 H1``: also the period's part of file names."""
        return f"{self.year} H{self.half}" if self.half else str(self.year)

    @property
    def slug(self) -> str:
        """``2026`` or ``2026-h1``, for file names."""
        return f"{self.year}-h{self.half}" if self.half else str(self.year)


MIN_PERIOD_YEAR, MAX_PERIOD_YEAR = 2000, 2100  # a round's period year outside these is a typo
MAX_FREE_LABEL_CHARS = 80


def round_name(period: RoundPeriod, free_label: str = "") -> str:
    """A round's name (its unique ``label``) from its period and optional free label:
    ``Round 2026``, ``Round 2026 H1``, ``Round 2026 H1 - Spring check``."""
    name = f"Round {period.text}"
    return f"{name} - {free_label}" if free_label else name


def display_name(label: str, period: RoundPeriod, free_label: str = "") -> str:
    """A round's name as the reader's language says it: a name made from the period (``Round 2026 H1``, the
    stored unique label) in their words; a name typed by hand before rounds had periods, as it was typed."""
    if label != round_name(period, free_label):
        return label
    name = _("Round {period}", period=period.text)
    return _("{round} - {label}", round=name, label=free_label) if free_label else name


def period_choices(this_year: int, years_back: int = 3) -> list[RoundPeriod]:
    """The periods a new round may take, newest first: next year back to ``years_back`` before this one,
    each as the whole year, then its first and second half."""
    years = range(this_year + 1, this_year - years_back - 1, -1)
    return [RoundPeriod(year, half) for year in years for half in (0, 1, 2)]


__all__ = [
    "CLOSED_STATUSES",
    "EDITABLE_STATUSES",
    "MAX_FREE_LABEL_CHARS",
    "MAX_PERIOD_YEAR",
    "MIN_PERIOD_YEAR",
    "RATING_ROLES",
    "ActionStatus",
    "Basis",
    "GlobalRole",
    "RoundPeriod",
    "RoundStatus",
    "SystemRole",
    "period_choices",
    "round_name",
]

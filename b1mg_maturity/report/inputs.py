"""What a report is made of: plain, frozen values, read from the database in one snapshot or given by hand.

:meth:`b1mg_maturity.services.Services.report_inputs` reads a round's
:class:`ReportInputs` in one read-only unit of work (the permission rules
applied there); :func:`b1mg_maturity.report.context.report_context_of` turns
them into the report context.  Pure: no database, no rendering, no plotly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from b1mg_maturity.domain import RoundPeriod, RoundStatus
from b1mg_maturity.questionnaire import Questionnaire
from b1mg_maturity.scoring import ScoreCard


@dataclass(frozen=True)
class RoundInfo:
    """Who and what the report is about."""

    health_system_name: str
    label: str
    date: dt.date
    status: str = RoundStatus.DRAFT.value
    health_system_code: str | None = None
    round_id: int | None = None
    period: RoundPeriod | None = None  # None (an answers file): the year of ``date``
    free_label: str = ""

    @property
    def round_period(self) -> RoundPeriod:
        """The period the round takes stock of; a round without one (year 0, or none given) has its date's year."""
        if self.period is None or self.period.year <= 0:
            return RoundPeriod(self.date.year)
        return self.period

    @property
    def status_label(self) -> str:
        return RoundStatus.label_of(self.status)


@dataclass(frozen=True)
class PeerRound:
    """One peer's round behind a benchmark, never named: when it was, and its overall score."""

    date: dt.date
    period_text: str  # "2026", "2026 H1"
    overall: float | None
    same_period: bool  # of the report's round's period (year); else the latest before the report's round's date


@dataclass(frozen=True)
class PeerMedians:
    """The median score per domain of other health systems' published rounds (never naming them)."""

    medians: Mapping[str, float]
    count: int  # other health systems behind the medians
    label: str = ""
    withheld: tuple[str, ...] = ()  # domain ids left out because too few peers scored them
    rounds: tuple[PeerRound, ...] = ()  # one per peer, oldest first

    @property
    def name(self) -> str:
        return self.label or f"Median of {self.count} other health systems"


@dataclass(frozen=True)
class PreviousRound:
    label: str
    date: dt.date
    card: ScoreCard


@dataclass(frozen=True)
class IndicatorNotes:
    """What the team wrote about one indicator: the experts' evidence and the agreed rationale."""

    evidence: tuple[str, ...] = ()
    links: tuple[str, ...] = ()
    rationale: str = ""


@dataclass(frozen=True)
class ReportInputs:
    """Everything a round's report rests on, as one user may see it, read in one snapshot.

    ``notes`` hold the experts' evidence only when ``evidence_included`` (the
    user may read every expert's ratings), and never an expert's name.
    """

    questionnaire: Questionnaire = field(repr=False)
    card: ScoreCard = field(repr=False)
    round: RoundInfo
    basis_summary: str = ""
    basis: Mapping[str, str] = field(default_factory=dict)
    notes: Mapping[str, IndicatorNotes] = field(default_factory=dict)
    evidence_included: bool = True
    previous: PreviousRound | None = None
    peers: PeerMedians | None = None  # read in the same snapshot when asked for

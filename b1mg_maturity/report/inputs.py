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

from b1mg_maturity import i18n
from b1mg_maturity.domain import RoundPeriod, RoundStatus
from b1mg_maturity.i18n import _, _n
from b1mg_maturity.planning import PlanAction
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
    """The median score per domain of other health systems' published rounds (never naming them).

    Each peer counts with its round of the report's period year, else its latest
    round of an earlier year (:mod:`b1mg_maturity.comparison.peers`).
    """

    medians: Mapping[str, float]
    count: int  # other health systems behind the medians
    label: str = ""
    withheld: tuple[str, ...] = ()  # domain ids left out because too few peers scored them
    rounds: tuple[PeerRound, ...] = ()  # one per peer, oldest first
    year: int | None = None  # the report's period year the rounds were chosen for

    @property
    def default_label(self) -> bool:
        """Whether the medians are named in the usual words (no label of their own), said in the reader's language."""
        return not self.label

    @property
    def name(self) -> str:
        """``Median of 4 other health systems`` (a chart's legend)."""
        return self.label or _n("Median of {n} other health system", "Median of {n} other health systems", self.count)

    @property
    def dates_text(self) -> str:
        """Which of the peers' rounds count, in plain words; empty when the rounds are not known.

        ``their rounds of 2026, dated March to May 2026``, and where some peers had no
        round that year: ``..., except one with no round of 2025, which counts with its
        latest round before this one, of 2024, dated June 2024``.
        """
        same = [r.date for r in self.rounds if r.same_period]
        earlier = [r for r in self.rounds if not r.same_period]
        if not earlier:
            return self._same_period_text(same) if same else ""
        before = _(
            "of {periods}, dated {months}",
            periods=i18n.join(sorted({r.period_text for r in earlier})),
            months=_month_span([r.date for r in earlier]),
        )
        year = self.year
        if not same:
            if year is None:
                return _(
                    "none had a round, so each counts with its latest round before this one, {before}", before=before
                )
            return _(
                "none had a round of {year}, so each counts with its latest round before this one, {before}",
                year=year,
                before=before,
            )
        head = self._same_period_text(same)
        if year is None:
            return _n(
                "{head}, except one with no round, which counts with its latest round before this one, {before}",
                "{head}, except {n} with no round, which count with their latest rounds before this one, {before}",
                len(earlier),
                head=head,
                before=before,
            )
        return _n(
            "{head}, except one with no round of {year}, which counts with its latest round before this one, {before}",
            "{head}, except {n} with no round of {year}, which count with their latest rounds before this one, "
            "{before}",
            len(earlier),
            head=head,
            year=year,
            before=before,
        )

    def _same_period_text(self, days: list[dt.date]) -> str:
        if self.year is None:
            return _("their rounds, dated {months}", months=_month_span(days))
        return _("their rounds of {year}, dated {months}", year=self.year, months=_month_span(days))

    @property
    def sentence(self) -> str:
        """``The median of 4 other health systems: their rounds of 2026, dated March to May 2026.``"""
        dates = self.dates_text if self.rounds else ""
        if self.default_label:
            if dates:
                return _n(
                    "The median of {n} other health system: {dates}.",
                    "The median of {n} other health systems: {dates}.",
                    self.count,
                    dates=dates,
                )
            return _n("The median of {n} other health system.", "The median of {n} other health systems.", self.count)
        name = f"{self.label[:1].lower()}{self.label[1:]}"
        return _("The {name}: {dates}.", name=name, dates=dates) if dates else _("The {name}.", name=name)


def _month_span(days: list[dt.date]) -> str:
    """``March 2026``, ``March to May 2026``, ``December 2025 to February 2026``."""
    first, last = min(days), max(days)
    if (first.year, first.month) == (last.year, last.month):
        return i18n.month_year(first)
    if first.year == last.year:
        return _(
            "{first_month} to {last_month_and_year}",
            first_month=i18n.month(first, in_range=True),
            last_month_and_year=i18n.month_year(last, in_range=True),
        )
    return _(
        "{first_month_and_year} to {last_month_and_year}",
        first_month_and_year=i18n.month_year(first, in_range=True),
        last_month_and_year=i18n.month_year(last, in_range=True),
    )


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
class PlanReport:
    """The health system's action plan as the report's reader may see it, read in the round's snapshot.

    The plan belongs to the health system, not to the round: every action, whenever it was set.
    """

    actions: tuple[PlanAction, ...] = ()
    owner_names: Mapping[str, str] = field(default_factory=dict)  # an owner's account -> the name people know


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
    plan: PlanReport | None = None  # None: the reader may not see the health system's plan (an analyst)

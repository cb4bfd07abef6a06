"""What a readiness report shows, as frozen values: scores, indicator rows, changes, the action plan.

Built by :func:`b1mg_maturity.report.context.build_report_context`; rendered by
the PDF template and the Results page alike.  Pure.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from b1mg_maturity.domain import Basis, RoundStatus
from b1mg_maturity.questionnaire import Questionnaire, Source
from b1mg_maturity.report.inputs import PeerMedians, RoundInfo
from b1mg_maturity.scoring import Aggregation, Coverage, ScoreCard

DRAFT_WATERMARK = "DRAFT"


def long_date(day: dt.date) -> str:
    """``3 March 2026``."""
    return f"{day.day} {day:%B %Y}"


def count(n: int, noun: str) -> str:
    """``1 indicator``, ``2 indicators``."""
    return f"{n} {noun}" + ("" if n == 1 else "s")


def ordinal(n: int) -> str:
    """``1st``, ``2nd``, ``3rd``, ``11th``, ``22nd``."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


@dataclass(frozen=True)
class LevelBand:
    level: int
    label: str
    description: str
    colour: str
    text_colour: str


@dataclass(frozen=True)
class Score:
    """A group's score (overall, pillar or domain) ready to show."""

    id: str
    name: str
    score: float | None
    band: int | None
    band_label: str
    target: float | None
    gap: float | None
    coverage: Coverage
    colour: str
    text_colour: str

    @property
    def score_text(self) -> str:
        return "not rated" if self.score is None else f"{self.score:.1f}"

    @property
    def band_text(self) -> str:
        return "not rated" if self.band is None else f"Level {self.band} · {self.band_label}"

    @property
    def target_text(self) -> str:
        return "–" if self.target is None else f"{self.target:.1f}"

    @property
    def gap_text(self) -> str:
        return "–" if self.gap is None else f"{self.gap:.1f}"

    @property
    def coverage_text(self) -> str:
        c = self.coverage
        return f"{c.answered} of {c.applicable} applicable indicators answered ({c.ratio:.0%})"


IndicatorStatus = Literal["answered", "not_applicable", "unanswered"]


@dataclass(frozen=True)
class IndicatorRow:
    indicator_id: str
    domain_id: str
    domain_title: str
    pillar_id: str
    subdomain_name: str
    statement: str
    level: int | None
    level_label: str
    status: IndicatorStatus
    target: int | None
    gap: int | None
    next_step: str | None
    evidence: tuple[str, ...]
    links: tuple[str, ...]
    rationale: str
    basis: str
    colour: str
    text_colour: str

    @property
    def level_text(self) -> str:
        if self.level is not None:
            return f"{self.level} · {self.level_label}"
        return "not applicable" if self.status == "not_applicable" else "not answered"

    @property
    def has_notes(self) -> bool:
        return bool(self.evidence or self.links or self.rationale)

    @property
    def basis_label(self) -> str:
        """What the level rests on, in words (a basis given by hand, such as "answers file", as it is)."""
        if not self.basis:
            return Basis.NONE.label
        try:
            return Basis(self.basis).label
        except ValueError:
            return self.basis


@dataclass(frozen=True)
class Change:
    """A score's change since the previous round; in a report, both scores are over the indicators rated in
    both rounds (``compared`` of them; None where not counted)."""

    previous: float | None
    current: float | None
    compared: int | None = None

    @property
    def delta(self) -> float | None:
        if self.previous is None or self.current is None:
            return None
        return self.current - self.previous

    @property
    def text(self) -> str:
        delta = self.delta
        if delta is None:
            return "new" if self.previous is None and self.current is not None else "–"
        if abs(delta) < 0.05:
            return "±0.0"
        return f"+{delta:.1f}" if delta > 0 else f"−{abs(delta):.1f}"

    @property
    def direction(self) -> Literal["up", "down", "same", "none"]:
        delta = self.delta
        if delta is None:
            return "none"
        if abs(delta) < 0.05:
            return "same"
        return "up" if delta > 0 else "down"


@dataclass(frozen=True)
class DomainSection:
    score: Score
    code: str | None
    name: str
    title: str
    pillar_id: str
    pillar_name: str
    description: str | None
    rows: tuple[IndicatorRow, ...]
    benchmark: float | None
    change: Change | None

    @property
    def id(self) -> str:
        return self.score.id

    @property
    def anchor(self) -> str:
        return f"domain-{self.score.id}"

    @property
    def noted_rows(self) -> tuple[IndicatorRow, ...]:
        return tuple(row for row in self.rows if row.has_notes)


@dataclass(frozen=True)
class ActionItem:
    rank: int
    row: IndicatorRow
    gap: int
    next_level: int
    next_level_label: str
    next_step: str | None


@dataclass(frozen=True)
class PillarActions:
    pillar: Score
    items: tuple[ActionItem, ...]

    @property
    def largest_gap(self) -> int:
        return max((item.gap for item in self.items), default=0)

    @property
    def total_gap(self) -> int:
        return sum(item.gap for item in self.items)


@dataclass(frozen=True)
class NamedChange:
    id: str
    name: str
    change: Change


@dataclass(frozen=True)
class IndicatorSwitch:
    """An indicator that moved between "not applicable" and a level since the previous round.

    Listed apart and never part of a change: a change is measured only over the
    indicators rated in both rounds.
    """

    row: IndicatorRow  # as it is in this round
    previous_level: int | None  # None: it was marked not applicable in the previous round
    previous_label: str = ""

    @property
    def now_rated(self) -> bool:
        """Whether it was not applicable and now has a level (else it had a level and is now not applicable)."""
        return self.previous_level is None

    @property
    def text(self) -> str:
        """``was not applicable, now level 1 · Absent or ad hoc`` (or the other way round)."""
        if self.now_rated:
            return f"was not applicable, now level {self.row.level_text}"
        before = f"{self.previous_level} · {self.previous_label}" if self.previous_label else f"{self.previous_level}"
        return f"was level {before}, now not applicable"

    @property
    def sentence(self) -> str:
        """The indicator's statement and what changed, for a reader who does not know the indicator ids."""
        return f"{self.row.statement.rstrip('.')}: {self.text}."


@dataclass(frozen=True)
class ChangeSummary:
    """What changed since the previous round, measured only over the indicators rated in both rounds.

    ``improved + declined + unchanged == compared``; with ``len(switched)`` and
    ``not_compared`` it adds up to every indicator of the questionnaire.  The
    changes of ``overall``, ``pillars`` and ``domains`` compare the two rounds'
    scores over the compared indicators alone (see
    :mod:`b1mg_maturity.comparison.changes`): their ``previous`` and ``current``
    are those scores, not the rounds' headline scores.
    """

    previous_label: str
    previous_date: dt.date
    overall: Change
    pillars: tuple[NamedChange, ...]
    domains: tuple[NamedChange, ...]
    improved: int  # indicators whose level rose
    declined: int
    unchanged: int
    compared: int = 0  # indicators rated (with a level) in both rounds: the base of every change above
    switched: tuple[IndicatorSwitch, ...] = ()  # between "not applicable" and a level
    not_compared: int = 0  # the rest: not answered in one round or both, or not applicable in both

    @property
    def total(self) -> int:
        """Every indicator: compared, switched and not compared."""
        return self.compared + len(self.switched) + self.not_compared

    @property
    def sentence(self) -> str:
        since = f"Since {self.previous_label} ({long_date(self.previous_date)})"
        o = self.overall
        if o.delta is None or not self.compared:
            head = f"{since} no indicator has been rated with a level in both rounds, so no change can be measured."
        else:
            moved = {
                "up": f"rose by {abs(o.delta):.1f}",
                "down": f"fell by {abs(o.delta):.1f}",
                "same": "is unchanged",
            }[o.direction]
            head = (
                f"{since}, over the {count(self.compared, 'indicator')} rated in both rounds, the overall score "
                f"{moved}: {self.improved} improved, {self.declined} declined and {self.unchanged} stayed at the "
                "same level."
            )
        return f"{head} {self.left_out_sentence}".rstrip()

    @property
    def scores_note(self) -> str:
        """Under a table of the changes' before and now scores: why they may differ from the round's scores."""
        if not self.compared:
            return ""
        return (
            f"Before and now are scores over the {count(self.compared, 'indicator')} rated in both rounds, so they "
            "can differ from the scores shown elsewhere in this report."
        )

    @property
    def left_out_sentence(self) -> str:
        """Which indicators the change leaves out and why; empty when every indicator is compared."""
        switched, rest = len(self.switched), self.not_compared
        moved = "moved between not applicable and a level"
        unrated = "not answered or not applicable in one round or both"
        if not switched and not rest:
            return ""
        if self.compared == 0:
            reasons = []
            if switched:
                reasons.append(f"{switched} {moved} and {'is' if switched == 1 else 'are'} listed apart")
            if rest:
                reasons.append(f"{rest} {'was' if rest == 1 else 'were'} {unrated}")
            return f"Of the {count(self.total, 'indicator')}, " + "; ".join(reasons) + "."
        if not rest:
            if switched == 1:
                return f"The other indicator {moved}: it is listed apart and not compared."
            return f"The other {switched} indicators {moved}: they are listed apart and not compared."
        if not switched:
            if rest == 1:
                return f"The other indicator is not compared: it was {unrated}."
            return f"The other {rest} indicators are not compared: they were {unrated}."
        return (
            f"The other {switched + rest} indicators are not compared: {switched} {moved} and "
            f"{'is' if switched == 1 else 'are'} listed apart; {rest} {'was' if rest == 1 else 'were'} {unrated}."
        )


@dataclass(frozen=True)
class Standing:
    """Where the overall score stands among the peers' overall scores (no peer is named)."""

    rank: int  # 1: the highest score among the peers and this health system
    of: int  # the peers and this health system
    quartile: int  # 1: the top quarter ... 4: the bottom quarter
    peer_median: float | None = None  # the median of the peers' overall scores

    @property
    def quarter(self) -> str:
        """``top``, ``second``, ``third`` or ``bottom``."""
        return ("top", "second", "third", "bottom")[self.quartile - 1]

    @property
    def sentence(self) -> str:
        """``Among this health system and 4 peers, the overall score ranks 2nd of 5, in the second quarter; ...``"""
        median = f"; the peers' median is {self.peer_median:.1f}" if self.peer_median is not None else ""
        return (
            f"Among this health system and {count(self.of - 1, 'peer')}, the overall score ranks "
            f"{ordinal(self.rank)} of {self.of}, in the {self.quarter} quarter{median}."
        )


@dataclass(frozen=True)
class Recommendation:
    """One of the brief's 3-5 recommendations: a theme (a pillar), what to do, and the indicators behind it."""

    theme: str
    text: str
    indicators: tuple[IndicatorRow, ...] = ()


@dataclass(frozen=True)
class MethodSection:
    heading: str
    paragraphs: tuple[str, ...]


@dataclass(frozen=True)
class ReportContext:
    """Everything one readiness report shows; built by :func:`build_report_context`."""

    title: str
    language: str  # of the report's texts: a shipped language, or the pseudo-language en-XA
    round: RoundInfo
    questionnaire_id: str
    questionnaire_version: str
    questionnaire_title: str
    source: Source
    aggregation: Aggregation
    basis_summary: str
    evidence_included: bool
    levels: tuple[LevelBand, ...]
    overall: Score
    pillars: tuple[Score, ...]
    domains: tuple[DomainSection, ...]
    strongest: tuple[IndicatorRow, ...]
    weakest: tuple[IndicatorRow, ...]
    action_plan: tuple[PillarActions, ...]
    change: ChangeSummary | None
    benchmark: PeerMedians | None
    key_messages: tuple[str, ...]
    methodology: tuple[MethodSection, ...]
    generated_on: dt.date
    card: ScoreCard = field(repr=False)
    questionnaire: Questionnaire = field(repr=False)
    # below the coverage threshold (a setting) the round is a partial assessment: no headline level
    partial: bool = False
    coverage_threshold: float = 0.8
    standing: Standing | None = None  # None: no benchmark
    recommendations: tuple[Recommendation, ...] = ()
    partial_note: str = ""  # why the round is a partial assessment, one sentence; empty when it is not
    # said instead of the strongest and weakest lists when they are empty (nothing rated, or all at one level)
    extremes_note: str = ""

    @property
    def headline_text(self) -> str:
        """The cover's headline level: ``Level 3 · Defined``, or ``Partial assessment`` below the threshold."""
        return "Partial assessment" if self.partial else self.overall.band_text

    @property
    def recommendation_groups(self) -> tuple[tuple[str, tuple[Recommendation, ...]], ...]:
        """The recommendations by theme, in their order: ``((theme, recommendations), ...)``."""
        groups: dict[str, list[Recommendation]] = {}
        for rec in self.recommendations:
            groups.setdefault(rec.theme, []).append(rec)
        return tuple((theme, tuple(recs)) for theme, recs in groups.items())

    @property
    def html_language(self) -> str:
        """The PDF's ``lang`` and ``/Lang``: the pseudo-language is English written oddly."""
        return "en" if self.language == "en-XA" else self.language

    @property
    def draft(self) -> bool:
        return self.round.status != RoundStatus.PUBLISHED

    @property
    def watermark(self) -> str | None:
        return DRAFT_WATERMARK if self.draft else None

    @property
    def status_label(self) -> str:
        return self.round.status_label

    @property
    def subject(self) -> str:
        """``Health system · round label``: the running header."""
        return f"{self.round.health_system_name} · {self.round.label}"

    @property
    def priorities_count(self) -> int:
        return sum(len(group.items) for group in self.action_plan)

    @property
    def gaps(self) -> tuple[ActionItem, ...]:
        """Every indicator below its target, in priority order (the action plan without its pillar groups)."""
        return tuple(sorted((item for group in self.action_plan for item in group.items), key=lambda i: i.rank))

    @property
    def rows(self) -> tuple[IndicatorRow, ...]:
        """Every indicator's row, in questionnaire order."""
        return tuple(row for domain in self.domains for row in domain.rows)

    def domain(self, domain_id: str) -> DomainSection:
        return next(d for d in self.domains if d.id == domain_id)

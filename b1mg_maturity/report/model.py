"""What a readiness report shows, as frozen values: scores, indicator rows, changes, gaps, the team's plan.

Built by :func:`b1mg_maturity.report.context.build_report_context`; rendered by
the PDF template and the Results page alike.  Pure.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from b1mg_maturity import i18n
from b1mg_maturity.domain import ActionStatus, Basis, RoundStatus
from b1mg_maturity.i18n import N_, _, _n, _p
from b1mg_maturity.planning import AimState
from b1mg_maturity.questionnaire import Questionnaire, Source
from b1mg_maturity.report.inputs import PeerMedians, RoundInfo
from b1mg_maturity.scoring import Aggregation, Coverage, ScoreCard

DRAFT_WATERMARK = N_("DRAFT")  # translated where it is shown (:attr:`ReportContext.watermark`)


def long_date(day: dt.date) -> str:
    """``3 March 2026`` (in the current language)."""
    return i18n.date(day)


def ordinal(n: int) -> str:
    """``1st``, ``2nd``, ``3rd``, ``11th``, ``22nd`` (``1er``, ``2e`` in French): by the language's ordinal forms."""
    from babel import Locale

    code = i18n.current()
    locale = Locale.parse("en_GB" if code in (i18n.DEFAULT_LANGUAGE, i18n.PSEUDO_LANGUAGE) else code.replace("-", "_"))
    form = locale.ordinal_form(n)
    number = i18n.integer(n)
    if form == "one":
        return _p("ordinal number ending as 1st, 21st", "{n}st", n=number)
    if form == "two":
        return _p("ordinal number ending as 2nd, 22nd", "{n}nd", n=number)
    if form == "few":
        return _p("ordinal number ending as 3rd, 23rd", "{n}rd", n=number)
    return _p("ordinal number ending as 4th, 11th", "{n}th", n=number)


def level_and_label(level: int, label: str) -> str:
    """``Level 3 · Defined``."""
    return _("Level {level} · {label}", level=level, label=label)


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
        return _("not rated") if self.score is None else i18n.number(self.score, 1)

    @property
    def band_text(self) -> str:
        return _("not rated") if self.band is None else level_and_label(self.band, self.band_label)

    @property
    def target_text(self) -> str:
        return "–" if self.target is None else i18n.number(self.target, 1)

    @property
    def gap_text(self) -> str:
        return "–" if self.gap is None else i18n.number(self.gap, 1)

    @property
    def coverage_text(self) -> str:
        c = self.coverage
        return _(
            "{answered} of {applicable} applicable indicators answered ({percent})",
            answered=c.answered,
            applicable=c.applicable,
            percent=i18n.percent(c.ratio),
        )


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
        return _("not applicable") if self.status == "not_applicable" else _("not answered")

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
            return (
                _p("a score that had no value before", "new")
                if self.previous is None and self.current is not None
                else "–"
            )
        if abs(delta) < 0.05:
            return "±" + i18n.number(0, 1)
        return i18n.signed(delta, 1)

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
class ResourceLink:
    """Guidance towards the next level that the questionnaire names: a title and an https address (never opened)."""

    title: str
    url: str


@dataclass(frozen=True)
class ActionItem:
    """A gap and its next step (what the report calls "gaps and next steps"; not an action of the team's plan)."""

    rank: int
    row: IndicatorRow
    gap: int
    next_level: int
    next_level_label: str
    next_step: str | None
    resources: tuple[ResourceLink, ...] = ()


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


# --- the team's own plan ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanItem:
    """One action of the health system's plan, as the report shows it."""

    id: int
    title: str
    status: ActionStatus
    owner: str  # "" when nobody is named
    due: dt.date | None
    overdue: bool  # past its due date on the report's date, and neither done nor dropped
    serves: str  # the indicators it serves and the levels it aims them at, in words
    indicator_ids: tuple[str, ...] = ()
    # judged against this round's levels when the round is newer than the action's start; None: not judged
    outcome: AimState | None = None
    done_on: dt.date | None = None

    @property
    def status_label(self) -> str:
        return self.status.label

    @property
    def owner_text(self) -> str:
        return self.owner or "–"

    @property
    def due_text(self) -> str:
        """``3 March 2026``, ``3 March 2026, overdue``; a dash when no date is set."""
        if self.due is None:
            return "–"
        if self.overdue:
            return _("{date}, overdue", date=long_date(self.due))
        return long_date(self.due)

    @property
    def outcome_text(self) -> str:
        """Whether this round's levels reach what the action aims at; a dash when this round does not judge it."""
        if self.outcome is None:
            return "–"
        return self.outcome.label


@dataclass(frozen=True)
class PlanPillar:
    """The actions shown under one pillar (that of the first indicator each serves)."""

    pillar_id: str | None  # None: an action whose indicators the questionnaire does not know
    name: str
    items: tuple[PlanItem, ...]


@dataclass(frozen=True)
class PlanSection:
    """The health system's plan: its actions by pillar (dropped ones counted, not listed)."""

    pillars: tuple[PlanPillar, ...]
    dropped: int = 0
    judged: bool = False  # whether this round judges any action (else the report leaves that column out)

    @property
    def items(self) -> tuple[PlanItem, ...]:
        return tuple(item for pillar in self.pillars for item in pillar.items)

    @property
    def open_count(self) -> int:
        return sum(1 for item in self.items if item.status.open)

    @property
    def overdue_count(self) -> int:
        return sum(1 for item in self.items if item.overdue)

    @property
    def done_count(self) -> int:
        return sum(1 for item in self.items if item.status == ActionStatus.DONE)

    @property
    def sentence(self) -> str:
        """``The plan has 6 actions: 4 open, 1 of them overdue, and 2 done.`` (and the dropped ones, if any)."""
        items = self.items
        if not items:
            return _("The health system has no action plan yet.")
        if self.overdue_count:
            head = _n(
                "The plan has {n} action: {open} open, {overdue} of them overdue, and {done} done.",
                "The plan has {n} actions: {open} open, {overdue} of them overdue, and {done} done.",
                len(items),
                open=self.open_count,
                overdue=self.overdue_count,
                done=self.done_count,
            )
        else:
            head = _n(
                "The plan has {n} action: {open} open, none overdue, and {done} done.",
                "The plan has {n} actions: {open} open, none overdue, and {done} done.",
                len(items),
                open=self.open_count,
                done=self.done_count,
            )
        if not self.dropped:
            return head
        dropped = _n("{n} dropped action is not listed.", "{n} dropped actions are not listed.", self.dropped)
        return f"{head} {dropped}"


@dataclass(frozen=True)
class PlanLevelMove:
    """An indicator the plan serves whose level moved since the previous round."""

    indicator_id: str
    name: str  # how a reader knows it: its subdomain's name (or its statement)
    before: int | None
    after: int | None

    @property
    def before_text(self) -> str:
        return "–" if self.before is None else i18n.integer(self.before)

    @property
    def after_text(self) -> str:
        return "–" if self.after is None else i18n.integer(self.after)

    @property
    def direction(self) -> Literal["up", "down", "none"]:
        if self.before is None or self.after is None:
            return "none"
        return "up" if self.after > self.before else "down"

    @property
    def delta_text(self) -> str:
        if self.before is None or self.after is None:
            return "–"
        return i18n.signed(self.after - self.before, 0)


@dataclass(frozen=True)
class PlanSince:
    """What the plan did since the previous round: the actions done since, and the levels of its indicators."""

    previous_label: str
    previous_date: dt.date
    done: tuple[PlanItem, ...]
    moved: tuple[PlanLevelMove, ...]
    unchanged: int  # the plan's indicators at the same level in both rounds

    @property
    def sentence(self) -> str:
        """``Since Round 2024 (20 May 2024), 2 actions were marked done; 3 of the plan's indicators moved ...``"""
        fields = {"label": self.previous_label, "date": long_date(self.previous_date)}
        done = _n(
            "Since {label} ({date}), {n} action of the plan was marked done.",
            "Since {label} ({date}), {n} actions of the plan were marked done.",
            len(self.done),
            **fields,
        )
        if not self.done:
            done = _("Since {label} ({date}), no action of the plan was marked done.", **fields)
        if not self.moved and not self.unchanged:
            moved = _("None of the indicators the plan serves was rated in both rounds.")
        elif not self.moved:
            moved = _n(
                "None of the indicators the plan serves changed level: the one rated in both rounds stayed where it "
                "was.",
                "None of the indicators the plan serves changed level: the {n} rated in both rounds stayed where they "
                "were.",
                self.unchanged,
            )
        else:
            moved = _n(
                "{n} indicator the plan serves changed level, and {unchanged} stayed at the same level.",
                "{n} indicators the plan serves changed level, and {unchanged} stayed at the same level.",
                len(self.moved),
                unchanged=self.unchanged,
            )
        return f"{done} {moved}"


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
            return _("was not applicable, now level {level}", level=self.row.level_text)
        before = f"{self.previous_level} · {self.previous_label}" if self.previous_label else f"{self.previous_level}"
        return _("was level {level}, now not applicable", level=before)

    @property
    def sentence(self) -> str:
        """The indicator's statement and what changed, for a reader who does not know the indicator ids."""
        return _("{indicator}: {change}.", indicator=self.row.statement.rstrip("."), change=self.text)


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
        label, date = self.previous_label, long_date(self.previous_date)
        o = self.overall
        if o.delta is None or not self.compared:
            head = _(
                "Since {label} ({date}) no indicator has been rated with a level in both rounds, so no change can "
                "be measured.",
                label=label,
                date=date,
            )
        else:
            fields = {
                "label": label,
                "date": date,
                "delta": i18n.number(abs(o.delta), 1),
                "improved": self.improved,
                "declined": self.declined,
                "unchanged": self.unchanged,
            }
            head = self._moved(o.direction, fields)
        return f"{head} {self.left_out_sentence}".rstrip()

    def _moved(self, direction: str, fields: dict[str, object]) -> str:
        """The change of the overall score over the compared indicators, one sentence."""
        if direction == "up":
            return _n(
                "Since {label} ({date}), over the {n} indicator rated in both rounds, the overall score rose by "
                "{delta}: {improved} improved, {declined} declined and {unchanged} stayed at the same level.",
                "Since {label} ({date}), over the {n} indicators rated in both rounds, the overall score rose by "
                "{delta}: {improved} improved, {declined} declined and {unchanged} stayed at the same level.",
                self.compared,
                **fields,
            )
        if direction == "down":
            return _n(
                "Since {label} ({date}), over the {n} indicator rated in both rounds, the overall score fell by "
                "{delta}: {improved} improved, {declined} declined and {unchanged} stayed at the same level.",
                "Since {label} ({date}), over the {n} indicators rated in both rounds, the overall score fell by "
                "{delta}: {improved} improved, {declined} declined and {unchanged} stayed at the same level.",
                self.compared,
                **fields,
            )
        return _n(
            "Since {label} ({date}), over the {n} indicator rated in both rounds, the overall score is unchanged: "
            "{improved} improved, {declined} declined and {unchanged} stayed at the same level.",
            "Since {label} ({date}), over the {n} indicators rated in both rounds, the overall score is unchanged: "
            "{improved} improved, {declined} declined and {unchanged} stayed at the same level.",
            self.compared,
            **fields,
        )

    @property
    def scores_note(self) -> str:
        """Under a table of the changes' before and now scores: why they may differ from the round's scores."""
        if not self.compared:
            return ""
        return _n(
            "Before and now are scores over the {n} indicator rated in both rounds, so they can differ from the "
            "scores shown elsewhere in this report.",
            "Before and now are scores over the {n} indicators rated in both rounds, so they can differ from the "
            "scores shown elsewhere in this report.",
            self.compared,
        )

    @property
    def left_out_sentence(self) -> str:
        """Which indicators the change leaves out and why; empty when every indicator is compared."""
        switched, rest = len(self.switched), self.not_compared
        if not switched and not rest:
            return ""
        moved = _n(
            "{n} moved between not applicable and a level and is listed apart",
            "{n} moved between not applicable and a level and are listed apart",
            switched,
        )
        unrated = _n(
            "{n} was not answered or not applicable in one round or both",
            "{n} were not answered or not applicable in one round or both",
            rest,
        )
        both = _("{switched}; {not_compared}", switched=moved, not_compared=unrated)
        reasons = both if switched and rest else (moved if switched else unrated)
        if self.compared == 0:
            return _n(
                "Of the {n} indicator, {reasons}.", "Of the {n} indicators, {reasons}.", self.total, reasons=reasons
            )
        if not rest:
            return _n(
                "The other indicator moved between not applicable and a level: it is listed apart and not compared.",
                "The other {n} indicators moved between not applicable and a level: they are listed apart and not "
                "compared.",
                switched,
            )
        if not switched:
            return _n(
                "The other indicator is not compared: it was not answered or not applicable in one round or both.",
                "The other {n} indicators are not compared: they were not answered or not applicable in one round "
                "or both.",
                rest,
            )
        return _n(
            "The other {n} indicator is not compared: {reasons}.",
            "The other {n} indicators are not compared: {reasons}.",
            switched + rest,
            reasons=reasons,
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
    def quarter_text(self) -> str:
        """``in the top quarter`` ... ``in the bottom quarter``, in the current language."""
        return (
            _("in the top quarter"),
            _("in the second quarter"),
            _("in the third quarter"),
            _("in the bottom quarter"),
        )[self.quartile - 1]

    @property
    def sentence(self) -> str:
        """``Among this health system and 4 peers, the overall score ranks 2nd of 5, in the second quarter; ...``"""
        fields = {"rank": ordinal(self.rank), "of": self.of, "quarter": self.quarter_text}
        if self.peer_median is None:
            return _n(
                "Among this health system and {n} peer, the overall score ranks {rank} of {of}, {quarter}.",
                "Among this health system and {n} peers, the overall score ranks {rank} of {of}, {quarter}.",
                self.of - 1,
                **fields,
            )
        return _n(
            "Among this health system and {n} peer, the overall score ranks {rank} of {of}, {quarter}; the peers' "
            "median is {median}.",
            "Among this health system and {n} peers, the overall score ranks {rank} of {of}, {quarter}; the peers' "
            "median is {median}.",
            self.of - 1,
            median=i18n.number(self.peer_median, 1),
            **fields,
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
    key: str = ""  # what the section is about whatever its language ("levels": the template adds the levels table)


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
    questionnaire_note: str = ""  # the questionnaire is shown in a draft translation, or in another language
    plan: PlanSection | None = None  # the team's own plan; None: the reader may not see it (an analyst)
    since: PlanSince | None = None  # what the plan did since the previous round; None: no plan, or no such round

    @property
    def headline_text(self) -> str:
        """The cover's headline level: ``Level 3 · Defined``, or ``Partial assessment`` below the threshold."""
        return _("Partial assessment") if self.partial else self.overall.band_text

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
        return _(DRAFT_WATERMARK) if self.draft else None

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

"""The comparison of health systems, assembled from published rounds in named steps.  Pure.

:func:`plan` chooses, from the published rounds and what the viewer may see,
the rounds a comparison needs (before any is scored); :func:`assemble` turns
their scorecards into the :class:`Comparison` the Compare page shows.  The
database side (reading rounds, scoring them) is :func:`b1mg_maturity.services.comparison.compare`;
the rules of who sees what are in the package docstring.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache

import pandas as pd

from b1mg_maturity import benchmark as bm
from b1mg_maturity.comparison.changes import round_changes
from b1mg_maturity.comparison.filters import (
    MAX_OVERLAY,
    OVERALL,
    SORTS,
    Filters,
    QuestionnaireChoice,
    SystemChoice,
)
from b1mg_maturity.comparison.rounds import PublishedRound, ScoredRound, period_scores_frame, scores_frame
from b1mg_maturity.comparison.tables import Table, TableBuilder
from b1mg_maturity.domain import round_name
from b1mg_maturity.i18n import _, _n
from b1mg_maturity.questionnaire import Domain, Questionnaire

TABLE_VIEWS = ("radar", "heatmap", "indicators", "distribution", "points", "trends", "gaps")


@dataclass(frozen=True)
class Viewer:
    """Who looks: by name (analysts, administrators), or their own health systems against anonymous others."""

    named: bool
    own_codes: frozenset[str] = frozenset()
    readable_own: frozenset[int] = frozenset()  # the own published rounds this user may open

    def sees(self, round_: PublishedRound, filters: Filters) -> bool:
        """Whether a round enters the comparison: in the chosen group (named), or not an own round
        the user may not open (anonymous: the others count, anonymously)."""
        if self.named:
            return filters.includes_system(round_.system_code)
        return round_.system_code not in self.own_codes or round_.round_id in self.readable_own

    @property
    def exclude(self) -> set[str]:
        """Health systems left out of the statistics: the own ones in the anonymous view."""
        return set() if self.named else set(self.own_codes)


@dataclass(frozen=True)
class Comparison:
    """Everything the compare page shows, already cut to what this user may see.

    Every table is what its chart draws, and what its download contains.
    """

    filters: Filters  # as applied (unknown or forbidden choices removed)
    named: bool  # whether other health systems appear by name
    questionnaire: Questionnaire | None  # the version compared (None: nothing published yet)
    questionnaires: tuple[QuestionnaireChoice, ...]
    round_labels: tuple[str, ...]
    date_bounds: tuple[dt.date, dt.date] | None
    systems: tuple[SystemChoice, ...]  # the health systems that may be selected
    all_systems: tuple[SystemChoice, ...]  # named view: every system with a published round of the version
    selected: tuple[SystemChoice, ...]  # overlaid / highlighted, the first one is the focus
    group_size: int  # health systems behind the statistics
    statistic_label: str  # e.g. "Median of 13 other health systems"
    min_group_size: int
    notes: tuple[str, ...]
    tables: Mapping[str, Table] = field(default_factory=dict)  # by view (TABLE_VIEWS)
    indicator_notes: Mapping[str, str] = field(default_factory=dict)  # indicator id -> statement
    withheld_note: str = ""  # the note (one of ``notes``) saying that statistics are withheld, if they are

    @property
    def focus(self) -> SystemChoice | None:
        return self.selected[0] if self.selected else None

    @property
    def statistics_withheld(self) -> bool:
        return self.group_size < self.min_group_size

    def table(self, view: str) -> pd.DataFrame:
        """The table behind a view as people see and download it (the indicator heatmap's is
        ``indicators``; the distribution's individual values, for analysts only, are ``points``)."""
        if view not in TABLE_VIEWS:
            raise KeyError(view)
        typed = self.tables.get(view)
        return pd.DataFrame() if typed is None else typed.frame()

    @property
    def radar(self) -> pd.DataFrame:
        return self.table("radar")

    @property
    def heatmap(self) -> pd.DataFrame:
        return self.table("heatmap")

    @property
    def indicators(self) -> pd.DataFrame:
        return self.table("indicators")

    @property
    def distribution(self) -> pd.DataFrame:
        return self.table("distribution")

    @property
    def points(self) -> pd.DataFrame:
        return self.table("points")

    @property
    def trends(self) -> pd.DataFrame:
        return self.table("trends")

    @property
    def gaps(self) -> pd.DataFrame:
        return self.table("gaps")


@dataclass(frozen=True)
class Plan:
    """The rounds a comparison needs, chosen before any is scored."""

    filters: Filters
    notes: tuple[str, ...]
    questionnaires: tuple[QuestionnaireChoice, ...]
    version_round: PublishedRound | None  # a round of the version compared (None: nothing published)
    round_labels: tuple[str, ...] = ()
    date_bounds: tuple[dt.date, dt.date] | None = None
    everyone: Mapping[str, str] = field(default_factory=dict)  # named view: code -> name in the version
    selection: tuple[PublishedRound, ...] = ()  # the rounds compared (the latest of each is taken)
    trend_rounds: tuple[PublishedRound, ...] = ()  # every round of the same questionnaire id

    @property
    def to_score(self) -> list[PublishedRound]:
        seen: dict[int, PublishedRound] = {}
        for round_ in (*self.selection, *self.trend_rounds):
            seen.setdefault(round_.round_id, round_)
        return list(seen.values())


# --- plan: which rounds ------------------------------------------------------------------------


def plan(published: Sequence[PublishedRound], viewer: Viewer, filters: Filters) -> Plan:
    """Choose the rounds for ``filters``: the questionnaire version, the group, the rounds, the trends."""
    notes: list[str] = [_("Only published rounds count.")]
    filters = _restrict(filters, viewer, notes)
    versions = _versions(published)
    choices = tuple(sorted(versions.values(), key=lambda c: (-c.systems, c.key)))
    chosen_key = filters.questionnaire if filters.questionnaire in versions else _most_used_version(published)
    if filters.questionnaire and filters.questionnaire not in versions:
        notes.append(
            _(
                "No published round uses questionnaire {questionnaire}; showing {shown}.",
                questionnaire=filters.questionnaire,
                shown=chosen_key,
            )
        )
    filters = replace(filters, questionnaire=chosen_key)
    if chosen_key is None:
        notes.append(_("No round has been published yet: there is nothing to compare."))
        return Plan(filters, tuple(notes), choices, None)
    chosen = versions[chosen_key]
    in_version = [r for r in published if r.version_key == chosen.key]
    version_round = in_version[0]
    everyone = {r.system_code: r.system_name for r in in_version} if viewer.named else {}
    same_id = [r for r in published if r.questionnaire_id == chosen.questionnaire_id and viewer.sees(r, filters)]
    in_version = [r for r in in_version if viewer.sees(r, filters)]
    # periods and dates are facts of other systems: the anonymous view offers its own only
    offered = in_version if viewer.named else [r for r in in_version if r.round_id in viewer.readable_own]
    labels = _periods(offered)
    if filters.rounds == "label" and filters.label not in labels:
        if filters.label:
            notes.append(
                _(
                    "No published round is of the period '{period}'; showing each system's latest.",
                    period=filters.label,
                )
            )
        filters = replace(filters, rounds="latest", label=None)
    bounds = (min(r.date for r in offered), max(r.date for r in offered)) if offered else None
    if filters.rounds == "dates" and bounds is not None:  # an open end is the first or last round
        filters = replace(filters, date_from=filters.date_from or bounds[0], date_to=filters.date_to or bounds[1])
    selection = [r for r in in_version if filters.includes_round(r.period_name, r.date)]
    trend_rounds = [r for r in same_id if filters.rounds != "dates" or filters.includes_round(r.period_name, r.date)]
    return Plan(
        filters,
        tuple(notes),
        choices,
        version_round,
        tuple(labels),
        bounds,
        everyone,
        tuple(selection),
        tuple(trend_rounds),
    )


def _restrict(filters: Filters, viewer: Viewer, notes: list[str]) -> Filters:
    """The anonymous view: the fixed group "all", and each one's latest round (see the package docstring)."""
    if viewer.named:
        return filters
    filters = replace(filters, group="all", members=(), region="")
    if filters.rounds != "latest":  # a group the user chooses would make statistics subtractable
        notes.append(
            _(
                "Choosing a round or a date range is for analysts: figures of other health systems always "
                "describe each one's latest published round, so that no two views can be subtracted."
            )
        )
        filters = replace(filters, rounds="latest", label=None, date_from=None, date_to=None)
    return filters


def _versions(published: Sequence[PublishedRound]) -> dict[str, QuestionnaireChoice]:
    systems: dict[str, set[int]] = {}
    for round_ in published:
        systems.setdefault(round_.version_key, set()).add(round_.health_system_id)
    versions: dict[str, QuestionnaireChoice] = {}
    for round_ in published:
        key = round_.version_key
        if key not in versions:
            versions[key] = QuestionnaireChoice(
                key,
                round_.questionnaire_id,
                round_.questionnaire_version,
                round_.questionnaire_title,
                len(systems[key]),
            )
    return versions


def _most_used_version(rounds: Sequence[PublishedRound]) -> str | None:
    systems: dict[str, set[int]] = {}
    newest: dict[str, dt.date] = {}
    for round_ in rounds:
        key = round_.version_key
        systems.setdefault(key, set()).add(round_.health_system_id)
        newest[key] = max(newest.get(key, round_.date), round_.date)
    if not systems:
        return None
    return max(systems, key=lambda k: (len(systems[k]), newest[k]))


def _periods(rounds: Iterable[PublishedRound]) -> list[str]:
    """The names of the rounds' periods ("Round 2026 H1"), oldest first: rounds are chosen by period."""
    periods = {round_.period for round_ in rounds}
    return [round_name(period) for period in sorted(periods)]


# --- assemble: from scorecards to the comparison ------------------------------------------------


def nothing_to_compare(chosen: Plan, viewer: Viewer, threshold: int) -> Comparison:
    """The comparison when no round has been published."""
    return Comparison(
        chosen.filters, viewer.named, None, chosen.questionnaires, (), None, (), (), (), 0, "", threshold, chosen.notes
    )


def assemble(
    chosen: Plan, scored: Mapping[int, ScoredRound], questionnaire: Questionnaire, viewer: Viewer, threshold: int
) -> Comparison:
    """The comparison of the planned rounds, from their scorecards (by round id)."""
    notes = list(chosen.notes)
    exclude = viewer.exclude
    selection_frame = scores_frame(scored[r.round_id] for r in chosen.selection)
    trend_frame = period_scores_frame(scored[r.round_id] for r in chosen.trend_rounds)
    round_names = {r.round_id: r.label for r in chosen.trend_rounds}
    ranked, stats = bm.ranked_snapshot(selection_frame, min_group_size=threshold, exclude_systems=exclude)
    in_snapshot = dict(ranked[["system_code", "system_name"]].drop_duplicates().itertuples(index=False, name=None))
    group_size = len([c for c in in_snapshot if c not in exclude])
    available, selected, filters = _pick_systems(chosen.filters, in_snapshot, viewer, notes)
    filters, domains = _fit_to_questionnaire(filters, questionnaire, notes)
    statistic_label, withheld_note = _statistic_label(group_size, threshold, viewer.named)
    if withheld_note:
        notes.append(withheld_note)
    builder = TableBuilder(
        questionnaire,
        domains,
        filters,
        ranked,
        stats,
        trend_frame,
        selected,
        viewer.named,
        exclude,
        threshold,
        round_names=round_names,
        measure=_measure(scored),
    )
    if viewer.named and filters.group != "all":
        notes.append(
            _n(
                "Group: {n} health system ({group}).",
                "Group: {n} health systems ({group}).",
                group_size,
                group=filters.group_text(),
            )
        )
    notes.extend(builder.trend_notes())
    tables = {
        "radar": builder.radar(statistic_label),
        "heatmap": builder.heatmap(),
        "indicators": builder.indicator_heatmap(),
        "distribution": builder.distribution(),
        "points": builder.points(),
        "trends": builder.trends(),
        "gaps": builder.gaps(),
    }
    return Comparison(
        filters=filters,
        named=viewer.named,
        questionnaire=questionnaire,
        questionnaires=chosen.questionnaires,
        round_labels=chosen.round_labels,
        date_bounds=chosen.date_bounds,
        systems=available,
        all_systems=tuple(SystemChoice(c, n) for c, n in sorted(chosen.everyone.items())),
        selected=selected,
        group_size=group_size,
        statistic_label=statistic_label,
        min_group_size=threshold,
        notes=tuple(notes),
        tables=tables,
        indicator_notes={i.id: i.statement for d in domains if d.id == filters.domain for i in d.indicators},
        withheld_note=withheld_note,
    )


def _measure(scored: Mapping[int, ScoredRound]) -> bm.Measure:
    """The change between two scored rounds, by (kind, item id), over the indicators rated in both."""

    @cache
    def measure(round_id: int, previous_id: int) -> Mapping[tuple[str, str], float | None]:
        current, before = scored[round_id], scored[previous_id]
        return round_changes(current.questionnaire, current.card, before.card).by_item()

    return measure


def _pick_systems(
    filters: Filters, in_snapshot: Mapping[str, str], viewer: Viewer, notes: list[str]
) -> tuple[tuple[SystemChoice, ...], tuple[SystemChoice, ...], Filters]:
    """The systems that may be selected, the ones overlaid (at most MAX_OVERLAY), and the filters to match."""
    named = viewer.named
    available = tuple(SystemChoice(c, n) for c, n in sorted(in_snapshot.items()) if named or c in viewer.own_codes)
    if not named and not available:
        notes.append(_("Your health system has no published round in this selection; the aggregates are shown alone."))
    allowed = {s.code: s for s in available}
    wanted = [allowed[c] for c in filters.systems if c in allowed]
    dropped = [c for c in filters.systems if c not in allowed]
    if dropped and named:
        notes.append(_("Not in this selection: {codes}.", codes=", ".join(dropped)))
    if not wanted:
        wanted = list(available[: 3 if named else MAX_OVERLAY])
    if len(wanted) > MAX_OVERLAY:
        notes.append(
            _n(
                "At most {n} health system is overlaid; the first {n} is shown.",
                "At most {n} health systems are overlaid; the first {n} are shown.",
                MAX_OVERLAY,
            )
        )
        wanted = wanted[:MAX_OVERLAY]
    selected = tuple(wanted)
    return available, selected, replace(filters, systems=tuple(s.code for s in selected))


def _fit_to_questionnaire(
    filters: Filters, questionnaire: Questionnaire, notes: list[str]
) -> tuple[Filters, list[Domain]]:
    """Pillar, domain, trend item and order as the questionnaire has them (unknown ones fall back)."""
    domains = [d for d in questionnaire.domains if filters.pillar is None or d.pillar == filters.pillar]
    if filters.pillar and not domains:
        notes.append(_("The questionnaire has no pillar '{pillar}'; showing all domains.", pillar=filters.pillar))
        filters = replace(filters, pillar=None)
        domains = list(questionnaire.domains)
    domain_ids = [d.id for d in domains]
    if filters.domain not in domain_ids:
        filters = replace(filters, domain=domain_ids[0])
    if filters.item != OVERALL and filters.item not in domain_ids:
        filters = replace(filters, item=OVERALL)
    if filters.sort not in (*SORTS, *domain_ids):
        filters = replace(filters, sort="name")
    return filters, domains


def _statistic_label(group_size: int, threshold: int, named: bool) -> tuple[str, str]:
    """The statistic's name, and the note saying it is withheld ("" when it is not)."""
    if group_size >= threshold:
        if named:
            return _n("Median of {n} health system", "Median of {n} health systems", group_size), ""
        return _n("Median of {n} other health system", "Median of {n} other health systems", group_size), ""
    if named:
        note = _n(
            "Statistics are withheld: {n} health system in this selection, fewer than the {needed} needed.",
            "Statistics are withheld: {n} health systems in this selection, fewer than the {needed} needed.",
            group_size,
            needed=threshold,
        )
        label = _n(
            "Median (withheld: fewer than {n} health system)",
            "Median (withheld: fewer than {n} health systems)",
            threshold,
        )
    else:
        note = _(
            "Statistics are withheld: too few other health systems in this selection, fewer than the {needed} needed.",
            needed=threshold,
        )
        label = _n(
            "Median (withheld: fewer than {n} other health system)",
            "Median (withheld: fewer than {n} other health systems)",
            threshold,
        )
    return label, note

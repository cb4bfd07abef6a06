"""The report context: everything the PDF readiness report (and the Results page) shows, as frozen values.

The values themselves are defined in :mod:`.model`, the inputs in :mod:`.inputs`;
this module builds the one from the other (and exports all of them).

:func:`build_report_context` is pure: questionnaire, scorecard and round facts
in, :class:`ReportContext` out.  For a round in the database those facts are
read in one snapshot by ``Services.report_inputs`` (:mod:`.inputs`; every
permission check happens there: whoever may open the round's results, a
viewer included, gets its report) and turned into the context by
:func:`report_context_of`.

Choices made here (and said in the report's methodology):

* **Partial assessment, strongest and weakest, standing, recommendations.**
  See :mod:`.brief`: below the coverage threshold (or with a domain not rated)
  the round is a partial assessment without a headline level; strongest and
  weakest are split at one level, so they never contradict each other.
* **Gaps and next steps** (``action_plan`` in the code).  The scoring engine's
  priorities (largest gap first; ties to the lower level, then questionnaire
  order), grouped by pillar; the pillar with the largest single gap comes first
  (then the larger total gap).  Beside each next step, the questionnaire's
  resources for the indicator (https links, printed, never opened).
* **The team's plan** (``plan``, ``since``).  Only for a reader who may see the
  health system's plan (its members, administrators; not an analyst).  Actions
  by pillar (that of the first indicator each serves), due date first; dropped
  ones counted, not listed; overdue on the report's date; judged reached or not
  yet against this round's levels when the round is newer than the action's
  start.  "Since the last round": the actions done since the previous round's
  date, and the plan's indicators whose level moved between the two rounds.
  The planned and in-progress actions (the overdue first) are the brief's first
  recommendations, up to :data:`PLANNED_RECOMMENDATIONS`.
* **Benchmark.**  Only with at least ``min_peers`` (3) other health systems
  behind it; a domain missing from the medians shows no benchmark.
* **Previous round.**  The health system's latest earlier round of the same
  questionnaire id that was submitted or published; changes are compared by
  domain and pillar id.
* **Draft marking.**  Every report of a round that is not published carries
  the DRAFT watermark on every page (draft, in review and submitted alike: a
  submitted round is not yet validated by publication).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from b1mg_maturity import i18n
from b1mg_maturity.charts import level_colour, text_colour_on
from b1mg_maturity.domain import ActionStatus
from b1mg_maturity.i18n import N_, _, _n
from b1mg_maturity.planning import PlanAction, levels_of, outcome, pillar_of, since_last_round
from b1mg_maturity.questionnaire import Questionnaire
from b1mg_maturity.questionnaire.translation import note_text, shown_note
from b1mg_maturity.report import brief
from b1mg_maturity.report.brief import DEFAULT_MIN_COVERAGE, STRONGEST, WEAKEST
from b1mg_maturity.report.inputs import (
    IndicatorNotes,
    PeerMedians,
    PlanReport,
    PreviousRound,
    ReportInputs,
    RoundInfo,
)
from b1mg_maturity.report.model import (
    DRAFT_WATERMARK,
    ActionItem,
    Change,
    ChangeSummary,
    DomainSection,
    IndicatorRow,
    IndicatorSwitch,
    LevelBand,
    MethodSection,
    NamedChange,
    PillarActions,
    PlanItem,
    PlanLevelMove,
    PlanPillar,
    PlanSection,
    PlanSince,
    Recommendation,
    ReportContext,
    ResourceLink,
    Score,
    long_date,
)
from b1mg_maturity.scoring import Aggregation, GroupScore, IndicatorResult, ScoreCard

MIN_PEERS = 3

# translated where they are shown: ``_(AGGREGATION_WORDS[aggregation])``
AGGREGATION_WORDS: Mapping[Aggregation, str] = {
    Aggregation.MEAN: N_("weighted mean"),
    Aggregation.MEDIAN: N_("median"),
    Aggregation.MINIMUM: N_("lowest value (the weakest link)"),
}


# --- building it ---------------------------------------------------------------------------------


def _score(group: GroupScore, questionnaire: Questionnaire, has_targets: bool) -> Score:
    """``has_targets``: whether any indicator of the group has a target (else target and gap are not shown)."""
    colour = level_colour(group.band)
    return Score(
        id=group.id,
        name=group.name,
        score=group.score,
        band=group.band,
        band_label=questionnaire.level_label(group.band) if group.band is not None else "",
        target=group.target if has_targets else None,
        gap=group.gap if has_targets else None,
        coverage=group.coverage,
        colour=colour,
        text_colour=text_colour_on(colour),
    )


def _row(
    result: IndicatorResult,
    questionnaire: Questionnaire,
    notes: IndicatorNotes,
    basis: str,
) -> IndicatorRow:
    domain = questionnaire.domain_of(result.indicator_id)
    colour = level_colour(result.level, result.not_applicable)
    return IndicatorRow(
        indicator_id=result.indicator_id,
        domain_id=result.domain_id,
        domain_title=domain.title,
        pillar_id=result.pillar,
        subdomain_name=questionnaire.subdomain_of(result.indicator_id).name,
        statement=questionnaire.indicator(result.indicator_id).statement,
        level=result.level,
        level_label=questionnaire.level_label(result.level) if result.level is not None else "",
        status=result.status,
        target=result.target,
        gap=result.gap,
        next_step=result.next_step,
        evidence=notes.evidence,
        links=notes.links,
        rationale=notes.rationale,
        basis=basis,
        colour=colour,
        text_colour=text_colour_on(colour),
    )


def _action_plan(
    card: ScoreCard, questionnaire: Questionnaire, rows: Mapping[str, IndicatorRow], pillars: Sequence[Score]
) -> tuple[PillarActions, ...]:
    by_pillar: dict[str, list[ActionItem]] = {}
    for priority in card.priorities:
        next_level = priority.level + 1
        by_pillar.setdefault(priority.pillar, []).append(
            ActionItem(
                rank=priority.rank,
                row=rows[priority.indicator_id],
                gap=priority.gap,
                next_level=next_level,
                next_level_label=questionnaire.level_label(next_level),
                next_step=priority.next_step,
                resources=_resources(questionnaire, priority.indicator_id),
            )
        )
    order = {p.id: index for index, p in enumerate(pillars)}
    groups = [PillarActions(p, tuple(by_pillar[p.id])) for p in pillars if p.id in by_pillar]
    groups.sort(key=lambda g: (-g.largest_gap, -g.total_gap, order[g.pillar.id]))
    return tuple(groups)


def _resources(questionnaire: Questionnaire, indicator_id: str) -> tuple[ResourceLink, ...]:
    """The questionnaire's guidance for an indicator: https addresses only (the loader checks; so does this)."""
    return tuple(
        ResourceLink(r.title.strip(), r.url)
        for r in questionnaire.indicator(indicator_id).resources
        if r.url.startswith("https://") and r.title.strip()
    )


# --- the team's own plan -------------------------------------------------------------------------


def _indicator_name(questionnaire: Questionnaire, indicator_id: str) -> str:
    """How a reader knows an indicator of the plan: its subdomain's name (its id, when the questionnaire lacks it)."""
    if not questionnaire.has_indicator(indicator_id):
        return indicator_id
    return questionnaire.subdomain_of(indicator_id).name


def _plan_item(
    action: PlanAction,
    plan: PlanReport,
    questionnaire: Questionnaire,
    round_info: RoundInfo,
    levels: Mapping[str, int | None],
    today: dt.date,
) -> PlanItem:
    serves = i18n.join(
        [
            _(
                "{indicator} to level {level}",
                indicator=_indicator_name(questionnaire, aim.indicator_id),
                level=aim.level,
            )
            for aim in action.aims
        ]
    )
    owner = action.owner_shown(plan.owner_names)
    judged = action.start is not None and round_info.date > action.start
    return PlanItem(
        id=action.id,
        title=action.title,
        status=action.status,
        owner=owner,
        due=action.due,
        overdue=action.is_overdue(today),
        serves=serves,
        indicator_ids=action.indicator_ids,
        outcome=outcome(action, levels).state if judged else None,
        done_on=action.done_on,
    )


def _plan(
    plan: PlanReport,
    questionnaire: Questionnaire,
    card: ScoreCard,
    round_info: RoundInfo,
    previous: PreviousRound | None,
    today: dt.date,
) -> tuple[PlanSection, PlanSince | None]:
    """The plan by pillar (questionnaire order; actions whose indicators it does not know last), and what it
    did since the previous round (None without one, or without an action)."""
    levels = levels_of(card)
    kept = [a for a in plan.actions if a.status != ActionStatus.DROPPED]
    items = {a.id: _plan_item(a, plan, questionnaire, round_info, levels, today) for a in kept}
    by_pillar: dict[str | None, list[PlanItem]] = {}
    for action in kept:
        by_pillar.setdefault(pillar_of(action, questionnaire), []).append(items[action.id])
    pillars = [PlanPillar(p.id, p.name, tuple(by_pillar[p.id])) for p in questionnaire.pillars if p.id in by_pillar]
    if None in by_pillar:
        pillars.append(PlanPillar(None, _("Other indicators"), tuple(by_pillar[None])))
    section = PlanSection(
        tuple(pillars),
        dropped=len(plan.actions) - len(kept),
        judged=any(item.outcome is not None for item in items.values()),
    )
    if previous is None or not plan.actions:
        return section, None
    found = since_last_round(
        plan.actions,
        previous_label=previous.label,
        previous_date=previous.date,
        previous_levels=levels_of(previous.card),
        latest_levels=levels,
    )
    since = PlanSince(
        previous_label=previous.label,
        previous_date=previous.date,
        done=tuple(items[a.id] for a in found.done if a.id in items),
        moved=tuple(
            PlanLevelMove(m.indicator_id, _indicator_name(questionnaire, m.indicator_id), m.before, m.after)
            for m in found.moved
        ),
        unchanged=found.unchanged,
    )
    return section, since


def _changes(
    card: ScoreCard,
    previous: PreviousRound,
    questionnaire: Questionnaire,
    rows: Mapping[str, IndicatorRow],
) -> tuple[ChangeSummary, dict[str, Change]]:
    """The change since ``previous``, measured only over the indicators rated in both rounds
    (:mod:`b1mg_maturity.comparison.changes`); switches between not applicable and a level listed apart."""
    from b1mg_maturity.comparison.changes import GroupChange, round_changes  # keeps pandas out of this import

    found = round_changes(questionnaire, card, previous.card)

    def change(group: GroupChange) -> Change:
        return Change(group.previous, group.current, group.compared)

    domain_changes = {d.id: change(d) for d in found.domains}
    summary = ChangeSummary(
        previous_label=previous.label,
        previous_date=previous.date,
        overall=change(found.overall),
        pillars=tuple(NamedChange(p.id, p.name, change(p)) for p in found.pillars),
        domains=tuple(NamedChange(d.id, d.name, domain_changes[d.id]) for d in found.domains),
        improved=len(found.improved),
        declined=len(found.declined),
        unchanged=len(found.unchanged),
        compared=found.compared,
        switched=tuple(
            IndicatorSwitch(
                rows[i.indicator_id],
                i.previous,
                questionnaire.level_label(i.previous) if i.previous is not None else "",
            )
            for i in found.switched
        ),
        not_compared=len(found.not_compared),
    )
    return summary, domain_changes


def _methodology(
    questionnaire: Questionnaire,
    card: ScoreCard,
    basis_summary: str,
    evidence_included: bool,
    benchmark: PeerMedians | None,
    previous: PreviousRound | None,
    min_peers: int,
    *,
    min_coverage: float = DEFAULT_MIN_COVERAGE,
    partial: bool = False,
    plan: PlanSection | None = None,
) -> tuple[MethodSection, ...]:
    how = _(AGGREGATION_WORDS[card.aggregation])
    sections = [
        MethodSection(_("Ratings"), _ratings(questionnaire, basis_summary, evidence_included)),
        MethodSection(
            _("Scores"),
            (
                _(
                    "An indicator's score is its level. A subdomain's and a domain's score is the {how} of the levels "
                    "of their answered indicators, each indicator counting with its weight (1 unless the questionnaire "
                    "says otherwise). A pillar's score is the {how} of its domains' scores, and the overall score the "
                    "{how} of all domain scores, so that every domain counts once however many indicators it has.",
                    how=how,
                ),
                _(
                    "Indicators marked not applicable, and those not yet answered, have no score and are left out of "
                    "every score; a domain with no answered indicator is shown as not rated."
                ),
            ),
        ),
        MethodSection(
            _("Maturity levels"),
            (
                _(
                    "A score's maturity level is the highest level fully reached: the score rounded down. A score of "
                    "{example} is therefore reported as level 2, halfway to level 3. The colours of the levels are the "
                    "same throughout the report and in the application.",
                    example=i18n.number(2.5, 1),
                ),
            ),
            key="levels",
        ),
        MethodSection(_("Coverage"), _coverage(card, min_coverage, partial)),
        MethodSection(_("Targets, gaps and next steps"), _targets()),
        MethodSection(_("The action plan"), _plan_method() if plan is not None and plan.items else ()),
        MethodSection(_("Benchmark"), _benchmark(benchmark, min_peers)),
        MethodSection(_("Change since the previous round"), _previous(previous)),
        MethodSection(
            _("Source of the questionnaire"),
            tuple(
                text
                for text in (
                    _(
                        "{title} (questionnaire {id}, version {version}).",
                        title=questionnaire.title,
                        id=questionnaire.id,
                        version=questionnaire.version,
                    ),
                    questionnaire.source.citation,
                    _("Available at {url}.", url=questionnaire.source.url) if questionnaire.source.url else "",
                    questionnaire.source.notice or "",
                )
                if text
            ),
        ),
    ]
    kept = (MethodSection(s.heading, tuple(p for p in s.paragraphs if p), s.key) for s in sections)
    return tuple(s for s in kept if s.paragraphs)


def _ratings(questionnaire: Questionnaire, basis_summary: str, evidence_included: bool) -> tuple[str, ...]:
    return (
        _(
            "Each of the {indicators} indicators is rated by choosing the one of the {levels} described levels "
            "({low} to {high}) that fits the health system best, or by marking it not applicable. The team's experts "
            "rate the indicators of the domains they know, with their evidence, and then agree a consensus level with "
            "a rationale. Where no consensus has been recorded the lower median of the experts' levels is used, which "
            "errs on the cautious side.",
            indicators=len(questionnaire.indicators),
            levels=len(questionnaire.levels),
            low=questionnaire.min_level,
            high=questionnaire.max_level,
        ),
        _("This report uses {basis}.", basis=basis_summary) if basis_summary else "",
        _("Experts' own evidence is shown beside the agreed rationale, without the experts' names.")
        if evidence_included
        else _(
            "This copy shows the agreed rationale only: the experts' own evidence is shown in copies made by the "
            "round's coordinator or an administrator."
        ),
    )


def _coverage(card: ScoreCard, min_coverage: float, partial: bool) -> tuple[str, ...]:
    cov = card.overall.coverage
    not_applicable = _n(
        "{n} indicator is marked not applicable", "{n} indicators are marked not applicable", cov.not_applicable
    )
    unanswered = _n("{n} is not yet answered", "{n} are not yet answered", cov.unanswered)
    this_round = _(
        "In this round {answered} of {applicable} applicable indicators are answered ({percent}); {not_applicable} "
        "and {unanswered}.",
        answered=cov.answered,
        applicable=cov.applicable,
        percent=i18n.percent(cov.ratio),
        not_applicable=not_applicable,
        unanswered=unanswered,
    )
    if partial:
        this_round = _(
            "{sentence} This round is therefore a partial assessment.",
            sentence=this_round,
        )
    return (
        _(
            "Coverage is the share of applicable indicators that have been answered, where applicable means every "
            "indicator not marked not applicable. It is given for every score so that a score resting on few answers "
            "can be recognised."
        ),
        _(
            "A round with fewer than {threshold} of its applicable indicators answered, or with a domain in which no "
            "indicator is rated, is a partial assessment: its scores are shown for what is answered, but it is given "
            "no overall maturity level and no rank among its peers.",
            threshold=i18n.percent(min_coverage),
        ),
        this_round,
    )


def _targets() -> tuple[str, ...]:
    return (
        _(
            "A target is the level the health system aims to reach for an indicator. The gap is the target minus the "
            "current level (a target at or below the current level counts as met, a gap of 0). A group's target score "
            "combines the targets of its answered indicators in the same way as the score, using the current level "
            "where no target is set; its gap is the target score minus the score."
        ),
        _(
            "The next step of an indicator below its target is the description of the next level up. The gaps and "
            "next steps list every indicator with a gap, the largest gap first; equal gaps go to the lower current "
            "level first (the weaker starting point), then to questionnaire order. They are grouped by pillar, the "
            "pillar with the largest gap first. Where the questionnaire names guidance for an indicator, its title "
            "and web address are printed beside the next step; the report does not open them."
        ),
        _(
            "The summary names up to {weakest} weakest and {strongest} strongest indicators. They are split at one "
            "level, so that every indicator called strongest is at a higher level than every one called weakest, and "
            "as many are shown as that allows. Among equal levels the weakest are those with the larger gap to target, "
            "the strongest those that meet their target. When every rated indicator is at the same level, the summary "
            "says so instead.",
            weakest=WEAKEST,
            strongest=STRONGEST,
        ),
        _(
            "The {fewest} to {most} recommendations are drawn from the largest gaps to target and, where there are too "
            "few, from the lowest-rated indicators; each names the next level to reach and what it looks like. They "
            "are grouped by pillar.",
            fewest=brief.MIN_RECOMMENDATIONS,
            most=brief.MAX_RECOMMENDATIONS,
        ),
    )


def _plan_method() -> tuple[str, ...]:
    return (
        _(
            "The action plan is the health system's own: the actions its team set against the gaps, whenever they "
            "were set, as they stand on the date the report was printed. Each action is listed under the pillar of "
            "the first indicator it serves, the earliest due first. An action still open after its due date is "
            "marked overdue; dropped actions are counted but not listed."
        ),
        _(
            "An action started before this round is judged against this round's levels: reached when every "
            "indicator it serves is at or above the level it aims at, not yet when one is below, and not rated when "
            "none of them has a level in this round."
        ),
        _(
            "Since the last round lists the actions marked done on or after the date of the previous round, and the "
            "indicators served by the plan whose level differs between the two rounds."
        ),
        _(
            "Up to {n} of the planned and in-progress actions, the overdue first and then the earliest due, are the "
            "first recommendations of the brief.",
            n=brief.PLANNED_RECOMMENDATIONS,
        ),
    )


def _benchmark(benchmark: PeerMedians | None, min_peers: int) -> tuple[str, ...]:
    rule = _(
        "The peer benchmark is the median, per domain, of the other health systems assessed with the same "
        "questionnaire. Each counts with one published round: its latest of the same year as this round or, if it "
        "has none that year, its latest round of an earlier year. A health system whose rounds are all later is left "
        "out, so rounds published for later years never change this report. The benchmark is shown only when at "
        "least {min_peers} other health systems qualify, a domain scored by fewer of them is left out, and no other "
        "health system is ever named.",
        min_peers=min_peers,
    )
    if benchmark is None:
        here = _(
            "No benchmark is shown in this report: fewer than {min_peers} other health systems have a published round "
            "of this year or earlier to compare with.",
            min_peers=min_peers,
        )
        return (rule, here)
    return (rule, _compares_with(benchmark))


def _compares_with(benchmark: PeerMedians) -> str:
    """``This report compares with the median of 4 other health systems: their rounds of 2026, ...``"""
    dates = benchmark.dates_text
    if benchmark.default_label:
        if dates:
            return _n(
                "This report compares with the median of {n} other health system: {dates}.",
                "This report compares with the median of {n} other health systems: {dates}.",
                benchmark.count,
                dates=dates,
            )
        return _n(
            "This report compares with the median of {n} other health system.",
            "This report compares with the median of {n} other health systems.",
            benchmark.count,
        )
    name = benchmark.name.lower()
    if dates:
        return _("This report compares with the {name}: {dates}.", name=name, dates=dates)
    return _("This report compares with the {name}.", name=name)


def _previous(previous: PreviousRound | None) -> tuple[str, ...]:
    return (
        _(
            "Changes compare this round with the health system's latest earlier round of the same questionnaire that "
            "was submitted or published, domain by domain and pillar by pillar."
        ),
        _(
            "A change is measured only over the indicators rated with a level in both rounds. Both rounds are scored "
            "again on those indicators alone, in the same way as every other score, and the change is the difference "
            "between the two. An indicator rated in only one of the rounds therefore moves no score, and a domain with "
            "no indicator rated in both rounds shows no change."
        ),
        _(
            "Indicators that moved between not applicable and a level, either way, are listed apart and are not part "
            "of any change. Indicators not answered in one round or both, or not applicable in both, are not "
            "compared. The counts of indicators that improved, declined, stayed the same, moved or were not compared "
            "add up to every indicator of the questionnaire."
        ),
        _("This report compares with {label} ({date}).", label=previous.label, date=long_date(previous.date))
        if previous is not None
        else _(
            "This is the health system's first submitted or published round of this questionnaire, so no change is "
            "shown."
        ),
    )


def build_report_context(
    questionnaire: Questionnaire,
    card: ScoreCard,
    round_info: RoundInfo,
    *,
    basis_summary: str = "",
    basis: Mapping[str, str] | None = None,
    notes: Mapping[str, IndicatorNotes] | None = None,
    evidence_included: bool = True,
    benchmark: PeerMedians | None = None,
    previous: PreviousRound | None = None,
    min_peers: int = MIN_PEERS,
    generated_on: dt.date | None = None,
    min_coverage: float = DEFAULT_MIN_COVERAGE,
    planned: Sequence[Recommendation] | None = None,
    plan: PlanReport | None = None,
) -> ReportContext:
    """The report of one scored round.  Pure: no database, no files, no clock unless ``generated_on`` is None.

    ``min_coverage``: the setting ``report_min_coverage`` (below it, a partial assessment); ``plan``: the
    health system's plan as the reader may see it (None: not shown); ``planned``: the recommendations to give
    first (None: the plan's planned and in-progress actions, :func:`brief.planned_recommendations`).
    """
    if card.questionnaire_id != questionnaire.id:
        raise ValueError(f"the scorecard is of {card.questionnaire_id}, not of {questionnaire.id}")
    notes = notes or {}
    basis = basis or {}
    if benchmark is not None and benchmark.count < min_peers:
        benchmark = None
    empty = IndicatorNotes()
    rows = {
        r.indicator_id: _row(r, questionnaire, notes.get(r.indicator_id, empty), basis.get(r.indicator_id, ""))
        for r in card.indicators
    }
    pillar_names = {p.id: p.name for p in questionnaire.pillars}
    targeted = {r.indicator_id for r in card.indicators if r.target is not None and r.level is not None}
    targeted_domains = {r.domain_id for r in card.indicators if r.indicator_id in targeted}
    targeted_pillars = {r.pillar for r in card.indicators if r.indicator_id in targeted}
    overall = _score(card.overall, questionnaire, bool(targeted))
    pillars = tuple(_score(p, questionnaire, p.id in targeted_pillars) for p in card.pillars)
    change: ChangeSummary | None = None
    domain_changes: dict[str, Change] = {}
    if previous is not None and previous.card.questionnaire_id == card.questionnaire_id:
        change, domain_changes = _changes(card, previous, questionnaire, rows)
    else:
        previous = None
    domains = tuple(
        DomainSection(
            score=_score(card.domain(domain.id), questionnaire, domain.id in targeted_domains),
            code=domain.code,
            name=domain.name,
            title=domain.title,
            pillar_id=domain.pillar,
            pillar_name=pillar_names[domain.pillar],
            description=domain.description,
            rows=tuple(rows[ind.id] for ind in domain.indicators),
            benchmark=benchmark.medians.get(domain.id) if benchmark is not None else None,
            change=domain_changes.get(domain.id),
        )
        for domain in questionnaire.domains
    )
    today = generated_on or dt.date.today()
    plan_section, since = (
        _plan(plan, questionnaire, card, round_info, previous, today) if plan is not None else (None, None)
    )
    if planned is None:
        planned = brief.planned_recommendations(plan_section, rows) if plan_section is not None else ()
    strongest, weakest, extremes_note = brief.strongest_and_weakest(list(rows.values()), questionnaire)
    action_plan = _action_plan(card, questionnaire, rows, pillars)
    partial_note = brief.partial_note(card, questionnaire, min_coverage)
    partial = brief.is_partial(card, questionnaire, min_coverage)
    standing = brief.standing(overall, benchmark, partial=partial, min_peers=min_peers)
    levels = tuple(
        LevelBand(
            lv.level,
            lv.label,
            lv.description,
            level_colour(lv.level),
            text_colour_on(level_colour(lv.level)),
        )
        for lv in questionnaire.levels
    )
    return ReportContext(
        title=_("Genomics in healthcare: maturity readiness report for {name}", name=round_info.health_system_name),
        language=i18n.current(),  # the language of the report's texts (the questionnaire's may lack a translation)
        round=round_info,
        questionnaire_id=questionnaire.id,
        questionnaire_version=questionnaire.version,
        questionnaire_title=questionnaire.title,
        source=questionnaire.source,
        aggregation=card.aggregation,
        basis_summary=basis_summary,
        evidence_included=evidence_included,
        levels=levels,
        overall=overall,
        pillars=pillars,
        domains=domains,
        strongest=strongest,
        weakest=weakest,
        action_plan=action_plan,
        change=change,
        benchmark=benchmark,
        key_messages=brief.key_messages(
            round_info,
            overall,
            pillars,
            domains,
            action_plan,
            change,
            questionnaire=questionnaire,
            partial_text=partial_note,
            standing_=standing,
        ),
        methodology=_methodology(
            questionnaire,
            card,
            basis_summary,
            evidence_included,
            benchmark,
            previous,
            min_peers,
            min_coverage=min_coverage,
            partial=partial,
            plan=plan_section,
        ),
        generated_on=today,
        card=card,
        questionnaire=questionnaire,
        partial=partial,
        coverage_threshold=min_coverage,
        standing=standing,
        recommendations=brief.recommendations(questionnaire, card, rows, planned=planned),
        partial_note=partial_note,
        extremes_note=extremes_note,
        questionnaire_note=_questionnaire_note(questionnaire),
        plan=plan_section,
        since=since,
    )


def _questionnaire_note(questionnaire: Questionnaire) -> str:
    note = shown_note(questionnaire)
    return note_text(note) if note is not None else ""


def report_context_of(
    inputs: ReportInputs,
    *,
    benchmark: PeerMedians | None = None,
    min_peers: int = MIN_PEERS,
    generated_on: dt.date | None = None,
    min_coverage: float = DEFAULT_MIN_COVERAGE,
) -> ReportContext:
    """The report context of what :meth:`~b1mg_maturity.services.Services.report_inputs` read.  Pure.

    ``min_coverage``: the setting ``report_min_coverage``, passed in by the caller."""
    return build_report_context(
        inputs.questionnaire,
        inputs.card,
        inputs.round,
        basis_summary=inputs.basis_summary,
        basis=inputs.basis,
        notes=inputs.notes,
        evidence_included=inputs.evidence_included,
        benchmark=benchmark,
        previous=inputs.previous,
        min_peers=min_peers,
        generated_on=generated_on,
        min_coverage=min_coverage,
        plan=inputs.plan,
    )


__all__ = [
    "AGGREGATION_WORDS",
    "DRAFT_WATERMARK",
    "MIN_PEERS",
    "STRONGEST",
    "WEAKEST",
    "ActionItem",
    "Change",
    "ChangeSummary",
    "DomainSection",
    "IndicatorNotes",
    "IndicatorRow",
    "IndicatorSwitch",
    "LevelBand",
    "MethodSection",
    "NamedChange",
    "PeerMedians",
    "PillarActions",
    "PlanItem",
    "PlanLevelMove",
    "PlanPillar",
    "PlanReport",
    "PlanSection",
    "PlanSince",
    "PreviousRound",
    "ReportContext",
    "ReportInputs",
    "ResourceLink",
    "RoundInfo",
    "Score",
    "build_report_context",
    "long_date",
    "report_context_of",
]

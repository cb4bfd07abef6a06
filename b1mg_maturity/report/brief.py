"""The brief's logic: partial assessments, strongest and weakest, standing among peers, recommendations.

Pure: questionnaire, scorecard and report rows in, frozen values and plain sentences out.
Used by :func:`b1mg_maturity.report.context.build_report_context`; the PDF and the
Results page render what it returns.

Rules (also said in the report's methodology and the README):

* **Partial assessment.**  A round is partial when fewer than ``min_coverage``
  (the setting ``report_min_coverage``, 80% by default) of its applicable
  indicators are answered, or when a domain has no rated indicator.  A partial
  round keeps its scores for the tables but gets no headline level.
* **Strongest and weakest.**  The answered indicators are split at one level:
  the weakest (up to 5) lie at or below it, the strongest (up to 3) above it,
  so an indicator called strongest is always at a higher level than every one
  called weakest.  The split shows as many indicators as it can, then as even
  a split as it can, then the larger share to the weakest.  When every answered
  indicator is at the same level, one sentence says so instead.
* **Standing.**  The overall score's rank among the peers' overall scores and
  this one (ties share the better rank); quartile ``q`` means the rank lies in
  the top ``q`` quarters: ``ceil(4 * rank / of)``.  None without a benchmark,
  with fewer than the minimum of peers with an overall score, or when partial.
* **Recommendations.**  3 to 5: the team's own planned and in-progress actions
  first (up to 3, the overdue first, then by due date), then the largest gaps to target (the scoring
  engine's priorities), then the lowest-rated indicators below the top level;
  at most 2 per pillar while another pillar has something to recommend, so the
  brief speaks of several themes; grouped by pillar (the pillar of the first
  one first).  Each says which level
  to reach next and what that level looks like.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections.abc import Mapping, Sequence

from b1mg_maturity import i18n
from b1mg_maturity.domain import ActionStatus
from b1mg_maturity.i18n import N_, _, _n
from b1mg_maturity.questionnaire import Questionnaire
from b1mg_maturity.report.inputs import PeerMedians, RoundInfo
from b1mg_maturity.report.model import (
    ChangeSummary,
    DomainSection,
    IndicatorRow,
    PillarActions,
    PlanItem,
    PlanSection,
    Recommendation,
    Score,
    Standing,
)
from b1mg_maturity.scoring import ScoreCard

DEFAULT_MIN_COVERAGE = 0.8
STRONGEST = 3
WEAKEST = 5
MIN_RECOMMENDATIONS = 3
MAX_RECOMMENDATIONS = 5
MAX_PER_THEME = 2  # while other themes have something to recommend
PLANNED_RECOMMENDATIONS = 3  # the team's own actions recommended first, at most
NOTHING_RATED = N_("No indicator has been rated yet.")  # translated where it is shown
_EPSILON = 1e-9


# --- partial assessments -----------------------------------------------------------------------


def unrated_domains(card: ScoreCard, questionnaire: Questionnaire) -> tuple[str, ...]:
    """The names of the domains without any rated indicator, in questionnaire order."""
    scored = {d.id for d in card.domains if d.score is not None}
    return tuple(d.name for d in questionnaire.domains if d.id not in scored)


def is_partial(card: ScoreCard, questionnaire: Questionnaire, min_coverage: float) -> bool:
    """Below the coverage threshold, or a domain without any rated indicator: no headline level."""
    if card.overall.coverage.ratio + _EPSILON < min_coverage:
        return True
    return bool(unrated_domains(card, questionnaire))


def partial_note(card: ScoreCard, questionnaire: Questionnaire, min_coverage: float) -> str:
    """Why the round is a partial assessment, in one sentence; empty when it is not one, and when nothing is
    rated at all (the report and the page say that in their own words)."""
    cov = card.overall.coverage
    if not cov.answered or not is_partial(card, questionnaire, min_coverage):
        return ""
    fields = {"answered": cov.answered, "applicable": cov.applicable, "percent": i18n.percent(cov.ratio)}
    low = cov.ratio + _EPSILON < min_coverage
    if low:
        answered = _(
            "{answered} of the {applicable} applicable indicators are answered ({percent}), fewer than the "
            "{needed} needed",
            needed=i18n.percent(min_coverage),
            **fields,
        )
    else:
        answered = _("{answered} of the {applicable} applicable indicators are answered ({percent})", **fields)
    missing = unrated_domains(card, questionnaire)
    if not missing:
        reasons = answered
    else:
        if len(missing) <= 3:
            domains = _("no indicator is rated in {domains}", domains=i18n.join(list(missing)))
        else:
            domains = _(
                "no indicator is rated in {unrated} of the {total} domains",
                unrated=len(missing),
                total=len(questionnaire.domains),
            )
        if low:
            reasons = _("{coverage}, and {domains}", coverage=answered, domains=domains)
        else:
            reasons = _("{coverage}, but {domains}", coverage=answered, domains=domains)
    return _("This is a partial assessment, so it gives no overall level: {reasons}.", reasons=reasons)


# --- strongest and weakest ---------------------------------------------------------------------


def strongest_and_weakest(
    rows: Sequence[IndicatorRow], questionnaire: Questionnaire
) -> tuple[tuple[IndicatorRow, ...], tuple[IndicatorRow, ...], str]:
    """``(strongest, weakest, note)``: both lists filled, or both empty and a note saying why.

    Weakest: lowest level first, then the larger gap to target, then questionnaire
    order.  Strongest: highest level first, then target met, then questionnaire order.
    """
    order = {row.indicator_id: index for index, row in enumerate(rows)}
    answered = [row for row in rows if row.level is not None]
    levels = sorted({row.level for row in answered if row.level is not None})
    if not answered:
        return (), (), _(NOTHING_RATED)
    if len(levels) == 1:
        level = levels[0]
        label = questionnaire.level_label(level)
        if len(answered) == 1:
            note = _(
                "Only one indicator is rated so far, at level {level}, “{label}”: there is nothing yet to compare "
                "it with.",
                level=level,
                label=label,
            )
        else:
            note = _n(
                "All {n} rated indicator is at the same level, level {level}, “{label}”: none stands out as "
                "strongest or weakest.",
                "All {n} rated indicators are at the same level, level {level}, “{label}”: none stands out as "
                "strongest or weakest.",
                len(answered),
                level=level,
                label=label,
            )
        return (), (), note
    by_weakness = sorted(answered, key=lambda r: (r.level or 0, -(r.gap or 0), order[r.indicator_id]))
    by_strength = sorted(answered, key=lambda r: (-(r.level or 0), r.gap or 0, order[r.indicator_id]))

    def split(cut: int) -> tuple[list[IndicatorRow], list[IndicatorRow]]:
        weak = [r for r in by_weakness if (r.level or 0) <= cut][:WEAKEST]
        strong = [r for r in by_strength if (r.level or 0) > cut][:STRONGEST]
        return strong, weak

    def merit(cut: int) -> tuple[int, int, int]:
        strong, weak = split(cut)
        return (len(strong) + len(weak), -abs(len(strong) - len(weak)), len(weak))

    best = max(levels[:-1], key=merit)  # the first of equals: the lowest cut
    strong, weak = split(best)
    return tuple(strong), tuple(weak), ""


# --- standing among peers ----------------------------------------------------------------------


def standing(overall: Score, benchmark: PeerMedians | None, *, partial: bool, min_peers: int) -> Standing | None:
    """Rank and quartile of the overall score among the peers' overall scores; see the module docstring."""
    if benchmark is None or partial or overall.score is None:
        return None
    peers = [r.overall for r in benchmark.rounds if r.overall is not None]
    if len(peers) < min_peers:
        return None
    own = overall.score
    rank = 1 + sum(1 for p in peers if p > own + _EPSILON)
    of = len(peers) + 1
    return Standing(
        rank=rank,
        of=of,
        quartile=min(4, math.ceil(4 * rank / of)),
        peer_median=float(statistics.median(peers)),
    )


# --- recommendations ---------------------------------------------------------------------------


def indicator_name(row: IndicatorRow, questionnaire: Questionnaire, among: Sequence[IndicatorRow] = ()) -> str:
    """How a reader knows an indicator: its subdomain's name, or its statement (without the closing full stop)
    when another indicator of ``among`` is of the same subdomain.  Never its id."""
    subdomain = questionnaire.subdomain_of(row.indicator_id)
    if any(
        other.indicator_id != row.indicator_id and questionnaire.subdomain_of(other.indicator_id).id == subdomain.id
        for other in among
    ):
        return row.statement.strip().rstrip(".")
    return subdomain.name


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


def recommendation_for(
    row: IndicatorRow, questionnaire: Questionnaire, among: Sequence[IndicatorRow] = ()
) -> Recommendation | None:
    """What to do about one indicator: reach the next level, described as the questionnaire describes it.
    ``among``: the indicators recommended with it (see :func:`indicator_name`)."""
    if row.level is None:
        return None
    next_level = row.level + 1
    description = questionnaire.indicator(row.indicator_id).next_step(row.level)
    if description is None:
        return None
    fields = {
        "indicator": indicator_name(row, questionnaire, among),
        "level": row.level,
        "next": next_level,
        "step": _sentence(description),
    }
    if row.target is not None and row.target > next_level:
        text = _(
            "Raise “{indicator}” from level {level} to level {next}: {step} The target is level {target}.",
            target=row.target,
            **fields,
        )
    else:
        text = _("Raise “{indicator}” from level {level} to level {next}: {step}", **fields)
    return Recommendation(questionnaire.pillar(row.pillar_id).name, text, (row,))


def _planned_text(item: PlanItem) -> str:
    fields = {"title": item.title.strip().rstrip(".")}
    if item.due is None:
        if item.owner:
            return _("Carry through the planned action “{title}”, led by {owner}.", owner=item.owner, **fields)
        return _("Carry through the planned action “{title}”.", **fields)
    date = i18n.date(item.due)
    if item.overdue:
        if item.owner:
            return _(
                "Carry through the planned action “{title}”, led by {owner}: it was due on {date} and is overdue.",
                owner=item.owner,
                date=date,
                **fields,
            )
        return _(
            "Carry through the planned action “{title}”: it was due on {date} and is overdue.", date=date, **fields
        )
    if item.owner:
        return _(
            "Carry through the planned action “{title}”, led by {owner}, due on {date}.",
            owner=item.owner,
            date=date,
            **fields,
        )
    return _("Carry through the planned action “{title}”, due on {date}.", date=date, **fields)


def planned_recommendations(plan: PlanSection, rows: Mapping[str, IndicatorRow]) -> tuple[Recommendation, ...]:
    """The team's planned and in-progress actions as the brief's first recommendations: at most
    :data:`PLANNED_RECOMMENDATIONS`, the overdue first, then the earliest due (no date last); the theme is the
    pillar the plan shows each under.  Proposals (not yet planned) and actions done or dropped are not recommended."""
    wanted = (ActionStatus.PLANNED, ActionStatus.IN_PROGRESS)
    found = [(pillar.name, item) for pillar in plan.pillars for item in pillar.items if item.status in wanted]
    found.sort(key=lambda p: (not p[1].overdue, p[1].due is None, p[1].due or dt.date.min, p[1].id))
    return tuple(
        Recommendation(theme, _planned_text(item), tuple(rows[i] for i in item.indicator_ids if i in rows))
        for theme, item in found[:PLANNED_RECOMMENDATIONS]
    )


def recommendations(
    questionnaire: Questionnaire,
    card: ScoreCard,
    rows: Mapping[str, IndicatorRow],
    *,
    planned: Sequence[Recommendation] = (),
) -> tuple[Recommendation, ...]:
    """3 to 5 recommendations grouped by theme; ``planned``: the team's own actions, once there is an action
    plan (they come first).  Fewer than 3 only when fewer indicators can still rise."""
    chosen: list[Recommendation] = list(planned[:MAX_RECOMMENDATIONS])
    taken = {row.indicator_id for rec in chosen for row in rec.indicators}
    order = {iid: index for index, iid in enumerate(rows)}
    top = questionnaire.max_level
    gaps = [rows[p.indicator_id] for p in card.priorities]
    lowest = sorted(
        (row for row in rows.values() if row.level is not None and row.level < top),
        key=lambda r: (r.level or 0, order[r.indicator_id]),
    )
    picked: list[IndicatorRow] = []
    per_theme: dict[str, int] = {}
    for planned_one in chosen:
        per_theme[planned_one.theme] = per_theme.get(planned_one.theme, 0) + 1
    sources = ((gaps, MAX_RECOMMENDATIONS), (lowest, MIN_RECOMMENDATIONS if gaps else MAX_RECOMMENDATIONS))
    for source, limit in sources:
        # first every theme's largest gaps (at most MAX_PER_THEME each), so the brief speaks of several
        # themes; then the rest in order, when the themes run out
        for capped in (True, False):
            for row in source:
                if len(chosen) + len(picked) >= limit:
                    break
                theme = questionnaire.pillar(row.pillar_id).name
                if row.indicator_id in taken or (capped and per_theme.get(theme, 0) >= MAX_PER_THEME):
                    continue
                picked.append(row)
                taken.add(row.indicator_id)
                per_theme[theme] = per_theme.get(theme, 0) + 1
    for row in picked:
        rec = recommendation_for(row, questionnaire, picked)
        if rec is not None:
            chosen.append(rec)
    themes: dict[str, list[Recommendation]] = {}
    for rec in chosen:
        themes.setdefault(rec.theme, []).append(rec)
    return tuple(rec for group in themes.values() for rec in group)


# --- key messages ------------------------------------------------------------------------------


def key_messages(
    round_info: RoundInfo,
    overall: Score,
    pillars: Sequence[Score],
    domains: Sequence[DomainSection],
    action_plan: Sequence[PillarActions],
    change: ChangeSummary | None,
    *,
    questionnaire: Questionnaire,
    partial_text: str = "",
    standing_: Standing | None = None,
) -> tuple[str, ...]:
    """The cover's key messages in plain words: no indicator ids, no brackets inside brackets.

    A partial assessment gets its caveat first and no headline level, nor any
    comparison of pillars or domains (they would rest on too few answers).
    """
    who = round_info.health_system_name
    if overall.score is None or overall.band is None:
        return (_("No indicator of {name} has been rated yet, so there is no score to report.", name=who),)
    messages: list[str] = []
    if partial_text:
        messages.append(partial_text)
    else:
        messages.append(
            _(
                "{name} scores {score} on the scale of 1 to 5: level {level}, “{label}”, with {coverage}.",
                name=who,
                score=i18n.number(overall.score, 1),
                level=overall.band,
                label=overall.band_label,
                coverage=overall.coverage_text,
            )
        )
        if standing_ is not None:
            messages.append(standing_.sentence)
        rated = [p for p in pillars if p.score is not None]
        if len(rated) >= 2:
            best = max(rated, key=lambda p: p.score or 0.0)
            worst = min(rated, key=lambda p: p.score or 0.0)
            if best.id != worst.id:
                messages.append(
                    _(
                        "Strongest pillar: {strongest}, at {strongest_score}; weakest: {weakest}, at {weakest_score}.",
                        strongest=best.name,
                        strongest_score=best.score_text,
                        weakest=worst.name,
                        weakest_score=worst.score_text,
                    )
                )
        rated_domains = [d for d in domains if d.score.score is not None]
        if rated_domains:
            lowest = min(rated_domains, key=lambda d: d.score.score or 0.0)
            messages.append(
                _("Least mature domain: {domain}, at {score}.", domain=lowest.name, score=lowest.score.score_text)
            )
    gaps = sum(len(group.items) for group in action_plan)
    if gaps:
        first = min((item for group in action_plan for item in group.items), key=lambda i: i.rank)
        distance = _n("{n} level below its target", "{n} levels below its target", first.gap)
        messages.append(
            _n(
                "{n} indicator is below target; the largest gap is in “{indicator}”, {distance}.",
                "{n} indicators are below target; the largest gap is in “{indicator}”, {distance}.",
                gaps,
                indicator=indicator_name(first.row, questionnaire),
                distance=distance,
            )
        )
    elif overall.target is not None:
        messages.append(_("Every rated indicator has reached its target."))
    if change is not None and change.overall.delta is not None:
        messages.append(change.sentence)
    return tuple(messages)


__all__ = [
    "DEFAULT_MIN_COVERAGE",
    "MAX_RECOMMENDATIONS",
    "MIN_RECOMMENDATIONS",
    "NOTHING_RATED",
    "PLANNED_RECOMMENDATIONS",
    "STRONGEST",
    "WEAKEST",
    "indicator_name",
    "is_partial",
    "key_messages",
    "partial_note",
    "planned_recommendations",
    "recommendation_for",
    "recommendations",
    "standing",
    "strongest_and_weakest",
    "unrated_domains",
]

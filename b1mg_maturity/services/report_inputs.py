"""Reading what a round's report rests on, inside one unit of work (see ``ResultUseCases.report_inputs``).

Every read here runs in the caller's session, so the scores, the notes and the
previous round are one snapshot of the database.  The permission rules are
those of the use cases they replace: the round itself was checked by the
caller; the experts' evidence is read only for users who may read every
expert's ratings; the previous round counts only if the user may open it; the
health system's action plan is read only for users who may read it (its members,
administrators; not an analyst); an expert's name is never read.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from b1mg_maturity.consensus import effective_answers
from b1mg_maturity.domain import CLOSED_STATUSES, RoundPeriod
from b1mg_maturity.permissions import Actor, RoundFacts, can_read_all_ratings, can_read_plan
from b1mg_maturity.report.inputs import IndicatorNotes, PlanReport, PreviousRound, ReportInputs, RoundInfo
from b1mg_maturity.scoring import Aggregation, ScoreCard, score
from b1mg_maturity.services.base import readable_rounds
from b1mg_maturity.services.plans import read_actions
from b1mg_maturity.services.questionnaires import questionnaire_of
from b1mg_maturity.services.views import RoundScores, rating_view, round_name
from b1mg_maturity.storage.models import (
    AssessmentRound,
    Consensus,
    QuestionnaireVersion,
    Rating,
    Target,
    User,
)


def read_report_inputs(
    session: Session, actor: Actor, round_: AssessmentRound, facts: RoundFacts, aggregation: Aggregation
) -> ReportInputs:
    """The report inputs of a round ``actor`` may open (the caller checked that)."""
    ratings = list(
        session.scalars(
            select(Rating)
            .join(User, User.id == Rating.expert_id)
            .where(Rating.round_id == round_.id)
            .order_by(Rating.indicator_id, User.username)  # the order the evidence is listed in
        )
    )
    consensus = list(session.scalars(select(Consensus).where(Consensus.round_id == round_.id)))
    questionnaire = questionnaire_of(round_.questionnaire_version)
    card, scores = _scores(session, round_, aggregation, ratings=ratings, consensus=consensus)
    evidence_included = can_read_all_ratings(actor, facts)
    return ReportInputs(
        questionnaire=questionnaire,
        card=card,
        round=RoundInfo(
            health_system_name=round_.health_system.name,
            health_system_code=round_.health_system.code,
            label=round_name(round_),
            date=round_.round_date,
            status=round_.status,
            round_id=round_.id,
            period=RoundPeriod(round_.period_year, round_.period_half),
            free_label=round_.free_label,
        ),
        basis_summary=scores.summary,
        basis={iid: basis.value for iid, basis in scores.basis.items()},
        notes=_notes(consensus, ratings if evidence_included else ()),
        evidence_included=evidence_included,
        previous=_previous(session, actor, round_, aggregation),
        plan=_plan(session, actor, round_.health_system_id),
    )


def round_scorecard(session: Session, round_: AssessmentRound, aggregation: Aggregation) -> ScoreCard:
    """One round's scorecard, read in the caller's session."""
    return _scores(session, round_, aggregation)[0]


def _scores(
    session: Session,
    round_: AssessmentRound,
    aggregation: Aggregation,
    *,
    ratings: Sequence[Rating] | None = None,
    consensus: Sequence[Consensus] | None = None,
) -> tuple[ScoreCard, RoundScores]:
    if ratings is None:
        ratings = list(session.scalars(select(Rating).where(Rating.round_id == round_.id)))
    if consensus is None:
        consensus = list(session.scalars(select(Consensus).where(Consensus.round_id == round_.id)))
    targets = session.scalars(select(Target).where(Target.round_id == round_.id))
    questionnaire = questionnaire_of(round_.questionnaire_version)
    answers, basis = effective_answers(questionnaire, ratings, consensus, targets)
    card = score(questionnaire, answers, aggregation)
    return card, RoundScores(card, basis)


def _notes(consensus: Sequence[Consensus], ratings: Sequence[Rating]) -> dict[str, IndicatorNotes]:
    """Per indicator: the agreed rationale, and the experts' evidence and links (each once, no names)."""
    rationale = {c.indicator_id: c.rationale.strip() for c in consensus}
    evidence: dict[str, list[str]] = {}
    links: dict[str, list[str]] = {}
    for rating in ratings:
        written = rating.evidence.strip()
        texts = evidence.setdefault(rating.indicator_id, [])
        if written and written not in texts:
            texts.append(written)
        known = links.setdefault(rating.indicator_id, [])
        known.extend(link for link in _links(rating) if link not in known)
    ids = set(rationale) | {k for k, v in evidence.items() if v} | {k for k, v in links.items() if v}
    return {
        iid: IndicatorNotes(tuple(evidence.get(iid, ())), tuple(links.get(iid, ())), rationale.get(iid, ""))
        for iid in ids
    }


def _links(rating: Rating) -> tuple[str, ...]:
    return rating_view(rating, username="").links  # the one reader of the stored links; no name needed


def _plan(session: Session, actor: Actor, health_system_id: int) -> PlanReport | None:
    """The health system's plan, for a reader who may open it (its members, administrators); else None."""
    if not can_read_plan(actor, health_system_id):
        return None
    actions = read_actions(session, health_system_id)
    usernames = {a.owner_username for a in actions if a.owner_username and not a.owner_name}
    names: dict[str, str] = {}
    if usernames:
        rows = session.execute(select(User.username, User.display_name).where(User.username.in_(usernames)))
        names = {username: shown for username, shown in rows if shown}
    return PlanReport(actions, names)


def _previous(
    session: Session, actor: Actor, round_: AssessmentRound, aggregation: Aggregation
) -> PreviousRound | None:
    """The health system's latest earlier round of the same questionnaire id that was submitted or
    published, and that this user may open."""
    candidates = list(
        session.scalars(
            select(AssessmentRound)
            .join(QuestionnaireVersion, QuestionnaireVersion.id == AssessmentRound.questionnaire_version_id)
            .where(
                AssessmentRound.health_system_id == round_.health_system_id,
                QuestionnaireVersion.questionnaire_id == round_.questionnaire_version.questionnaire_id,
                AssessmentRound.status.in_(CLOSED_STATUSES),
                AssessmentRound.id != round_.id,
            )
        )
    )
    earlier = [r for r in candidates if (r.round_date, r.id) < (round_.round_date, round_.id)]
    if not earlier:
        return None
    readable = readable_rounds(session, actor, earlier)
    if not readable:
        return None
    chosen = max(readable, key=lambda r: (r.round_date, r.id))
    card, _ = _scores(session, chosen, aggregation)
    name = round_name(chosen)
    return PreviousRound(name, chosen.round_date, card)

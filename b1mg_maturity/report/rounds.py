"""The report context of a round in the database, gathered through the services (which check permissions)."""

from __future__ import annotations

import datetime as dt

from b1mg_maturity.comparison.reading import peer_domain_medians
from b1mg_maturity.errors import PermissionDenied
from b1mg_maturity.report.context import (
    MIN_PEERS,
    PREVIOUS_STATUSES,
    IndicatorNotes,
    PeerMedians,
    PreviousRound,
    ReportContext,
    RoundInfo,
    build_report_context,
)
from b1mg_maturity.scoring import Aggregation
from b1mg_maturity.services import RoundView, Services
from b1mg_maturity.settings import get_settings


def round_notes(services: Services, actor_id: int, round_id: int) -> tuple[dict[str, IndicatorNotes], bool]:
    """Per indicator: the consensus rationale, and the experts' evidence when the user may read it.

    The second value says whether the experts' evidence was readable (coordinator, admin); the
    experts' names are never included.
    """
    rationale = {iid: c.rationale.strip() for iid, c in services.consensus_of(actor_id, round_id).items()}
    evidence: dict[str, list[str]] = {}
    links: dict[str, list[str]] = {}
    try:
        ratings = services.all_ratings(actor_id, round_id)
        included = True
    except PermissionDenied:
        ratings, included = [], False
    for rating in ratings:
        text = rating.evidence.strip()
        texts = evidence.setdefault(rating.indicator_id, [])
        if text and text not in texts:
            texts.append(text)
        known = links.setdefault(rating.indicator_id, [])
        known.extend(link for link in rating.links if link not in known)
    ids = set(rationale) | {k for k, v in evidence.items() if v} | {k for k, v in links.items() if v}
    notes = {
        iid: IndicatorNotes(tuple(evidence.get(iid, ())), tuple(links.get(iid, ())), rationale.get(iid, ""))
        for iid in ids
    }
    return notes, included


def previous_round(services: Services, actor_id: int, view: RoundView) -> RoundView | None:
    """The health system's latest earlier round of the same questionnaire id that was submitted or published."""
    earlier = [
        r
        for r in services.list_rounds(actor_id)
        if r.health_system.id == view.health_system.id
        and r.questionnaire_id == view.questionnaire_id
        and r.status in PREVIOUS_STATUSES
        and (r.round_date, r.id) < (view.round_date, view.id)
    ]
    return max(earlier, key=lambda r: (r.round_date, r.id)) if earlier else None


def context_for_round(
    services: Services,
    actor_id: int,
    round_id: int,
    *,
    aggregation: Aggregation = Aggregation.MEAN,
    with_benchmark: bool = True,
    generated_on: dt.date | None = None,
) -> ReportContext:
    """The report context of a round, as ``actor_id`` may see it.

    Refused with :class:`~b1mg_maturity.errors.PermissionDenied` unless the user
    may open the round (a viewer may, once it is submitted or published).  The
    experts' own evidence is included when the user may read every expert's
    ratings (coordinator, admin); the agreed rationale always.
    """
    view = services.get_round(actor_id, round_id)  # the permission check comes first
    questionnaire = services.questionnaire_for_round(actor_id, round_id)
    scores = services.round_scores(actor_id, round_id, aggregation)
    notes, evidence_included = round_notes(services, actor_id, round_id)

    previous = None
    earlier = previous_round(services, actor_id, view)
    if earlier is not None:
        previous = PreviousRound(
            earlier.label, earlier.round_date, services.round_scores(actor_id, earlier.id, aggregation).card
        )

    min_peers = max(MIN_PEERS, get_settings().min_group_size)
    benchmark = None
    if with_benchmark:
        peers = peer_domain_medians(services, actor_id, round_id, min_group_size=min_peers)
        if peers is not None:
            benchmark = PeerMedians(dict(peers.medians), peers.count, peers.label)

    return build_report_context(
        questionnaire,
        scores.card,
        RoundInfo(
            health_system_name=view.health_system.name,
            health_system_code=view.health_system.code,
            label=view.label,
            date=view.round_date,
            status=view.status,
            round_id=view.id,
        ),
        basis_summary=scores.summary,
        basis=dict(scores.basis),
        notes=notes,
        evidence_included=evidence_included,
        benchmark=benchmark,
        previous=previous,
        min_peers=min_peers,
        generated_on=generated_on,
    )

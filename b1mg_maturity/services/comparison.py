"""The comparison use cases over the database: every read and permission check of comparisons, in one place.

Everything in :mod:`b1mg_maturity.comparison` is pure: this module reads published
rounds, checks who may see what (:func:`b1mg_maturity.permissions.sees_names`,
:func:`~b1mg_maturity.permissions.can_read_round`), scores the rounds (with a
cache), and hands plain values to the pure steps.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from b1mg_maturity.comparison.compare import Comparison, Viewer, assemble, nothing_to_compare, plan
from b1mg_maturity.comparison.filters import Filters
from b1mg_maturity.comparison.overview import Overview, overview
from b1mg_maturity.comparison.peers import PeerBenchmark, peer_medians
from b1mg_maturity.comparison.rounds import PublishedRound, ScoredRound
from b1mg_maturity.consensus import effective_answers
from b1mg_maturity.domain import RoundPeriod, RoundStatus
from b1mg_maturity.errors import PermissionDenied
from b1mg_maturity.i18n import _
from b1mg_maturity.permissions import Actor, RoundFacts, can_read_round, require_read, sees_names
from b1mg_maturity.scoring import ScoreCard, score
from b1mg_maturity.services.base import UseCases
from b1mg_maturity.services.questionnaires import questionnaire_of
from b1mg_maturity.storage.models import (
    AssessmentRound,
    Consensus,
    HealthSystem,
    QuestionnaireVersion,
    Rating,
    RoundExpert,
    Target,
)

if TYPE_CHECKING:
    from b1mg_maturity.services import Services

__all__ = ["compare", "peer_domain_medians", "programme_overview", "published_scorecards"]


def _threshold(services: Services, min_group_size: int | None) -> int:
    return services.settings.min_group_size if min_group_size is None else min_group_size


# --- the use cases -----------------------------------------------------------------------------


def published_scorecards(
    services: Services, actor_id: int, *, questionnaire_id: str | None = None
) -> list[ScoredRound]:
    """The published rounds this user may open, scored: every one for analysts and admins,
    their own health systems' for everyone else.  Input for :mod:`b1mg_maturity.benchmark`."""
    with services.db.reading() as session:
        actor = services.load_actor(session, actor_id)
        rounds = published_rounds(session, questionnaire_id)
        if not sees_names(actor):
            experts = _experts_by_round(session, [r.id for r in rounds])
            rounds = [r for r in rounds if can_read_round(actor, _facts(r, experts))]
        return score_rounds(services, session, rounds)


def peer_domain_medians(
    services: Services, actor_id: int, round_id: int, *, min_group_size: int | None = None
) -> PeerBenchmark | None:
    """For the round's health system: the median per domain of every *other* health system that used
    the same questionnaire id, each with its published round of the round's period year, else its
    latest earlier one (see :mod:`b1mg_maturity.comparison.peers`).

    The user must be allowed to open the round.
    """
    threshold = _threshold(services, min_group_size)
    with services.reading_as(actor_id) as (session, actor):
        own, facts = services.load_round(session, round_id)
        require_read(actor, facts)
        return read_peer_medians(services, session, own, threshold)


def read_peer_medians(
    services: UseCases, session: Session, own: AssessmentRound, threshold: int
) -> PeerBenchmark | None:
    """The peers' medians for ``own`` (whose reader was checked), inside the caller's unit of work."""
    questionnaire = questionnaire_of(own.questionnaire_version)
    candidates = [r for r in published_rounds(session, questionnaire.id) if r.health_system_id != own.health_system_id]
    period = RoundPeriod(own.period_year or own.round_date.year, own.period_half)
    scored = score_rounds(services, session, candidates)
    return peer_medians(scored, questionnaire, threshold, period=period)


def compare(
    services: Services, actor_id: int, filters: Filters | None = None, *, min_group_size: int | None = None
) -> Comparison:
    """The comparison this user may see for ``filters`` (see the package docstring for the rules)."""
    threshold = _threshold(services, min_group_size)
    with services.db.reading() as session:
        actor = services.load_actor(session, actor_id)
        published = published_rounds(session)
        viewer = _viewer(session, actor, published)
        chosen = plan([_record(r) for r in published], viewer, filters or Filters())
        if chosen.version_round is None:
            return nothing_to_compare(chosen, viewer, threshold)
        by_id = {r.id: r for r in published}
        questionnaire = questionnaire_of(by_id[chosen.version_round.round_id].questionnaire_version)
        scored = score_rounds(services, session, [by_id[r.round_id] for r in chosen.to_score])
    return assemble(chosen, {s.meta.round_id: s for s in scored}, questionnaire, viewer, threshold)


def programme_overview(services: Services, actor_id: int, *, min_group_size: int | None = None) -> Overview:
    """How far the programme has come: systems assessed, per round, coverage, overall levels.

    Analysts and administrators only.  Scores count published rounds only;
    administrators also see how many rounds are still in progress.
    """
    threshold = _threshold(services, min_group_size)
    with services.db.reading() as session:
        actor = services.load_actor(session, actor_id)
        if not sees_names(actor):
            raise PermissionDenied(_("You may not see the programme overview (analysts and administrators only)."))
        registered = len(list(session.scalars(select(HealthSystem.id))))
        scored = score_rounds(services, session, published_rounds(session))
        progress: dict[tuple[RoundPeriod, str], int] = {}
        if actor.is_admin:
            for year, half, date, status in session.execute(
                select(
                    AssessmentRound.period_year,
                    AssessmentRound.period_half,
                    AssessmentRound.round_date,
                    AssessmentRound.status,
                ).where(AssessmentRound.status != RoundStatus.PUBLISHED.value)
            ):
                key = (RoundPeriod(year or date.year, half), status)
                progress[key] = progress.get(key, 0) + 1
    return overview(scored, registered=registered, progress=progress, threshold=threshold)


# --- reading rounds ----------------------------------------------------------------------------


def _record(round_: AssessmentRound) -> PublishedRound:
    qv = round_.questionnaire_version
    return PublishedRound(
        round_id=round_.id,
        system_code=round_.health_system.code,
        system_name=round_.health_system.name,
        label=round_.label,
        date=round_.round_date,
        questionnaire_id=qv.questionnaire_id,
        questionnaire_version=qv.version,
        status=round_.status,
        health_system_id=round_.health_system_id,
        questionnaire_title=qv.title,
        period=RoundPeriod(round_.period_year or round_.round_date.year, round_.period_half),
    )


def _facts(round_: AssessmentRound, experts: dict[int, frozenset[int]]) -> RoundFacts:
    return RoundFacts(round_.id, round_.health_system_id, round_.status, experts.get(round_.id, frozenset()))


def _viewer(session: Session, actor: Actor, published: Sequence[AssessmentRound]) -> Viewer:
    """Who looks: by name, or their own systems' rounds they may open against anonymous others."""
    if sees_names(actor):
        return Viewer(named=True)
    codes = dict(session.execute(select(HealthSystem.id, HealthSystem.code)).all())
    own_codes = frozenset(codes[system_id] for system_id in actor.roles if system_id in codes)
    own = [r for r in published if r.health_system.code in own_codes]
    experts = _experts_by_round(session, [r.id for r in own])
    readable = frozenset(r.id for r in own if can_read_round(actor, _facts(r, experts)))
    return Viewer(named=False, own_codes=own_codes, readable_own=readable)


def published_rounds(session: Session, questionnaire_id: str | None = None) -> list[AssessmentRound]:
    query = (
        select(AssessmentRound)
        .join(QuestionnaireVersion, QuestionnaireVersion.id == AssessmentRound.questionnaire_version_id)
        .join(HealthSystem, HealthSystem.id == AssessmentRound.health_system_id)
        .where(AssessmentRound.status == RoundStatus.PUBLISHED.value)
        .order_by(HealthSystem.code, AssessmentRound.round_date, AssessmentRound.id)
    )
    if questionnaire_id is not None:
        query = query.where(QuestionnaireVersion.questionnaire_id == questionnaire_id)
    return list(session.scalars(query))


def _chunks(values: Sequence[int], size: int) -> Iterable[Sequence[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _experts_by_round(session: Session, round_ids: Sequence[int]) -> dict[int, frozenset[int]]:
    experts: dict[int, set[int]] = {}
    for chunk in _chunks(list(round_ids), 500):
        for round_id, user_id in session.execute(
            select(RoundExpert.round_id, RoundExpert.user_id).where(RoundExpert.round_id.in_(chunk))
        ):
            experts.setdefault(round_id, set()).add(user_id)
    return {k: frozenset(v) for k, v in experts.items()}


# --- scoring, with a cache ---------------------------------------------------------------------


class _CardCache:
    """Scorecards of published rounds, keyed so that any change to a round misses the cache.

    A published round is locked (nothing can be rated, agreed or targeted), and
    reopening it bumps its ``version``; the key also holds the database URL and
    the round's creation time, so a re-created database never hits an old entry.
    """

    def __init__(self, size: int = 8192) -> None:
        self._size = size
        self._items: OrderedDict[tuple[Any, ...], ScoreCard] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> ScoreCard | None:
        with self._lock:
            card = self._items.get(key)
            if card is not None:
                self._items.move_to_end(key)
            return card

    def put(self, key: tuple[Any, ...], card: ScoreCard) -> None:
        with self._lock:
            self._items[key] = card
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_cards = _CardCache()


def _cache_key(services: UseCases, round_: AssessmentRound) -> tuple[Any, ...]:
    return (
        services.db.url,
        round_.id,
        round_.version,
        round_.status,
        round_.created_at.isoformat() if round_.created_at else "",
        round_.updated_at.isoformat() if round_.updated_at else "",
    )


def _scored(round_: AssessmentRound, card: ScoreCard) -> ScoredRound:
    return ScoredRound(_record(round_), card, round_.health_system_id, questionnaire_of(round_.questionnaire_version))


def score_rounds(services: UseCases, session: Session, rounds: Sequence[AssessmentRound]) -> list[ScoredRound]:
    """Scorecards of ``rounds`` (no permission check here: callers decide what leaves this module)."""
    result: dict[int, ScoredRound] = {}
    missing: list[AssessmentRound] = []
    for round_ in rounds:
        card = _cards.get(_cache_key(services, round_))
        if card is None:
            missing.append(round_)
        else:
            result[round_.id] = _scored(round_, card)
    if missing:
        ids = [r.id for r in missing]
        ratings: dict[int, list[Rating]] = {}
        consensus: dict[int, list[Consensus]] = {}
        targets: dict[int, list[Target]] = {}
        for chunk in _chunks(ids, 500):
            for rating in session.scalars(select(Rating).where(Rating.round_id.in_(chunk))):
                ratings.setdefault(rating.round_id, []).append(rating)
            for agreed in session.scalars(select(Consensus).where(Consensus.round_id.in_(chunk))):
                consensus.setdefault(agreed.round_id, []).append(agreed)
            for target in session.scalars(select(Target).where(Target.round_id.in_(chunk))):
                targets.setdefault(target.round_id, []).append(target)
        for round_ in missing:
            q = questionnaire_of(round_.questionnaire_version)
            answers, _basis = effective_answers(
                q, ratings.get(round_.id, []), consensus.get(round_.id, []), targets.get(round_.id, [])
            )
            card = score(q, answers)
            if round_.status == RoundStatus.PUBLISHED:
                _cards.put(_cache_key(services, round_), card)
            result[round_.id] = _scored(round_, card)
    return [result[r.id] for r in rounds]

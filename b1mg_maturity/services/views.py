"""What use cases return: plain values, never ORM objects."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from b1mg_maturity import i18n
from b1mg_maturity.domain import EDITABLE_STATUSES, Basis, RoundPeriod, display_name
from b1mg_maturity.i18n import _, _n
from b1mg_maturity.scoring import ScoreCard
from b1mg_maturity.storage.models import AssessmentRound, HealthSystem, Rating, User


@dataclass(frozen=True)
class HealthSystemView:
    id: int
    code: str
    name: str
    kind: str
    is_demo: bool


@dataclass(frozen=True)
class UserView:
    id: int
    username: str
    display_name: str
    email: str | None
    global_role: str
    memberships: tuple[tuple[str, str], ...]  # (health system code, role)
    is_active: bool = True
    language: str | None = None  # chosen in My account or the sidebar; None: the browser's


@dataclass(frozen=True)
class RoundView:
    id: int
    health_system: HealthSystemView
    label: str
    round_date: dt.date
    status: str
    questionnaire_id: str
    questionnaire_version: str
    content_hash: str
    version: int
    updated_at: dt.datetime
    period: RoundPeriod
    free_label: str

    @property
    def editable(self) -> bool:
        return self.status in EDITABLE_STATUSES


@dataclass(frozen=True)
class RatingView:
    indicator_id: str
    expert: str
    level: int | None
    not_applicable: bool
    evidence: str
    links: tuple[str, ...]
    version: int
    updated_at: dt.datetime | None


@dataclass(frozen=True)
class ConsensusView:
    indicator_id: str
    level: int | None
    not_applicable: bool
    rationale: str
    version: int


@dataclass(frozen=True)
class TargetView:
    indicator_id: str
    target: int | None
    version: int


@dataclass(frozen=True)
class RoundScores:
    card: ScoreCard
    basis: Mapping[str, Basis]  # per indicator: where its level came from

    @property
    def summary(self) -> str:
        agreed = sum(1 for v in self.basis.values() if v == Basis.CONSENSUS)
        median = sum(1 for v in self.basis.values() if v == Basis.EXPERTS_MEDIAN)
        # A noun phrase, as it follows "Scores are based on".
        if agreed and not median:
            return _("consensus levels")
        if median and not agreed:
            return _("the median of the experts' levels (no consensus recorded yet)")
        if not agreed and not median:
            return _("no ratings yet")
        return _n(
            "consensus levels for {n} indicator and the median of the experts' levels for {median} without consensus",
            "consensus levels for {n} indicators and the median of the experts' levels for {median} without consensus",
            agreed,
            median=i18n.integer(median),
        )


@dataclass(frozen=True)
class AuditView:
    at: dt.datetime
    actor: str
    action: str
    entity: str
    entity_key: str
    round_id: int | None
    old_value: Any
    new_value: Any


def rating_view(rating: Rating, username: str) -> RatingView:
    return RatingView(
        rating.indicator_id,
        username,
        rating.level,
        rating.not_applicable,
        rating.evidence,
        tuple(json.loads(rating.links or "[]")),
        rating.version,
        rating.updated_at,
    )


def user_view(session: Session, user: User) -> UserView:
    codes = dict(session.execute(select(HealthSystem.id, HealthSystem.code)).all())
    return UserView(
        user.id,
        user.username,
        user.display_name,
        user.email,
        user.global_role,
        tuple(sorted((codes[m.health_system_id], m.role) for m in user.memberships)),
        user.is_active,
        user.language,
    )


def system_view(system: HealthSystem) -> HealthSystemView:
    return HealthSystemView(system.id, system.code, system.name, system.kind, system.is_demo)


def round_name(round_: AssessmentRound) -> str:
    """A stored round's name in the reader's words (:func:`~b1mg_maturity.domain.display_name`)."""
    return display_name(round_.label, RoundPeriod(round_.period_year, round_.period_half), round_.free_label)


def round_view(round_: AssessmentRound) -> RoundView:
    q = round_.questionnaire_version
    return RoundView(
        id=round_.id,
        health_system=system_view(round_.health_system),
        label=round_name(round_),
        round_date=round_.round_date,
        status=round_.status,
        questionnaire_id=q.questionnaire_id,
        questionnaire_version=q.version,
        content_hash=q.content_hash,
        version=round_.version,
        updated_at=round_.updated_at,
        period=RoundPeriod(round_.period_year, round_.period_half),
        free_label=round_.free_label,
    )


@dataclass(frozen=True)
class QuestionnaireVersionView:
    id: int
    questionnaire_id: str
    version: str
    title: str
    content_hash: str
    registered_at: dt.datetime
    rounds: int  # rounds rated against this version

"""Reading the audit trail: the raw entries, and the readable log with its filters."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, true
from sqlalchemy.orm import Session

from b1mg_maturity.audit_text import ANSWER_ENTITIES, AuditLine, Names, readable
from b1mg_maturity.domain import SystemRole
from b1mg_maturity.i18n import N_
from b1mg_maturity.permissions import Actor, require_admin, require_coordinate
from b1mg_maturity.services.base import UseCases
from b1mg_maturity.services.questionnaires import questionnaire_of
from b1mg_maturity.services.views import AuditView
from b1mg_maturity.storage.models import AssessmentRound, AuditEntry, HealthSystem, QuestionnaireVersion
from b1mg_maturity.text_rules import clean_line


@dataclass(frozen=True)
class AuditTrail:
    """The readable log as one page shows it: the entries (newest first) and what it may be filtered by."""

    lines: tuple[AuditLine, ...]
    rounds: tuple[tuple[int, str], ...]  # id, "Germany (DE) · 2026": the rounds this user may read the history of
    people: tuple[str, ...]  # who appears in that history
    indicators: tuple[tuple[str, str], ...]  # id, "D1.1.1 Governance"
    more: bool  # more entries match than the limit lets through


class AuditUseCases(UseCases):
    def audit_log(
        self, actor_id: int, *, round_id: int | None = None, username: str | None = None, limit: int = 500
    ) -> list[AuditView]:
        with self.reading_as(actor_id) as (session, actor):
            if round_id is not None:
                _, facts = self.load_round(session, round_id)
                require_coordinate(actor, facts, N_("read this round's history"))
            else:
                require_admin(actor, N_("read the audit log"))
            query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
            if round_id is not None:
                query = query.where(AuditEntry.round_id == round_id)
            if username:
                username = clean_line(username, "username")
                query = query.where(AuditEntry.actor_name == username.lower())
            return [
                AuditView(
                    e.at,
                    e.actor_name,
                    e.action,
                    e.entity,
                    e.entity_key,
                    e.round_id,
                    json.loads(e.old_value) if e.old_value else None,
                    json.loads(e.new_value) if e.new_value else None,
                )
                for e in session.scalars(query)
            ]

    def audit_trail(
        self,
        actor_id: int,
        *,
        round_id: int | None = None,
        username: str | None = None,
        indicator_id: str | None = None,
        limit: int = 500,
    ) -> AuditTrail:
        """The audit log in words, filtered in SQL by round, by who acted and by indicator.

        An administrator reads every entry; a coordinator the entries of the
        health systems they coordinate (their rounds, the roles given there).
        Anyone else is refused.
        """
        with self.reading_as(actor_id) as (session, actor):
            scope = _scope(actor)
            if round_id is not None:
                _, facts = self.load_round(session, round_id)
                require_coordinate(actor, facts, N_("read this round's history"))
            query = select(AuditEntry).where(scope).order_by(AuditEntry.id.desc()).limit(limit + 1)
            if round_id is not None:
                query = query.where(AuditEntry.round_id == round_id)
            if username:
                query = query.where(AuditEntry.actor_name == clean_line(username, "username").lower())
            if indicator_id:
                query = query.where(_about_indicator(clean_line(indicator_id, "indicator")))
            entries = list(session.scalars(query))
            people = tuple(
                session.scalars(select(AuditEntry.actor_name).where(scope).distinct().order_by(AuditEntry.actor_name))
            )
            names, rounds, indicators = _names(session, actor)
            lines = tuple(
                readable(
                    at=e.at,
                    who=e.actor_name,
                    action=e.action,
                    entity=e.entity,
                    entity_key=e.entity_key,
                    old=json.loads(e.old_value) if e.old_value else None,
                    new=json.loads(e.new_value) if e.new_value else None,
                    health_system_id=e.health_system_id,
                    round_id=e.round_id,
                    names=names,
                )
                for e in entries[:limit]
            )
            return AuditTrail(lines, rounds, people, indicators, len(entries) > limit)

    def count(self, model: Any) -> int:
        """Row count of a table (for tests and the demo loader)."""
        with self.db.reading() as session:
            return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _coordinated(actor: Actor) -> frozenset[int]:
    return frozenset(system for system, held in actor.roles.items() if SystemRole.COORDINATOR in held)


def _scope(actor: Actor) -> ColumnElement[bool]:
    """The entries this user may read (refused when they may read none)."""
    if actor.is_admin:
        return true()
    systems = _coordinated(actor)
    if not systems:
        require_admin(actor, N_("read the audit log"))
    their_rounds = select(AssessmentRound.id).where(AssessmentRound.health_system_id.in_(systems))
    return or_(AuditEntry.health_system_id.in_(systems), AuditEntry.round_id.in_(their_rounds))


def _like_literal(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _about_indicator(indicator_id: str) -> ColumnElement[bool]:
    """Answer entries of one indicator: keys ``<round>/<indicator>`` and ``<round>/<indicator>/<expert>``."""
    literal = _like_literal(indicator_id)
    return and_(
        AuditEntry.entity.in_(ANSWER_ENTITIES),
        or_(
            AuditEntry.entity_key.like(f"%/{literal}", escape="\\"),
            AuditEntry.entity_key.like(f"%/{literal}/%", escape="\\"),
        ),
    )


def _names(session: Session, actor: Actor) -> tuple[Names, tuple[tuple[int, str], ...], tuple[tuple[str, str], ...]]:
    """Names of the health systems, rounds and indicators this user may see in the log."""
    system_query = select(HealthSystem.id, HealthSystem.name, HealthSystem.code)
    round_query = (
        select(AssessmentRound.id, AssessmentRound.label, AssessmentRound.health_system_id, QuestionnaireVersion)
        .join(QuestionnaireVersion, QuestionnaireVersion.id == AssessmentRound.questionnaire_version_id)
        .order_by(AssessmentRound.health_system_id, AssessmentRound.round_date.desc(), AssessmentRound.id.desc())
    )
    if not actor.is_admin:
        systems = _coordinated(actor)
        system_query = system_query.where(HealthSystem.id.in_(systems))
        round_query = round_query.where(AssessmentRound.health_system_id.in_(systems))
    system_names = {row.id: f"{row.name} ({row.code})" for row in session.execute(system_query)}
    round_names: dict[int, str] = {}
    choices: list[tuple[int, str]] = []
    indicators: dict[str, str] = {}
    for row in session.execute(round_query):
        round_names[row.id] = row.label
        choices.append((row.id, f"{system_names.get(row.health_system_id, '')} · {row.label}"))
        questionnaire = questionnaire_of(row.QuestionnaireVersion)
        for indicator in questionnaire.indicators:
            indicators.setdefault(indicator.id, f"{indicator.id} {questionnaire.subdomain_of(indicator.id).name}")
    return (
        Names(system_names, round_names, indicators),
        tuple(sorted(choices, key=lambda c: c[1])),
        tuple(indicators.items()),  # in the questionnaire's order
    )

"""The registered questionnaire versions, for the administrators' page.

A read-only use case beside :mod:`b1mg_maturity.services` (same pattern as
:mod:`b1mg_maturity.transfer`): it checks the permission itself, through the
services' actor loading.  No streamlit here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from b1mg_maturity.permissions import require_admin
from b1mg_maturity.services import Services
from b1mg_maturity.storage.models import AssessmentRound, QuestionnaireVersion


@dataclass(frozen=True)
class QuestionnaireVersionView:
    id: int
    questionnaire_id: str
    version: str
    title: str
    content_hash: str
    registered_at: dt.datetime
    rounds: int  # rounds rated against this version


def list_questionnaire_versions(services: Services, actor_id: int) -> list[QuestionnaireVersionView]:
    """Every registered questionnaire version, newest first, with how many rounds use it (admin only)."""
    with services.db.reading() as session:
        actor = services.load_actor(session, actor_id)
        require_admin(actor, "list questionnaire versions")
        used = dict(
            session.execute(
                select(AssessmentRound.questionnaire_version_id, func.count()).group_by(
                    AssessmentRound.questionnaire_version_id
                )
            ).all()
        )
        rows = session.scalars(
            select(QuestionnaireVersion).order_by(
                QuestionnaireVersion.created_at.desc(), QuestionnaireVersion.id.desc()
            )
        )
        return [
            QuestionnaireVersionView(
                row.id,
                row.questionnaire_id,
                row.version,
                row.title,
                row.content_hash,
                row.created_at,
                int(used.get(row.id, 0)),
            )
            for row in rows
        ]

"""Reading the audit trail."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select

from b1mg_maturity.permissions import require_admin, require_coordinate
from b1mg_maturity.services.base import UseCases
from b1mg_maturity.services.views import AuditView
from b1mg_maturity.storage.models import AuditEntry
from b1mg_maturity.text_rules import clean_line


class AuditUseCases(UseCases):
    def audit_log(
        self, actor_id: int, *, round_id: int | None = None, username: str | None = None, limit: int = 500
    ) -> list[AuditView]:
        with self.reading_as(actor_id) as (session, actor):
            if round_id is not None:
                _, facts = self.load_round(session, round_id)
                require_coordinate(actor, facts, "read this round's history")
            else:
                require_admin(actor, "read the audit log")
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

    def count(self, model: Any) -> int:
        """Row count of a table (for tests and the demo loader)."""
        with self.db.reading() as session:
            return int(session.scalar(select(func.count()).select_from(model)) or 0)

"""Writing the append-only audit trail.  Called by services inside the same transaction as the change."""

from __future__ import annotations

import json
from typing import Any, cast

from sqlalchemy import Connection, Table, insert
from sqlalchemy.orm import Session

from b1mg_maturity.permissions import Actor
from b1mg_maturity.storage.models import AuditEntry


def _json(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def entry(
    actor: Actor | None,
    action: str,
    entity: str,
    entity_key: str,
    *,
    old: Any = None,
    new: Any = None,
    health_system_id: int | None = None,
    round_id: int | None = None,
) -> dict[str, Any]:
    """The column values of one audit entry (``at`` is filled in by the column's default)."""
    return {
        "actor_id": actor.user_id if actor else None,
        "actor_name": actor.username if actor else "system",
        "action": action,
        "entity": entity,
        "entity_key": entity_key,
        "health_system_id": health_system_id,
        "round_id": round_id,
        "old_value": _json(old),
        "new_value": _json(new),
    }


def record(
    session: Session,
    actor: Actor | None,
    action: str,
    entity: str,
    entity_key: str,
    *,
    old: Any = None,
    new: Any = None,
    health_system_id: int | None = None,
    round_id: int | None = None,
) -> None:
    """Add an audit entry to the session (written with the session's next flush)."""
    values = entry(
        actor, action, entity, entity_key, old=old, new=new, health_system_id=health_system_id, round_id=round_id
    )
    session.add(AuditEntry(**values))


_INSERT = insert(cast(Table, AuditEntry.__table__)).inline()  # inline: the new row's id is not fetched back


def write(connection: Connection, values: dict[str, Any]) -> None:
    """Insert an audit entry (from :func:`entry`) at once, through ``connection`` (no ORM flush: the save path)."""
    connection.execute(_INSERT, values)

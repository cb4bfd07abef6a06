"""A read-only unit of work sees one snapshot: a report or a comparison never mixes two states."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from b1mg_maturity.services import Services
from b1mg_maturity.storage.models import HealthSystem


def _systems(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(HealthSystem)) or 0)


def test_a_read_does_not_see_what_commits_while_it_runs(services: Services) -> None:
    admin = services.add_user(None, "admin", "a long enough password", global_role="admin").id
    services.add_health_system(admin, "FR")
    with services.db.reading() as session:
        first = _systems(session)
        services.add_health_system(admin, "DE")  # its own transaction, committed meanwhile
        services.add_health_system(admin, "IT")
        assert _systems(session) == first == 1
    with services.db.reading() as session:
        assert _systems(session) == 3

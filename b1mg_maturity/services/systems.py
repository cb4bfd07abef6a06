"""Health systems."""

from __future__ import annotations

from sqlalchemy import select

from b1mg_maturity import audit
from b1mg_maturity.errors import Problem, ValidationFailed
from b1mg_maturity.geography import resolve
from b1mg_maturity.i18n import N_, _
from b1mg_maturity.permissions import coordinates, require_admin
from b1mg_maturity.services.base import UseCases
from b1mg_maturity.services.views import HealthSystemView, system_view
from b1mg_maturity.storage.models import HealthSystem


class SystemUseCases(UseCases):
    def has_demo_data(self) -> bool:
        with self.db.reading() as session:
            return session.scalars(select(HealthSystem.id).where(HealthSystem.is_demo.is_(True))).first() is not None

    def add_health_system(self, actor_id: int, code: str, *, demo_name: str | None = None) -> HealthSystemView:
        place = resolve(code, demo_name=demo_name)
        with self.writing_as(actor_id) as (session, actor):
            require_admin(actor, N_("add health systems"))
            if session.scalars(select(HealthSystem).where(HealthSystem.code == place.code)).first():
                raise ValidationFailed(
                    "exists", (Problem("code", _("health system {code} already exists", code=place.code)),)
                )
            system = HealthSystem(
                code=place.code,
                name=place.name,
                kind=place.kind,
                parent_code=place.parent_code,
                is_demo=demo_name is not None,
            )
            session.add(system)
            session.flush()
            audit.record(
                session,
                actor,
                "add",
                "health_system",
                place.code,
                new={"code": place.code, "name": place.name, "kind": place.kind},
                health_system_id=system.id,
            )
            return system_view(system)

    def list_health_systems(self, actor_id: int) -> list[HealthSystemView]:
        """Admins and analysts see all; others the health systems they belong to."""
        with self.reading_as(actor_id) as (session, actor):
            query = select(HealthSystem).order_by(HealthSystem.code)
            if not (actor.is_admin or actor.is_analyst):
                query = query.where(HealthSystem.id.in_(list(actor.roles)))
            return [system_view(s) for s in session.scalars(query)]

    def coordinated_systems(self, actor_id: int) -> list[HealthSystemView]:
        """Health systems whose rounds this user may open (all, for an admin)."""
        with self.reading_as(actor_id) as (session, actor):
            systems = session.scalars(select(HealthSystem).order_by(HealthSystem.code))
            return [system_view(s) for s in systems if coordinates(actor, s.id)]

"""A small, fully known world for service tests: two health systems, one user per role each."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from b1mg_maturity.services import Services

PASSWORD = "test-password-123"


@dataclass
class World:
    services: Services
    users: dict[str, int] = field(default_factory=dict)  # username -> id
    rounds: dict[str, int] = field(default_factory=dict)  # health system code -> round id

    def id(self, username: str) -> int:
        return self.users[username]


def build_world(services: Services) -> World:
    world = World(services)
    admin = services.add_user(None, "admin", PASSWORD, global_role="admin")
    world.users["admin"] = admin.id
    world.users["analyst"] = services.add_user(admin.id, "analyst", PASSWORD, global_role="analyst").id
    world.users["nobody"] = services.add_user(admin.id, "nobody", PASSWORD).id
    for code in ("DE", "FR"):
        services.add_health_system(admin.id, code)
        low = code.lower()
        for role in ("coordinator", "expert", "viewer"):
            name = f"{role}-{low}"
            world.users[name] = services.add_user(admin.id, name, PASSWORD).id
            services.grant(admin.id, name, code, role)
        second = f"expert2-{low}"
        world.users[second] = services.add_user(admin.id, second, PASSWORD).id
        services.grant(admin.id, second, code, "expert")
        round_ = services.open_round(world.id(f"coordinator-{low}"), code, "Round 2026", dt.date(2026, 3, 1))
        services.invite_expert(world.id(f"coordinator-{low}"), round_.id, f"expert-{low}")
        services.invite_expert(world.id(f"coordinator-{low}"), round_.id, second)
        world.rounds[code] = round_.id
    return world

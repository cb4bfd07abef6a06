"""The stored strings of statuses and roles come from ``domain`` and never change (the database checks them)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import CheckConstraint

from b1mg_maturity.domain import GlobalRole, RoundStatus, SystemRole
from b1mg_maturity.storage import models
from b1mg_maturity.storage.models import Base

# Written out by hand: what the first migration stored in every database.
CHECKS = {
    ("users", "global_role"): "global_role in ('none', 'admin', 'analyst')",
    ("memberships", "role"): "role in ('coordinator', 'expert', 'viewer')",
    ("rounds", "status"): "status in ('draft', 'in_review', 'submitted', 'published')",
}


def _check(table: str, name: str) -> str:
    found = [
        str(c.sqltext)
        for c in Base.metadata.tables[table].constraints
        if isinstance(c, CheckConstraint) and str(c.name).endswith(name)
    ]
    assert len(found) == 1, (table, name, found)
    return found[0]


def test_model_checks_are_the_migrated_ones() -> None:
    initial = (Path(models.__file__).parent / "migrations" / "versions" / "0001_initial_schema.py").read_text()
    for (table, name), text in CHECKS.items():
        assert _check(table, name) == text
        assert f'"{text}"' in initial


def test_domain_values_are_the_stored_ones() -> None:
    assert sorted(GlobalRole) == sorted(["none", "admin", "analyst"])
    assert [str(r) for r in SystemRole] == ["coordinator", "expert", "viewer"]
    assert [str(s) for s in RoundStatus] == ["draft", "in_review", "submitted", "published"]

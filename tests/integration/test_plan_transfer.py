"""The plan in the round document: out and into a fresh database field for field, all or nothing, no duplicates;
and the plan's CSV and FHIR exports from the command line."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fhir.resources.R4B.bundle import Bundle
from sqlalchemy import select
from typer.testing import CliRunner

from b1mg_maturity.cli import app
from b1mg_maturity.domain import ActionStatus
from b1mg_maturity.errors import ImportFailed
from b1mg_maturity.planning import ActionDraft, Aim
from b1mg_maturity.services import Services
from b1mg_maturity.services.round_transfer import export_round, import_round, parse_round_json, round_json
from b1mg_maturity.storage.database import Database
from b1mg_maturity.storage.models import Action, AssessmentRound, AuditEntry
from tests.integration.conftest import WORLD, database_template
from tests.integration.world import World
from tests.pg_server import create_database, drop_database

runner = CliRunner()


@pytest.fixture
def fresh_url(request: pytest.FixtureRequest, database_kind: str, tmp_path: Path) -> Iterator[str]:
    """A second installation: another copy of the world's template (same accounts and systems, no plan)."""
    template = database_template(request, database_kind, WORLD)
    if database_kind == "sqlite":
        path = tmp_path / "fresh.sqlite3"
        shutil.copyfile(template.source, path)
        yield f"sqlite:///{path}"
        return
    admin: str = request.getfixturevalue("postgres_admin_url")
    name = f"fresh_{uuid.uuid4().hex[:16]}"
    yield create_database(admin, name, template=template.source)
    drop_database(admin, name)


def _de(services: Services, actor: int) -> int:
    return next(s.id for s in services.plan_systems(actor) if s.code == "DE")


def _plan(world: World) -> None:
    services, coordinator = world.services, world.id("coordinator-de")
    de = _de(services, coordinator)
    services.add_action(
        coordinator,
        de,
        ActionDraft(
            title="Write the consent policy",
            aims=(Aim("D1.1.1", 3), Aim("D2.1.1", 4)),
            description="Line one\nline two",
            owner_name="Ann Ode",
            owner_username="expert-de",
            start=dt.date(2026, 3, 1),
            due=dt.date(2026, 9, 30),
            status=ActionStatus.IN_PROGRESS,
            notes="=SUM(A1)",
        ),
    )
    services.add_action(
        coordinator,
        de,
        ActionDraft(title="Run the biobank audit", aims=(Aim("D4.1.1", 2),), status=ActionStatus.DONE),
        today=dt.date(2026, 4, 1),
    )
    services.add_action(
        coordinator,
        de,
        ActionDraft(
            title="Fund a sequencing hub",
            aims=(Aim("D3.1.1", 5),),
            owner_name="Board",
            status=ActionStatus.DROPPED,
            drop_reason="No budget this year",
        ),
    )
    services.add_action(
        world.id("expert-de"),
        de,
        ActionDraft(title="Pilot a genomic test", aims=(Aim("D1.2.1", 2),), status=ActionStatus.PROPOSED),
    )


def _fields(services: Services, actor: int) -> list[tuple[object, ...]]:
    view = services.plan(actor, _de(services, actor), today=dt.date(2026, 5, 1))
    rows = [
        (
            a.title,
            a.aims,
            a.description,
            a.owner_name,
            a.owner_username,
            a.start,
            a.due,
            a.status,
            a.drop_reason,
            a.notes,
            a.done_on,
            a.proposed_by,
        )
        for a in view.actions
    ]
    return sorted(rows, key=lambda row: str(row[0]))


EXPECTED = [
    ("Fund a sequencing hub", (Aim("D3.1.1", 5),), "", "Board", None, None, None, ActionStatus.DROPPED,
     "No budget this year", "", None, "coordinator-de"),
    ("Pilot a genomic test", (Aim("D1.2.1", 2),), "", "", None, None, None, ActionStatus.PROPOSED,
     "", "", None, "expert-de"),
    ("Run the biobank audit", (Aim("D4.1.1", 2),), "", "", None, None, None, ActionStatus.DONE,
     "", "", dt.date(2026, 4, 1), "coordinator-de"),
    ("Write the consent policy", (Aim("D1.1.1", 3), Aim("D2.1.1", 4)), "Line one\nline two", "Ann Ode", "expert-de",
     dt.date(2026, 3, 1), dt.date(2026, 9, 30), ActionStatus.IN_PROGRESS, "", "=SUM(A1)", None, "coordinator-de"),
]  # fmt: skip


def _import_entries(services: Services) -> list[dict[str, object]]:
    with services.db.reading() as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "import").order_by(AuditEntry.id))
        return [json.loads(e.new_value or "{}") for e in entries]


def test_plan_goes_to_a_fresh_database_field_for_field_and_once(world: World, fresh_url: str, tmp_path: Path) -> None:
    _plan(world)
    admin = world.id("admin")
    assert _fields(world.services, admin) == EXPECTED
    document = parse_round_json(
        round_json(export_round(world.services, world.id("coordinator-de"), world.rounds["DE"])).encode()
    )
    assert [entry.title for entry in document.plan] == [
        "Write the consent policy",
        "Run the biobank audit",
        "Fund a sequencing hub",
        "Pilot a genomic test",
    ]  # oldest first

    db = Database(fresh_url)
    try:
        fresh = Services(db)
        restored = import_round(fresh, admin, document, label="Restored", today=dt.date(2026, 7, 1))
        assert _fields(fresh, admin) == EXPECTED  # the day done is the document's, not the import's
        import_round(fresh, admin, document, label="Restored again", today=dt.date(2026, 7, 1))
        assert _fields(fresh, admin) == EXPECTED  # the same actions are not added twice
        counts = [(e["actions"], e["actions_already_planned"]) for e in _import_entries(fresh)]
        assert counts == [(4, 0), (0, 4)]
        with fresh.db.reading() as session:
            kinds = list(session.scalars(select(AuditEntry.action).where(AuditEntry.entity == "action")))
        assert kinds == ["import_action"] * 4  # each imported action audited as imported, not as typed in
    finally:
        db.dispose()

    table = tmp_path / "plan.csv"
    done = runner.invoke(app, ["plan", "export", "--system", "de", "-o", str(table), "--database-url", fresh_url])
    assert done.exit_code == 0, done.output
    lines = table.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("Action,Status,Owner,Start,Due,Overdue,")
    assert "'=SUM(A1)" in table.read_text(encoding="utf-8-sig")
    fhir = tmp_path / "plan.fhir.json"
    args = [
        "export",
        "--round",
        str(restored.id),
        "--format",
        "fhir-plan",
        "-o",
        str(fhir),
        "--database-url",
        fresh_url,
    ]
    done = runner.invoke(app, args)
    assert done.exit_code == 0, done.output
    resource = json.loads(fhir.read_text(encoding="utf-8"))
    assert Bundle.model_validate(resource).type == "collection"
    tasks = {entry["resource"]["description"]: entry["resource"]["status"] for entry in resource["entry"]}
    assert tasks == {
        "Write the consent policy": "in-progress",
        "Run the biobank audit": "completed",
        "Fund a sequencing hub": "cancelled",
        "Pilot a genomic test": "draft",
    }


def test_one_bad_action_imports_nothing_and_every_problem_is_placed(world: World) -> None:
    services, coordinator = world.services, world.id("coordinator-de")
    data = json.loads(round_json(export_round(services, coordinator, world.rounds["DE"])))
    good = {"title": "Train the staff", "aims": [{"indicator_id": "D1.1.1", "level": 3}], "status": "planned"}
    data["plan"] = [
        good,
        {"title": "Unknown aim", "aims": [{"indicator_id": "D9.9.9", "level": 3}]},
        {"title": "Backwards dates", "aims": [{"indicator_id": "D2.1.1", "level": 2}],
         "start": "2026-06-01", "due": "2026-05-01"},
        {"title": "Odd status", "aims": [{"indicator_id": "D3.1.1", "level": 4}], "status": "finished"},
    ]  # fmt: skip
    with pytest.raises(ImportFailed) as refused:
        import_round(services, coordinator, parse_round_json(json.dumps(data).encode()), label="Bad")
    assert [(p.where, p.message) for p in refused.value.problems] == [
        ("plan, action 2 (Unknown aim), Indicators and levels aimed at",
         "'D9.9.9' is not an indicator of the questionnaire"),
        ("plan, action 3 (Backwards dates), Due", "the due date is before the start date"),
        ("plan, action 4 (Odd status), Status",
         "'finished' is not a status of an action; use one of: proposed, planned, in_progress, done, dropped"),
    ]  # fmt: skip
    with services.db.reading() as session:
        assert session.scalars(select(Action)).all() == []
        assert session.scalars(select(AssessmentRound).where(AssessmentRound.label == "Bad")).all() == []

    del data["plan"]  # a document written before plans existed still imports, with no action
    view = import_round(services, coordinator, parse_round_json(json.dumps(data).encode()), label="Old document")
    assert view.label == "Old document"
    with services.db.reading() as session:
        assert session.scalars(select(Action)).all() == []

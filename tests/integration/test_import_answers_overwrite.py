"""Security review finding 10: an answers import never overwrites what it did not see, and audits every value.

The rule (see :func:`b1mg_maturity.services.answers_import.import_answers`): an import adds
what is missing and leaves equal values alone.  Replacing a value that is
already recorded (an agreed consensus, a target, an expert's own rating) needs
the plan the person confirmed (:func:`~b1mg_maturity.services.answers_import.plan_answers_import`);
when any record changed after that plan was read, the whole import is refused.
Every value written gets its own audit entry with the old and the new value.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from b1mg_maturity.cli import app
from b1mg_maturity.cli.database import OPERATOR_ID, operator_services
from b1mg_maturity.errors import ImportFailed
from b1mg_maturity.scoring import Answer
from b1mg_maturity.services import MAX_RATIONALE_CHARS, Services
from b1mg_maturity.services import answers_import as transfer
from b1mg_maturity.storage.models import AuditEntry, Consensus, Rating, Target
from tests.integration.world import World

FILE = {"D1.1.1": Answer(level=4, target=5, evidence="from the file"), "D1.2.1": Answer(level=2)}


def _agreed(world: World) -> tuple[Services, int, int]:
    """The DE round with an agreed consensus and target for D1.1.1."""
    services, round_id, coordinator = world.services, world.rounds["DE"], world.id("coordinator-de")
    services.set_consensus(coordinator, round_id, "D1.1.1", level=3, rationale="agreed in May", expected_version=0)
    services.set_target(coordinator, round_id, "D1.1.1", target=4, expected_version=0)
    return services, round_id, coordinator


def _state(services: Services, coordinator: int, round_id: int) -> tuple[object, ...]:
    consensus = {k: (v.level, v.rationale, v.version) for k, v in services.consensus_of(coordinator, round_id).items()}
    targets = {k: (v.target, v.version) for k, v in services.targets_of(coordinator, round_id).items()}
    return consensus, targets, tuple(services.count(m) for m in (Consensus, Target, Rating, AuditEntry))


def test_import_does_not_overwrite_an_agreed_consensus_unasked(world: World) -> None:
    services, round_id, coordinator = _agreed(world)
    before = _state(services, coordinator, round_id)
    with pytest.raises(ImportFailed) as caught:
        transfer.import_answers(services, coordinator, round_id, FILE, "consensus")
    lines = caught.value.lines()
    assert any(line.startswith("indicator D1.1.1, consensus:") and "level 3" in line for line in lines), lines
    assert any(line.startswith("indicator D1.1.1, target:") for line in lines), lines
    assert not any("D1.2.1" in line for line in lines)  # adding is not overwriting
    assert _state(services, coordinator, round_id) == before


def test_confirmed_import_writes_and_audits_every_old_and_new_value(world: World) -> None:
    services, round_id, coordinator = _agreed(world)
    plan = transfer.plan_answers_import(services, coordinator, round_id, FILE, "consensus")
    assert {(c.entity, c.indicator_id) for c in plan.overwrites} == {("consensus", "D1.1.1"), ("target", "D1.1.1")}
    assert transfer.import_answers(services, coordinator, round_id, FILE, "consensus", based_on=plan) == 2

    consensus = services.consensus_of(coordinator, round_id)
    assert (consensus["D1.1.1"].level, consensus["D1.1.1"].rationale, consensus["D1.2.1"].level) == (
        4,
        "from the file",
        2,
    )
    entries = {(e.entity, e.entity_key): (e.old_value, e.new_value) for e in _entries(services, world, round_id)}
    assert entries[("consensus", f"{round_id}/D1.1.1")] == (
        {"level": 3, "not_applicable": False, "rationale": "agreed in May"},
        {"level": 4, "not_applicable": False, "rationale": "from the file"},
    )
    assert entries[("target", f"{round_id}/D1.1.1")] == ({"target": 4}, {"target": 5})
    assert entries[("consensus", f"{round_id}/D1.2.1")] == (
        None,
        {"level": 2, "not_applicable": False, "rationale": ""},
    )


def _entries(services: Services, world: World, round_id: int) -> list[Any]:
    return [e for e in services.audit_log(world.id("admin"), round_id=round_id) if e.action == "import_consensus"]


def test_import_is_refused_when_a_record_changed_since_the_plan(world: World) -> None:
    services, round_id, coordinator = _agreed(world)
    plan = transfer.plan_answers_import(services, coordinator, round_id, FILE, "consensus")
    services.set_consensus(coordinator, round_id, "D1.1.1", level=5, rationale="changed meanwhile", expected_version=1)
    before = _state(services, coordinator, round_id)
    with pytest.raises(ImportFailed) as caught:
        transfer.import_answers(services, coordinator, round_id, FILE, "consensus", based_on=plan)
    assert any(
        line.startswith("indicator D1.1.1, consensus:") and "changed since" in line and "level 5" in line
        for line in caught.value.lines()
    ), caught.value.lines()
    assert _state(services, coordinator, round_id) == before


def test_a_record_added_since_the_plan_is_not_overwritten(world: World) -> None:
    services, round_id, coordinator = _agreed(world)
    plan = transfer.plan_answers_import(services, coordinator, round_id, FILE, "consensus")
    services.set_consensus(coordinator, round_id, "D1.2.1", level=1, expected_version=0)
    before = _state(services, coordinator, round_id)
    with pytest.raises(ImportFailed) as caught:
        transfer.import_answers(services, coordinator, round_id, FILE, "consensus", based_on=plan)
    assert any(line.startswith("indicator D1.2.1, consensus:") for line in caught.value.lines())
    assert _state(services, coordinator, round_id) == before


def test_equal_values_are_left_alone(world: World) -> None:
    services, round_id, coordinator = _agreed(world)
    same = {"D1.1.1": Answer(level=3, target=4, evidence="agreed in May")}
    before = _state(services, coordinator, round_id)
    assert transfer.import_answers(services, coordinator, round_id, same, "consensus") == 0
    assert _state(services, coordinator, round_id)[:2] == before[:2]  # no version moved


def test_expert_own_ratings_are_protected_the_same_way(world: World) -> None:
    services, round_id, expert = world.services, world.rounds["DE"], world.id("expert-de")
    services.rate(expert, round_id, "D1.1.1", level=1, evidence="typed on the page", expected_version=0)
    answers = {"D1.1.1": Answer(level=2, evidence="from my spreadsheet")}
    with pytest.raises(ImportFailed, match="overwrite"):
        transfer.import_answers(services, expert, round_id, answers, "ratings")
    assert services.my_ratings(expert, round_id)["D1.1.1"].level == 1
    plan = transfer.plan_answers_import(services, expert, round_id, answers, "ratings")
    transfer.import_answers(services, expert, round_id, answers, "ratings", based_on=plan)
    assert services.my_ratings(expert, round_id)["D1.1.1"].evidence == "from my spreadsheet"
    entry = next(
        e
        for e in services.audit_log(world.id("admin"), round_id=round_id)
        if (e.action, e.entity) == ("import_ratings", "rating")
    )
    assert (entry.entity_key, entry.old_value["evidence"], entry.new_value["evidence"]) == (
        f"{round_id}/D1.1.1/expert-de",
        "typed on the page",
        "from my spreadsheet",
    )


def test_imported_text_passes_the_limits_of_the_use_cases(world: World) -> None:
    services, round_id, coordinator = world.services, world.rounds["DE"], world.id("coordinator-de")
    too_long = {"D1.1.1": Answer(level=2, evidence="x" * (MAX_RATIONALE_CHARS + 1))}
    before = _state(services, coordinator, round_id)
    with pytest.raises(ImportFailed) as caught:
        transfer.import_answers(services, coordinator, round_id, too_long, "consensus")
    assert any(line.startswith("indicator D1.1.1, rationale:") for line in caught.value.lines())
    assert _state(services, coordinator, round_id) == before


def test_cli_lists_what_an_import_would_overwrite_and_replaces_it_only_when_told(
    database_url: str, tmp_path: Path
) -> None:
    runner, db = CliRunner(), ["--database-url", database_url]
    services = operator_services(database_url)
    services.add_health_system(OPERATOR_ID, "EE")
    round_id = services.open_round(OPERATOR_ID, "EE", "2026", dt.date(2026, 1, 1)).id
    services.set_consensus(OPERATOR_ID, round_id, "D1.1.1", level=3, rationale="minutes", expected_version=0)
    answers = tmp_path / "answers.csv"
    answers.write_text("indicator_id,level,evidence\nD1.1.1,4,new minutes\nD1.2.1,2,\n", encoding="utf-8")

    refused = runner.invoke(app, ["import", str(answers), "--round", str(round_id), *db])
    assert refused.exit_code == 2, refused.output
    assert "indicator D1.1.1, consensus: would overwrite level 3, rationale 'minutes'" in refused.stderr
    assert "--overwrite" in refused.stderr
    assert set(services.consensus_of(OPERATOR_ID, round_id)) == {"D1.1.1"}

    done = runner.invoke(app, ["import", str(answers), "--round", str(round_id), "--overwrite", *db])
    assert done.exit_code == 0, done.output
    assert "imported 2 indicators" in done.stdout and "1 value overwritten" in done.stdout
    assert services.consensus_of(OPERATOR_ID, round_id)["D1.1.1"].level == 4

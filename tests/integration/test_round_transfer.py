"""Rounds out and back in: CSV, XLSX and JSON round trips, FHIR, and all-or-nothing imports."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from b1mg_maturity.errors import AnswersError, ImportFailed, PermissionDenied
from b1mg_maturity.interchange.answers_file import (
    answers_csv_bytes,
    answers_xlsx_bytes,
    parse_answers_csv,
    parse_answers_xlsx,
)
from b1mg_maturity.interchange.fhir_export import round_to_fhir_response
from b1mg_maturity.services import Services
from b1mg_maturity.services.answers_import import import_answers
from b1mg_maturity.services.round_transfer import export_round, import_round, parse_round_json, round_json
from b1mg_maturity.storage.models import AssessmentRound, AuditEntry, Consensus, Rating, Target
from tests.integration.world import World


def _fill(world: World) -> int:
    services, round_id = world.services, world.rounds["DE"]
    coordinator = world.id("coordinator-de")
    services.rate(world.id("expert-de"), round_id, "D1.1.1", level=2, evidence="=cmd|' /C calc'!A0",
                  links=["https://example.org/a"], expected_version=0)  # fmt: skip
    services.rate(
        world.id("expert2-de"), round_id, "D1.1.1", level=4, evidence="<script>x</script>", expected_version=0
    )
    services.rate(world.id("expert-de"), round_id, "D3.1.1", not_applicable=True, level=None, expected_version=0)
    services.set_consensus(
        coordinator, round_id, "D1.1.1", level=3, rationale="+agreed, after debate", expected_version=0
    )
    services.set_consensus(coordinator, round_id, "D2.1.1", level=None, not_applicable=True, expected_version=0)
    services.set_target(coordinator, round_id, "D1.1.1", target=5, expected_version=0)
    services.set_target(coordinator, round_id, "D4.1.1", target=2, expected_version=0)
    return round_id


def _snapshot(services: Services, actor: int, round_id: int) -> tuple[object, ...]:
    consensus = {k: (v.level, v.not_applicable, v.rationale) for k, v in services.consensus_of(actor, round_id).items()}
    targets = {k: v.target for k, v in services.targets_of(actor, round_id).items()}
    _, answers, _ = services.round_answers(actor, round_id)
    return consensus, targets, answers


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_answers_file_round_trip(world: World, kind: str) -> None:
    services, coordinator = world.services, world.id("coordinator-de")
    source = _fill(world)
    questionnaire, answers, _ = services.round_answers(coordinator, source)
    if kind == "csv":
        parsed = parse_answers_csv(answers_csv_bytes(questionnaire, answers), questionnaire)
    else:
        parsed = parse_answers_xlsx(answers_xlsx_bytes(questionnaire, answers), questionnaire)
    assert parsed == answers
    target = services.open_round(coordinator, "DE", f"Copy {kind}", dt.date(2026, 9, 1)).id
    import_answers(services, coordinator, target, parsed, "consensus")
    _, again, _ = services.round_answers(coordinator, target)
    assert again == answers


def test_json_round_trip_to_another_system_and_back(world: World) -> None:
    services, admin = world.services, world.id("admin")
    source = _fill(world)
    services.start_review(world.id("coordinator-de"), source)
    services.submit(world.id("coordinator-de"), source)
    document = export_round(services, admin, source)
    text = round_json(document)
    assert json.loads(text)["format"] == "b1mg-maturity.round"
    parsed = parse_round_json(text.encode())
    assert parsed == document
    services.grant(admin, "expert-de", "FR", "expert")
    services.grant(admin, "expert2-de", "FR", "expert")
    copy = import_round(services, admin, parsed, health_system_code="FR", label="Restored")
    assert copy.status == "submitted"  # an admin keeps the status
    assert _snapshot(services, admin, copy.id) == _snapshot(services, admin, source)
    again = export_round(services, admin, copy.id)
    strip = {"exported_at", "health_system", "round"}
    assert again.model_dump(exclude=strip) == document.model_dump(exclude=strip)


def test_fhir_response_of_a_stored_round_validates(world: World) -> None:
    services, coordinator = world.services, world.id("coordinator-de")
    round_id = _fill(world)
    document = export_round(services, coordinator, round_id)
    questionnaire = services.questionnaire_for_round(coordinator, round_id)
    resource = round_to_fhir_response(document, questionnaire)
    assert QuestionnaireResponse.model_validate(resource).status == "in-progress"


def _counts(services: Services) -> tuple[int, ...]:
    return tuple(services.count(m) for m in (AssessmentRound, Rating, Consensus, Target, AuditEntry))


def test_bad_round_document_lists_every_problem_and_writes_nothing(world: World) -> None:
    services, admin = world.services, world.id("admin")
    document = export_round(services, admin, _fill(world))
    data = json.loads(round_json(document))
    data["ratings"][0]["indicator_id"] = "D9.9.9"
    data["ratings"][1]["level"] = 9
    data["experts"].append({"username": "ghost", "display_name": "Nobody here"})
    data["consensus"].append(dict(data["consensus"][0]))
    before = _counts(services)
    with pytest.raises(ImportFailed) as caught:
        import_round(services, admin, parse_round_json(json.dumps(data).encode()), label="Broken")
    lines = caught.value.lines()
    assert "rating 1 (indicator D9.9.9): no indicator 'D9.9.9' in b1mg-mlm 1.0.0" in lines
    assert "rating 2 (indicator D1.1.1), level: 9 is not a level; expected 1-5" in lines
    assert "expert 3 ('ghost'): no account 'ghost' here" in lines
    assert any(line.startswith("consensus 3 (indicator D1.1.1):") and "appears twice" in line for line in lines)
    assert _counts(services) == before


def test_round_document_format_errors_are_located(world: World) -> None:
    with pytest.raises(ImportFailed) as caught:
        parse_round_json(b'{"format": "b1mg-maturity.round", "format_version": 1}', name="r.json")
    assert any(line.startswith("r.json: health_system:") for line in caught.value.lines())
    with pytest.raises(ImportFailed) as caught:
        parse_round_json(b'{"format": ', name="r.json")
    assert caught.value.lines()[0].startswith("r.json:1:")


def test_tampered_questionnaire_is_refused(world: World) -> None:
    services, admin = world.services, world.id("admin")
    document = export_round(services, admin, _fill(world))
    data = json.loads(round_json(document))
    data["questionnaire"]["yaml"] = data["questionnaire"]["yaml"].replace("Absent or ad hoc", "Absent")
    with pytest.raises(ImportFailed, match="problem"):
        import_round(services, admin, parse_round_json(json.dumps(data).encode()), label="Tampered")


def test_bad_answers_file_changes_nothing(world: World) -> None:
    services, coordinator = world.services, world.id("coordinator-de")
    round_id = _fill(world)
    questionnaire = services.questionnaire_for_round(coordinator, round_id)
    before = _counts(services), _snapshot(services, coordinator, round_id)
    with pytest.raises(AnswersError) as caught:
        parse_answers_csv(b"indicator_id,level\nD1.1.1,1\nD1.2.1,8\nD1.1.1,2\n", questionnaire, name="a.csv")
    assert len(caught.value.lines()) == 2
    with pytest.raises(PermissionDenied):
        import_answers(services, world.id("coordinator-fr"), round_id, {}, "consensus")
    assert (_counts(services), _snapshot(services, coordinator, round_id)) == before


def test_expert_imports_own_ratings(world: World) -> None:
    services, expert, round_id = world.services, world.id("expert2-de"), world.rounds["DE"]
    questionnaire = services.questionnaire_for_round(expert, round_id)
    answers = parse_answers_csv(b"indicator_id,level,evidence\nD5.1.1,3,course list\nD5.1.2,NA,\n", questionnaire)
    assert import_answers(services, expert, round_id, answers, "ratings") == 2
    mine = services.my_ratings(expert, round_id)
    assert (mine["D5.1.1"].level, mine["D5.1.1"].evidence, mine["D5.1.2"].not_applicable) == (3, "course list", True)

"""FHIR export: the questionnaire and a round's consensus, validated by the FHIR R4B model classes."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.questionnaire import Questionnaire as FhirQuestionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from fhir.resources.R4B.task import Task
from pydantic import ValidationError

from b1mg_maturity.errors import B1mgError
from b1mg_maturity.interchange.fhir_export import (
    LEVEL_SYSTEM,
    fhir_json,
    plan_to_fhir_bundle,
    questionnaire_canonical,
    questionnaire_to_fhir,
    round_to_fhir_response,
)
from b1mg_maturity.interchange.round_document import (
    ConsensusEntry,
    ExpertRating,
    HealthSystemRef,
    PersonRef,
    PlanAim,
    PlanEntry,
    QuestionnaireRef,
    RoundDocument,
    RoundInfo,
    RoundStatus,
    TargetEntry,
)
from b1mg_maturity.questionnaire import Questionnaire

CONSENSUS = {"A.1.1": 2, "A.1.2": 4, "B.1.1": 5}  # A.2.1 is NA; C.1.1 has only a target; C.1.2 nothing
TARGETS = {"A.1.1": 4, "A.2.1": 3, "B.1.1": 5, "C.1.1": 3}


def _round(
    q: Questionnaire, status: RoundStatus = "published", exported_at: dt.datetime | None = None
) -> RoundDocument:
    consensus = [
        ConsensusEntry(indicator_id=iid, level=level, rationale=f"rationale for {iid}")
        for iid, level in CONSENSUS.items()
    ]
    consensus.append(ConsensusEntry(indicator_id="A.2.1", not_applicable=True))
    return RoundDocument(
        exported_at=exported_at or dt.datetime(2025, 3, 1, 9, 30, tzinfo=dt.UTC),
        health_system=HealthSystemRef(code="NL", name="Netherlands", kind="country"),
        round=RoundInfo(label="Baseline 2025", round_date=dt.date(2025, 2, 14), status=status),
        questionnaire=QuestionnaireRef(id=q.id, version=q.version, content_hash=q.content_hash),
        experts=(PersonRef(username="jdoe", display_name="Jane Doe"),),
        ratings=(ExpertRating(indicator_id="A.1.1", expert="jdoe", level=3, evidence="private note"),),
        consensus=tuple(consensus),
        targets=tuple(TargetEntry(indicator_id=iid, target=t) for iid, t in TARGETS.items()),
    )


def _walk(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every item, depth first, including the ones nested under answers."""
    for item in items:
        yield item
        yield from _walk(item.get("item", []))
        for answer in item.get("answer", []):
            yield from _walk(answer.get("item", []))


def _indicator_questions(resource: dict[str, Any], q: Questionnaire) -> list[dict[str, Any]]:
    ids = {ind.id for ind in q.indicators}
    return [i for i in _walk(resource["item"]) if i["linkId"] in ids]


def test_questionnaire_parses_back_and_mirrors_the_structure(tiny: Questionnaire) -> None:
    resource = questionnaire_to_fhir(tiny)
    parsed = FhirQuestionnaire.model_validate(resource)
    assert parsed.status == "active"
    assert parsed.url == "urn:b1mg-maturity:questionnaire:tiny"
    assert (parsed.version, parsed.title, parsed.language) == ("0.1", tiny.title, "en")
    assert [(d["linkId"], d["text"], d["type"]) for d in resource["item"]] == [
        ("A", "I. Alpha", "group"),
        ("B", "II. Beta", "group"),
        ("C", "III. Gamma", "group"),
    ]
    assert [s["linkId"] for s in resource["item"][0]["item"]] == ["A.1", "A.2"]
    questions = _indicator_questions(resource, tiny)
    assert [item["linkId"] for item in questions] == [ind.id for ind in tiny.indicators]
    first = questions[0]
    assert (first["type"], first["text"]) == ("choice", "First alpha indicator.")
    options = [o["valueCoding"] for o in first["answerOption"]]
    assert {o["system"] for o in options} == {LEVEL_SYSTEM}
    assert [o["code"] for o in options] == ["1", "2", "3", "4", "5", "NA"]
    assert options[2]["display"] == "3 · Three: a3"
    children = [(c["linkId"], c["type"]) for c in first["item"]]
    assert children == [("A.1.1.evidence", "text"), ("A.1.1.target", "choice")]
    assert [o["valueCoding"]["code"] for o in first["item"][1]["answerOption"]] == ["1", "2", "3", "4", "5"]


def test_whole_mlm_exports_49_questions(mlm: Questionnaire) -> None:
    resource = questionnaire_to_fhir(mlm)
    FhirQuestionnaire.model_validate(resource)
    questions = _indicator_questions(resource, mlm)
    assert len(questions) == 49
    assert all(item["type"] == "choice" for item in questions)
    assert len(resource["item"]) == len(mlm.domains)
    assert json.loads(fhir_json(resource)) == resource


def test_response_carries_consensus_rationale_and_targets(tiny: Questionnaire) -> None:
    resource = round_to_fhir_response(_round(tiny), tiny)
    parsed = QuestionnaireResponse.model_validate(resource)
    assert parsed.questionnaire == questionnaire_canonical(tiny) == "urn:b1mg-maturity:questionnaire:tiny|0.1"
    assert resource["authored"] == "2025-03-01T09:30:00Z"

    answers = {i["linkId"]: i["answer"][0] for i in _indicator_questions(resource, tiny)}
    assert list(answers) == ["A.1.1", "A.1.2", "A.2.1", "B.1.1"]  # only items with answers, in order
    levels = {iid: a["valueCoding"]["code"] for iid, a in answers.items()}
    assert levels == {**{iid: str(level) for iid, level in CONSENSUS.items()}, "A.2.1": "NA"}
    assert answers["A.1.1"]["valueCoding"]["display"] == "2 · Two: a2"

    nested = {c["linkId"]: c["answer"][0] for a in answers.values() for c in a.get("item", [])}
    evidence = {k.removesuffix(".evidence"): v["valueString"] for k, v in nested.items() if k.endswith(".evidence")}
    targets = {
        k.removesuffix(".target"): int(v["valueCoding"]["code"]) for k, v in nested.items() if k.endswith(".target")
    }
    assert evidence == {iid: f"rationale for {iid}" for iid in CONSENSUS}
    assert targets == {iid: t for iid, t in TARGETS.items() if iid in answers}
    # groups only where something is answered: domain C has no consensus answer
    assert [d["linkId"] for d in resource["item"]] == ["A", "B"]


def test_response_shares_no_ids_usernames_or_private_notes(tiny: Questionnaire) -> None:
    resource = round_to_fhir_response(_round(tiny), tiny)
    assert resource["subject"] == {"display": "Netherlands (NL)"}
    assert resource["source"] == {"display": "Netherlands (NL)"}
    text = fhir_json(resource)
    assert "jdoe" not in text and "Jane Doe" not in text and "private note" not in text


@pytest.mark.parametrize(
    ("status", "expected"),
    [("draft", "in-progress"), ("in_review", "in-progress"), ("submitted", "completed"), ("published", "completed")],
)
def test_response_status_follows_the_round(tiny: Questionnaire, status: RoundStatus, expected: str) -> None:
    resource = round_to_fhir_response(_round(tiny, status=status), tiny)
    assert QuestionnaireResponse.model_validate(resource).status == expected


def test_naive_export_time_is_taken_as_utc(tiny: Questionnaire) -> None:
    resource = round_to_fhir_response(_round(tiny, exported_at=dt.datetime(2025, 3, 1, 9, 30)), tiny)
    assert resource["authored"] == "2025-03-01T09:30:00Z"


def test_round_of_another_questionnaire_is_refused(tiny: Questionnaire, mlm: Questionnaire) -> None:
    with pytest.raises(B1mgError, match="another questionnaire"):
        round_to_fhir_response(_round(tiny), mlm)


def test_empty_round_exports_a_response_without_items(tiny: Questionnaire) -> None:
    doc = _round(tiny, status="draft").model_copy(update={"consensus": (), "targets": ()})
    resource = round_to_fhir_response(doc, tiny)
    assert "item" not in resource
    assert QuestionnaireResponse.model_validate(resource).status == "in-progress"


@pytest.mark.parametrize(
    "breakage",
    [
        pytest.param(lambda r: r.pop("status"), id="missing required status"),
        pytest.param(lambda r: r.update(bogus=1), id="unknown element"),
        pytest.param(lambda r: r["item"][0].pop("linkId"), id="item without linkId"),
        pytest.param(lambda r: r["item"][0]["item"][0]["item"][0]["answerOption"][0].clear(), id="empty answer option"),
        pytest.param(lambda r: r.update(status=["active"]), id="status not a code"),
    ],
)
def test_invalid_questionnaire_is_rejected_by_the_model(tiny: Questionnaire, breakage: Any) -> None:
    # fhir.resources does not check codes against their value set (status "nonsense" would pass),
    # so these are structural breakages the model classes do reject.
    resource = questionnaire_to_fhir(tiny)
    breakage(resource)
    with pytest.raises(ValidationError):
        FhirQuestionnaire.model_validate(resource)


def test_invalid_response_is_rejected_by_the_model(tiny: Questionnaire) -> None:
    resource = round_to_fhir_response(_round(tiny), tiny)
    resource["authored"] = "2025-03-01T09:30:00"  # a time without a zone
    with pytest.raises(ValidationError):
        QuestionnaireResponse.model_validate(resource)


# --- the plan as Tasks -------------------------------------------------------------------------------

PLAN = (
    PlanEntry(
        title="Write the consent policy",
        description="Start from the national template.",
        aims=(PlanAim(indicator_id="A.1.1", level=4), PlanAim(indicator_id="C.1.1", level=3)),
        owner_name="Ann Ode",
        owner_username="jdoe",
        proposed_by="jdoe",
        start=dt.date(2025, 3, 1),
        due=dt.date(2025, 9, 30),
        status="in_progress",
        notes="Board reads it in June.",
    ),
    PlanEntry(title="Run the audit", aims=(PlanAim(indicator_id="B.1.1", level=5),), status="done",
              done_on=dt.date(2025, 2, 20)),
    PlanEntry(title="Fund a hub", aims=(PlanAim(indicator_id="A.2.1", level=2),), status="dropped",
              drop_reason="No budget"),
    PlanEntry(title="Pilot a test", aims=(PlanAim(indicator_id="C.1.2", level=2),), status="proposed"),
    PlanEntry(title="Train the staff", aims=(PlanAim(indicator_id="A.1.2", level=5),), status="planned"),
)  # fmt: skip


def test_plan_becomes_valid_tasks_with_our_statuses_mapped(tiny: Questionnaire) -> None:
    bundle = plan_to_fhir_bundle(_round(tiny).model_copy(update={"plan": PLAN}))
    assert Bundle.model_validate(bundle).type == "collection"
    tasks = [entry["resource"] for entry in bundle["entry"]]
    for task in tasks:
        Task.model_validate(task)
    assert [(t["description"], t["status"], t["intent"]) for t in tasks] == [
        ("Write the consent policy", "in-progress", "plan"),
        ("Run the audit", "completed", "plan"),
        ("Fund a hub", "cancelled", "plan"),
        ("Pilot a test", "draft", "proposal"),
        ("Train the staff", "requested", "plan"),
    ]
    first = tasks[0]
    assert first["for"] == {"display": "Netherlands (NL)"}
    assert first["owner"] == {"display": "Ann Ode"}
    assert first["restriction"] == {"period": {"start": "2025-03-01", "end": "2025-09-30"}}
    assert [note["text"] for note in first["note"]] == ["Start from the national template.", "Board reads it in June."]
    assert first["input"] == [
        {
            "type": {"coding": [{"system": "urn:b1mg-maturity:indicator", "code": "A.1.1"}]},
            "valueCoding": {"system": LEVEL_SYSTEM, "code": "4"},
        },
        {
            "type": {"coding": [{"system": "urn:b1mg-maturity:indicator", "code": "C.1.1"}]},
            "valueCoding": {"system": LEVEL_SYSTEM, "code": "3"},
        },
    ]
    assert tasks[1]["executionPeriod"] == {"end": "2025-02-20"}
    assert tasks[2]["statusReason"] == {"text": "No budget"}
    assert "statusReason" not in tasks[0] and "executionPeriod" not in tasks[0]
    assert "jdoe" not in fhir_json(bundle)  # an owner or proposer is never named by their account
    urls = [entry["fullUrl"] for entry in bundle["entry"]]
    assert len(set(urls)) == 5 and all(url.startswith("urn:uuid:") for url in urls)
    assert plan_to_fhir_bundle(_round(tiny).model_copy(update={"plan": PLAN}))["entry"][0]["fullUrl"] == urls[0]


def test_no_plan_gives_an_empty_bundle_and_an_unknown_status_is_refused(tiny: Questionnaire) -> None:
    empty = plan_to_fhir_bundle(_round(tiny))
    assert "entry" not in empty and Bundle.model_validate(empty).type == "collection"
    odd = PlanEntry(title="Odd", aims=(PlanAim(indicator_id="A.1.1", level=2),), status="finished")
    with pytest.raises(B1mgError) as refused:
        plan_to_fhir_bundle(_round(tiny).model_copy(update={"plan": (*PLAN, odd)}))
    assert [(p.where, p.message) for p in refused.value.problems] == [
        ("plan, action 6", "'finished' is not a status of an action")
    ]

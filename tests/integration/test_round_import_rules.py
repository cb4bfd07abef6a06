"""Security review finding 6: a round import follows the rules of the use cases it replays.

A round document names experts, their ratings (evidence, links), the consensus
and the questionnaire.  Importing it must not let a coordinator do what the
services refuse them: invite people who are not experts of the health system
(another country's users, an administrator), rate in their name, store a
``javascript:`` link or evidence past the limits of ``rate()``, or add a
questionnaire version (administrators only).  Every refusal names its place in
plain words, and nothing is written.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from b1mg_maturity.errors import ImportFailed
from b1mg_maturity.questionnaire import load_questionnaire
from b1mg_maturity.services import MAX_EVIDENCE_CHARS, MAX_RATIONALE_CHARS, Services
from b1mg_maturity.services.round_transfer import export_round, import_round, parse_round_json, round_json
from b1mg_maturity.storage.models import (
    AssessmentRound,
    AuditEntry,
    Consensus,
    QuestionnaireVersion,
    Rating,
    RoundExpert,
    Target,
)
from tests.conftest import FIXTURES
from tests.integration.world import World


def _document(world: World) -> dict[str, Any]:
    """The DE round with two experts' ratings and a consensus, as its coordinator exports it."""
    services, round_id, coordinator = world.services, world.rounds["DE"], world.id("coordinator-de")
    services.rate(world.id("expert-de"), round_id, "D1.1.1", level=2, expected_version=0)
    services.rate(world.id("expert2-de"), round_id, "D1.2.1", level=4, expected_version=0)
    services.set_consensus(coordinator, round_id, "D1.1.1", level=3, rationale="agreed", expected_version=0)
    data: dict[str, Any] = json.loads(round_json(export_round(services, coordinator, round_id)))
    return data


def _counts(services: Services) -> tuple[int, ...]:
    models = (AssessmentRound, RoundExpert, Rating, Consensus, Target, QuestionnaireVersion, AuditEntry)
    return tuple(services.count(m) for m in models)


def _refused(services: Services, actor: int, data: dict[str, Any], **kwargs: Any) -> list[str]:
    before = _counts(services)
    with pytest.raises(ImportFailed) as caught:
        import_round(services, actor, parse_round_json(json.dumps(data).encode()), **kwargs)
    assert _counts(services) == before, "a refused import wrote something"
    return caught.value.lines()


def test_coordinator_cannot_name_other_users_as_experts_or_rate_for_them(world: World) -> None:
    data = _document(world)
    data["experts"] += [{"username": "expert-fr"}, {"username": "admin"}, {"username": "viewer-de"}]
    data["ratings"] += [
        {"indicator_id": "D2.1.1", "expert": "admin", "level": 5},
        {"indicator_id": "D1.1.1", "expert": "expert-fr", "level": 5},
    ]
    lines = _refused(world.services, world.id("coordinator-de"), data, label="Imported")
    for line in (
        "expert 3 ('expert-fr'): user 'expert-fr' is not an expert of DE",
        "expert 4 ('admin'): user 'admin' is not an expert of DE",
        "expert 5 ('viewer-de'): user 'viewer-de' is not an expert of DE",
        "rating 3 (indicator D2.1.1): user 'admin' is not an expert of DE",
        "rating 4 (indicator D1.1.1): user 'expert-fr' is not an expert of DE",
    ):
        assert any(got.startswith(line) for got in lines), f"missing {line!r} in {lines}"


def test_administrators_follow_the_same_expert_rule(world: World) -> None:
    data = _document(world)
    data["experts"].append({"username": "expert-fr"})
    lines = _refused(world.services, world.id("admin"), data, label="Imported")
    assert any(line.startswith("expert 3 ('expert-fr'): user 'expert-fr' is not an expert of DE") for line in lines)


def test_revoked_expert_cannot_be_imported_into_a_round(world: World) -> None:
    data = _document(world)
    world.services.revoke(world.id("admin"), "expert2-de", "DE", "expert")
    lines = _refused(world.services, world.id("coordinator-de"), data, label="Imported")
    assert any(line.startswith("expert 2 ('expert2-de'): user 'expert2-de' is not an expert of DE") for line in lines)
    assert any(line.startswith("rating 2 (indicator D1.2.1): user 'expert2-de'") for line in lines)


def test_evidence_links_and_rationale_pass_the_limits_of_the_use_cases(world: World) -> None:
    data = _document(world)
    data["ratings"][0]["links"] = ["javascript:alert(document.cookie)"]
    data["ratings"][1]["evidence"] = "x" * 200_000
    data["consensus"][0]["rationale"] = "y" * 200_000
    lines = _refused(world.services, world.id("coordinator-de"), data, label="Imported")
    assert any(line.startswith("rating 1 (indicator D1.1.1)") and "javascript:" in line for line in lines), lines
    assert any(
        line.startswith("rating 2 (indicator D1.2.1), evidence:") and f"{MAX_EVIDENCE_CHARS:,}" in line
        for line in lines
    ), lines
    assert any(
        line.startswith("consensus 1 (indicator D1.1.1), rationale:") and f"{MAX_RATIONALE_CHARS:,}" in line
        for line in lines
    ), lines


def _with_unregistered_questionnaire(data: dict[str, Any]) -> dict[str, Any]:
    yaml_text = (FIXTURES / "tiny.yaml").read_text(encoding="utf-8")
    questionnaire = load_questionnaire(yaml_text.encode("utf-8"), name="tiny.yaml")
    data["questionnaire"] = {
        "id": questionnaire.id,
        "version": questionnaire.version,
        "content_hash": questionnaire.content_hash,
        "yaml": yaml_text,
    }
    data["ratings"], data["consensus"], data["targets"] = [], [], []
    return data


def test_only_an_administrator_adds_a_questionnaire_version_through_an_import(world: World) -> None:
    services = world.services
    data = _with_unregistered_questionnaire(_document(world))
    lines = _refused(services, world.id("coordinator-de"), data, label="Tiny")
    assert any(line.startswith("questionnaire (tiny 0.1):") and "administrator" in line for line in lines), lines

    view = import_round(services, world.id("admin"), parse_round_json(json.dumps(data).encode()), label="Tiny")
    assert (view.questionnaire_id, view.status) == ("tiny", "draft")
    # once registered, a coordinator may import rounds of it
    data["round"]["label"] = "Tiny again"
    again = import_round(services, world.id("coordinator-de"), parse_round_json(json.dumps(data).encode()))
    assert again.questionnaire_id == "tiny"


def test_a_clean_import_by_the_coordinator_is_a_draft_with_every_rating(world: World) -> None:
    services, coordinator = world.services, world.id("coordinator-de")
    data = _document(world)
    data["round"]["round_date"] = dt.date(2027, 1, 1).isoformat()
    view = import_round(services, coordinator, parse_round_json(json.dumps(data).encode()), label="Imported")
    assert view.status == "draft"
    ratings = {(r.indicator_id, r.expert, r.level) for r in services.all_ratings(coordinator, view.id)}
    assert ratings == {("D1.1.1", "expert-de", 2), ("D1.2.1", "expert2-de", 4)}

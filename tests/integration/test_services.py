"""Use cases end to end on a real database (each test runs on SQLite and on PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, ProgrammingError

from b1mg_maturity.errors import Conflict, InvalidState, PermissionDenied, ValidationFailed
from b1mg_maturity.services import Services
from b1mg_maturity.storage.models import AuditEntry
from tests.integration.world import World


def test_health_systems_are_validated_with_iso_names(world: World) -> None:
    services, admin = world.services, world.id("admin")
    region = services.add_health_system(admin, "es-ct")
    assert (region.code, region.kind) == ("ES-CT", "region")
    with pytest.raises(ValidationFailed) as caught:
        services.add_health_system(admin, "XY")
    assert "not an ISO 3166-1 alpha-2 country code" in caught.value.lines()[0]
    with pytest.raises(ValidationFailed) as caught:
        services.add_health_system(admin, "DE")  # exists
    assert caught.value.lines() == ["Health system code: health system DE already exists"]
    assert [s.code for s in services.list_health_systems(world.id("coordinator-de"))] == ["DE"]


def test_rating_saves_versions_and_audits(world: World) -> None:
    services, expert, round_id = world.services, world.id("expert-de"), world.rounds["DE"]
    first = services.rate(
        expert,
        round_id,
        "D1.1.1",
        level=3,
        evidence="Plan <b>2024</b>",
        links=["https://example.org/plan"],
        expected_version=0,
    )
    assert (first.level, first.version, first.links) == (3, 1, ("https://example.org/plan",))
    second = services.rate(expert, round_id, "D1.1.1", level=4, evidence="Updated", expected_version=1)
    assert second.version == 2
    assert services.my_ratings(expert, round_id)["D1.1.1"].evidence == "Updated"
    history = services.audit_log(world.id("coordinator-de"), round_id=round_id)
    rates = [e for e in history if e.action == "rate"]
    assert [e.new_value["level"] for e in rates] == [4, 3]  # newest first
    assert rates[0].old_value["level"] == 3 and rates[1].old_value is None


def test_stale_save_is_a_conflict_with_both_values(world: World) -> None:
    services, round_id = world.services, world.rounds["DE"]
    coordinator = world.id("coordinator-de")
    services.set_consensus(coordinator, round_id, "D2.1.1", level=2, rationale="first", expected_version=0)
    services.set_consensus(coordinator, round_id, "D2.1.1", level=3, rationale="second", expected_version=1)
    with pytest.raises(Conflict) as caught:
        services.set_consensus(coordinator, round_id, "D2.1.1", level=5, rationale="stale", expected_version=1)
    assert caught.value.yours == {"level": 5, "not_applicable": False, "rationale": "stale"}
    assert caught.value.theirs == {"level": 3, "not_applicable": False, "rationale": "second"}
    assert caught.value.current_version == 2
    assert services.consensus_of(coordinator, round_id)["D2.1.1"].rationale == "second"


def test_invalid_inputs_are_refused_with_the_field(world: World) -> None:
    services, expert, round_id = world.services, world.id("expert-de"), world.rounds["DE"]
    cases = [
        ({"indicator_id": "D9.9.9", "level": 3}, "no indicator 'D9.9.9'"),
        ({"indicator_id": "D1.1.1", "level": 6}, "6 is not a level; expected 1-5"),
        ({"indicator_id": "D1.1.1", "level": 3, "not_applicable": True}, "not both"),
        (
            {"indicator_id": "D1.1.1", "level": 3, "links": ["file:///etc/passwd"]},
            "Line 1 of Links: “file:///etc/passwd” is not a web address",
        ),
        ({"indicator_id": "D1.1.1", "level": 3, "evidence": "x" * 20_001}, "at most 20,000"),
    ]
    for kwargs, message in cases:
        indicator_id = str(kwargs.pop("indicator_id"))
        with pytest.raises(ValidationFailed) as caught:
            services.rate(expert, round_id, indicator_id, expected_version=0, **kwargs)  # type: ignore[arg-type]
        assert message in " ".join(caught.value.lines()), (kwargs, caught.value.lines())
    assert services.my_ratings(expert, round_id) == {}


def test_scores_use_median_before_consensus_and_say_so(world: World) -> None:
    services, round_id = world.services, world.rounds["DE"]
    coordinator = world.id("coordinator-de")
    services.rate(world.id("expert-de"), round_id, "D1.1.1", level=2, expected_version=0)
    services.rate(world.id("expert2-de"), round_id, "D1.1.1", level=3, expected_version=0)
    services.rate(world.id("expert-de"), round_id, "D1.2.1", not_applicable=True, level=None, expected_version=0)
    before = services.round_scores(coordinator, round_id)
    assert before.card.indicator("D1.1.1").level == 2  # lower median of 2 and 3
    assert before.card.indicator("D1.2.1").not_applicable
    assert before.basis["D1.1.1"] == "experts' median"
    assert "median" in before.summary
    services.set_consensus(coordinator, round_id, "D1.1.1", level=3, rationale="agreed", expected_version=0)
    services.set_target(coordinator, round_id, "D1.1.1", target=5, expected_version=0)
    after = services.round_scores(coordinator, round_id)
    assert after.basis["D1.1.1"] == "consensus"
    assert after.card.domain("D1").score == 3.0
    assert after.card.priorities[0].indicator_id == "D1.1.1" and after.card.priorities[0].gap == 2
    assert services.progress(coordinator, round_id)["D1"] == (2, 3)


def test_status_flow_locks_and_reopen_is_audited(world: World) -> None:
    services, round_id = world.services, world.rounds["FR"]
    coordinator, expert, admin = world.id("coordinator-fr"), world.id("expert-fr"), world.id("admin")
    services.rate(expert, round_id, "D1.1.1", level=3, expected_version=0)
    assert services.start_review(coordinator, round_id).status == "in_review"
    assert services.submit(coordinator, round_id).status == "submitted"
    with pytest.raises(InvalidState, match="locked"):
        services.rate(expert, round_id, "D1.1.1", level=4, expected_version=1)
    with pytest.raises(InvalidState, match=re.escape("A round that is submitted cannot move to submitted.")):
        services.submit(coordinator, round_id)
    with pytest.raises(ValidationFailed) as caught:
        services.reopen(admin, round_id, "  ")
    assert caught.value.lines() == ["Reason: say why the round is reopened"]
    assert services.publish(admin, round_id).status == "published"
    reopened = services.reopen(admin, round_id, "typo in evidence")
    assert reopened.status == "in_review"
    entry = next(e for e in services.audit_log(admin) if e.action == "status_in_review" and e.old_value)
    assert entry.old_value == {"status": "published"}
    assert entry.new_value == {"status": "in_review", "reason": "typo in evidence"}
    with pytest.raises(InvalidState, match="part is closed"):  # reopened for the consensus, not for the experts
        services.rate(expert, round_id, "D1.1.1", level=4, expected_version=1)
    assert services.set_consensus(coordinator, round_id, "D1.1.1", level=4, expected_version=0).version == 1


def test_copy_from_previous_round(world: World) -> None:
    services, coordinator = world.services, world.id("coordinator-de")
    old = world.rounds["DE"]
    services.set_consensus(coordinator, old, "D3.1.1", level=4, rationale="law passed", expected_version=0)
    services.set_target(coordinator, old, "D3.1.1", target=5, expected_version=0)
    services.rate(world.id("expert-de"), old, "D1.1.1", level=2, expected_version=0)
    new = services.open_round(coordinator, "DE", "Round 2027", dt.date(2027, 3, 1), copy_from_round_id=old)
    consensus = services.consensus_of(coordinator, new.id)
    assert consensus["D3.1.1"].level == 4 and consensus["D3.1.1"].rationale == "law passed"
    assert consensus["D1.1.1"].level == 2
    assert services.targets_of(coordinator, new.id)["D3.1.1"].target == 5
    with pytest.raises(PermissionDenied, match=re.escape("You may not copy from that round.")):
        services.open_round(world.id("coordinator-fr"), "FR", "Copy", dt.date(2027, 1, 1), copy_from_round_id=old)


def test_invite_requires_expert_role(world: World) -> None:
    with pytest.raises(ValidationFailed) as caught:
        world.services.invite_expert(world.id("coordinator-de"), world.rounds["DE"], "expert-fr")
    assert caught.value.lines() == ["Username: 'expert-fr' is not an expert of DE; give them the expert role first"]


def test_round_pins_questionnaire_content(world: World) -> None:
    services = world.services
    view = services.get_round(world.id("admin"), world.rounds["DE"])
    questionnaire = services.questionnaire_for_round(world.id("admin"), world.rounds["DE"])
    assert view.content_hash == questionnaire.content_hash
    assert services.bundled_questionnaire_id() == services.bundled_questionnaire_id()  # same content, same row


def test_audit_log_refuses_update_and_delete(services: Services, world: World) -> None:
    # What building the world (world.py) wrote, per health system: a round, four roles granted, two invitations.
    systems = len(world.rounds)
    expected = Counter(
        {"add": len(world.users) + systems, "grant": 4 * systems, "invite": 2 * systems, "open": systems, "register": 1}
    )  # "register": the bundled questionnaire, once
    assert Counter(e.action for e in services.audit_log(world.id("admin"))) == expected
    assert services.count(AuditEntry) == expected.total()
    # A trigger refuses: SQLite's RAISE(ABORT) is an integrity error; PL/pgSQL's RAISE EXCEPTION (P0001) psycopg
    # reports as a programming error.
    refusal = IntegrityError if services.db.dialect == "sqlite" else ProgrammingError
    for statement in ("UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(refusal, match="audit_log is append-only"), services.db.transaction() as session:
            session.execute(text(statement))
    assert services.count(AuditEntry) == expected.total()
    assert Counter(e.action for e in services.audit_log(world.id("admin"))) == expected


def test_first_admin_bootstrap_only_once(services: Services) -> None:
    services.add_user(None, "root", "long-enough-password", global_role="admin")
    with pytest.raises(PermissionDenied, match=re.escape("An administrator exists: sign in as one to add users.")):
        services.add_user(None, "intruder", "long-enough-password", global_role="admin")
    with pytest.raises(ValidationFailed) as caught:
        services.add_user(services.actor(1).user_id, "short", "abc")
    assert caught.value.lines() == ["Password: use at least 10 characters"]

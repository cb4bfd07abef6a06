"""The guided round: experts finish (and reopen) their part, coordinators follow, remind and uninvite,
the workflow runs draft -> in review -> submitted, and each step sends its mail (to the outbox).

World: DE's round "Round 2026" (draft) has expert-de and expert2-de invited; users have no e-mail
address unless a test gives them one.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, update

from b1mg_maturity.errors import InvalidState, PermissionDenied, ValidationFailed
from b1mg_maturity.permissions import Page
from b1mg_maturity.questionnaire.loader import load_bundled
from b1mg_maturity.services import Services
from b1mg_maturity.services.progress import count_of, submit_check
from b1mg_maturity.storage.models import AuditEntry, OutboxMail, User
from tests.integration.world import PASSWORD, World

TOTAL = 49  # indicators of the bundled questionnaire


def _outbox(services: Services, round_id: int) -> list[tuple[str, list[str], str]]:
    """(kind, recipients, body) of the round's queued mails, oldest first."""
    with services.db.reading() as session:
        rows = session.scalars(select(OutboxMail).where(OutboxMail.round_id == round_id).order_by(OutboxMail.id))
        return [(m.kind, json.loads(m.recipients), m.body) for m in rows]


def _audit(services: Services, round_id: int, action: str) -> list[AuditEntry]:
    with services.db.reading() as session:
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.round_id == round_id, AuditEntry.action == action)
        ).all()
        session.expunge_all()
        return list(entries)


def _give_email(services: Services, username: str, email: str) -> None:
    with services.db.transaction() as session:
        session.execute(update(User).where(User.username == username).values(email=email))


def test_an_expert_finishes_sees_what_is_left_reopens_and_review_closes_the_part(world: World) -> None:
    services, round_id = world.services, world.rounds["DE"]
    expert, other, coordinator = world.id("expert-de"), world.id("expert2-de"), world.id("coordinator-de")
    services.rate(expert, round_id, "D1.1.1", level=3, expected_version=0)
    services.rate(expert, round_id, "D1.2.1", level=None, not_applicable=True, expected_version=0)

    part = services.my_part(expert, round_id)
    assert (part.answered, part.total, part.unanswered, part.finished) == (2, TOTAL, TOTAL - 2, False)
    assert [d.domain_id for d in part.left] == ["D1", "D2", "D3", "D4", "D5", "D6", "D7", "D8"]
    assert part.left[0].indicator_ids == ("D1.3.1",)
    assert part.may_finish and not part.may_reopen

    finished = services.finish_my_part(expert, round_id)
    assert finished.finished and not finished.may_finish and finished.may_reopen and not finished.may_rate
    with pytest.raises(InvalidState, match="finished"):
        services.rate(expert, round_id, "D1.3.1", level=2, expected_version=0)
    with pytest.raises(InvalidState):
        services.finish_my_part(expert, round_id)
    offered = services.capabilities(expert, round_id)
    assert (offered.may_rate, offered.may_finish_part, offered.may_reopen_part) == (False, False, True)

    reopened = services.reopen_my_part(expert, round_id)
    assert not reopened.finished and reopened.may_rate
    services.rate(expert, round_id, "D1.3.1", level=2, expected_version=0)  # rating again
    assert services.finish_my_part(expert, round_id).unanswered == TOTAL - 3

    audit = [(e.action, json.loads(e.new_value or "null")) for e in _audit(services, round_id, "finish_part")]
    assert audit == [
        ("finish_part", {"finished": True, "unanswered": 47}),
        ("finish_part", {"finished": True, "unanswered": 46}),
    ]
    assert len(_audit(services, round_id, "reopen_part")) == 1

    services.start_review(coordinator, round_id)
    with pytest.raises(InvalidState, match="closed"):
        services.reopen_my_part(expert, round_id)
    with pytest.raises(InvalidState, match="in review"):  # not finished, but the review closed every part
        services.rate(other, round_id, "D1.1.1", level=4, expected_version=0)
    assert services.my_part(other, round_id).closed


@pytest.mark.parametrize("who", ["expert-fr", "viewer-de", "coordinator-fr"])
def test_only_an_invited_expert_finishes_their_part(world: World, who: str) -> None:
    services, round_id = world.services, world.rounds["DE"]
    with pytest.raises(PermissionDenied):
        services.finish_my_part(world.id(who), round_id)


def test_a_coordinator_follows_progress_reminds_and_uninvites(world: World) -> None:
    services, round_id, admin = world.services, world.rounds["DE"], world.id("admin")
    coordinator, expert = world.id("coordinator-de"), world.id("expert-de")
    services.add_user(admin, "mailed-de", PASSWORD, email="mailed@example.org")
    services.grant(admin, "mailed-de", "DE", "expert")
    services.invite_expert(coordinator, round_id, "mailed-de")
    invitation = _outbox(services, round_id)[-1]
    assert invitation[0] == "invitation" and invitation[1] == ["mailed@example.org"]
    assert f"/rate?round={round_id}" in invitation[2]
    mailed = world.services.whoami(services.sign_in("mailed-de", PASSWORD)).id

    services.rate(expert, round_id, "D1.1.1", level=3, evidence="minutes", expected_version=0)
    services.rate(expert, round_id, "D2.1.1", level=2, expected_version=0)
    services.rate(mailed, round_id, "D1.1.1", level=4, expected_version=0)
    services.finish_my_part(mailed, round_id)

    progress = services.round_progress(coordinator, round_id)
    rows = [(e.username, e.answered, e.total, e.state, e.last_activity is not None) for e in progress.experts]
    assert rows == [
        ("expert-de", 2, TOTAL, "Rating", True),
        ("expert2-de", 0, TOTAL, "Not started", False),
        ("mailed-de", 1, TOTAL, "Finished", True),
    ]
    assert [e.username for e in progress.to_remind] == ["expert-de", "expert2-de"]
    for outsider in ("coordinator-fr", "expert-de", "viewer-de"):
        with pytest.raises(PermissionDenied):
            services.round_progress(world.id(outsider), round_id)

    with pytest.raises(ValidationFailed) as refused:
        services.send_reminders(coordinator, round_id, ["expert-de", "mailed-de"])
    assert [p.message for p in refused.value.problems] == ["'mailed-de' has finished already"]
    with pytest.raises(PermissionDenied):
        services.send_reminders(world.id("coordinator-fr"), round_id, ["expert-de"])
    assert services.send_reminders(coordinator, round_id, ["expert-de", "expert2-de"]) == 2
    reminders = [m for m in _outbox(services, round_id) if m[0] == "reminder"]
    assert len(reminders) == 2 and all("47 indicators" in m[2] or "49 indicators" in m[2] for m in reminders)
    assert len(_audit(services, round_id, "remind")) == 2

    with pytest.raises(PermissionDenied):
        services.uninvite_expert(world.id("coordinator-fr"), round_id, "expert-de")
    with pytest.raises(ValidationFailed):
        services.uninvite_expert(coordinator, round_id, "expert-fr")  # not invited here
    assert services.uninvite_expert(coordinator, round_id, "expert-de") == 2
    assert "expert-de" not in services.experts_of(coordinator, round_id)
    assert {r.expert for r in services.all_ratings(coordinator, round_id)} == {"mailed-de"}
    removed = {e.entity_key: json.loads(e.old_value or "null") for e in _audit(services, round_id, "remove_rating")}
    assert removed[f"{round_id}/D1.1.1/expert-de"]["level"] == 3
    assert removed[f"{round_id}/D1.1.1/expert-de"]["evidence"] == "minutes"
    assert removed[f"{round_id}/D2.1.1/expert-de"]["level"] == 2
    with pytest.raises(PermissionDenied):
        services.rate(expert, round_id, "D3.1.1", level=1, expected_version=0)

    services.start_review(coordinator, round_id)
    with pytest.raises(InvalidState):  # the experts' part is closed: nothing to remind of
        services.send_reminders(coordinator, round_id, ["expert2-de"])
    services.submit(coordinator, round_id)
    with pytest.raises(InvalidState):
        services.uninvite_expert(coordinator, round_id, "mailed-de")


def test_the_workflow_runs_in_order_and_the_submit_check_counts_single_experts(world: World) -> None:
    services, round_id, admin = world.services, world.rounds["DE"], world.id("admin")
    coordinator, expert, second = world.id("coordinator-de"), world.id("expert-de"), world.id("expert2-de")
    for username in ("admin", "viewer-de", "expert-de", "coordinator-fr"):
        _give_email(services, username, f"{username}@example.org")
    services.rate(expert, round_id, "D1.1.1", level=3, expected_version=0)  # one expert only
    services.rate(expert, round_id, "D1.2.1", level=2, expected_version=0)
    services.rate(second, round_id, "D1.2.1", level=4, expected_version=0)
    services.rate(expert, round_id, "D1.3.1", level=None, not_applicable=True, expected_version=0)

    with pytest.raises(InvalidState, match="draft"):
        services.submit(coordinator, round_id)
    assert not services.capabilities(coordinator, round_id).may_submit
    services.start_review(coordinator, round_id)
    services.set_consensus(coordinator, round_id, "D1.2.1", level=3, expected_version=0)
    assert services.capabilities(coordinator, round_id).may_submit

    check = services.submit_check(coordinator, round_id)
    assert (check.total, check.agreed, len(check.without_consensus)) == (TOTAL, 1, TOTAL - 1)
    assert [i.indicator_id for i in check.single_expert] == ["D1.1.1"]
    assert len(check.unrated) == TOTAL - 3  # D1.3.1 is "not applicable", not unrated
    assert "48 indicators of 49 have no consensus" in check.summary
    assert "1 indicator of them rests on a single expert's level" in check.summary
    with pytest.raises(PermissionDenied):
        services.submit_check(world.id("coordinator-fr"), round_id)

    services.submit(coordinator, round_id)
    services.publish(admin, round_id)
    mails = {kind: recipients for kind, recipients, _ in _outbox(services, round_id)}
    assert mails["in_review"] == ["expert-de@example.org"]
    assert mails["submitted"] == ["admin@example.org"]
    assert mails["published"] == ["expert-de@example.org", "viewer-de@example.org"]
    statuses = [body for kind, _, body in _outbox(services, round_id) if kind != "invitation"]
    assert len(statuses) == 3 and all(f"/results?round={round_id}" in body for body in statuses)


def test_next_steps_say_in_words_what_each_role_does_next(world: World) -> None:
    services, round_id, admin = world.services, world.rounds["DE"], world.id("admin")
    coordinator, expert = world.id("coordinator-de"), world.id("expert-de")
    for indicator in ("D1.1.1", "D1.2.1", "D1.3.1"):
        services.rate(expert, round_id, indicator, level=2, expected_version=0)

    steps = services.next_steps(expert)
    assert [(s.text, s.page, s.round_id) for s in steps] == [
        ("7 domains left for you in Round 2026 of DE (46 indicators you have not rated yet).", Page.RATE, round_id)
    ]
    services.finish_my_part(expert, round_id)
    assert [s.text for s in services.next_steps(expert)] == [
        "Round 2026 of DE: your part is finished; the coordinator takes it from here."
    ]

    assert [(s.text, s.page) for s in services.next_steps(coordinator)] == [
        (
            "Round 2026 of DE: 1 expert has not started; 49 indicators have no consensus; "
            "start the review when the experts are done.",
            Page.CONSENSUS,
        )
    ]
    assert services.next_steps(world.id("viewer-de")) == []
    assert services.next_steps(admin) == []

    services.start_review(coordinator, round_id)
    assert services.next_steps(expert) == []
    services.submit(coordinator, round_id)
    assert [(s.text, s.page) for s in services.next_steps(admin)] == [("1 round waiting to be published.", Page.ADMIN)]


def test_words_and_the_pure_submit_check() -> None:
    assert [count_of(n, "domain") for n in (0, 1, 2)] == ["0 domains", "1 domain", "2 domains"]
    questionnaire = load_bundled()
    check = submit_check(
        questionnaire,
        [("D1.1.1", 2, False), ("D1.1.1", 3, False), ("D1.2.1", 4, False), ("D1.3.1", None, True)],
        agreed=["D2.1.1"],
    )
    assert check.agreed == 1
    assert [i.indicator_id for i in check.single_expert] == ["D1.2.1"]
    assert "D1.3.1" not in {i.indicator_id for i in check.unrated}
    assert "D1.1.1" in {i.indicator_id for i in check.without_consensus}

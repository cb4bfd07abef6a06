"""The guided round in real browsers: an expert rates, sees what is left, finishes, reopens and finishes
again; the coordinator follows the experts' progress, reminds, uninvites, cannot submit a draft, starts the
review, reads the submit confirmation's counts and submits.

A round of its own (opened here in XJ, which no other browser test uses), so the shared demo rounds stay
as they are.  Every expectation is read from the database by the test itself, never from the code under test.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from b1mg_maturity.cli.database import OPERATOR_ID, operator_services
from b1mg_maturity.edits import NOT_APPLICABLE
from b1mg_maturity.questionnaire import load_bundled
from b1mg_maturity.services import Services
from b1mg_maturity.storage.models import AuditEntry, OutboxMail
from tests.e2e.conftest import RunningApp, sign_in
from tests.e2e.pages import RatePage, idle, wait_until

MLM = load_bundled()
SYSTEM, COORDINATOR = "XJ", "xj-coordinator"
EXPERT, LEAVING, SILENT = "xj-expert1", "xj-expert2", "xj-expert3"  # finishes; is uninvited; never starts


@pytest.fixture
def services(running_app: RunningApp) -> Iterator[Services]:
    services = operator_services(running_app.database_url)
    yield services
    services.db.dispose()


def _answered(services: Services, round_id: int, expert: str) -> int:
    return sum(
        1
        for r in services.all_ratings(OPERATOR_ID, round_id)
        if r.expert == expert and (r.level is not None or r.not_applicable)
    )


def _finished(services: Services, round_id: int, expert: str) -> bool:
    with services.db.reading() as session:
        actions = [
            e.action
            for e in session.scalars(
                select(AuditEntry)
                .where(AuditEntry.round_id == round_id, AuditEntry.entity_key == f"{round_id}/{expert}")
                .order_by(AuditEntry.id)
            )
            if e.action in ("finish_part", "reopen_part")
        ]
    return bool(actions) and actions[-1] == "finish_part"


def _outbox(services: Services, round_id: int, kind: str) -> list[list[str]]:
    with services.db.reading() as session:
        rows = session.scalars(select(OutboxMail).where(OutboxMail.round_id == round_id, OutboxMail.kind == kind))
        return [json.loads(m.recipients) for m in rows]


def _button(page: Any, name: str) -> Any:
    return page.get_by_role("button", name=name, exact=True)


def test_expert_finishes_and_coordinator_reminds_uninvites_reviews_and_submits(
    running_app: RunningApp, new_page: Any, services: Services
) -> None:
    round_id = services.open_round(OPERATOR_ID, SYSTEM, "Guided round 2026", dt.date(2026, 9, 1)).id
    for expert in (EXPERT, LEAVING, SILENT):
        services.invite_expert(OPERATOR_ID, round_id, expert)
    with services.db.reading() as session:
        leaving_id = services.user_by_name(session, LEAVING).id
    for indicator_id, level in (("D1.1.1", 2), ("D1.2.1", 4), ("D2.1.1", 3)):
        services.rate(leaving_id, round_id, indicator_id, level=level, expected_version=0)

    # The expert rates two indicators of domain I, then goes on to domain II with the keyboard.
    expert = new_page()
    sign_in(expert, running_app, EXPERT)
    expert.goto(f"{running_app.url}/rate?round={round_id}&domain=D1")
    rate = RatePage(expert, MLM)
    rate.wait_for_domain("D1")
    rate.choose("D1.1.1", 3)
    rate.choose("D1.3.1", NOT_APPLICABLE)
    next_domain = _button(expert, f"Next domain: {MLM.domains[1].title}")
    next_domain.focus()
    expert.keyboard.press("Enter")
    rate.wait_for_domain("D2")
    expert.wait_for_function("document.activeElement && document.activeElement.tagName === 'H2'")  # focus moved
    assert _answered(services, round_id, EXPERT) == 2

    # "Finish my part" first says what is left, domain by domain.
    _button(expert, "Finish my part…").click()
    left = 49 - _answered(services, round_id, EXPERT)
    check = expert.locator(".st-key-rate-part")
    check.get_by_text(f"You left {left} indicators of 49 unanswered.").wait_for()
    assert "I. Governance and strategy: 1 indicator (D1.2.1)" in check.inner_text()
    _button(expert, "Keep rating").click()
    idle(expert)
    assert not _finished(services, round_id, EXPERT)
    _button(expert, "Finish my part…").click()
    _button(expert, "Yes, mark my part finished").click()
    expert.get_by_text("You marked your part finished").wait_for()
    assert _finished(services, round_id, EXPERT)
    idle(expert)
    assert rate.card("D2.1.1").get_by_role("radio").first.is_disabled()  # no rating while finished

    # Reopened, the expert rates again; then finishes again.
    _button(expert, "Reopen my part").click()
    _button(expert, "Finish my part…").wait_for()
    assert not _finished(services, round_id, EXPERT)
    rate.choose("D2.1.1", 2)
    _button(expert, "Finish my part…").click()
    expert.get_by_text(f"You left {49 - 3} indicators of 49 unanswered.").wait_for()
    _button(expert, "Yes, mark my part finished").click()
    expert.get_by_text("You marked your part finished").wait_for()
    assert _finished(services, round_id, EXPERT) and _answered(services, round_id, EXPERT) == 3

    # The coordinator sees who is where.
    coordinator = new_page()
    sign_in(coordinator, running_app, COORDINATOR)
    coordinator.goto(f"{running_app.url}/consensus?round={round_id}&domain=D1")
    coordinator.get_by_role("columnheader", name="Last activity").wait_for()
    rows = {
        name: coordinator.locator("tr").filter(has_text=f"({name})").inner_text() for name in (EXPERT, LEAVING, SILENT)
    }
    assert "3 of 49" in rows[EXPERT] and "Finished" in rows[EXPERT]
    assert "3 of 49" in rows[LEAVING] and "Rating" in rows[LEAVING]
    assert "0 of 49" in rows[SILENT] and "Not started" in rows[SILENT]
    assert not _button(coordinator, "Submit round").count()  # never straight from draft

    # Reminders go to those who have not finished (the list starts with all of them).
    _button(coordinator, "Send reminder").click()
    coordinator.get_by_text("Reminder queued for 2 experts").wait_for()
    assert len(_outbox(services, round_id, "reminder")) == 2

    # Uninvite: the ratings leave the round, their values stay in the audit trail.
    box = coordinator.locator(f".st-key-consensus-uninvite-{round_id} input")
    box.click()
    box.fill(LEAVING)  # typing into the select, as a keyboard user would
    coordinator.keyboard.press("Enter")
    idle(coordinator)
    _button(coordinator, "Uninvite…").click()
    coordinator.get_by_text("Their 3 ratings in this round will be removed").wait_for()
    _button(coordinator, "Yes, uninvite").click()
    coordinator.get_by_text(f"({LEAVING}) is uninvited; 3 ratings removed").wait_for()
    assert LEAVING not in services.experts_of(OPERATOR_ID, round_id)
    assert _answered(services, round_id, LEAVING) == 0
    with services.db.reading() as session:
        removed = session.scalars(
            select(AuditEntry).where(AuditEntry.round_id == round_id, AuditEntry.action == "remove_rating")
        ).all()
        assert sorted(json.loads(e.old_value or "null")["level"] for e in removed) == [2, 3, 4]

    # Review, then the submit confirmation's counts, then submit.
    _button(coordinator, "Start consensus review").click()
    wait_until(lambda: services.get_round(OPERATOR_ID, round_id).status == "in_review", "the review has started")
    idle(coordinator)  # the page has finished drawing before the next click
    _button(coordinator, "Submit round").click()
    warning = coordinator.get_by_text("Submit this round?")
    warning.wait_for()
    ratings = services.all_ratings(OPERATOR_ID, round_id)
    levels_per_indicator: dict[str, int] = {}
    for r in ratings:
        if r.level is not None:
            levels_per_indicator[r.indicator_id] = levels_per_indicator.get(r.indicator_id, 0) + 1
    single = sum(1 for count in levels_per_indicator.values() if count == 1)
    assert single == 2  # D1.1.1 and D2.1.1, each rated by the one remaining expert who gave levels
    text = coordinator.get_by_test_id("stMain").inner_text()
    assert "49 indicators of 49 have no consensus" in text
    assert f"{single} indicators of them rest on a single expert's level" in text
    _button(coordinator, "Yes, submit").click()
    coordinator.get_by_text("The round is submitted.").wait_for()
    assert services.get_round(OPERATOR_ID, round_id).status == "submitted"
    assert len(_outbox(services, round_id, "in_review")) == 1 and len(_outbox(services, round_id, "submitted")) == 1

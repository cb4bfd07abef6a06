"""The team's work in a real browser: rate, reload, conflict, consensus, submit, and who may open what."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from b1mg_maturity.cli.database import OPERATOR_ID, operator_services
from b1mg_maturity.ui.rate import card_key
from tests.e2e.conftest import RunningApp, sign_in


def _draft_round_of(app: RunningApp, code: str) -> int:
    services = operator_services(app.database_url)
    rounds = [r for r in services.list_rounds(OPERATOR_ID) if r.health_system.code == code and r.status == "draft"]
    assert rounds, f"the demo data has no draft round for {code}"
    return rounds[0].id


def _card(page: Any, indicator_id: str) -> Any:
    """The bordered card of one indicator on the Rate page."""
    return page.locator(f".st-key-{card_key(indicator_id)}")


def _idle(page: Any) -> None:
    """Wait until the app has finished its rerun (Streamlit shows a status widget while running)."""
    page.wait_for_timeout(200)
    page.locator("[data-testid='stStatusWidget']").wait_for(state="hidden")


def _choose(page: Any, indicator_id: str, level_label: str) -> None:
    """Click a level; a click that lands while the page is being redrawn is tried again."""
    card = _card(page, indicator_id)
    pattern = re.compile(rf"^{re.escape(level_label)}")
    for _ in range(3):
        _idle(page)
        card.get_by_text(pattern).first.click()
        _idle(page)
        if card.get_by_role("radio", name=pattern).is_checked():
            return
    raise AssertionError(f"could not choose {level_label} for {indicator_id}")


def _rate(page: Any, indicator_id: str, level_label: str, evidence: str) -> None:
    card = _card(page, indicator_id)
    _choose(page, indicator_id, level_label)
    box = card.get_by_label("Evidence")
    box.fill(evidence)
    box.press("Tab")  # leaving the field saves it
    _idle(page)
    expect(card.locator(".b1mg-save-status")).to_contain_text("All changes saved")


def _other_level(app: RunningApp, round_id: int, indicator_id: str, wanted: int) -> int:
    """``wanted``, or a neighbour when the demo expert already has ``wanted`` (a click must change something)."""
    services = operator_services(app.database_url)
    current = {
        r.indicator_id: r.level for r in services.all_ratings(OPERATOR_ID, round_id) if r.expert == "demo-expert"
    }
    return wanted if current.get(indicator_id) != wanted else (wanted % 5) + 1


def test_rate_reload_and_find_everything_saved(running_app: RunningApp, new_page: Any) -> None:
    round_id = _draft_round_of(running_app, "XA")
    page = new_page()
    sign_in(page, running_app, "demo-expert")
    page.goto(f"{running_app.url}/rate?round={round_id}")
    page.get_by_role("heading", name=re.compile("Governance and strategy")).wait_for()
    evidence = {
        "D1.1.1": "Minutes of the <b>board</b> 2026",
        "D1.2.1": "Plan adopted",
        "D1.3.1": "<script>alert(1)</script> costed plan in draft",
    }
    levels = {i: _other_level(running_app, round_id, i, wanted) for i, wanted in zip(evidence, (3, 4, 2), strict=True)}
    for indicator_id, text in evidence.items():
        _rate(page, indicator_id, f"{levels[indicator_id]} · ", text)

    page.reload()
    if page.get_by_label("Username").count():  # only if the signed session cookie was lost
        sign_in(page, running_app, "demo-expert", path=f"rate?round={round_id}")
    page.get_by_role("heading", name=re.compile("Governance and strategy")).wait_for()
    for indicator_id, text in evidence.items():
        card = _card(page, indicator_id)
        expect(card.get_by_label("Evidence")).to_have_value(text)
        expect(card.get_by_role("radio", name=re.compile(rf"^{levels[indicator_id]} · "))).to_be_checked()
    services = operator_services(running_app.database_url)
    saved = {r.indicator_id: r for r in services.all_ratings(OPERATOR_ID, round_id) if r.expert == "demo-expert"}
    assert {i: saved[i].level for i in evidence} == levels
    assert saved["D1.3.1"].evidence.startswith("<script>")
    assert page.locator("script:has-text('alert(1)')").count() == 0  # shown as text, never run


def test_second_browser_gets_a_conflict(running_app: RunningApp, new_page: Any) -> None:
    round_id = _draft_round_of(running_app, "XA")
    first, second = new_page(), new_page()
    for page in (first, second):
        sign_in(page, running_app, "demo-expert")
        page.goto(f"{running_app.url}/rate?round={round_id}")
        page.get_by_role("heading", name=re.compile("Governance and strategy")).wait_for()
    first_level = _other_level(running_app, round_id, "D1.1.1", 5)
    second_level = (first_level % 5) + 1
    _choose(first, "D1.1.1", f"{first_level} · ")
    expect(_card(first, "D1.1.1").locator(".b1mg-save-status")).to_contain_text("All changes saved")
    _choose(second, "D1.1.1", f"{second_level} · ")
    conflict = _card(second, "D1.1.1")
    conflict.get_by_text("Level was changed meanwhile, in another tab or by someone else").wait_for()
    assert conflict.get_by_text("Yours:").count() and conflict.get_by_text("Saved meanwhile:").count()
    conflict.get_by_role("button", name="Keep mine").click()
    _idle(second)
    expect(_card(second, "D1.1.1").locator(".b1mg-save-status")).to_contain_text("All changes saved")
    services = operator_services(running_app.database_url)
    mine = [r for r in services.all_ratings(OPERATOR_ID, round_id) if r.expert == "demo-expert"]
    assert next(r for r in mine if r.indicator_id == "D1.1.1").level == second_level


def test_viewer_of_another_system_cannot_open_the_round(running_app: RunningApp, new_page: Any) -> None:
    services = operator_services(running_app.database_url)
    other = next(
        r for r in services.list_rounds(OPERATOR_ID) if r.health_system.code != "XA" and r.status == "published"
    )
    page = new_page()
    sign_in(page, running_app, "demo-viewer")
    for path in ("results", "rate", "consensus"):
        page.goto(f"{running_app.url}/{path}?round={other.id}")
        page.wait_for_timeout(1500)
        body = page.locator("body").inner_text()
        assert other.health_system.name not in body, path
    page.goto(f"{running_app.url}/results?round={other.id}")
    page.get_by_text(f"Round {other.id} does not exist, or you may not open it here.").wait_for()
    menu = page.locator("[data-testid='stSidebarNav']").inner_text()
    assert "Administration" not in menu and "Consensus" not in menu


def test_coordinator_records_consensus_and_submits(own_app: RunningApp, new_page: Any) -> None:
    running_app = own_app  # the round goes to review and is submitted: not on the shared app
    round_id = _draft_round_of(running_app, "XA")
    page = new_page()
    sign_in(page, running_app, "demo-coordinator")
    page.goto(f"{running_app.url}/consensus?round={round_id}")
    card = page.locator(f".st-key-consensus-{card_key('D1.1.1')}")
    card.wait_for()
    assert card.get_by_text("Not rated yet").count() or card.get_by_text("·").count()  # experts' table is there
    pattern = re.compile(r"^4 · ")
    choices = card.locator("[data-testid='stRadio']")
    for _ in range(3):
        _idle(page)
        choices.get_by_text(pattern).first.click()
        _idle(page)
        if choices.get_by_role("radio", name=pattern).is_checked():
            break
    rationale = card.get_by_label("Rationale")
    rationale.fill("Agreed in the meeting of 12 May: the board <i>meets</i> quarterly.")
    rationale.press("Tab")
    _idle(page)
    services = operator_services(running_app.database_url)
    page.wait_for_timeout(500)
    agreed = services.consensus_of(OPERATOR_ID, round_id)["D1.1.1"]
    assert (agreed.level, agreed.rationale) == (4, "Agreed in the meeting of 12 May: the board <i>meets</i> quarterly.")

    page.get_by_role("button", name="Start consensus review").click()  # a draft is never submitted at once
    _idle(page)
    for _ in range(40):  # the review has started in the database before the page is opened afresh
        if services.get_round(OPERATOR_ID, round_id).status == "in_review":
            break
        page.wait_for_timeout(250)
    page.goto(f"{running_app.url}/consensus?round={round_id}")  # a settled page: no rerun under the click
    confirm = page.get_by_role("button", name="Yes, submit")
    for _ in range(3):
        _idle(page)
        if confirm.count():
            break
        page.get_by_role("button", name="Submit round").click()
        try:
            confirm.wait_for(timeout=15_000)
        except PlaywrightTimeout:  # the click met a rerun and was lost: press it again
            continue
    confirm.click()
    _idle(page)
    page.wait_for_timeout(500)
    assert services.get_round(OPERATOR_ID, round_id).status == "submitted"
    page.get_by_text(re.compile("locked|submitted", re.IGNORECASE)).first.wait_for()

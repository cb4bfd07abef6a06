"""The team's work in a real browser: rate, reload, conflict, consensus, submit, and who may open what."""

from __future__ import annotations

import re
from typing import Any

from b1mg_maturity.cli.database import OPERATOR_ID, operator_services
from tests.e2e.conftest import RunningApp, sign_in


def _draft_round_of(app: RunningApp, code: str) -> int:
    services = operator_services(app.database_url)
    rounds = [r for r in services.list_rounds(OPERATOR_ID) if r.health_system.code == code and r.status == "draft"]
    assert rounds, f"the demo data has no draft round for {code}"
    return rounds[0].id


def _card(page: Any, indicator_id: str) -> Any:
    """The bordered card of one indicator on the Rate page."""
    return page.locator("[data-testid='stVerticalBlockBorderWrapper']").filter(
        has=page.get_by_text(re.compile(rf"^{re.escape(indicator_id)} ·"))
    ).first


def _rate(page: Any, indicator_id: str, level_label: str, evidence: str) -> None:
    card = _card(page, indicator_id)
    card.get_by_text(level_label, exact=False).first.click()
    card.get_by_text("Saved").first.wait_for()
    box = card.get_by_label("Evidence")
    box.fill(evidence)
    box.press("Tab")  # leaving the field saves it
    page.wait_for_timeout(300)
    card.get_by_text(re.compile(r"Saved .* \(version [2-9]")).first.wait_for()


def test_rate_reload_and_find_everything_saved(running_app: RunningApp, new_page: Any) -> None:
    round_id = _draft_round_of(running_app, "XA")
    page = new_page()
    sign_in(page, running_app, "demo-expert")
    page.goto(f"{running_app.url}/rate?round={round_id}")
    page.get_by_role("heading", name=re.compile("Governance and strategy")).wait_for()
    rated = {"D1.1.1": ("3 · ", "Minutes of the <b>board</b> 2026"), "D1.2.1": ("4 · ", "Plan adopted"),
             "D1.3.1": ("2 · ", "<script>alert(1)</script> costed plan in draft")}  # fmt: skip
    for indicator_id, (level, evidence) in rated.items():
        _rate(page, indicator_id, level, evidence)

    page.reload()
    if page.get_by_label("Username").count():  # a reload may start a new session: sign in again
        sign_in(page, running_app, "demo-expert", path=f"rate?round={round_id}")
    page.get_by_role("heading", name=re.compile("Governance and strategy")).wait_for()
    for indicator_id, (_level, evidence) in rated.items():
        card = _card(page, indicator_id)
        assert card.get_by_label("Evidence").input_value() == evidence
    services = operator_services(running_app.database_url)
    saved = {r.indicator_id: r for r in services.all_ratings(OPERATOR_ID, round_id) if r.expert == "demo-expert"}
    assert (saved["D1.1.1"].level, saved["D1.2.1"].level, saved["D1.3.1"].level) == (3, 4, 2)
    assert saved["D1.3.1"].evidence.startswith("<script>")
    assert page.locator("script:has-text('alert(1)')").count() == 0  # shown as text, never run


def test_second_browser_gets_a_conflict(running_app: RunningApp, new_page: Any) -> None:
    round_id = _draft_round_of(running_app, "XA")
    first, second = new_page(), new_page()
    for page in (first, second):
        sign_in(page, running_app, "demo-expert")
        page.goto(f"{running_app.url}/rate?round={round_id}")
        page.get_by_role("heading", name=re.compile("Governance and strategy")).wait_for()
    _card(first, "D1.1.1").get_by_text("5 · ").first.click()
    _card(first, "D1.1.1").get_by_text("Saved").first.wait_for()
    _card(second, "D1.1.1").get_by_text("1 · ").first.click()
    conflict = _card(second, "D1.1.1")
    conflict.get_by_text("changed this rating").wait_for()
    assert conflict.get_by_text("Yours:").count() and conflict.get_by_text("Saved meanwhile:").count()
    conflict.get_by_role("button", name="Keep mine").click()
    _card(second, "D1.1.1").get_by_text("Saved").first.wait_for()
    services = operator_services(running_app.database_url)
    mine = [r for r in services.all_ratings(OPERATOR_ID, round_id) if r.expert == "demo-expert"]
    assert next(r for r in mine if r.indicator_id == "D1.1.1").level == 1


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

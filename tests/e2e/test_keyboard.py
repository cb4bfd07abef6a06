"""A whole round's part by keyboard alone (WCAG 2.1.1): no mouse, only ``page.keyboard``.

An expert signs in, opens Rate from the menu and rates an indicator with the
arrow keys; the coordinator signs in, opens Consensus and records the agreed
level; then, on Results, passes the "All indicators" table in a few tab stops,
has the PDF made, and downloads it: the focus, lost when the "Prepare" button
gives way, lands on the download, and the live region says the report is ready.
Addresses are typed (``page.goto``), as a person types or follows a link.
"""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from b1mg_maturity.cli.database import OPERATOR_ID, operator_services
from tests.e2e.conftest import RunningApp
from tests.e2e.pages import idle, wait_until

ROUND_ID = 3  # XA's draft round in the demo data
INDICATOR = "D1.1.1"

_FOCUSED = """() => {
  const e = document.activeElement;
  return {
    tag: e ? e.tagName : '',
    name: e ? (e.getAttribute('aria-label') || (e.innerText || '').trim()).slice(0, 80) : '',
    table: !!(e && e.closest('[data-testid="stDataFrame"]')),
  };
}"""


def _focused_in(page: Any, selector: str) -> bool:
    return bool(page.evaluate("s => !!document.activeElement && !!document.activeElement.closest(s)", selector))


def _tab_to(page: Any, found: Any, what: str, limit: int = 90) -> list[dict[str, Any]]:
    """Press Tab until ``found(page, focused)``; the stops passed on the way."""
    stops: list[dict[str, Any]] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(_FOCUSED)
        stops.append(focused)
        if found(page, focused):
            return stops
    raise AssertionError(f"{what} not reached in {limit} tab stops: {[s['name'] for s in stops]}")


def _sign_in(page: Any, app: RunningApp, username: str) -> None:
    page.goto(app.url)
    page.get_by_label("Username").wait_for()
    idle(page)
    _tab_to(page, lambda p, f: f["tag"] == "INPUT" and f["name"] == "Username", "the Username field")
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    assert page.evaluate(_FOCUSED)["name"] == "Password"
    page.keyboard.type("demo-password")
    page.keyboard.press("Enter")  # submits the form
    page.get_by_text(f"({username})").first.wait_for()
    idle(page)


def _open_from_menu(page: Any, title: str, heading: str | re.Pattern[str]) -> None:
    page.keyboard.press("Control+Home")
    _tab_to(page, lambda p, f: f["tag"] == "A" and f["name"].splitlines()[-1:] == [title], f"the menu link {title}")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name=heading).first.wait_for()
    idle(page)


def _level_of(label: str) -> int | None:
    match = re.match(r"(\d) · ", label)
    return int(match.group(1)) if match else None


def _arrow_to_level(page: Any, group: Any, wanted: int) -> None:
    """Move the focused radio group's choice with the arrow keys until level ``wanted`` is chosen."""
    for _ in range(8):
        checked = group.locator("label:has(input[type=radio]:checked)").first.inner_text().splitlines()[0]
        level = _level_of(checked)
        if level == wanted:
            return
        page.keyboard.press("ArrowUp" if level is not None and level > wanted else "ArrowDown")
        idle(page)
    raise AssertionError(f"level {wanted} was not reached with the arrow keys")


def test_rate_agree_and_download_the_report_by_keyboard(running_app: RunningApp, new_page: Any) -> None:
    services = operator_services(running_app.database_url)

    # an expert rates with the arrow keys
    expert = new_page()
    _sign_in(expert, running_app, "demo-expert")
    _open_from_menu(expert, "Rate", re.compile("^I. Governance and strategy"))
    card = ".st-key-card-" + INDICATOR.replace(".", "-")
    _tab_to(expert, lambda p, f: f["tag"] == "INPUT" and _focused_in(p, card), f"the levels of {INDICATOR}")
    before = {r.indicator_id: r for r in services.all_ratings(OPERATOR_ID, ROUND_ID) if r.expert == "demo-expert"}
    old = before[INDICATOR].level if INDICATOR in before else None
    wanted = 2 if old != 2 else 3
    _arrow_to_level(expert, expert.locator(card), wanted)

    def mine() -> int | None:
        return next(
            r.level
            for r in services.all_ratings(OPERATOR_ID, ROUND_ID)
            if r.expert == "demo-expert" and r.indicator_id == INDICATOR
        )

    wait_until(lambda: mine() == wanted, f"the expert's level {wanted} is saved", seconds=60)
    expect(expert.locator(f"{card} .b1mg-save-status")).to_contain_text("All changes saved")
    assert _focused_in(expert, card), "the focus left the card after the save"

    # the coordinator records the consensus level
    coordinator = new_page()
    _sign_in(coordinator, running_app, "demo-coordinator")
    _open_from_menu(coordinator, "Consensus", re.compile("^I. Governance and strategy"))
    consensus_card = ".st-key-consensus-card-" + INDICATOR.replace(".", "-")
    _tab_to(
        coordinator,
        lambda p, f: (
            f["tag"] == "INPUT"
            and p.evaluate("() => document.activeElement.type") == "radio"
            and _focused_in(p, consensus_card)
        ),
        f"the consensus levels of {INDICATOR}",
    )
    agreed_before = services.consensus_of(OPERATOR_ID, ROUND_ID).get(INDICATOR)
    agreed = 4 if agreed_before is None or agreed_before.level != 4 else 3
    _arrow_to_level(coordinator, coordinator.locator(consensus_card).get_by_test_id("stRadio"), agreed)
    wait_until(
        lambda: services.consensus_of(OPERATOR_ID, ROUND_ID)[INDICATOR].level == agreed,
        f"the consensus level {agreed} is saved",
        seconds=60,
    )
    expect(coordinator.locator(f"{consensus_card} .b1mg-save-status")).to_contain_text("All changes saved")

    # Results: past the indicator table in a few stops, then the PDF
    _open_from_menu(coordinator, "Results", "All indicators")
    stops = _tab_to(
        coordinator,
        lambda p, f: f["tag"] == "BUTTON" and f["name"].endswith("Prepare the PDF report"),
        "the button Prepare the PDF report",
        limit=120,
    )
    in_tables = [s for s in stops if s["table"]]
    assert any(s["tag"] == "CANVAS" for s in in_tables), "the tables' cells were never reached"
    tables = sum(1 for s in in_tables if s["tag"] == "CANVAS")  # each table's grid is one stop
    # a table is passed in a few stops (its toolbar, its grid, its scroll area), never one per cell
    assert len(in_tables) <= tables * 6, f"one tab stop per column or row: {in_tables}"
    coordinator.keyboard.press("Enter")
    download_button = coordinator.locator(f".st-key-results-pdf-{ROUND_ID} button")
    download_button.wait_for(timeout=600_000)  # returns when ready; a loaded 2-core machine takes minutes
    expect(coordinator.locator(".b1mg-live")).to_have_text(re.compile("PDF report is ready"))
    expect(download_button).to_be_focused()
    with coordinator.expect_download(timeout=60_000) as event:
        coordinator.keyboard.press("Enter")
    download = event.value
    assert download.suggested_filename.endswith(".pdf")
    with open(download.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    idle(coordinator)
    expect(download_button).to_be_focused()  # the download reran nothing: the focus stays

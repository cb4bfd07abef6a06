"""The action plan in a real browser: a coordinator turns the largest open gap into an action with one click,
gives it an owner and dates in the editor, sees it on the timeline, and finds it in the PDF report.  After each
step the database is checked to hold what the page promised."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from b1mg_maturity.cli.database import OPERATOR_ID, operator_services
from b1mg_maturity.planning import PlanAction
from tests.e2e.conftest import RunningApp, sign_in
from tests.e2e.pages import idle

REPORT_SECONDS = 240  # the worker pool's first start and a full report, on a busy 2-core machine
START, DUE = dt.date(2026, 2, 1), dt.date(2026, 11, 30)


def _plan(app: RunningApp) -> tuple[int, list[PlanAction], str]:
    """XA's id, its actions, and the largest gap no action addresses yet (the one the page offers first)."""
    services = operator_services(app.database_url)
    try:
        system = services.plan_systems(OPERATOR_ID)[0].id
        view = services.plan(OPERATOR_ID, system)
        gap = next(g.gap.indicator_id for g in view.gaps if not g.covered)
        return system, list(view.actions), gap
    finally:
        services.db.dispose()


def _fill_date(page: Any, form: Any, label: str, day: dt.date) -> None:
    """Type a day into a date field (its year, month and day segments, as the format YYYY-MM-DD orders them)."""
    field = form.get_by_role("group", name=label, exact=True)
    field.get_by_role("spinbutton").first.click()
    page.keyboard.type(day.strftime("%Y%m%d"))
    page.keyboard.press("Tab")


def test_coordinator_plans_a_gap_assigns_it_and_finds_it_in_the_report(own_app: RunningApp, new_page: Any) -> None:
    system, before, gap = _plan(own_app)
    page = new_page()
    sign_in(page, own_app, "demo-coordinator")
    page.get_by_test_id("stSidebarNav").get_by_text("Action plan", exact=True).click()
    page.get_by_role("heading", name="Action plan").wait_for()
    idle(page)

    # one click: the gap becomes an action, opened in the editor
    page.locator(f".st-key-plan-add-{gap.replace('.', '-')}").get_by_role("button", name="Plan an action").first.click()
    page.get_by_text("Added “Reach level").wait_for()
    idle(page)
    _system, after, _next_gap = _plan(own_app)
    (action,) = [a for a in after if a.id not in {b.id for b in before}]
    assert action.indicator_ids == (gap,) and action.status.value == "planned"
    assert action.title.startswith("Reach level ") and f" on {gap} (" in action.title

    # owner (a member) and dates, saved with the form
    form = page.get_by_test_id("stForm")
    owner = form.locator(f".st-key-plan-{action.id}-member").get_by_role("combobox")
    owner.click()
    owner.press_sequentially("demo-expert")
    page.get_by_role("option", name="Rhea Dunmore (demo) (demo-expert)").click()
    _fill_date(page, form, "Start", START)
    _fill_date(page, form, "Due", DUE)
    form.get_by_role("button", name="Save the action").click()
    page.get_by_text("Saved “Reach level").wait_for()
    idle(page)
    saved = next(a for a in _plan(own_app)[1] if a.id == action.id)
    assert (saved.owner_username, saved.start, saved.due, saved.version) == ("demo-expert", START, DUE, 2)

    # on the timeline: its text alternative lists the action with its dates
    page.get_by_text("Chart as text").click()
    page.get_by_text(f"{action.title} (").first.wait_for()
    assert page.get_by_text("1 Feb 2026 to 30 Nov 2026").count() >= 1
    assert page.get_by_text("Traceback").count() == 0

    # the PDF report of the round the plan addresses shows the action
    page.get_by_test_id("stSidebarNav").get_by_text("Results", exact=True).click()
    page.get_by_role("heading", name="Results", exact=True).wait_for()
    idle(page)
    page.get_by_role("button", name="Prepare the PDF report").click()
    download_button = page.get_by_role("button", name="Report (PDF)")
    download_button.wait_for(timeout=REPORT_SECONDS * 1000)
    with page.expect_download() as arrived:
        download_button.click()
    from pypdf import PdfReader

    with open(arrived.value.path(), "rb") as file:
        text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(file.read())).pages)
    assert system and " ".join(action.title.split()) in " ".join(text.split())

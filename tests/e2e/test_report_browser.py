"""The PDF report in a real browser (issue 15, goal 3): it is made in the background, the person keeps working
on another page meanwhile, and the download is there when they come back."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import RunningApp, sign_in
from tests.e2e.pages import idle

REPORT_SECONDS = 240  # the worker pool's first start and a full report, on a busy 2-core machine


def test_the_report_is_prepared_while_the_person_works_elsewhere(running_app: RunningApp, new_page: Any) -> None:
    page = new_page()
    sign_in(page, running_app, "demo-viewer")
    nav = page.get_by_test_id("stSidebarNav")
    nav.get_by_text("Results", exact=True).click()
    page.get_by_role("heading", name="Results", exact=True).wait_for()
    page.get_by_role("button", name="Prepare the PDF report").click()
    page.get_by_text("Preparing the report").wait_for()

    # While it is being made, the app answers: another page opens and works, in the same session.
    nav.get_by_text("My assessments", exact=True).click()
    page.get_by_role("heading", name="My assessments").first.wait_for()
    idle(page)
    assert page.get_by_text("Preparing the report").count() == 0
    nav.get_by_text("Results", exact=True).click()
    page.get_by_role("heading", name="Results", exact=True).wait_for()

    download_button = page.get_by_role("button", name="Report (PDF)")
    download_button.wait_for(timeout=REPORT_SECONDS * 1000)
    assert page.get_by_text("Traceback").count() == 0
    with page.expect_download() as arrived:
        download_button.click()
    download = arrived.value
    assert download.suggested_filename == "XA-round-2025-readiness-report.pdf"  # the viewer's newest: published
    with open(download.path(), "rb") as file:
        assert file.read(5) == b"%PDF-"

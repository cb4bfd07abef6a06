"""The compare page in a real browser: a link with filters opens the same view, its table downloads,
and a viewer's link asking for other health systems shows only their own.

Uses the session's running app and Chromium from ``tests/e2e/conftest.py``.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from playwright.sync_api import expect

from tests.e2e.conftest import RunningApp, sign_in

FILTERS = "compare?view=heatmap&systems=XD,XB&sort=overall&pillar=healthcare&rounds=label&label=Round+2025"


def _idle(page: Any) -> None:
    page.wait_for_timeout(300)
    page.locator("[data-testid='stStatusWidget']").wait_for(state="hidden")


def _open(page: Any, app: RunningApp, path: str) -> None:
    page.goto(f"{app.url}/{path}")
    page.get_by_role("heading", name="Compare health systems").wait_for()
    page.locator("[data-testid='stPlotlyChart']").first.wait_for()
    _idle(page)


def _download(page: Any, label: str) -> str:
    with page.expect_download() as info:
        page.get_by_role("button", name=label).first.click()
    download = info.value
    path = download.path()
    assert path is not None
    with open(path, encoding="utf-8-sig") as handle:
        return handle.read()


def test_a_link_with_filters_opens_the_same_view_and_its_table_downloads(
    running_app: RunningApp, new_page: Any
) -> None:
    page = new_page()
    sign_in(page, running_app, "demo-analyst")
    _open(page, running_app, FILTERS)

    # the same selection as the link
    chosen = page.locator(".st-key-cmp_systems")
    expect(chosen.get_by_text("XD · Delmaris (demo)")).to_be_visible()
    expect(chosen.get_by_text("XB · Brevonia (demo)")).to_be_visible()
    expect(page.get_by_role("combobox", name="Rounds")).to_have_value("One period")
    expect(page.get_by_role("combobox", name="Period", exact=True)).to_have_value("Round 2025")
    expect(page.get_by_role("combobox", name="Pillar")).to_have_value("Healthcare organisation")
    expect(page.get_by_role("combobox", name="Order health systems by")).to_have_value("Overall score (highest first)")
    expect(page.get_by_role("radiogroup", name="View").get_by_role("radio", name="Heatmap")).to_be_checked()
    assert "systems=XD%2CXB" in page.url or "systems=XD,XB" in page.url

    # the table behind the heatmap, as the browser downloads it
    text = _download(page, "Download CSV")
    rows = list(csv.DictReader(io.StringIO(text)))
    systems = [r["Health system"] for r in rows if not r["Health system"].startswith(("Median", "Highest"))]
    assert "XD · Delmaris (demo)" in systems and len(systems) == 13  # XF's 2025 round is of the period 2025 H1
    assert "XF · Farrowmere (demo)" not in systems
    scores = [float(r["Healthcare organisation"]) for r in rows if r["Health system"] in systems]
    assert scores == sorted(scores, reverse=True)  # ordered as the link asked
    assert "III · Ethics, legislation and policy" not in rows[0]  # the pillar filter holds in the download

    # the same link in another browser (another session) gives the same view
    other = new_page()
    sign_in(other, running_app, "demo-analyst")
    _open(other, running_app, FILTERS)
    expect(other.locator(".st-key-cmp_systems").get_by_text("XD · Delmaris (demo)")).to_be_visible()
    assert _download(other, "Download CSV") == text


def test_a_viewers_link_shows_only_their_own_health_system(running_app: RunningApp, new_page: Any) -> None:
    page = new_page()
    sign_in(page, running_app, "demo-viewer")
    _open(page, running_app, "compare?view=heatmap&systems=XB,XC&group=list&members=XB,XC")
    expect(page.get_by_text("Other health systems are never named")).to_be_visible()
    text = _download(page, "Download CSV")
    assert "XA · Aldoria (demo)" in text and "Median (13 other health systems)" in text
    assert "Brevonia" not in text and "XB" not in text and "Corvantia" not in text
    assert "XB" not in page.url and "members" not in page.url
    expect(page.get_by_text("Brevonia")).to_have_count(0)

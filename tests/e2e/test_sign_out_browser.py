"""Signing out in a real browser (issue 16, finding 1): no crash, the cookie goes, a reload stays signed
out, and the old cookie replayed in another browser signs nobody in."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import RunningApp, sign_in

COOKIE = "b1mg_session"


def _cookie(page: Any) -> str | None:
    return next((c["value"] for c in page.context.cookies() if c["name"] == COOKIE), None)


def _wait_for_sign_in_form(page: Any) -> None:
    page.get_by_role("button", name="Sign in").wait_for()


def _wait_for_no_cookie(page: Any) -> None:
    for _ in range(150):  # the cookie is removed by a small script right after the page changes
        if _cookie(page) is None:
            return
        page.wait_for_timeout(100)
    raise AssertionError("the session cookie should have been removed")


def test_sign_out_then_reload_stays_signed_out(running_app: RunningApp, new_page: Any) -> None:
    page = new_page()
    sign_in(page, running_app, "demo-viewer")
    token = _cookie(page)
    assert token
    page.get_by_role("link", name="Sign out").click()
    _wait_for_sign_in_form(page)
    assert page.get_by_text("This app has encountered an error").count() == 0
    _wait_for_no_cookie(page)

    page.reload()
    _wait_for_sign_in_form(page)
    assert page.get_by_text("(demo-viewer)").count() == 0

    # The old cookie, replayed (copied before sign-out, or from another browser), is worth nothing.
    other = new_page()
    other.context.add_cookies([{"name": COOKIE, "value": token, "url": running_app.url}])
    other.goto(running_app.url)
    _wait_for_sign_in_form(other)
    assert other.get_by_text("(demo-viewer)").count() == 0
    _wait_for_no_cookie(other)  # a cookie naming no live session is removed


def test_signed_in_browser_keeps_its_session_across_reloads(running_app: RunningApp, new_page: Any) -> None:
    page = new_page()
    sign_in(page, running_app, "demo-analyst")
    page.reload()
    page.get_by_text("(demo-analyst)").first.wait_for()

"""Accounts in real browsers (issue 11): deactivation signs a user out at their next click, and a one-time
reset link lets them choose a new password, once.

Three browsers with their own cookies: the administrator, the expert, and a visitor opening the link.
The expert is ``xa-expert4`` of the demo, whom no other browser test uses.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.e2e.conftest import RunningApp, sign_in
from tests.e2e.pages import idle

EXPERT = "xa-expert4"
NEW_PASSWORD = "tilda-chose-this-1"
DEACTIVATED = "This account is deactivated. Ask your administrator to reactivate it."


def _choose_account(admin: Any, username: str) -> None:
    """Pick the user in the "Account and sessions" box (typing into the select, as a keyboard user would)."""
    box = admin.locator(".st-key-admin-account-user")
    box.locator("input").click()
    box.locator("input").fill(username)
    admin.keyboard.press("Enter")
    idle(admin)


def _signed_out(page: Any) -> None:
    page.get_by_role("button", name="Sign in").wait_for()
    page.get_by_text(f"({EXPERT})").wait_for(state="detached")  # the old page's "signed in as" fades out first


def test_deactivation_signs_out_at_the_next_click_and_a_reset_link_works_once(
    running_app: RunningApp, new_page: Any
) -> None:
    expert = new_page()
    sign_in(expert, running_app, EXPERT)
    admin = new_page()
    sign_in(admin, running_app, "demo-admin")
    admin.get_by_test_id("stSidebarNavItems").get_by_role("link", name="Administration").click()
    admin.get_by_text("Account and sessions").wait_for()

    # The administrator deactivates the expert, who is signed in elsewhere.
    _choose_account(admin, EXPERT)
    admin.locator(".st-key-admin-deactivate button").click()
    admin.get_by_text(f"{EXPERT} is deactivated and signed out everywhere.").wait_for()
    admin.locator(".st-key-admin-reactivate button").wait_for()
    idle(admin)

    # The expert's next click finds their session ended: the sign-in form.
    expert.get_by_test_id("stSidebarNavItems").get_by_role("link", name="My account").click()
    _signed_out(expert)
    expert.get_by_label("Username").fill(EXPERT)
    expert.get_by_label("Password", exact=True).fill("demo-password")
    expert.get_by_role("button", name="Sign in").click()
    expert.get_by_text(DEACTIVATED).wait_for()  # told plainly, and only because the password was right

    # Reactivated, then a one-time link: shown to copy (this installation sends no e-mail).
    admin.locator(".st-key-admin-reactivate button").click()
    admin.get_by_text(f"{EXPERT} is active again.").wait_for()
    idle(admin)  # the page has finished drawing before the next click
    admin.get_by_role("button", name="Issue a password-reset link").click()
    admin.get_by_text(f"Give this link to {EXPERT} yourself").wait_for()
    shown = admin.locator("[data-testid='stCode'] code").inner_text().strip()
    assert "/reset-password?token=" in shown
    (token,) = parse_qs(urlsplit(shown).query)["token"]
    address = f"{running_app.url}/reset-password?token={token}"  # the app's own address (public_url unset here)

    # A visitor opens the link and chooses a password.
    visitor = new_page()
    visitor.goto(address)
    visitor.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    visitor.get_by_label("New password again").fill(NEW_PASSWORD + "-typo")
    visitor.get_by_role("button", name="Set new password").click()
    visitor.get_by_text("the two new passwords are not the same").wait_for()  # nothing used up yet
    visitor.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    visitor.get_by_label("New password again").fill(NEW_PASSWORD)
    visitor.get_by_role("button", name="Set new password").click()
    visitor.get_by_text("Your new password is set.").wait_for()

    # The link works once; the new password signs in, the old one no longer does.
    again = new_page()
    again.goto(address)
    again.get_by_text("This link does not work: it was already used").wait_for()
    assert again.get_by_label("New password", exact=True).count() == 0
    expert.goto(running_app.url)
    expert.get_by_label("Username").fill(EXPERT)
    expert.get_by_label("Password", exact=True).fill("demo-password")
    expert.get_by_role("button", name="Sign in").click()
    expert.get_by_text("Wrong username or password.").wait_for()
    sign_in(expert, running_app, EXPERT, password=NEW_PASSWORD)

    # The administrator reads all of it in the audit log, in words, and downloads it as CSV.
    admin.reload()  # tabs switch in the browser: the page is drawn afresh to show what happened meanwhile
    admin.get_by_role("tab", name="Audit log").click()
    admin.get_by_text("newest first").wait_for()
    idle(admin)
    with admin.expect_download() as download:
        admin.get_by_role("button", name="Download these entries (CSV)").click()
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig"))))
    mine = [(row[1], row[2], row[6], row[7]) for row in rows if f"user {EXPERT}" == row[6]]
    assert mine[:4] == [
        (EXPERT, "Set a new password with a reset link", f"user {EXPERT}", "no open session"),
        ("demo-admin", "Issued a reset link", f"user {EXPERT}", mine[1][3]),
        ("demo-admin", "Reactivated the account", f"user {EXPERT}", ""),
        ("demo-admin", "Deactivated the account", f"user {EXPERT}", "1 session ended"),
    ]
    assert mine[1][3].startswith("works until ") and mine[1][3].endswith("shown to copy")

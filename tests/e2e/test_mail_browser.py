"""E-mail in a real browser: a coordinator invites an expert and a real local SMTP server gets the invitation.

Two served apps on copies of the demo database: the shared one has no mail
server (the round's messages are shown to copy), and one of this test's own is
pointed at an aiosmtpd server started here.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from tests.apptest import copy_sqlite
from tests.e2e.conftest import RunningApp, _serve, sign_in
from tests.e2e.pages import idle
from tests.smtp_server import running_smtp

PUBLIC_URL = "https://mlm.example.org"
SYSTEM = "Aldoria (demo)"  # XA, the demo coordinator's health system
ROUND_ID = 3  # XA's draft round


def _expert_not_invited(database: Path) -> tuple[str, str]:
    """An XA expert the draft round has not invited yet: (username, display name)."""
    with sqlite3.connect(database) as connection:
        row = connection.execute(
            "SELECT u.username, u.display_name FROM users u JOIN memberships m ON m.user_id = u.id "
            "JOIN health_systems h ON h.id = m.health_system_id "
            "WHERE h.code = 'XA' AND m.role = 'expert' "
            "AND u.id NOT IN (SELECT user_id FROM round_experts WHERE round_id = ?) ORDER BY u.username",
            (ROUND_ID,),
        ).fetchone()
    assert row is not None, "the demo's draft round should leave an XA expert to invite"
    return str(row[0]), str(row[1])


def _open_messages(page: Any, app: RunningApp) -> Any:
    """The round's messages (ui/mail_notice.round_messages), in their expander on the Consensus page."""
    page.goto(f"{app.url}/consensus?round={ROUND_ID}")
    page.get_by_text("Messages", exact=True).first.wait_for()
    idle(page)
    expander = page.locator("[data-testid='stExpander']").filter(has=page.get_by_text("Messages", exact=True))
    expander.locator("summary").click()
    expander.locator("[data-testid='stExpanderDetails']").wait_for()
    idle(page)
    return expander


def test_an_invitation_reaches_the_mail_server_and_without_one_is_shown_to_copy(
    running_app: RunningApp, demo_database: Path, new_page: Any, tmp_path: Path
) -> None:
    # 1. No mail server (the shared app): the round's invitations are there to copy, link included.
    page = new_page()
    sign_in(page, running_app, "demo-coordinator")
    messages = _open_messages(page, running_app)
    messages.get_by_text("No mail server is set up: copy this message and send it yourself.").first.wait_for()
    copy = messages.locator("[data-testid='stCode']").first
    copy.wait_for()
    assert f"rate?round={ROUND_ID}" in copy.inner_text()
    assert f"to rate Round 2026 of {SYSTEM}" in copy.inner_text()

    # 2. A mail server: the invitation leaves the app at once, to the expert's address.
    database = copy_sqlite(demo_database, tmp_path)
    path = Path(database.removeprefix("sqlite:///"))
    username, name = _expert_not_invited(path)
    address = f"{username}@example.org"
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE users SET email = ? WHERE username = ?", (address, username))
    with running_smtp() as smtp:
        env = {**smtp.settings_env(), "B1MG_PUBLIC_URL": PUBLIC_URL}
        with _serve(database, tmp_path, load=False, extra_env=env) as app:
            page = new_page()
            sign_in(page, app, "demo-coordinator")
            page.get_by_text("Experts:").first.click()
            idle(page)
            choose = page.get_by_label("Invite experts").first
            choose.click()
            option = page.get_by_role("option", name=f"{name} ({username})")
            if not option.is_visible():  # the list did not open (the click met the expander still opening)
                choose.press_sequentially(username)
            option.click()
            idle(page)
            page.keyboard.press("Escape")  # close the list of experts, which covers the button
            # Choosing reruns nothing (a form), so the expander stays open: the button is there to press.
            page.get_by_role("button", name="Invite", exact=True).first.click(timeout=10_000)
            idle(page)

            [mail] = smtp.wait_for(1)
            assert mail.rcpt_tos == (address,)
            assert mail.message["To"] == address
            assert mail.subject == f"You are invited to rate Round 2026 of {SYSTEM}"
            assert f"{PUBLIC_URL}/rate?round={ROUND_ID}\n" in mail.body
            assert "has invited you" in mail.body

            # The round's messages say it was sent, and to whom.
            messages = _open_messages(page, app)
            card = "[data-testid='stLayoutWrapper'] > [data-testid='stVerticalBlock']"  # one bordered card per mail
            sent = messages.locator(card, has_text=address).first
            sent.get_by_text("Sent at").wait_for()
            assert f"You are invited to rate Round 2026 of {SYSTEM}" in sent.inner_text()

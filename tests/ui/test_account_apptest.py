"""My account and the reset-link page, run headless with Streamlit's AppTest (issue 11).

* Changing one's own password on My account: a refusal in plain words changes
  nothing; success keeps this browser signed in and signs every other one out.
* A visitor opens a one-time link, sets a password, and the link then works no more.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from b1mg_maturity.cli.database import OPERATOR_ID, operator_services
from b1mg_maturity.services import Services
from b1mg_maturity.settings import get_settings
from b1mg_maturity.ui.context import SESSION_KEY

APP = Path(__file__).resolve().parents[2] / "app.py"
PASSWORD = "a-long-password-1"
NEW_PASSWORD = "my-own-new-password-2"


@dataclass
class Site:
    services: Services
    users: dict[str, int]


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    url = f"sqlite:///{tmp_path / 'app.sqlite3'}"
    services = operator_services(url)
    users = {
        "ada": services.add_user(OPERATOR_ID, "ada", PASSWORD, global_role="admin").id,
        "carol": services.add_user(OPERATOR_ID, "carol", PASSWORD, display_name="Carol Chen").id,
    }
    monkeypatch.setenv("B1MG_DATABASE_URL", url)
    for name in ("B1MG_SESSION_KEY", "B1MG_SESSION_KEY_FILE", "B1MG_PRODUCTION", "B1MG_SMTP_HOST"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    st.cache_resource.clear()
    yield Site(services, users)
    services.db.dispose()
    monkeypatch.undo()
    get_settings.cache_clear()
    st.cache_resource.clear()


def _app(page: str, session_id: str | None = None, **query: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=120)
    at._page_hash = calc_hash(page)  # what the browser asks for at /<url_path>
    if session_id is not None:
        at.session_state[SESSION_KEY] = session_id
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _fill(at: AppTest, **fields: str) -> None:
    for label, value in fields.items():
        next(t for t in at.text_input if t.label == label).set_value(value)


def _submit(at: AppTest, label: str) -> None:
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, [e.message for e in at.exception]


def _shown(elements: object) -> str:
    return " ".join(str(e.value) for e in elements).replace("\\", "")  # type: ignore[attr-defined]


def test_my_account_changes_the_password_and_keeps_this_browser_signed_in(site: Site) -> None:
    here = site.services.start_session(site.users["carol"])
    elsewhere = site.services.start_session(site.users["carol"])
    at = _app("account", here)
    assert "My account" in _shown(at.title)
    assert "Carol Chen" in _shown(at.markdown)

    _fill(at, **{"Current password": PASSWORD, "New password": NEW_PASSWORD, "New password again": "typo"})
    _submit(at, "Change password")
    assert "the two new passwords are not the same" in _shown(at.error)
    _fill(
        at, **{"Current password": "wrong-password", "New password": NEW_PASSWORD, "New password again": NEW_PASSWORD}
    )
    _submit(at, "Change password")
    assert "Your current password is not right" in _shown(at.error)
    assert site.services.session_user(elsewhere) is not None  # nothing refused ended anything

    _fill(at, **{"Current password": PASSWORD, "New password": NEW_PASSWORD, "New password again": NEW_PASSWORD})
    _submit(at, "Change password")
    assert "Your password is changed. You stay signed in here" in _shown(at.success)
    assert site.services.session_user(here) is not None
    assert site.services.session_user(elsewhere) is None
    assert site.services.sign_in("carol", NEW_PASSWORD) == site.users["carol"]


def test_a_visitor_sets_a_password_with_a_link_that_then_works_no_more(site: Site) -> None:
    issued = site.services.issue_reset_link(site.users["ada"], "carol")
    (token,) = parse_qs(urlsplit(issued.link).query)["token"]
    at = _app("reset-password", token=token)
    _fill(at, **{"New password": NEW_PASSWORD, "New password again": NEW_PASSWORD})
    _submit(at, "Set new password")
    assert "Your new password is set." in _shown(at.success)
    assert site.services.sign_in("carol", NEW_PASSWORD) == site.users["carol"]

    again = _app("reset-password", token=token)
    assert "This link does not work: it was already used" in _shown(again.error)
    assert not [t for t in again.text_input if t.label == "New password"]
    unknown = _app("reset-password", token="B" * 43)
    assert _shown(unknown.error) == _shown(again.error)  # used and unknown links look alike

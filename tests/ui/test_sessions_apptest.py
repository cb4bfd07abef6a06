"""Signing in and out in the app, run headless with Streamlit's AppTest (issue 16, findings 1 and 18).

* Signing out without single sign-on works: no crash, the server-side session
  ends, the page shows the sign-in form again.
* A session ended elsewhere (an administrator, a password change) signs the
  open browser out at its next click.
* Single sign-on matches an account by e-mail only when the identity provider
  says that e-mail address is verified.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
SSO_SECRETS = {
    "auth": {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "x" * 32,
        "client_id": "client",
        "client_secret": "secret",
        "server_metadata_url": "https://sso.example.org/.well-known/openid-configuration",
    }
}


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
        "carol": services.add_user(OPERATOR_ID, "carol", PASSWORD, email="carol@example.org").id,
    }
    monkeypatch.setenv("B1MG_DATABASE_URL", url)
    for name in ("B1MG_SESSION_KEY", "B1MG_SESSION_KEY_FILE", "B1MG_PRODUCTION"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    st.cache_resource.clear()
    yield Site(services, users)
    services.db.dispose()
    monkeypatch.undo()
    get_settings.cache_clear()
    st.cache_resource.clear()


def _app(page: str | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=120)
    if page is not None:
        at._page_hash = calc_hash(page)  # what the browser asks for at /<url_path>
    return at


def _texts(at: AppTest) -> str:
    parts: list[str] = []
    for element in (*at.main, *at.sidebar):
        parts.extend(str(getattr(node, "value", "")) for node in _walk(element))
    return "\n".join(parts)


def _walk(node: Any) -> Iterator[Any]:
    yield node
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            yield from _walk(child)


def _shows_sign_in_form(at: AppTest) -> bool:
    return any(field.label == "Username" for field in at.text_input)


def test_sign_out_without_single_sign_on_ends_the_session(site: Site) -> None:
    session_id = site.services.start_session(site.users["ada"])
    at = _app("sign-out")
    at.session_state[SESSION_KEY] = session_id
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert site.services.session_user(session_id) is None, "the server-side session must end"
    assert SESSION_KEY not in at.session_state
    assert "Signed in as" not in _texts(at)
    assert _shows_sign_in_form(at)


def test_a_session_ended_elsewhere_signs_the_open_page_out(site: Site) -> None:
    session_id = site.services.start_session(site.users["carol"])
    at = _app()
    at.session_state[SESSION_KEY] = session_id
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert "Signed in as" in _texts(at)
    assert site.services.end_sessions(site.users["ada"], "carol") == 1
    at.run()  # the next click
    assert not at.exception, [e.message for e in at.exception]
    assert "Signed in as" not in _texts(at)
    assert _shows_sign_in_form(at)


def test_signing_in_with_the_form_starts_a_server_session(site: Site) -> None:
    at = _app()
    at.run()
    username = next(field for field in at.text_input if field.label == "Username")
    password = next(field for field in at.text_input if field.label == "Password")
    username.input("carol")
    password.input(PASSWORD)
    at.button[0].click()
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    session_id = at.session_state[SESSION_KEY]
    user = site.services.session_user(session_id)
    assert user is not None and user.username == "carol"


@pytest.mark.parametrize(
    ("claim", "signed_in"),
    [(False, False), (None, False), ("false", False), ("yes", False), (True, True), ("true", True)],
)
def test_single_sign_on_needs_a_verified_email(site: Site, claim: object, signed_in: bool) -> None:
    at = _app()
    at.secrets = SSO_SECRETS
    at.user = {"is_logged_in": True, "email": "carol@example.org"}
    if claim is not None:
        at.user["email_verified"] = claim
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    if signed_in:
        session_id = at.session_state[SESSION_KEY]
        user = site.services.session_user(session_id)
        assert user is not None and user.username == "carol"
    else:
        assert SESSION_KEY not in at.session_state
        assert any("is verified" in w.value for w in at.warning), [w.value for w in at.warning]


def test_administration_page_ends_all_sessions_of_a_user(site: Site) -> None:
    carol = [site.services.start_session(site.users["carol"]) for _ in range(2)]
    at = _app("admin")
    at.session_state[SESSION_KEY] = site.services.start_session(site.users["ada"])
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    at.selectbox(key="admin-account-user").select("carol")
    at.run()
    at.button(key="admin-end-sessions").click()
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert [site.services.session_user(s) for s in carol] == [None, None]
    assert any("signed out everywhere" in s.value for s in at.success), [s.value for s in at.success]
    at.button(key="admin-deactivate").click()  # carol is selected still
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert [u.is_active for u in site.services.list_users(site.users["ada"]) if u.username == "carol"] == [False]


def test_production_without_a_session_key_refuses_to_run(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("B1MG_PRODUCTION", "1")
    get_settings.cache_clear()
    at = _app()
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("B1MG_SESSION_KEY" in e.value for e in at.error), [e.value for e in at.error]
    assert not _shows_sign_in_form(at)

    monkeypatch.setenv("B1MG_SESSION_KEY", "k" * 40)
    get_settings.cache_clear()
    st.cache_resource.clear()
    at = _app()
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert _shows_sign_in_form(at)

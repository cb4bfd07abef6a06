"""A database that cannot be reached says so in plain words; it never signs anyone out (issue 10).

The app used to take a failed session lookup for an ended session (a silent
sign-out) or show an internal error.  Now the page says that the database
cannot be reached and that nothing was lost, the browser keeps its session,
and the next click after the outage finds the user still signed in.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from sqlalchemy.exc import OperationalError
from streamlit.testing.v1 import AppTest

from b1mg_maturity.cli.database import OPERATOR_ID, operator_services
from b1mg_maturity.services import Services
from b1mg_maturity.settings import get_settings
from b1mg_maturity.storage.failures import UNREACHABLE
from b1mg_maturity.ui.context import SESSION_KEY
from b1mg_maturity.ui.feedback import escape_markdown

APP = Path(__file__).resolve().parents[2] / "app.py"


class ServerGone(Exception):
    """What psycopg raises when the server went away (SQLSTATE class 08, connection exception)."""

    sqlstate = "08006"


def _outage(*_: Any, **__: Any) -> Any:
    raise OperationalError("SELECT user_sessions.user_id ...", {}, ServerGone("server closed the connection"))


@pytest.fixture
def services(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Services]:
    url = f"sqlite:///{tmp_path / 'app.sqlite3'}"
    services = operator_services(url)
    monkeypatch.setenv("B1MG_DATABASE_URL", url)
    for name in ("B1MG_SESSION_KEY", "B1MG_SESSION_KEY_FILE", "B1MG_PRODUCTION"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    st.cache_resource.clear()
    yield services
    services.db.dispose()
    monkeypatch.undo()
    get_settings.cache_clear()
    st.cache_resource.clear()


def test_an_outage_while_signed_in_is_said_in_plain_words_and_signs_nobody_out(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    user_id = services.add_user(OPERATOR_ID, "ada", "a-long-password-1", global_role="admin").id
    session_id = services.start_session(user_id)
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.session_state[SESSION_KEY] = session_id
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert "Signed in as" in "\n".join(str(c.value) for c in at.sidebar.caption)

    with monkeypatch.context() as outage:
        outage.setattr(Services, "session_user", _outage)
        at.run()
        assert not at.exception, [e.message for e in at.exception]
        assert [e.value for e in at.error] == [escape_markdown(UNREACHABLE)]
        assert at.session_state[SESSION_KEY] == session_id, "an outage must not sign the browser out"
        assert not any(field.label == "Username" for field in at.text_input), "no sign-in form"

    at.run()  # the database is back: still signed in, as the same session
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error
    assert at.session_state[SESSION_KEY] == session_id
    assert "Signed in as" in "\n".join(str(c.value) for c in at.sidebar.caption)
    assert services.session_user(session_id) is not None

"""Opening the app in Streamlit's AppTest as a signed-in user: the one copy of these helpers.

Pages are callables registered by ``st.navigation`` with their own
``url_path``.  ``AppTest.switch_page`` only reaches pages that are files, so
:func:`open_app` asks for a page the way the browser does: by the hash
Streamlit gives the page's ``url_path`` (``calc_hash(url_path)``).  The user is
signed in the way the sign-in form leaves them: a server-side session whose id
is in the session state.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from streamlit.testing.v1 import AppTest

    from b1mg_maturity.services import Services

APP = Path(__file__).resolve().parents[1] / "app.py"
DEFAULT_PAGE = "assessments"
# One demo account per role (tests/conftest.py's demo world), and an account with no role at all.
ROLES = {
    "admin": "demo-admin",
    "analyst": "demo-analyst",
    "coordinator": "demo-coordinator",
    "expert": "demo-expert",
    "viewer": "demo-viewer",
    "no role": "nobody",
}  # served at "/": asking for it by hash is not needed


def point_app_at(url: str) -> None:
    """Point the app at the database ``url``: its settings and cached services are read afresh."""
    import streamlit as st

    from b1mg_maturity.settings import get_settings

    os.environ["B1MG_DATABASE_URL"] = url
    get_settings.cache_clear()
    st.cache_resource.clear()


@contextmanager
def app_database(url: str | None = None) -> Iterator[None]:
    """Within the block the app may be pointed at test databases; afterwards it is as before.

    With ``url`` the app is pointed at it on entry.
    """
    import streamlit as st

    from b1mg_maturity.settings import get_settings

    saved = os.environ.get("B1MG_DATABASE_URL")
    try:
        if url is not None:
            point_app_at(url)
        yield
    finally:
        if saved is None:
            os.environ.pop("B1MG_DATABASE_URL", None)
        else:
            os.environ["B1MG_DATABASE_URL"] = saved
        get_settings.cache_clear()
        st.cache_resource.clear()


def session_of(services: Services, username: str) -> str:
    """A server-side session for ``username``, as signing in starts one."""
    from b1mg_maturity.services import Services

    with services.db.transaction() as session:
        user_id = Services.user_by_name(session, username).id
    return services.start_session(user_id)


def open_app(
    url: str,
    username: str,
    page: str | None = None,
    *,
    query: Mapping[str, str] | None = None,
    services: Services | None = None,
) -> AppTest:
    """The app over ``url`` with ``username`` signed in, run once on ``page`` (default: the first page).

    ``services`` (over the same database) starts the session; without it a short-lived one is opened.
    Fails the test when the run raised an exception.
    """
    from streamlit.testing.v1 import AppTest
    from streamlit.util import calc_hash

    from b1mg_maturity.cli.database import operator_services
    from b1mg_maturity.ui.context import SESSION_KEY

    point_app_at(url)
    at = AppTest.from_file(str(APP), default_timeout=120)
    if services is not None:
        at.session_state[SESSION_KEY] = session_of(services, username)
    else:
        own = operator_services(url)
        try:
            at.session_state[SESSION_KEY] = session_of(own, username)
        finally:
            own.db.dispose()
    for key, value in (query or {}).items():
        at.query_params[key] = value
    if page is not None and page != DEFAULT_PAGE:
        at._page_hash = calc_hash(page)  # what the browser asks for at /<url_path>
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def walk(node: Any) -> Iterator[Any]:
    """``node`` and every element inside it."""
    yield node
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            yield from walk(child)


def nodes(at: AppTest) -> list[Any]:
    """Every element of the page: the main area, then the sidebar."""
    return [*walk(at.main), *walk(at.sidebar)]


def copy_sqlite(template: Path, folder: Path) -> str:
    """Copy the SQLite database file ``template`` (and its WAL files, if any) into ``folder``; return its URL."""
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{template}{suffix}")
        if source.exists():
            shutil.copyfile(source, folder / f"{template.name}{suffix}")
    return f"sqlite:///{folder / template.name}"


def own_scripts() -> frozenset[str]:
    """The app's own page scripts (constants: no user text ever goes into them), which tests of
    escaping leave out when they look for ``<script`` in what a page shows."""
    from b1mg_maturity import i18n
    from b1mg_maturity.ui import accessibility, autosave

    scripts = [autosave.SCRIPT, *(accessibility.script(language) for language in i18n.LANGUAGES)]
    return frozenset(body.strip() for body in scripts)

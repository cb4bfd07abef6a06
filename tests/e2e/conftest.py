"""Browser tests: a real Streamlit server on a demo database, driven by Playwright in Debian's Chromium.

The server runs the app as a newcomer would (``streamlit run app.py``) on a
free port, over a SQLite file filled with the synthetic demo data.  Chromium
is the Debian package (``/usr/bin/chromium``); Playwright never downloads a
browser of its own.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.streamlit_server import serving

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("B1MG_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"CI is set, so browser tests may not be skipped: {reason}", pytrace=False)
    pytest.skip(f"SKIPPED: BROWSER TESTS DID NOT RUN: {reason.upper()}")


@dataclass(frozen=True)
class RunningApp:
    url: str
    database_url: str
    log: Path


@contextmanager
def _serve(
    database_url: str, folder: Path, *, load: bool = True, extra_env: dict[str, str] | None = None
) -> Iterator[RunningApp]:
    """The app on a fresh demo database at ``database_url``, served by a real Streamlit server.

    ``load=False``: the database already holds the demo world (a copy of the demo template).
    ``extra_env``: more settings for the served app (``B1MG_SMTP_HOST`` ...).
    """
    if load:
        from b1mg_maturity.cli.database import OPERATOR_ID, operator_services
        from b1mg_maturity.demo import load_demo

        services = operator_services(database_url)
        load_demo(services, OPERATOR_ID)
        services.db.dispose()
    env = {**os.environ, "B1MG_DATABASE_URL": database_url, **(extra_env or {})}
    log = folder / "streamlit.log"
    with serving(ROOT / "app.py", env, log) as url:
        yield RunningApp(url, database_url, log)


@pytest.fixture(scope="session")
def running_app(tmp_path_factory: pytest.TempPathFactory, demo_database: Path) -> Iterator[RunningApp]:
    """The app on a fresh demo database in a SQLite file (a copy of the demo template)."""
    from tests.apptest import copy_sqlite

    folder = tmp_path_factory.mktemp("app")
    with _serve(copy_sqlite(demo_database, folder), folder, load=False) as app:
        yield app


@pytest.fixture
def own_app(tmp_path: Path, demo_database: Path) -> Iterator[RunningApp]:
    """The app on a copy of the demo database of its own, for a test that moves a shared round on.

    The session's ``running_app`` is shared by every browser test of a worker, in an order that
    changes from run to run: a test that sends XA's draft round to review there would take the
    draft away from the tests that rate it.
    """
    from tests.apptest import copy_sqlite

    with _serve(copy_sqlite(demo_database, tmp_path), tmp_path, load=False) as app:
        yield app


@pytest.fixture(scope="session")
def running_app_on_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    """The app on a fresh demo database in a throw-away PostgreSQL server of its own."""
    from tests.pg_server import PostgresNotAvailable, create_database, running_postgres

    folder = tmp_path_factory.mktemp("app-pg")
    with ExitStack() as stack:
        try:
            admin = stack.enter_context(running_postgres())
        except PostgresNotAvailable as exc:
            _missing(f"PostgreSQL server binaries not found ({exc}); `make test` installs them")
        yield stack.enter_context(_serve(create_database(admin, "e2e_demo"), folder))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def app_on_each_database(request: pytest.FixtureRequest) -> RunningApp:
    """The running app on SQLite, then on PostgreSQL."""
    name = "running_app" if request.param == "sqlite" else "running_app_on_postgres"
    app: RunningApp = request.getfixturevalue(name)
    return app


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        _missing(f"Chromium not found at {CHROMIUM}; install it with `apt-get install chromium` (make test does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    return report


_FAILED = pytest.StashKey[bool]()
SCREENSHOTS = Path(os.environ.get("B1MG_E2E_SCREENSHOTS", "/tmp/b1mg-e2e-failures"))


@pytest.fixture
def new_page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """Open pages in fresh browser contexts (separate cookies: separate users).

    When the test fails, every page it opened is saved as a screenshot (``B1MG_E2E_SCREENSHOTS``).
    """
    contexts = []

    def make() -> Any:
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        context.set_default_timeout(40_000)  # a busy 2-core CI machine renders slowly
        contexts.append(context)
        return context.new_page()

    yield make
    if request.node.stash.get(_FAILED, False):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        seen: list[str] = []
        for number, context in enumerate(contexts):
            for index, page in enumerate(context.pages):
                name = f"{request.node.name}-{number}-{index}.png".replace("/", "_")
                page.screenshot(path=str(SCREENSHOTS / name), full_page=True)
                seen.append(f"--- browser {number}, page {index}: {page.url}\n{_visible_text(page)}")
        # CI keeps no files: what each page showed, and the end of the app's log, go into the test's report.
        logs = [
            request.getfixturevalue(name).log for name in ("running_app", "own_app") if name in request.fixturenames
        ]
        tails = [
            f"--- {log}\n" + "\n".join(log.read_text(errors="replace").splitlines()[-40:])
            for log in logs
            if log.exists()
        ]
        request.node.add_report_section("call", "pages and app log", "\n".join(seen + tails))
    for context in contexts:
        context.close()


def _visible_text(page: Any) -> str:
    try:
        text: str = page.locator("body").inner_text(timeout=5_000)
    except Exception as exc:  # a page that crashed or closed still lets the others be shown
        return f"(not readable: {exc})"
    return text[-3_000:]


def sign_in(page: Any, app: RunningApp, username: str, password: str = "demo-password", path: str = "") -> None:
    """Sign in through the form, then open ``path`` (for example ``rate?round=3``)."""
    page.goto(f"{app.url}/{path}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text(f"({username})").first.wait_for()
    # The session cookie is written by a small script right after signing in; a person never navigates
    # within those milliseconds, a test does: wait for it, so the next page load is signed in.
    deadline = time.monotonic() + 15
    while not any(c["name"] == "b1mg_session" for c in page.context.cookies()):
        if time.monotonic() > deadline:
            raise AssertionError("signing in set no session cookie")
        page.wait_for_timeout(100)

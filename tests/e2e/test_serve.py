"""``b1mg-maturity serve``, as ``make run`` starts the app: it warms up, then serves the sign-in form, and
signing in works."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.apptest import copy_sqlite
from tests.e2e.conftest import RunningApp, sign_in
from tests.streamlit_server import app_serve, serving


def test_serve_warms_up_then_serves_the_sign_in_form(
    new_page: Callable[[], Any], demo_database: Path, tmp_path: Path
) -> None:
    database_url = copy_sqlite(demo_database, tmp_path)
    log = tmp_path / "serve.log"
    with serving(app_serve(), {**os.environ, "B1MG_DATABASE_URL": database_url}, log) as url:
        page = new_page()
        page.goto(url)
        page.get_by_label("Username").wait_for(state="visible")
        sign_in(page, RunningApp(url, database_url, log), "demo-admin")
    lines = log.read_text().splitlines()
    assert any(line.startswith("Warmed up before serving: ") for line in lines), lines
    assert not any("Traceback" in line for line in lines), lines

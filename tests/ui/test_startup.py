"""Starting the server (``b1mg-maturity serve``, :mod:`b1mg_maturity.startup`): the database is migrated once
per process, never per session, and a server that could not run refuses to start, saying why."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from b1mg_maturity import startup
from b1mg_maturity.cli import app as command_line
from b1mg_maturity.storage.migrate import upgrade_to_head
from b1mg_maturity.ui import context
from tests.apptest import APP, app_database


def _shows_sign_in_form(at: AppTest) -> bool:
    return [field.label for field in at.text_input] == ["Username", "Password"]


@pytest.mark.parametrize("served_by", ["b1mg-maturity serve", "streamlit run app.py"])
def test_the_database_is_migrated_once_per_process_not_per_session(
    served_by: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``serve`` migrates before the first session; a plain ``streamlit run`` in the first session.  The
    sessions after that (each AppTest is a new session, as each browser tab is) never migrate."""
    migrated: list[str] = []

    def counted_upgrade(engine: Engine) -> None:
        migrated.append(str(engine.url))
        upgrade_to_head(engine)

    monkeypatch.setattr(context, "upgrade_to_head", counted_upgrade)
    with app_database(f"sqlite:///{tmp_path / 'app.sqlite3'}"):
        if served_by == "b1mg-maturity serve":
            assert startup.open_database in [step.run for step in startup.WARM_UPS]
            startup.open_database()
            assert len(migrated) == 1, "serve migrates before any session runs"
        for _ in range(3):
            at = AppTest.from_file(str(APP), default_timeout=120)
            at.run()
            assert not at.exception, [e.message for e in at.exception]
            assert _shows_sign_in_form(at)
    assert len(migrated) == 1, migrated


def test_every_warm_up_step_is_timed_in_order() -> None:
    calls: list[str] = []

    def step(name: str) -> startup.WarmUp:
        return startup.WarmUp(name, lambda: calls.append(name))

    steps = [step("first"), step("second")]
    done = startup.warm_up(steps)
    assert calls == ["first", "second"]
    assert [step.name for step in done] == ["first", "second"]
    assert all(step.seconds >= 0 for step in done)


def test_serve_refuses_to_start_in_production_without_a_session_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It says why and exits 1 before Streamlit starts, instead of serving a page that cannot sign anyone in."""
    started: list[object] = []
    monkeypatch.setattr(startup, "run_streamlit", started.append)
    monkeypatch.setenv("B1MG_PRODUCTION", "1")
    for name in ("B1MG_SESSION_KEY", "B1MG_SESSION_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    with app_database(f"sqlite:///{tmp_path / 'app.sqlite3'}"):
        result = CliRunner().invoke(command_line, ["serve", "--server.port", "1"])
    assert result.exit_code == 1, result.output
    assert "The app is not configured to run" in result.stderr
    assert "B1MG_SESSION_KEY" in result.stderr
    assert "Traceback" not in result.output
    assert started == []


def test_serve_says_how_long_each_warm_up_took_then_passes_streamlit_options_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    events: list[object] = []

    def warm_up() -> list[startup.WarmedUp]:
        events.append("warm-up")
        return [startup.WarmedUp("step", 0.5)]

    monkeypatch.setattr(startup, "warm_up", warm_up)
    monkeypatch.setattr(startup, "run_streamlit", lambda options: events.append(list(options)))
    result = CliRunner().invoke(command_line, ["serve", "--server.port", "8599", "--server.headless", "true"])
    assert result.exit_code == 0, result.output
    assert "Warmed up before serving: step 0.50 s." in result.stderr
    assert events == ["warm-up", ["--server.port", "8599", "--server.headless", "true"]]

"""Benchmark: server time of a click on a level on the Rate page, with one domain and with all 49 indicators shown.

Everything runs in Streamlit's AppTest (the real script runner with its
fragment reruns, no browser), in one process, on a demo database.  The time
measured is the server's: the script runs a click causes (its callbacks, the
save, the fragments or the page rerun), summed; not the test harness's own
work of reading the page back, which a browser does in a real session.


- a click on a level of the Rate page (the save included) with the smallest
  domain shown and with "All domains" shown;
- a whole rerun of the Rate page with all 49 cards (what every click cost
  before the cards became fragments);
- the baseline: a click on a radio of a minimal page (a title and one radio).

Each figure is the median of ``--clicks`` clicks; the ratios are to the baseline.

Run: ``python -m benchmarks.bench_rate_page [--clicks N]``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import select
from streamlit.runtime.scriptrunner.script_runner import ScriptRunner
from streamlit.testing.v1 import AppTest

from b1mg_maturity.storage.models import User
from b1mg_maturity.ui.rate import NOT_ANSWERED
from benchmarks.results import record


def _rate_page() -> None:
    from b1mg_maturity.ui import rate

    rate.render()


def _minimal_page() -> None:
    import streamlit as st

    st.title("Minimal")
    st.radio("Level", [1, 2, 3, 4, 5], key="level")


@contextlib.contextmanager
def _script_run_times() -> Iterator[list[float]]:
    """The duration of every script run (callbacks included) while inside: the server's work."""
    times: list[float] = []
    original: Callable[..., Any] = ScriptRunner._run_script

    def timed(self: ScriptRunner, *args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return original(self, *args, **kwargs)
        finally:
            times.append(time.perf_counter() - start)

    ScriptRunner._run_script = timed  # type: ignore[method-assign]
    try:
        yield times
    finally:
        ScriptRunner._run_script = original  # type: ignore[method-assign]


def _median_click(app: AppTest, key: str, clicks: int, options: tuple[object, object] = (2, 3)) -> float:
    """Click the radio ``key`` to the other of two ``options`` each time; the median server time of a click."""
    per_click = []
    with _script_run_times() as runs:
        for _ in range(clicks):
            radio = app.radio(key=key)
            level = options[1] if radio.value == options[0] else options[0]
            before = len(runs)
            radio.set_value(level).run()
            per_click.append(sum(runs[before:]))
            assert not app.exception, app.exception
            assert app.radio(key=key).value == level  # the click was saved and drawn
    return statistics.median(per_click)


def _median_rerun(app: AppTest, reruns: int) -> float:
    per_rerun = []
    with _script_run_times() as runs:
        for _ in range(reruns):
            before = len(runs)
            app.run()
            per_rerun.append(sum(runs[before:]))
            assert not app.exception, app.exception
    return statistics.median(per_rerun)


def _rate_app(session_token: str, round_id: int, domain: str) -> AppTest:
    page = AppTest.from_function(_rate_page, default_timeout=120)
    page.session_state["signed_in_session"] = session_token
    page.query_params["round"] = str(round_id)
    page.query_params["domain"] = domain
    page.run()
    assert not page.exception, page.exception
    return page


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clicks", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        os.environ["B1MG_DATABASE_URL"] = url
        from b1mg_maturity.cli.database import OPERATOR_ID, operator_services
        from b1mg_maturity.demo import load_demo

        services = operator_services(url)
        load_demo(services, OPERATOR_ID)
        round_ = next(
            r for r in services.list_rounds(OPERATOR_ID) if r.health_system.code == "XA" and r.status == "draft"
        )
        questionnaire = services.questionnaire_for_round(OPERATOR_ID, round_.id)
        with services.db.transaction() as session:
            expert = session.scalars(select(User.id).where(User.username == "demo-expert")).one()
        smallest = min(questionnaire.domains, key=lambda d: len(d.indicators))
        level_key = f"rate:{round_.id}:{smallest.indicators[0].id}:level"

        one_domain = _rate_app(services.start_session(expert), round_.id, smallest.id)
        one_shown = len(one_domain.radio) - 1  # minus the domain menu
        one_click = _median_click(one_domain, level_key, args.clicks)

        everything = _rate_app(services.start_session(expert), round_.id, "all")
        all_shown = len(everything.radio) - 1
        assert all_shown == len(questionnaire.indicators), all_shown
        all_click = _median_click(everything, level_key, args.clicks)
        all_counted = _median_click(everything, level_key, args.clicks, options=(NOT_ANSWERED, 2))
        all_rerun = _median_rerun(everything, args.clicks)

        minimal = AppTest.from_function(_minimal_page)
        minimal.run()
        minimal_click = _median_click(minimal, "level", args.clicks)
        services.db.dispose()

    print(f"Rate page server time per click, median of {args.clicks} (AppTest, SQLite demo database):")
    baseline = "a click on a minimal page's radio"
    record(f"Rate: a click on a level, {one_shown} indicators shown", one_click, minimal_click, baseline_name=baseline)
    record(f"Rate: a click on a level, all {all_shown} shown", all_click, minimal_click, baseline_name=baseline)
    record(
        f"Rate: a level given or taken back (menu counts redrawn), all {all_shown} shown",
        all_counted,
        minimal_click,
        baseline_name=baseline,
    )
    record(f"Rate: whole-page rerun, all {all_shown} shown", all_rerun, minimal_click, baseline_name=baseline)


if __name__ == "__main__":
    main()

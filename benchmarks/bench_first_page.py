"""Benchmark: how long a person waits for the sign-in form after opening the address.

Two real Streamlit servers are started the same way (:func:`tests.streamlit_server.serving`, the same
options): the app as ``make run`` starts it (``b1mg-maturity serve``) on a demo database, and a minimal
page holding one text input, served with ``streamlit run`` (the baseline).  A real Chromium opens each
address and waits until the username field can be typed in: once right after the server started (the
first visit, in a fresh browser context), then ``--visits`` more times in new tabs (warm).

Each server is started ``--rounds`` times, the two taking turns in which goes first (the machine may be
busy); the medians are reported, with how long each server took to answer its health check: the app's
``serve`` does at its start what its first visitor used to wait for.

Run: ``python -m benchmarks.bench_first_page [--rounds N] [--visits N]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

from benchmarks.results import record
from tests.streamlit_server import ROOT, app_serve, serving

CHROMIUM = os.environ.get("B1MG_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]
MINIMAL_PAGE = 'import streamlit as st\n\nst.title("Sign in")\nst.text_input("Username")\n'
BASELINE = "one-input Streamlit page"


@dataclass
class Visits:
    """What one server gave over all rounds, in seconds."""

    start: list[float] = field(default_factory=list)
    first: list[float] = field(default_factory=list)
    warm: list[float] = field(default_factory=list)


def _until_form(context: Any, url: str) -> float:
    """Seconds from opening the address in a new tab until the username field is ready for typing."""
    page = context.new_page()
    try:
        start = time.perf_counter()
        page.goto(url)
        page.get_by_label("Username").wait_for(state="visible", timeout=120_000)
        return time.perf_counter() - start
    finally:
        page.close()


def _measure(browser: Any, launch: Path | Sequence[str], env: dict[str, str], log: Path, visits: int) -> Visits:
    """One server start: its start, its first visit, then ``visits`` warm visits."""
    result = Visits()
    started = time.perf_counter()
    with serving(launch, env, log, start_seconds=120) as url:
        result.start.append(time.perf_counter() - started)
        context = browser.new_context()
        try:
            result.first.append(_until_form(context, url))
            result.warm.extend(_until_form(context, url) for _ in range(visits))
        finally:
            context.close()
    return result


def _merge(into: Visits, more: Visits) -> None:
    into.start += more.start
    into.first += more.first
    into.warm += more.warm


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3, help="server starts of each (default 3)")
    parser.add_argument("--visits", type=int, default=5, help="warm visits per server start (default 5)")
    parser.add_argument(
        "--streamlit-run", action="store_true", help="serve the app with a plain `streamlit run app.py` (no warm-up)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env = {**os.environ, "B1MG_DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}"}
        command_line = Path(sys.executable).parent / "b1mg-maturity"
        subprocess.run([str(command_line), "demo", "--if-empty"], env=env, check=True, capture_output=True)
        minimal = folder / "minimal_page.py"
        minimal.write_text(MINIMAL_PAGE)
        app: Path | Sequence[str] = ROOT / "app.py" if args.streamlit_run else app_serve()
        servers: dict[str, Path | Sequence[str]] = {BASELINE: minimal, "app": app}
        results = {name: Visits() for name in servers}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            for round_number in range(args.rounds):
                order = list(servers) if round_number % 2 == 0 else list(reversed(servers))
                for name in order:
                    log = folder / f"{name.replace(' ', '-')}-{round_number}.log"
                    _merge(results[name], _measure(browser, servers[name], env, log, args.visits))
            browser.close()
        warmed = [line for line in (folder / "app-0.log").read_text().splitlines() if line.startswith("Warmed up")]
        print(f"  app server log: {warmed[0] if warmed else 'no warm-up line'}")
    ours, base = results["app"], results[BASELINE]
    for what, path in (
        ("first", "sign-in form, first visit after server start (median)"),
        ("warm", "sign-in form, warm visit (median)"),
        ("start", "server start until its health check answers (median)"),
    ):
        record(
            f"first page{' (streamlit run app.py)' if args.streamlit_run else ''}: {path}",
            statistics.median(getattr(ours, what)),
            statistics.median(getattr(base, what)),
            baseline_name=f"{BASELINE}, streamlit run",
        )


if __name__ == "__main__":
    main()

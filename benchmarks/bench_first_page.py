"""Benchmark: how long a person waits for the sign-in form after opening the address.

Two real Streamlit servers run side by side in the same run: the app on a demo
database, and beside it a minimal page holding one text input (the baseline).
A real Chromium opens each address and waits until the username field can be
typed in.  The first visit after a server start is measured once per server;
warm visits (a new tab each time) are measured ``--visits`` times and the
median is printed.  Prints both and the ratio to the baseline.

Run: ``python -m benchmarks.bench_first_page [--visits N]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

from tests.streamlit_server import ROOT, serving

CHROMIUM = os.environ.get("B1MG_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]
MINIMAL_PAGE = 'import streamlit as st\n\nst.title("Sign in")\nst.text_input("Username")\n'


def _until_form(browser: Any, url: str) -> float:
    """Seconds from opening the address in a new tab until the username field is ready for typing."""
    page = browser.new_page()
    try:
        start = time.perf_counter()
        page.goto(url)
        page.get_by_label("Username").wait_for(state="visible", timeout=120_000)
        return time.perf_counter() - start
    finally:
        page.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--visits", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        database_url = f"sqlite:///{folder / 'bench.sqlite3'}"
        env = {**os.environ, "B1MG_DATABASE_URL": database_url}
        command_line = Path(sys.executable).parent / "b1mg-maturity"
        subprocess.run([str(command_line), "demo", "--if-empty"], env=env, check=True, capture_output=True)
        minimal = folder / "minimal_page.py"
        minimal.write_text(MINIMAL_PAGE)
        results: dict[str, tuple[float, float]] = {}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            for name, script in (("minimal page", minimal), ("sign-in page", ROOT / "app.py")):
                with serving(script, env, folder / f"{script.stem}.log", start_seconds=90) as url:
                    first = _until_form(browser, url)
                    warm = statistics.median(_until_form(browser, url) for _ in range(args.visits))
                results[name] = (first, warm)
            browser.close()
    base_first, base_warm = results["minimal page"]
    ours_first, ours_warm = results["sign-in page"]
    print(f"{'path':<34}{'ours':>10}{'baseline':>10}{'ratio':>8}")
    print(f"{'sign-in form, first visit':<34}{ours_first:>9.2f}s{base_first:>9.2f}s{ours_first / base_first:>7.1f}x")
    print(f"{'sign-in form, warm (median)':<34}{ours_warm:>9.2f}s{base_warm:>9.2f}s{ours_warm / base_warm:>7.1f}x")


if __name__ == "__main__":
    main()

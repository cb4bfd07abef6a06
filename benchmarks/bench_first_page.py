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
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("B1MG_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]
MINIMAL_PAGE = 'import streamlit as st\n\nst.title("Sign in")\nst.text_input("Username")\n'


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _server(script: Path, env: dict[str, str], log: Path) -> Iterator[str]:
    port = _free_port()
    command = [
        sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
        "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
    ]  # fmt: skip
    with log.open("w") as out:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{script.name} did not start; its log:\n{log.read_text()}")
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=20)


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
                with _server(script, env, folder / f"{script.stem}.log") as url:
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

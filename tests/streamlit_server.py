"""A real Streamlit server on a free local port (browser tests and the first-page benchmark).

A server is started either for a script (``streamlit run script``) or by a command line that takes
Streamlit's options: :func:`app_serve` is the app as ``make run`` starts it (``b1mg-maturity serve``).
Both get the same options, so that two servers started here differ only in what they serve.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def streamlit_run(script: Path) -> list[str]:
    """``streamlit run script``: how a plain Streamlit page is served."""
    return [sys.executable, "-m", "streamlit", "run", str(script)]


def app_serve() -> list[str]:
    """The app as ``make run`` starts it: the installed command line's ``serve``."""
    return [str(Path(sys.executable).parent / "b1mg-maturity"), "serve"]


@contextmanager
def serving(
    launch: Path | Sequence[str], env: dict[str, str], log: Path, *, start_seconds: float = 60
) -> Iterator[str]:
    """A server until the block ends; yields its address once its health check answers.

    ``launch``: a script, served with ``streamlit run``, or a command line that takes Streamlit's options.
    """
    port = free_port()
    command = [
        *(streamlit_run(launch) if isinstance(launch, Path) else launch),
        "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
    ]  # fmt: skip
    with log.open("w") as out:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + start_seconds
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{command[:4]} did not start; its log:\n{log.read_text()}")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()

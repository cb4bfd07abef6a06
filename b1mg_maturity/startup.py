"""Starting the app server so that the first visitor does not pay for the start.

``b1mg-maturity serve`` (what ``make run`` runs) calls :func:`warm_up` (the
steps in :data:`WARM_UPS`: the modules of the sign-in page imported, the
database opened and migrated once for this process, the session key read),
then :func:`run_streamlit`: Streamlit in this same process, started through
Streamlit's own command line as ``streamlit run app.py [options]``.  Everything the warm-up
did is then already done when the first session runs the script: the
modules are in ``sys.modules``, the services in Streamlit's process-wide
resource cache.

Served with a plain ``streamlit run app.py`` instead, the app works the same,
but its first session pays for all of this.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app.py"

# What a session that shows the sign-in form imports: the app's shell (``app.py`` imports nothing the
# navigation does not) and the sign-in page.  Streamlit checks the page and menu icons against its
# emoji and Material icon name lists, two big modules it imports on first use.
SIGN_IN_MODULES = (
    "b1mg_maturity.ui.navigation",
    "b1mg_maturity.ui.sign_in",
    "streamlit.emojis",
    "streamlit.material_icon_names",
)


@dataclass(frozen=True)
class WarmUp:
    """One thing the server does once at its start instead of in the first session."""

    name: str
    run: Callable[[], None]


@dataclass(frozen=True)
class WarmedUp:
    name: str
    seconds: float


def import_streamlit() -> None:
    """Not a warm-up (every Streamlit server imports it), timed apart so that the figures say so."""
    importlib.import_module("streamlit.web.cli")


def import_sign_in_modules() -> None:
    for module in SIGN_IN_MODULES:
        importlib.import_module(module)


def open_database() -> None:
    """The app's services (one per process, in Streamlit's resource cache), the database migrated to the
    newest schema, and one query, which sets up the ORM's mappers and the connection pool."""
    from b1mg_maturity.ui.context import app_services

    app_services().has_demo_data()


def read_session_key() -> None:
    """The session-signing key; in production without a key this refuses to start (SigningKeyProblem)."""
    from b1mg_maturity.ui.session_cookie import signing_key

    signing_key()


# Every warm-up, in order: the one place to register another.  Each runs before the server listens, so
# a step that starts something slow (a pool of worker processes) starts it and returns.
WARM_UPS: tuple[WarmUp, ...] = (
    WarmUp("Streamlit itself", import_streamlit),
    WarmUp("sign-in page modules", import_sign_in_modules),
    WarmUp("database (migrated once per process)", open_database),
    WarmUp("session key", read_session_key),
    WarmUp(
        "PDF report workers (they start 30 s later)",
        lambda: importlib.import_module("b1mg_maturity.report.jobs").warm_up(),
    ),
)


def warm_up(steps: Sequence[WarmUp] = WARM_UPS) -> list[WarmedUp]:
    """Run every warm-up step; how long each took."""
    done = []
    for step in steps:
        start = time.perf_counter()
        step.run()
        done.append(WarmedUp(step.name, time.perf_counter() - start))
    return done


def run_streamlit(streamlit_options: Sequence[str]) -> None:
    """``streamlit run app.py <streamlit_options>`` in this process, through Streamlit's own command line
    (its config files, flags and checks); returns only when the server stops (it exits the process)."""
    from streamlit.web import cli as streamlit_cli

    streamlit_cli.main(["run", str(APP), *streamlit_options], prog_name="streamlit")

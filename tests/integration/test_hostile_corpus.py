"""The hostile-file corpus (``tests/hostile_files.py``) through every entry point that takes a file.

The command line (``validate``, ``score``, ``report``, ``import``) reads every
file of the corpus in this process (Typer's ``CliRunner``, the same
application the console script runs) with the address space capped while it
runs (``setrlimit``): a file that made it unpack gigabytes would hit the cap
and fail the test, where a bounded reader answers with a located message.  A
few runs per command, the bombs among them, go through the real
``b1mg-maturity`` program in a child process under address-space and CPU
limits (its exit status, its stderr, its error formatter in ``main``).  The
Administration page's questionnaire upload runs in AppTest.  Each must give a
located message, exit 2 (or show the error), and write nothing.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from b1mg_maturity.cli import app as cli_app
from b1mg_maturity.services import Services
from b1mg_maturity.storage.database import Database
from b1mg_maturity.storage.models import (
    AssessmentRound,
    AuditEntry,
    Consensus,
    QuestionnaireVersion,
    Rating,
    Target,
)
from tests import hostile_files
from tests.apptest import app_database, copy_sqlite, open_app
from tests.hostile_files import Hostile
from tests.integration.conftest import WORLD, database_template

CLI = Path(sys.executable).parent / "b1mg-maturity"
APP = Path(__file__).resolve().parents[2] / "app.py"
MEMORY_LIMIT = 1536 * 1024 * 1024  # address space of the child: far below what the bombs used to take
IN_PROCESS_HEADROOM = 1024 * 1024 * 1024  # address space an in-process run may add to what the worker holds
CPU_SECONDS = 120
COUNTED = (AssessmentRound, Rating, Consensus, Target, QuestionnaireVersion, AuditEntry)


@dataclass(frozen=True)
class Run:
    """How a command ended: its exit status and what it wrote to stderr."""

    returncode: int
    stderr: str


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))


def run_program(*args: str) -> Run:
    """The real console script in a child process, under address-space and CPU limits."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MALLOC_ARENA_MAX": "2"}
    done = subprocess.run(
        [str(CLI), *args], capture_output=True, text=True, check=False, preexec_fn=_limits, env=env, timeout=600
    )
    return Run(done.returncode, done.stderr)


def _address_space() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        kib = next(int(line.split()[1]) for line in status if line.startswith("VmSize:"))
    return kib * 1024


@contextmanager
def capped_address_space(headroom: int = IN_PROCESS_HEADROOM) -> Iterator[None]:
    """Within the block this process may map at most ``headroom`` bytes more than it has mapped now."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = _address_space() + headroom
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def run_cli(*args: str) -> Run:
    """The command line's Typer application in this process, with the address space capped while it runs.

    An exception that escaped the command (a MemoryError at the cap, say) ends with exit status 1
    and its traceback in ``stderr``, so the checks below fail on it.
    """
    with capped_address_space():
        result = CliRunner().invoke(cli_app, list(args))
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += f"\nTraceback: {type(result.exception).__name__}: {result.exception}"
    return Run(result.exit_code, stderr)


@dataclass
class Installation:
    url: str
    round_id: int
    admin_id: int

    def counts(self) -> tuple[int, ...]:
        services = Services(Database(self.url))
        try:
            return tuple(services.count(model) for model in COUNTED)
        finally:
            services.db.dispose()


@pytest.fixture(scope="module")
def installation(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Installation:
    """A copy of the small world of ``world.py`` (its SQLite template, built once per worker)."""
    template = database_template(request, "sqlite", WORLD)
    url = copy_sqlite(Path(template.source), tmp_path_factory.mktemp("corpus"))
    return Installation(url, template.rounds["DE"], template.users["admin"])


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("hostile")
    return {hostile.name: hostile_files.write(folder, hostile) for hostile in hostile_files.ALL}


def _assert_refused(done: Run, path: Path, hostile: Hostile) -> None:
    assert done.returncode == 2, (done.returncode, done.stderr[-2000:])
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr[-2000:]
    lines = done.stderr.strip().splitlines()
    assert lines and all(line.startswith(str(path)) for line in lines), lines[:5]
    assert any(hostile.expect in line for line in lines), lines[:5]


def _ids(files: list[Hostile]) -> list[str]:
    return [f.name for f in files]


ANSWERS = hostile_files.XLSX_FILES + hostile_files.CSV_FILES


@pytest.mark.parametrize("hostile", hostile_files.YAML_FILES, ids=_ids(hostile_files.YAML_FILES))
def test_cli_validate(hostile: Hostile, corpus: dict[str, Path]) -> None:
    path = corpus[hostile.name]
    _assert_refused(run_cli("validate", str(path)), path, hostile)


@pytest.mark.parametrize("hostile", ANSWERS, ids=_ids(ANSWERS))
def test_cli_score(hostile: Hostile, corpus: dict[str, Path]) -> None:
    path = corpus[hostile.name]
    _assert_refused(run_cli("score", "-a", str(path)), path, hostile)


@pytest.mark.parametrize("hostile", ANSWERS, ids=_ids(ANSWERS))
def test_cli_import_answers_writes_nothing(
    hostile: Hostile, corpus: dict[str, Path], installation: Installation
) -> None:
    path = corpus[hostile.name]
    before = installation.counts()
    done = run_cli("import", str(path), "--round", str(installation.round_id), "--database-url", installation.url)
    _assert_refused(done, path, hostile)
    assert installation.counts() == before


@pytest.mark.parametrize("hostile", hostile_files.JSON_FILES, ids=_ids(hostile_files.JSON_FILES))
def test_cli_import_round_writes_nothing(hostile: Hostile, corpus: dict[str, Path], installation: Installation) -> None:
    path = corpus[hostile.name]
    before = installation.counts()
    _assert_refused(run_cli("import", str(path), "--database-url", installation.url), path, hostile)
    assert installation.counts() == before


@pytest.mark.parametrize("name", ["claimed-huge.xlsx", "text-bomb.xlsx", "blank-lines.csv"])
def test_cli_report_writes_no_pdf(name: str, corpus: dict[str, Path], tmp_path: Path) -> None:
    (hostile,) = [f for f in ANSWERS if f.name == name]
    path = corpus[name]
    output = tmp_path / "report.pdf"
    _assert_refused(run_cli("report", "-a", str(path), "-o", str(output), "--no-charts"), path, hostile)
    assert not output.exists()


# --- the real program, in a child process under limits -----------------------------------------


def _by_name(name: str) -> Hostile:
    (hostile,) = [f for f in hostile_files.ALL if f.name == name]
    return hostile


# One run per command, bombs that a trusting reader would blow up on (the row bomb is refused only after
# reading rows, slowly, so it runs in-process only): the console script's own exit status and stderr.
PROGRAM_RUNS = [
    pytest.param(["validate", "{path}"], "alias-bomb.yaml", id="validate-alias-bomb"),
    pytest.param(["score", "-a", "{path}"], "text-bomb.xlsx", id="score-text-bomb"),
    pytest.param(["import", "{path}", "--round", "{round}", "--database-url", "{url}"], "claimed-huge.xlsx",
                 id="import-answers-claimed-huge"),
    pytest.param(["import", "{path}", "--database-url", "{url}"], "deep-100000.json", id="import-round-deep"),
    pytest.param(["report", "-a", "{path}", "-o", "{output}", "--no-charts"], "blank-lines.csv",
                 id="report-blank-lines"),
]  # fmt: skip


@pytest.mark.parametrize(("args", "name"), PROGRAM_RUNS)
def test_the_program_refuses_under_limits(
    args: list[str], name: str, corpus: dict[str, Path], installation: Installation, tmp_path: Path
) -> None:
    path, output = corpus[name], tmp_path / "report.pdf"
    values = {"path": str(path), "round": str(installation.round_id), "url": installation.url, "output": str(output)}
    before = installation.counts()
    _assert_refused(run_program(*(arg.format(**values) for arg in args)), path, _by_name(name))
    assert installation.counts() == before
    assert not output.exists()


# --- the Administration page's questionnaire upload --------------------------------------------


@pytest.fixture
def admin_page(installation: Installation) -> Iterator[AppTest]:
    with app_database():
        yield open_app(installation.url, "admin", "admin")


@pytest.mark.parametrize("hostile", hostile_files.YAML_FILES, ids=_ids(hostile_files.YAML_FILES))
def test_admin_questionnaire_upload(hostile: Hostile, admin_page: AppTest, installation: Installation) -> None:
    before = installation.counts()
    at = admin_page
    at.file_uploader[0].set_value((hostile.name, hostile.make(), "application/yaml"))
    next(b for b in at.button if b.label == "Validate and register").click().run()
    assert not at.exception, [e.message for e in at.exception]
    shown = [str(e.value).replace("\\", "") for e in at.error]
    assert shown, "no error shown"
    lines = [line for message in shown for line in message.split("  \n")]
    assert all(line.startswith(hostile.name) for line in lines), lines[:5]
    assert installation.counts() == before

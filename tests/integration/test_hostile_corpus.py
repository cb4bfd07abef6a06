"""The hostile-file corpus (``tests/hostile_files.py``) through every entry point that takes a file.

The command line (``validate``, ``score``, ``report``, ``import``) runs in a
child process under resource limits (address space and CPU seconds, set with
``setrlimit`` before it starts): a file that made it unpack gigabytes or
recurse without end would be killed by the limit and fail the test, where a
bounded reader answers with a located message.  The Administration page's
questionnaire upload runs in AppTest.  Each must give a located message,
exit 2 (or show the error), and write nothing.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from b1mg_maturity.services import Services
from b1mg_maturity.settings import get_settings
from b1mg_maturity.storage.database import Database
from b1mg_maturity.storage.migrate import upgrade_to_head
from b1mg_maturity.storage.models import (
    AssessmentRound,
    AuditEntry,
    Consensus,
    QuestionnaireVersion,
    Rating,
    Target,
)
from b1mg_maturity.ui.context import SESSION_KEY
from tests import hostile_files
from tests.hostile_files import Hostile
from tests.integration.world import PASSWORD, build_world

CLI = Path(sys.executable).parent / "b1mg-maturity"
APP = Path(__file__).resolve().parents[2] / "app.py"
MEMORY_LIMIT = 1536 * 1024 * 1024  # address space of the child: far below what the bombs used to take
CPU_SECONDS = 120
COUNTED = (AssessmentRound, Rating, Consensus, Target, QuestionnaireVersion, AuditEntry)


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MALLOC_ARENA_MAX": "2"}
    return subprocess.run(
        [str(CLI), *args], capture_output=True, text=True, check=False, preexec_fn=_limits, env=env, timeout=600
    )


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
def installation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installation]:
    url = f"sqlite:///{tmp_path_factory.mktemp('corpus') / 'db.sqlite3'}"
    upgrade_to_head(url)
    services = Services(Database(url))
    world = build_world(services)
    services.db.dispose()
    yield Installation(url, world.rounds["DE"], world.id("admin"))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("hostile")
    return {hostile.name: hostile_files.write(folder, hostile) for hostile in hostile_files.ALL}


def _assert_refused(done: subprocess.CompletedProcess[str], path: Path, hostile: Hostile) -> None:
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


# --- the Administration page's questionnaire upload --------------------------------------------


@pytest.fixture
def admin_page(installation: Installation) -> Iterator[AppTest]:
    saved = os.environ.get("B1MG_DATABASE_URL")
    os.environ["B1MG_DATABASE_URL"] = installation.url
    get_settings.cache_clear()
    st.cache_resource.clear()
    services = Services(Database(installation.url))
    session = services.start_session(services.sign_in("admin", PASSWORD))
    services.db.dispose()
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.session_state[SESSION_KEY] = session
    at._page_hash = calc_hash("admin")
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    yield at
    if saved is None:
        os.environ.pop("B1MG_DATABASE_URL", None)
    else:
        os.environ["B1MG_DATABASE_URL"] = saved
    get_settings.cache_clear()
    st.cache_resource.clear()


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

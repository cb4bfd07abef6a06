"""Importing the light parts of the package loads none of the heavy libraries.

Each import runs in a fresh interpreter (a test process has imported everything
already), and what it loaded is read from ``sys.modules``.  The command line
answers ``--help`` fast because of this, and a notebook can score without
WeasyPrint, plotly, pandas or streamlit installed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("weasyprint", "plotly", "pandas", "streamlit", "jinja2", "kaleido", "openpyxl")


_WATCH = """
import json, sys, traceback
WATCHED = {watched!r}
FIRST = {{}}

class Watch:
    def find_spec(self, name, path, target=None):
        if name in WATCHED and name not in FIRST:
            FIRST[name] = [f"{{f.filename}}:{{f.lineno}}" for f in traceback.extract_stack() if "b1mg_maturity" in f.filename]
        return None

sys.meta_path.insert(0, Watch())
{statement}
print(json.dumps({{m: FIRST.get(m, []) for m in WATCHED if m in sys.modules}}))
"""


def loaded_by(statement: str, watched: tuple[str, ...]) -> dict[str, list[str]]:
    """Which of the watched modules ``statement`` loads, each with the project lines that imported it."""
    script = _WATCH.format(watched=watched, statement=statement)
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, list[str]] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize(
    "statement",
    [
        "import b1mg_maturity",
        "import b1mg_maturity.scoring",
        "import b1mg_maturity.questionnaire",
        "import b1mg_maturity.report",
        "from b1mg_maturity.questionnaire import load_bundled; load_bundled()",
    ],
)
def test_the_core_imports_no_report_chart_or_web_machinery(statement: str) -> None:
    assert loaded_by(statement, HEAVY) == {}


def test_the_command_line_loads_no_database_or_questionnaire_machinery_to_show_its_help() -> None:
    assert loaded_by("import b1mg_maturity.cli", (*HEAVY, "sqlalchemy", "pydantic", "yaml")) == {}


def test_the_app_shell_and_the_sign_in_page_load_no_tables_or_report_machinery() -> None:
    """Each page's module is imported when the page runs (plotly is left out: streamlit itself imports it)."""
    shell = "import b1mg_maturity.ui.navigation, b1mg_maturity.ui.sign_in"
    assert loaded_by(shell, ("pandas", "weasyprint", "jinja2", "kaleido", "openpyxl")) == {}

"""Importing the light parts of the package loads none of the heavy libraries.

Each import runs in a fresh interpreter (a test process has imported everything
already), and what it loaded is read from ``sys.modules``.  The command line
answers ``--help`` fast because of this, a notebook can score without
WeasyPrint, plotly, pandas or streamlit installed, and the sign-in form is
drawn without any of the libraries the other pages need.
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
BLOCKED = {blocked!r}
FIRST = {{}}

def ours(filename):
    return "b1mg_maturity" in filename or filename.endswith("/app.py")

class Watch:
    def find_spec(self, name, path, target=None):
        stack = traceback.extract_stack()[:-1]
        project = [f"{{f.filename}}:{{f.lineno}}" for f in stack if ours(f.filename)]
        if name in BLOCKED:
            importer = [f.filename for f in stack if not f.filename.startswith("<frozen") and "importlib" not in f.filename]
            if importer and ours(importer[-1]):
                FIRST.setdefault(name, project)
            raise ImportError(f"{{name}} is blocked by this test")
        if name in WATCHED and name not in FIRST:
            FIRST[name] = project
        return None

sys.meta_path.insert(0, Watch())
{statement}
loaded = {{m: FIRST.get(m, []) for m in WATCHED if m in sys.modules}}
loaded.update({{m: FIRST[m] for m in BLOCKED if m in FIRST}})
print(json.dumps(loaded))
"""


def loaded_by(statement: str, watched: tuple[str, ...], blocked: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """Which of the watched modules ``statement`` loads, each with the project lines that imported it.

    ``blocked`` modules cannot be imported at all; they are reported when project code itself tried to
    (not a library it imported).  For libraries that Streamlit imports by itself when they are installed
    (plotly), and does without.
    """
    script = _WATCH.format(watched=watched, blocked=blocked, statement=statement)
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


# What showing the sign-in form must not load.  Streamlit imports plotly by itself when it is installed
# and does without it, so plotly is blocked rather than watched: any attempt of the project's is seen.
SIGN_IN_WATCHED = ("pandas", "weasyprint", "jinja2", "kaleido", "openpyxl")
SIGN_IN_BLOCKED = ("plotly",)

_SIGN_IN_RUN = """
import os
os.environ["B1MG_DATABASE_URL"] = {url!r}
from streamlit.testing.v1 import AppTest
at = AppTest.from_file({app!r}, default_timeout=120)
at.run()
assert not at.exception, [e.message for e in at.exception]
assert [field.label for field in at.text_input] == ["Username", "Password"], at.text_input
"""


def test_the_modules_serve_loads_before_serving_hold_no_tables_charts_or_report_machinery() -> None:
    """What ``b1mg-maturity serve`` imports for the sign-in page (each other page imports its own when it runs)."""
    statement = "from b1mg_maturity.startup import import_sign_in_modules; import_sign_in_modules()"
    assert loaded_by(statement, SIGN_IN_WATCHED, SIGN_IN_BLOCKED) == {}


def test_a_session_showing_the_sign_in_form_loads_no_tables_charts_or_report_machinery(tmp_path: Path) -> None:
    """The whole script run of a first visit (served without ``serve``, so it also opens and migrates the
    database): the sign-in form is drawn, and nothing heavy was imported for it."""
    run = _SIGN_IN_RUN.format(url=f"sqlite:///{tmp_path / 'app.sqlite3'}", app=str(ROOT / "app.py"))
    assert loaded_by(run, SIGN_IN_WATCHED, SIGN_IN_BLOCKED) == {}

"""The command line: exit codes, located errors on stderr, JSON and table output, templates."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from b1mg_maturity.cli import app
from b1mg_maturity.questionnaire import BUNDLED_MLM, Questionnaire
from b1mg_maturity.scoring import Answer, score

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
runner = CliRunner()


def _three_mistakes(tmp_path: Path) -> Path:
    text = (
        (FIXTURES / "tiny.yaml")
        .read_text(encoding="utf-8")
        .replace("statement: Third alpha indicator.", "statment: Third alpha indicator.")
        .replace("- id: C.1.2", "- id: B.1.1")
        .replace("{1: e1, 2: e2, 3: e3, 4: e4, 5: e5}", "{1: e1, 2: e2, 3: e3, 5: e5}")
    )
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_validate_bundled_exits_zero() -> None:
    result = runner.invoke(app, ["validate", str(BUNDLED_MLM)])
    assert result.exit_code == 0, result.output
    assert "valid" in result.stdout


def test_validate_three_mistakes_prints_three_located_lines(tmp_path: Path) -> None:
    broken = _three_mistakes(tmp_path)
    # the installed console script, as a user runs it
    script = Path(sys.executable).parent / "b1mg-maturity"
    done = subprocess.run([str(script), "validate", str(broken)], capture_output=True, text=True, check=False)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 3, done.stderr
    for line in lines:
        assert re.match(rf"^{re.escape(str(broken))}:\d+:\d+: \S", line), line
    assert "Traceback" not in done.stderr


def test_validate_mixed_files(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(BUNDLED_MLM), str(_three_mistakes(tmp_path))])
    assert result.exit_code == 2


def test_score_json_matches_engine(tmp_path: Path, tiny: Questionnaire) -> None:
    answers = tmp_path / "a.csv"
    answers.write_text("indicator_id,level,target,evidence\nA.1.1,2,4,x\nB.1.1,4,5,\nC.1.1,NA,,\n", encoding="utf-8")
    result = runner.invoke(app, ["score", "-q", str(FIXTURES / "tiny.yaml"), "-a", str(answers), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    expected = score(
        tiny,
        {
            "A.1.1": Answer(level=2, target=4, evidence="x"),
            "B.1.1": Answer(level=4, target=5),
            "C.1.1": Answer(not_applicable=True),
        },
    )
    assert data == json.loads(json.dumps(expected.to_dict()))
    assert data["overall"]["score"] == 3.0


def test_score_table_and_median(tmp_path: Path) -> None:
    answers = tmp_path / "a.csv"
    answers.write_text("indicator_id,level,target\nA.1.1,2,4\nA.1.2,3,\n", encoding="utf-8")
    result = runner.invoke(
        app, ["score", "-q", str(FIXTURES / "tiny.yaml"), "-a", str(answers), "--aggregation", "median"]
    )
    assert result.exit_code == 0, result.output
    assert "2.50" in result.stdout and "Largest gaps" in result.stdout and "a3" in result.stdout


def test_score_bad_answers_names_row_and_column(tmp_path: Path) -> None:
    answers = tmp_path / "a.csv"
    answers.write_text("indicator_id,level\nD1.1.1,7\n", encoding="utf-8")
    result = runner.invoke(app, ["score", "-a", str(answers)])
    assert result.exit_code == 2
    assert f"{answers}: row 2, column level: '7' is not a level" in result.stderr
    assert "Traceback" not in result.output


def test_score_missing_file_is_a_message(tmp_path: Path) -> None:
    result = runner.invoke(app, ["score", "-a", str(tmp_path / "none.csv")])
    assert result.exit_code == 2
    assert "cannot read the file" in result.stderr


def test_template_csv_and_xlsx(tmp_path: Path, mlm: Questionnaire) -> None:
    for name in ("blank.csv", "blank.xlsx"):
        result = runner.invoke(app, ["template", "-o", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
        assert "49 indicators" in result.stdout
    rows = (tmp_path / "blank.csv").read_text(encoding="utf-8").splitlines()
    assert rows[0].startswith("indicator_id,level,target,evidence")
    result = runner.invoke(app, ["template", "-o", str(tmp_path / "blank.pdf")])
    assert result.exit_code == 2 and "must end in .csv or .xlsx" in result.stderr

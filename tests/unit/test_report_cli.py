"""``b1mg-maturity report`` on an answers file: no database, no browser (``--no-charts``)."""

from __future__ import annotations

import io
from pathlib import Path

from pypdf import PdfReader
from typer.testing import CliRunner

from b1mg_maturity.cli import app
from tests.conftest import FIXTURES

runner = CliRunner()
TINY = str(FIXTURES / "tiny.yaml")


def write_answers(path: Path) -> Path:
    path.write_text(
        "indicator_id,level,target,evidence\n"
        'A.1.1,2,4,"<img src=""file:///etc/passwd""> minutes"\n'
        "A.1.2,3,,\n"
        "A.2.1,NA,,\n"
        "B.1.1,4,5,\n",
        encoding="utf-8",
    )
    return path


def test_report_of_an_answers_file(tmp_path: Path) -> None:
    answers = write_answers(tmp_path / "answers.csv")
    output = tmp_path / "report.pdf"
    result = runner.invoke(
        app,
        ["report", "-q", TINY, "-a", str(answers), "-o", str(output), "--system", "Testland", "--date", "2026-03-01", "--no-charts"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "wrote" in result.stdout and "Testland" in result.stdout and "Draft" in result.stdout
    reader = PdfReader(io.BytesIO(output.read_bytes()))
    text = " ".join(page.extract_text() or "" for page in reader.pages)
    assert "Testland" in text and "1 March 2026" in text and "answers.csv" in text
    assert '<img src="file:///etc/passwd"> minutes' in text
    assert all("DRAFT" in (page.extract_text() or "") for page in reader.pages)


def test_published_status_leaves_out_the_watermark(tmp_path: Path) -> None:
    answers = write_answers(tmp_path / "answers.csv")
    output = tmp_path / "report.pdf"
    result = runner.invoke(
        app, ["report", "-q", TINY, "-a", str(answers), "-o", str(output), "--status", "published", "--no-charts"]
    )
    assert result.exit_code == 0, result.output
    assert not any("DRAFT" in (p.extract_text() or "") for p in PdfReader(io.BytesIO(output.read_bytes())).pages)


def test_bad_input_is_a_located_message_not_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "answers.csv"
    bad.write_text("indicator_id,level\nA.1.1,7\n", encoding="utf-8")
    result = runner.invoke(app, ["report", "-q", TINY, "-a", str(bad), "-o", str(tmp_path / "r.pdf")])
    assert result.exit_code == 2
    assert "row 2, column level" in result.stderr and "Traceback" not in result.output
    neither = runner.invoke(app, ["report", "-o", str(tmp_path / "r.pdf")])
    assert neither.exit_code == 2 and "exactly one of --round ID, --answers FILE or --all" in neither.stderr
    unwritable = runner.invoke(
        app, ["report", "-q", TINY, "-a", str(write_answers(tmp_path / "ok.csv")), "-o", str(tmp_path / "no" / "r.pdf"), "--no-charts"]
    )  # fmt: skip
    assert unwritable.exit_code == 2 and "cannot write" in unwritable.stderr

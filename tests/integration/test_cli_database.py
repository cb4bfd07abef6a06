"""The database commands of the CLI, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from typer.testing import CliRunner

from b1mg_maturity.cli import app
from b1mg_maturity.cli.database import OPERATOR_ID, operator_services

runner = CliRunner()


def _ok(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_users_and_systems(database_url: str) -> None:
    db = ["--database-url", database_url]
    _ok("users", "add", "root", "--role", "admin", "--password", "a-long-password", *db)
    _ok("systems", "add", "ee", *db)
    _ok("users", "add", "mari", "--role", "coordinator", "--system", "EE", "--password", "a-long-password", *db)
    _ok("users", "set-role", "mari", "expert", "--system", "EE", *db)
    _ok("users", "set-role", "mari", "analyst", *db)
    listing = _ok("users", "list", *db)
    assert "mari" in listing and "coordinator of EE" in listing and "analyst" in listing
    assert "Estonia" in _ok("systems", "list", *db)
    bad = runner.invoke(app, ["systems", "add", "QQ", *db])
    assert bad.exit_code == 2 and "not an ISO 3166-1 alpha-2 country code" in bad.stderr
    short = runner.invoke(app, ["users", "add", "x", "--password", "short", *db])
    assert short.exit_code == 2 and "at least 10 characters" in short.stderr
    missing = runner.invoke(app, ["users", "add", "y", "--role", "expert", "--password", "a-long-password", *db])
    assert missing.exit_code == 2 and "--system" in missing.output


def test_export_and_import_round(database_url: str, tmp_path: Path) -> None:
    db = ["--database-url", database_url]
    services = operator_services(database_url)
    services.add_health_system(OPERATOR_ID, "EE")
    round_id = services.open_round(OPERATOR_ID, "EE", "2026", dt.date(2026, 1, 1)).id
    services.set_consensus(OPERATOR_ID, round_id, "D1.1.1", level=3, rationale="minutes", expected_version=0)
    services.set_target(OPERATOR_ID, round_id, "D1.1.1", target=4, expected_version=0)
    assert "2026" in _ok("rounds", "list", *db)
    for name in ("round.json", "answers.csv", "answers.xlsx"):
        _ok("export", "--round", str(round_id), "-o", str(tmp_path / name), *db)
    _ok("export", "--round", str(round_id), "-o", str(tmp_path / "qr.json"), "--format", "fhir", *db)
    assert json.loads((tmp_path / "qr.json").read_text())["resourceType"] == "QuestionnaireResponse"
    assert "D1.1.1,3,4,minutes" in (tmp_path / "answers.csv").read_text()

    assert "imported round" in _ok("import", str(tmp_path / "round.json"), "--label", "restored", *db)
    second = services.open_round(OPERATOR_ID, "EE", "2027", dt.date(2027, 1, 1)).id
    assert "imported 1 indicators" in _ok("import", str(tmp_path / "answers.xlsx"), "--round", str(second), *db)
    assert services.consensus_of(OPERATOR_ID, second)["D1.1.1"].rationale == "minutes"

    (tmp_path / "bad.csv").write_text("indicator_id,level\nD1.1.1,9\n", encoding="utf-8")
    bad = runner.invoke(app, ["import", str(tmp_path / "bad.csv"), "--round", str(second), *db])
    assert bad.exit_code == 2 and "row 2, column level" in bad.stderr

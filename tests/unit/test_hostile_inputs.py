"""The hostile-file corpus through each reader: a located message naming the file, never a crash."""

from __future__ import annotations

from pathlib import Path

import pytest

from b1mg_maturity.errors import AnswersError, ImportFailed, QuestionnaireError
from b1mg_maturity.interchange.answers_file import read_answers
from b1mg_maturity.questionnaire import Questionnaire, load_questionnaire
from b1mg_maturity.services.round_transfer import parse_round_json
from tests import hostile_files
from tests.hostile_files import Hostile


def _ids(files: list[Hostile]) -> list[str]:
    return [f.name for f in files]


@pytest.mark.parametrize("hostile", hostile_files.YAML_FILES, ids=_ids(hostile_files.YAML_FILES))
def test_questionnaire_reader_refuses_hostile_yaml(hostile: Hostile, tmp_path: Path) -> None:
    path = hostile_files.write(tmp_path, hostile)
    with pytest.raises(QuestionnaireError) as caught:
        load_questionnaire(path)
    lines = caught.value.lines()
    assert any(hostile.expect in line for line in lines), lines
    assert all(line.startswith(str(path)) for line in lines), lines


@pytest.mark.parametrize(
    "hostile",
    hostile_files.XLSX_FILES + hostile_files.CSV_FILES,
    ids=_ids(hostile_files.XLSX_FILES + hostile_files.CSV_FILES),
)
def test_answers_reader_refuses_hostile_files(hostile: Hostile, tmp_path: Path, mlm: Questionnaire) -> None:
    path = hostile_files.write(tmp_path, hostile)
    with pytest.raises(AnswersError) as caught:
        read_answers(path, mlm)
    lines = caught.value.lines()
    assert any(hostile.expect in line for line in lines), lines
    assert all(line.startswith(str(path)) for line in lines), lines


@pytest.mark.parametrize("hostile", hostile_files.JSON_FILES, ids=_ids(hostile_files.JSON_FILES))
def test_round_reader_refuses_hostile_json(hostile: Hostile) -> None:
    with pytest.raises(ImportFailed) as caught:
        parse_round_json(hostile.make(), name=hostile.name)
    lines = caught.value.lines()
    assert any(hostile.expect in line for line in lines), lines
    assert all(line.startswith(hostile.name) for line in lines), lines


def test_duplicate_key_names_its_path() -> None:
    (duplicate,) = [f for f in hostile_files.JSON_FILES if f.name == "duplicate-status.json"]
    with pytest.raises(ImportFailed) as caught:
        parse_round_json(duplicate.make(), name="r.json")
    assert caught.value.lines() == [
        "r.json: round.status: the key 'status' appears more than once in this object; give each key once"
    ]


def test_deep_yaml_is_located_at_the_first_bracket_too_deep(tmp_path: Path) -> None:
    with pytest.raises(QuestionnaireError) as caught:
        load_questionnaire(b"id: x\nlevels: " + b"[" * 100 + b"]" * 100, name="q.yaml")
    assert caught.value.lines() == [
        "q.yaml:2:40: lists and mappings are nested more than 32 deep here; a questionnaire needs fewer than 10 levels"
    ]


def test_control_character_in_an_answers_cell_is_located(mlm: Questionnaire) -> None:
    from b1mg_maturity.interchange.answers_file import parse_answers_csv

    with pytest.raises(AnswersError) as caught:
        parse_answers_csv(b'indicator_id,level,evidence\nD1.1.1,3,"see \x1b[31mhere"\n', mlm, name="a.csv")
    assert caught.value.lines() == [
        "a.csv: row 2, column evidence: contains a control character U+001B (escape) at character 5; "
        "use text without control characters"
    ]


def test_a_legitimate_template_still_reads(tmp_path: Path, mlm: Questionnaire) -> None:
    from b1mg_maturity.interchange.answers_file import write_answers
    from b1mg_maturity.scoring import Answer

    path = tmp_path / "a.xlsx"
    write_answers(path, mlm, {"D1.1.1": Answer(level=3, evidence="line one\nline two\tand a tab")})
    assert read_answers(path, mlm)["D1.1.1"].evidence == "line one\nline two\tand a tab"

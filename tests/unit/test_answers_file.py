"""Answers files: blank templates, round trips, and located errors for every kind of bad file."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from b1mg_maturity.errors import AnswersError
from b1mg_maturity.interchange.answers_file import (
    TEMPLATE_COLUMNS,
    answers_csv_bytes,
    parse_answers_csv,
    parse_answers_xlsx,
    read_answers,
    write_answers,
)
from b1mg_maturity.interchange.spreadsheet_safety import neutralise, restore
from b1mg_maturity.questionnaire import Questionnaire
from b1mg_maturity.scoring import Answer

FILLED = {
    "A.1.1": Answer(level=2, target=4, evidence="National plan 2024, section 3"),
    "A.2.1": Answer(not_applicable=True),
    "B.1.1": Answer(level=5, evidence='=HYPERLINK("http://evil.example","click")'),
    "C.1.1": Answer(target=3, evidence="-- dashes first\nand a second line, with a comma"),
}


def _errors(raw: bytes, q: Questionnaire) -> list[str]:
    with pytest.raises(AnswersError) as caught:
        parse_answers_csv(raw, q, name="a.csv")
    return caught.value.lines()


def test_blank_template_lists_every_indicator_in_order(mlm: Questionnaire) -> None:
    text = answers_csv_bytes(mlm).decode("utf-8")
    lines = text.splitlines()
    assert lines[0] == ",".join(TEMPLATE_COLUMNS)
    assert len(lines) >= 50
    ids = [row.split(",")[0] for row in lines[1:] if row.startswith("D")]
    assert ids == [i.id for i in mlm.indicators]
    assert parse_answers_csv(text.encode(), mlm) == {}


def test_csv_round_trip_keeps_every_answer(tiny: Questionnaire) -> None:
    raw = answers_csv_bytes(tiny, FILLED)
    assert b"'=HYPERLINK" in raw and b"'-- dashes" in raw  # formulas neutralised in the file
    assert parse_answers_csv(raw, tiny) == FILLED


def test_xlsx_round_trip_and_dropdowns(tiny: Questionnaire, tmp_path: Path) -> None:
    path = tmp_path / "answers.xlsx"
    write_answers(path, tiny, FILLED)
    assert read_answers(path, tiny) == FILLED
    workbook = load_workbook(path)
    sheet = workbook["answers"]
    assert [c.value for c in sheet[1]] == list(TEMPLATE_COLUMNS)
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    formulas = sorted(dv.formula1 for dv in sheet.data_validations.dataValidation)
    assert formulas == ['"1,2,3,4,5"', '"1,2,3,4,5,NA"']
    assert workbook["levels"].max_row == 1 + len(tiny.indicators)


def test_bom_and_blank_lines_are_accepted(tiny: Questionnaire) -> None:
    raw = b"\xef\xbb\xbfindicator_id,level,target,evidence\r\n\r\nA.1.1,3,,\r\n"
    assert parse_answers_csv(raw, tiny) == {"A.1.1": Answer(level=3)}


def test_only_contract_columns_and_any_order(tiny: Questionnaire) -> None:
    raw = b"level,indicator_id\nna,A.1.1\n4,B.1.1\n"
    assert parse_answers_csv(raw, tiny) == {"A.1.1": Answer(not_applicable=True), "B.1.1": Answer(level=4)}


def test_unknown_id_level_7_and_duplicate_are_all_reported(tiny: Questionnaire) -> None:
    raw = b"indicator_id,level,target,evidence\nA.1.1,3,,\nA.1.9,2,,\nB.1.1,7,,\nA.1.1,2,,\nC.1.1,2,six,\n"
    assert _errors(raw, tiny) == [
        "a.csv: row 3, column indicator_id: unknown indicator 'A.1.9' (did you mean 'A.1.2'?) in questionnaire tiny",
        "a.csv: row 4, column level: '7' is not a level; expected 1-5, NA, or empty",
        "a.csv: row 5, column indicator_id: indicator 'A.1.1' already appears in row 2; give each indicator one row",
        "a.csv: row 6, column target: 'six' is not a target level; expected 1-5 or empty",
    ]


def test_missing_and_unknown_columns(tiny: Questionnaire) -> None:
    errors = _errors(b"indicator_id,levl\nA.1.1,3\n", tiny)
    assert "a.csv: row 1, column 2: unknown column 'levl' (did you mean 'level'?)" in errors[0]
    assert any("missing column 'level'" in e for e in errors)


def test_semicolon_separated_file_is_explained(tiny: Questionnaire) -> None:
    errors = _errors(b"indicator_id;level;target;evidence\nA.1.1;3;;\n", tiny)
    assert errors == [
        "a.csv: row 1: the columns are separated by ';' but this file must be comma-separated; "
        "save it as 'CSV UTF-8 (comma delimited)' or use the .xlsx template"
    ]


def test_not_utf8_empty_and_ragged(tiny: Questionnaire) -> None:
    assert "not UTF-8" in _errors(b"indicator_id,level\nA.1.1,3,caf\xe9\n", tiny)[0]
    assert "row 2" in _errors(b"indicator_id,level\nA.1.1,3,caf\xe9\n", tiny)[0]
    assert "empty" in _errors(b"", tiny)[0]
    assert _errors(b"indicator_id,level\nA.1.1,3,extra\n", tiny) == [
        "a.csv: row 2: this row has more cells than the header has columns"
    ]


def test_bad_xlsx_and_unknown_extension(tiny: Questionnaire, tmp_path: Path) -> None:
    with pytest.raises(AnswersError, match="workbook"):
        parse_answers_xlsx(b"not a zip", tiny)
    other = tmp_path / "answers.ods"
    other.write_bytes(b"x")
    with pytest.raises(AnswersError) as caught:
        read_answers(other, tiny)
    assert "expected a .csv or .xlsx" in caught.value.lines()[0]


def test_xlsx_with_numbers_typed_by_a_person(tiny: Questionnaire) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["indicator_id", "level", "target"])
    sheet.append(["A.1.1", 3, 4.0])
    sheet.append(["B.1.1", 2.5, None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(AnswersError) as caught:
        parse_answers_xlsx(buffer.getvalue(), tiny, name="a.xlsx")
    assert caught.value.lines() == ["a.xlsx: row 3, column level: '2.5' is not a level; expected 1-5, NA, or empty"]


@pytest.mark.parametrize("text", ["=1+1", "+33 1 23", "-5", "@SUM(A1)", "\tTab", "plain", "'quoted", ""])
def test_neutralise_round_trip(text: str) -> None:
    safe = neutralise(text)
    assert not safe.startswith(("=", "+", "-", "@", "\t"))
    assert restore(safe) == text

"""The answers file (CSV or XLSX): one row per indicator.

Contract columns: ``indicator_id``, ``level`` (a level of the scale, ``NA`` for
not applicable, empty for not yet answered), ``target`` (a level or empty),
``evidence``.  The blank template adds ``domain`` and ``statement`` so that a
team can fill it in offline; the reader accepts and ignores them.

Reading is all or nothing: every bad row is reported with its row number (the
header is row 1, as a spreadsheet shows it) and column, and nothing is
returned unless the whole file is valid.

Reading is bounded, whatever the file claims: at most ``MAX_FILE_BYTES`` on
disk; an XLSX file (a zip archive) is checked before it is opened, from its
table of contents (how many parts, how large each unpacks, at most
``MAX_XLSX_UNPACKED_BYTES`` in all) and from the sheet's declared size (at
most ``MAX_ROWS`` rows and ``MAX_COLUMNS`` columns); rows are then streamed
and counted, never all padded out to a claimed size.  A few kilobytes of zip
can otherwise claim a sheet of a million rows by sixteen thousand columns, or
a string of hundreds of megabytes.
"""

from __future__ import annotations

import csv
import difflib
import io
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from b1mg_maturity import i18n
from b1mg_maturity.errors import AnswersError, Problem
from b1mg_maturity.i18n import _, _n
from b1mg_maturity.interchange.spreadsheet_safety import neutralise, restore
from b1mg_maturity.questionnaire import Questionnaire
from b1mg_maturity.scoring import NOT_APPLICABLE, Answer
from b1mg_maturity.text_rules import control_problem

REQUIRED_COLUMNS = ("indicator_id", "level")
CONTRACT_COLUMNS = ("indicator_id", "level", "target", "evidence")
INFORMATION_COLUMNS = ("domain", "statement")
TEMPLATE_COLUMNS = CONTRACT_COLUMNS + INFORMATION_COLUMNS
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_EVIDENCE_CHARS = 20_000
SHEET_NAME = "answers"
MAX_ROWS = 5_000  # rows with something in them; a questionnaire has a few hundred indicators at most
MAX_SCANNED_ROWS = 100_000  # rows read in all, empty ones included (spreadsheets write empty formatted rows)
MAX_COLUMNS = 50
MAX_XLSX_UNPACKED_BYTES = 25 * 1024 * 1024
MAX_XLSX_PARTS = 500

Row = tuple[int, dict[str, str]]


# --- reading -----------------------------------------------------------------------------------


def read_answers(path: Path | str, questionnaire: Questionnaire) -> dict[str, Answer]:
    """Read a CSV or XLSX answers file; the kind is told by the file name's ending."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise AnswersError(
                "file too large",
                (
                    Problem(
                        str(path),
                        _(
                            "the file is {size} bytes; at most {limit} are accepted",
                            size=i18n.integer(size),
                            limit=i18n.integer(MAX_FILE_BYTES),
                        ),
                    ),
                ),
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise AnswersError(
            "cannot read", (Problem(str(path), _("cannot read the file: {reason}", reason=exc.strerror or exc)),)
        ) from None
    if path.suffix.lower() == ".xlsx":
        return parse_answers_xlsx(raw, questionnaire, name=str(path))
    if path.suffix.lower() in (".csv", ".txt"):
        return parse_answers_csv(raw, questionnaire, name=str(path))
    raise AnswersError(
        "unknown kind",
        (Problem(str(path), _("expected a .csv or .xlsx answers file")),),
    )


def parse_answers_csv(raw: bytes, questionnaire: Questionnaire, name: str = "answers.csv") -> dict[str, Answer]:
    if raw.startswith(b"\xef\xbb\xbf"):  # Excel's "CSV UTF-8" writes a byte-order mark: harmless, skip it.
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise AnswersError(
            "not UTF-8",
            (
                Problem(
                    _at_row(name, line),
                    _("the file is not UTF-8 text; save it as 'CSV UTF-8 (comma delimited)'"),
                ),
            ),
        ) from None
    if not text.strip():
        raise AnswersError("empty", (Problem(_at_row(name, 1), _("the file is empty; expected a header row")),))
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        rows = _bounded_rows(name, ([str(c) for c in row[: MAX_COLUMNS + 1]] for row in reader))
    except csv.Error as exc:
        raise AnswersError(
            "malformed CSV", (Problem(_at_row(name, reader.line_num), _("malformed CSV: {error}", error=exc)),)
        ) from None
    header = rows[0]
    if len(header) == 1 and ";" in header[0]:
        raise AnswersError(
            "semicolon-separated",
            (
                Problem(
                    _at_row(name, 1),
                    _(
                        "the columns are separated by ';' but this file must be comma-separated; save it as "
                        "'CSV UTF-8 (comma delimited)' or use the .xlsx template"
                    ),
                ),
            ),
        )
    return _parse_rows(name, header, enumerate(rows[1:], start=2), questionnaire)


def _bounded_rows(name: str, rows: Iterable[list[str]]) -> list[list[str]]:
    """The rows, read one at a time: refused past ``MAX_ROWS`` rows with content or ``MAX_SCANNED_ROWS`` in all."""
    kept: list[list[str]] = []
    filled = 0
    for scanned, row in enumerate(rows, start=1):
        if scanned > MAX_SCANNED_ROWS:
            raise AnswersError(
                "too many rows",
                (
                    Problem(
                        _at_row(name, scanned),
                        _(
                            "the sheet goes on past row {last}; an answers file has one row per indicator "
                            "(use the template: b1mg-maturity template)",
                            last=i18n.integer(MAX_SCANNED_ROWS),
                        ),
                    ),
                ),
            )
        if any(cell.strip() for cell in row):
            filled += 1
            if filled > MAX_ROWS:
                raise AnswersError(
                    "too many rows",
                    (
                        Problem(
                            _at_row(name, scanned),
                            _(
                                "more than {limit} rows are filled in; an answers file has one row per indicator "
                                "(use the template: b1mg-maturity template)",
                                limit=i18n.integer(MAX_ROWS),
                            ),
                        ),
                    ),
                )
        kept.append(row)
    return kept


def _at_row(name: str, row: int) -> str:
    """A problem's place: ``answers.csv: row 4``."""
    return _("{file}: row {row}", file=name, row=row)


def _at_cell(name: str, row: int, column: str | int) -> str:
    """A problem's place: ``answers.csv: row 4, column level`` (the column by its name in the file, or number)."""
    return _("{file}: row {row}, column {column}", file=name, row=row, column=column)


def _not_a_workbook(name: str, exc: BaseException) -> AnswersError:
    return AnswersError(
        "not a workbook",
        (Problem(name, _("not a readable .xlsx workbook ({error})", error=type(exc).__name__)),),
    )


def _check_xlsx_archive(raw: bytes, name: str) -> None:
    """Refuse a zip whose table of contents promises too much, before anything is unpacked."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise _not_a_workbook(name, exc) from None
    if len(parts) > MAX_XLSX_PARTS:
        raise AnswersError(
            "too many parts",
            (
                Problem(
                    name,
                    _(
                        "the workbook holds {parts} parts; an .xlsx answers file has at most {limit}",
                        parts=i18n.integer(len(parts)),
                        limit=i18n.integer(MAX_XLSX_PARTS),
                    ),
                ),
            ),
        )
    unpacked = sum(part.file_size for part in parts)
    if unpacked > MAX_XLSX_UNPACKED_BYTES:
        biggest = max(parts, key=lambda part: part.file_size)
        raise AnswersError(
            "too large unpacked",
            (
                Problem(
                    name,
                    _(
                        "the workbook unpacks to {size} bytes ({part}: {part_size}); "
                        "at most {limit} are accepted for an answers file",
                        size=i18n.integer(unpacked),
                        part=biggest.filename,
                        part_size=i18n.integer(biggest.file_size),
                        limit=i18n.integer(MAX_XLSX_UNPACKED_BYTES),
                    ),
                ),
            ),
        )


def _check_declared_size(sheet: Any, name: str) -> None:
    rows, columns = sheet.max_row or 0, sheet.max_column or 0
    if rows > MAX_SCANNED_ROWS or columns > MAX_COLUMNS:
        from openpyxl.utils import get_column_letter

        last = f"{get_column_letter(min(max(columns, 1), 18_278))}{rows}"
        raise AnswersError(
            "sheet too large",
            (
                Problem(
                    _("{file}: sheet {sheet}", file=name, sheet=sheet.title),
                    _(
                        "the sheet declares its cells reach {last} ({rows} rows, {columns} columns); "
                        "an answers file has at most {max_rows} rows and {max_columns} columns",
                        last=last,
                        rows=i18n.integer(rows),
                        columns=i18n.integer(columns),
                        max_rows=i18n.integer(MAX_ROWS),
                        max_columns=MAX_COLUMNS,
                    ),
                ),
            ),
        )


def parse_answers_xlsx(raw: bytes, questionnaire: Questionnaire, name: str = "answers.xlsx") -> dict[str, Answer]:
    from openpyxl import load_workbook

    _check_xlsx_archive(raw, name)
    try:
        workbook = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any failure to open an untrusted file is "not readable"
        raise _not_a_workbook(name, exc) from None
    try:
        if not workbook.sheetnames:
            raise AnswersError(
                "no sheet", (Problem(name, _("the workbook has no sheet; expected '{sheet}'", sheet=SHEET_NAME)),)
            )
        sheet = workbook[SHEET_NAME] if SHEET_NAME in workbook.sheetnames else workbook.worksheets[0]
        _check_declared_size(sheet, name)
        sheet.reset_dimensions()  # rows are counted as they come, not padded out to a declared size
        rows = ([_cell_text(c) for c in row] for row in sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS))
        values = _bounded_rows(name, rows)
    except AnswersError:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged part of an untrusted file
        raise _not_a_workbook(name, exc) from None
    finally:
        workbook.close()
    while values and not any(values[-1]):
        values.pop()
    if not values:
        raise AnswersError("empty", (Problem(_at_row(name, 1), _("the sheet is empty; expected a header row")),))
    header = values[0]
    while header and not header[-1]:
        header.pop()
    return _parse_rows(name, header, enumerate(values[1:], start=2), questionnaire)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _parse_rows(
    name: str, header: list[str], rows: Iterable[tuple[int, list[str]]], questionnaire: Questionnaire
) -> dict[str, Answer]:
    problems: list[Problem] = []
    columns = [h.strip().lower() for h in header]
    known = set(TEMPLATE_COLUMNS)
    for col_index, column in enumerate(columns, start=1):
        if column not in known:
            hint = difflib.get_close_matches(column, TEMPLATE_COLUMNS, n=1)
            words = {"column": header[col_index - 1], "expected": ", ".join(CONTRACT_COLUMNS)}
            problems.append(
                Problem(
                    _at_cell(name, 1, col_index),
                    _("unknown column '{column}' (did you mean '{hint}'?); expected {expected}", hint=hint[0], **words)
                    if hint
                    else _("unknown column '{column}'; expected {expected}", **words),
                )
            )
    for column in REQUIRED_COLUMNS:
        if column not in columns:
            problems.append(
                Problem(
                    _at_row(name, 1),
                    _(
                        "missing column '{column}'; the header must name {expected}",
                        column=column,
                        expected=", ".join(CONTRACT_COLUMNS),
                    ),
                )
            )
    duplicated = sorted({c for c in columns if c and columns.count(c) > 1})
    for column in duplicated:
        problems.append(Problem(_at_row(name, 1), _("column '{column}' appears more than once", column=column)))
    if problems:
        raise AnswersError(f"{name} cannot be imported", tuple(problems))

    answers: dict[str, Answer] = {}
    first_row: dict[str, int] = {}
    for row_number, cells in _records(columns, rows):
        answer, row_problems = _parse_record(name, row_number, cells, questionnaire, first_row)
        problems.extend(row_problems)
        if answer is not None and not row_problems and answer != Answer():
            answers[cells["indicator_id"].strip()] = answer  # a row left blank means "not yet answered"
    if problems:
        raise AnswersError(f"{name} cannot be imported ({len(problems)} problem(s))", tuple(problems))
    order = {ind.id: i for i, ind in enumerate(questionnaire.indicators)}
    return dict(sorted(answers.items(), key=lambda kv: order[kv[0]]))


def _records(columns: list[str], rows: Iterable[tuple[int, list[str]]]) -> Iterator[Row]:
    for row_number, cells in rows:
        if not any(str(c).strip() for c in cells):
            continue  # blank lines are not rows
        padded = list(cells) + [""] * (len(columns) - len(cells))
        record = {col: str(padded[i]) for i, col in enumerate(columns)}
        if len(cells) > len(columns) and any(str(c).strip() for c in cells[len(columns) :]):
            record["__overflow__"] = "yes"
        yield row_number, record


def _parse_record(
    name: str,
    row: int,
    cells: dict[str, str],
    questionnaire: Questionnaire,
    first_row: dict[str, int],
) -> tuple[Answer | None, list[Problem]]:
    def at(column: str) -> str:
        return _at_cell(name, row, column)

    problems: list[Problem] = []
    if "__overflow__" in cells:
        problems.append(Problem(_at_row(name, row), _("this row has more cells than the header has columns")))
    indicator_id = cells.get("indicator_id", "").strip()
    if not indicator_id:
        return None, [*problems, Problem(at("indicator_id"), _("the indicator id is empty"))]
    if not questionnaire.has_indicator(indicator_id):
        ids = [ind.id for ind in questionnaire.indicators]
        hint = difflib.get_close_matches(indicator_id, ids, n=1)
        words = {"indicator": indicator_id, "questionnaire": questionnaire.id}
        return None, [
            *problems,
            Problem(
                at("indicator_id"),
                _(
                    "unknown indicator '{indicator}' (did you mean '{hint}'?) in questionnaire {questionnaire}",
                    hint=hint[0],
                    **words,
                )
                if hint
                else _("unknown indicator '{indicator}' in questionnaire {questionnaire}", **words),
            ),
        ]
    if indicator_id in first_row:
        return None, [
            *problems,
            Problem(
                at("indicator_id"),
                _(
                    "indicator '{indicator}' already appears in row {row}; give each indicator one row",
                    indicator=indicator_id,
                    row=first_row[indicator_id],
                ),
            ),
        ]
    first_row[indicator_id] = row

    lowest, highest = questionnaire.min_level, questionnaire.max_level
    scale = f"{lowest}-{highest}"
    level: int | None = None
    not_applicable = False
    raw_level = cells.get("level", "").strip()
    if raw_level.upper() in (NOT_APPLICABLE, "N/A"):
        not_applicable = True
    elif raw_level:
        level = _level(raw_level, lowest, highest)
        if level is None:
            problems.append(
                Problem(
                    at("level"),
                    _("'{value}' is not a level; expected {scale}, NA, or empty", value=raw_level, scale=scale),
                )
            )
    target: int | None = None
    raw_target = cells.get("target", "").strip()
    if raw_target:
        target = _level(raw_target, lowest, highest)
        if target is None:
            problems.append(
                Problem(
                    at("target"),
                    _("'{value}' is not a target level; expected {scale} or empty", value=raw_target, scale=scale),
                )
            )
    for column, allow in (("indicator_id", ""), ("level", ""), ("target", ""), ("evidence", "\t\n\r")):
        problem = control_problem(cells.get(column, ""), at(column), allow=allow, what="text")
        if problem is not None:
            problems.append(problem)
    evidence = restore(cells.get("evidence", "").strip())
    if len(evidence) > MAX_EVIDENCE_CHARS:
        problems.append(
            Problem(
                at("evidence"),
                _n(
                    "the evidence is {n} character; at most {limit}",
                    "the evidence is {n} characters; at most {limit}",
                    len(evidence),
                    limit=i18n.integer(MAX_EVIDENCE_CHARS),
                ),
            )
        )
    if problems:
        return None, problems
    return Answer(level=level, not_applicable=not_applicable, target=target, evidence=evidence), []


def _level(text: str, lowest: int, highest: int) -> int | None:
    try:
        number = float(text)
    except ValueError:
        return None
    if not number.is_integer() or not lowest <= number <= highest:
        return None
    return int(number)


# --- writing -----------------------------------------------------------------------------------


def answer_rows(questionnaire: Questionnaire, answers: Mapping[str, Answer] | None = None) -> list[list[str]]:
    """Header and one row per indicator, in questionnaire order, text neutralised for spreadsheets."""
    answers = answers or {}
    rows = [list(TEMPLATE_COLUMNS)]
    for domain in questionnaire.domains:
        for indicator in domain.indicators:
            answer = answers.get(indicator.id, Answer())
            level = NOT_APPLICABLE if answer.not_applicable else "" if answer.level is None else str(answer.level)
            target = "" if answer.target is None else str(answer.target)
            rows.append(
                [
                    indicator.id,
                    level,
                    target,
                    neutralise(answer.evidence),
                    neutralise(domain.title),
                    neutralise(indicator.statement),
                ]
            )
    return rows


def answers_csv_bytes(questionnaire: Questionnaire, answers: Mapping[str, Answer] | None = None) -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows(answer_rows(questionnaire, answers))
    return buffer.getvalue().encode("utf-8")


def answers_xlsx_bytes(questionnaire: Questionnaire, answers: Mapping[str, Answer] | None = None) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = SHEET_NAME
    rows = answer_rows(questionnaire, answers)
    for row in rows:
        sheet.append(row)
    # Cells are written as text so that "3" stays "3" and neutralised text stays inert.
    for row_cells in sheet.iter_rows(min_row=2):
        for cell in row_cells:
            cell.data_type = "s"
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for cell in sheet[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1F4E79")
    sheet.freeze_panes = "B2"
    for letter, width in zip("ABCDEF", (12, 8, 8, 60, 32, 70), strict=True):
        sheet.column_dimensions[letter].width = width
    last = len(rows)
    scale = ",".join(str(level) for level in questionnaire.scale)
    level_rule = DataValidation(type="list", formula1=f'"{scale},{NOT_APPLICABLE}"', allow_blank=True)
    level_rule.error = _("Choose a level ({scale}), NA for not applicable, or leave empty.", scale=scale)
    target_rule = DataValidation(type="list", formula1=f'"{scale}"', allow_blank=True)
    target_rule.error = _("Choose a target level ({scale}) or leave empty.", scale=scale)
    for rule, column in ((level_rule, "B"), (target_rule, "C")):
        rule.showErrorMessage = True
        sheet.add_data_validation(rule)
        rule.add(f"{column}2:{column}{last}")
    _add_level_guide(workbook, questionnaire)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _add_level_guide(workbook: Any, questionnaire: Questionnaire) -> None:
    """A second sheet with every level description, so the file can be filled in offline."""
    from openpyxl.styles import Alignment, Font

    guide = workbook.create_sheet("levels")
    guide.append(["indicator_id", "statement", *[f"level {lv}" for lv in questionnaire.scale]])
    for indicator in questionnaire.indicators:
        guide.append(
            [
                indicator.id,
                neutralise(indicator.statement),
                *[neutralise(indicator.levels[lv]) for lv in questionnaire.scale],
            ]
        )
    for cell in guide[1]:
        cell.font = Font(bold=True)
    for row_cells in guide.iter_rows(min_row=2):
        for cell in row_cells:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    guide.column_dimensions["A"].width = 12
    for letter in "BCDEFG":
        guide.column_dimensions[letter].width = 40
    guide.freeze_panes = "C2"


def write_answers(path: Path | str, questionnaire: Questionnaire, answers: Mapping[str, Answer] | None = None) -> None:
    """Write answers (or the blank template when ``answers`` is empty) as .csv or .xlsx."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        data = answers_csv_bytes(questionnaire, answers)
    elif suffix == ".xlsx":
        data = answers_xlsx_bytes(questionnaire, answers)
    else:
        raise AnswersError("unknown kind", (Problem(str(path), _("the output must end in .csv or .xlsx")),))
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise AnswersError(
            "cannot write", (Problem(str(path), _("cannot write the file: {reason}", reason=exc.strerror or exc)),)
        ) from None

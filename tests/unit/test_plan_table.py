"""The plan as a table (CSV and XLSX): its columns, its cells, and no cell a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest

from b1mg_maturity.domain import ActionStatus
from b1mg_maturity.interchange.plan_table import plan_csv, plan_xlsx
from b1mg_maturity.planning import ActionOutcome, Aim, AimOutcome, AimState, PlanAction
from b1mg_maturity.questionnaire import Questionnaire
from b1mg_maturity.services.plans import PlanView
from b1mg_maturity.services.views import HealthSystemView

TODAY = dt.date(2026, 6, 1)
HEADER = [
    "Action",
    "Status",
    "Owner",
    "Start",
    "Due",
    "Overdue",
    "Indicators and levels aimed at",
    "Pillar",
    "Reached in the newer round",
    "Notes",
]


def _action(number: int, title: str, aims: tuple[Aim, ...], **fields: object) -> PlanAction:
    values: dict[str, object] = {
        "description": "",
        "owner_name": "",
        "owner_username": None,
        "start": None,
        "due": None,
        "status": ActionStatus.PLANNED,
        "drop_reason": "",
        "notes": "",
        "done_on": None,
        "version": 1,
    }
    values.update(fields)
    return PlanAction(id=number, health_system_id=7, title=title, aims=aims, **values)  # type: ignore[arg-type]


def _view(tiny: Questionnaire) -> PlanView:
    late = _action(
        1,
        "Write the consent policy",
        (Aim("C.1.1", 3), Aim("A.1.1", 4)),
        owner_name="Ann Ode",
        start=dt.date(2026, 1, 15),
        due=dt.date(2026, 5, 31),
        status=ActionStatus.IN_PROGRESS,
        notes="first draft\nsent round",
    )
    formula = _action(
        2,
        '=HYPERLINK("http://evil.example","click")',
        (Aim("B.1.1", 5),),
        owner_username="expert-de",
        notes="+1 from the board",
        status=ActionStatus.DONE,
        due=dt.date(2026, 3, 1),
        done_on=dt.date(2026, 2, 20),
    )
    unjudged = _action(3, "Train the staff", (Aim("A.2.1", 2),), status=ActionStatus.PROPOSED, due=dt.date(2026, 9, 1))
    judged = {
        1: ActionOutcome(
            late,
            (
                AimOutcome(Aim("C.1.1", 3), 3, AimState.REACHED),
                AimOutcome(Aim("A.1.1", 4), 2, AimState.NOT_YET),
            ),
        ),
        2: ActionOutcome(formula, (AimOutcome(Aim("B.1.1", 5), 5, AimState.REACHED),)),
    }
    return PlanView(
        health_system=HealthSystemView(7, "DE", "Germany", "country", False),
        actions=(late, formula, unjudged),
        questionnaire=tiny,
        assessed=None,
        previous=None,
        judged=None,
        gaps=(),
        outcomes=judged,
        since=None,
        today=TODAY,
        members=(("expert-de", "Eva Dietz"),),  # a member is shown by name, as on the page
        named_as_peer=False,
        may_manage=True,
        may_propose=True,
        may_set_peer_naming=True,
        editable=frozenset(),
    )


EXPECTED = [
    [
        "Write the consent policy",
        "In progress",
        "Ann Ode",
        "2026-01-15",
        "2026-05-31",
        "yes",
        "C.1.1 → 3; A.1.1 → 4",
        "ELSI",
        "not yet",
        "first draft\nsent round",
    ],
    [
        '\'=HYPERLINK("http://evil.example","click")',
        "Done",
        "Eva Dietz",
        "",
        "2026-03-01",
        "",
        "B.1.1 → 5",
        "Healthcare",
        "reached",
        "'+1 from the board",
    ],
    ["Train the staff", "Proposed", "", "", "2026-09-01", "", "A.2.1 → 2", "Healthcare", "", ""],
]


def test_csv_has_one_row_per_action_and_neutralised_formulas(tiny: Questionnaire) -> None:
    raw = plan_csv(_view(tiny))
    assert raw.startswith(b"\xef\xbb\xbf")  # a byte-order mark: spreadsheets read the accents and arrows
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == HEADER
    assert rows[1:] == EXPECTED


def test_xlsx_cells_with_dates_as_dates(tiny: Questionnaire) -> None:
    sheet = openpyxl.load_workbook(io.BytesIO(plan_xlsx(_view(tiny)))).active
    assert sheet is not None and sheet.title == "Plan"
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == HEADER
    first = rows[1]
    assert first[3] == dt.datetime(2026, 1, 15) and first[4] == dt.datetime(2026, 5, 31)
    assert first[:3] == ["Write the consent policy", "In progress", "Ann Ode"]
    assert first[5:] == ["yes", "C.1.1 → 3; A.1.1 → 4", "ELSI", "not yet", "first draft\nsent round"]
    assert rows[2][0] == '\'=HYPERLINK("http://evil.example","click")'
    assert rows[2][9] == "'+1 from the board"
    assert rows[3][3] is None and rows[3][8] is None  # no start, no newer round: empty cells
    assert not any(
        isinstance(cell.value, str) and cell.value.startswith("=") for row in sheet.iter_rows() for cell in row
    )


@pytest.mark.parametrize("write", [plan_csv, plan_xlsx])
def test_an_empty_plan_is_a_header_only(tiny: Questionnaire, write: object) -> None:
    view = _view(tiny)
    empty = PlanView(**{**view.__dict__, "actions": (), "outcomes": {}})
    raw = write(empty)  # type: ignore[operator]
    if write is plan_csv:
        assert raw.decode("utf-8-sig").splitlines() == [",".join(HEADER)]
    else:
        sheet = openpyxl.load_workbook(io.BytesIO(raw)).active
        assert sheet is not None
        assert [list(r) for r in sheet.iter_rows(values_only=True)] == [HEADER]

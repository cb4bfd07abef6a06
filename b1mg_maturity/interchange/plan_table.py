"""A health system's action plan as one table, downloadable as CSV or XLSX.

One definition of the table (:data:`COLUMNS`, :func:`plan_frame`) serves both
files.  The files go through :mod:`b1mg_maturity.interchange.table_export`:
UTF-8 CSV with a byte-order mark, an XLSX workbook of one sheet, and every
text that a spreadsheet would run as a formula (a title ``=HYPERLINK(...)``)
written as plain text.  Headers and words are in the reader's language; dates
are written as dates (``2026-05-31`` in the CSV, date cells in the XLSX), so
that a spreadsheet sorts and filters them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from b1mg_maturity.i18n import N_, _
from b1mg_maturity.interchange.table_export import table_csv, table_xlsx
from b1mg_maturity.planning import ActionOutcome, PlanAction, pillar_of

if TYPE_CHECKING:
    from b1mg_maturity.services.plans import PlanView

__all__ = ["COLUMNS", "plan_csv", "plan_frame", "plan_xlsx"]

# The table's columns, in order (headers translated when the table is made).
COLUMNS = (
    N_("Action"),
    N_("Status"),
    N_("Owner"),
    N_("Start"),
    N_("Due"),
    N_("Overdue"),
    N_("Indicators and levels aimed at"),
    N_("Pillar"),
    N_("Reached in the newer round"),
    N_("Notes"),
)


def plan_frame(view: PlanView) -> pd.DataFrame:
    """One row per action, in the plan's order (due date first)."""
    rows = [_row(view, action) for action in view.actions]
    return pd.DataFrame(rows, columns=[_(column) for column in COLUMNS], dtype=object)


def plan_csv(view: PlanView) -> bytes:
    """The plan as UTF-8 CSV (with a byte-order mark); no cell can run as a formula."""
    return table_csv(plan_frame(view))


def plan_xlsx(view: PlanView) -> bytes:
    """The plan as an XLSX workbook of one sheet; no cell can run as a formula."""
    return table_xlsx(plan_frame(view), _("Plan"))


def _row(view: PlanView, action: PlanAction) -> list[object]:
    return [
        action.title,
        action.status.label,
        view.owner_of(action),
        action.start,
        action.due,
        _("yes") if action.is_overdue(view.today) else "",
        "; ".join(_("{indicator} → {level}", indicator=aim.indicator_id, level=aim.level) for aim in action.aims),
        _pillar(view, action),
        _reached(view.outcomes.get(action.id)),
        action.notes,
    ]


def _pillar(view: PlanView, action: PlanAction) -> str:
    if view.questionnaire is None:
        return ""
    pillar = pillar_of(action, view.questionnaire)
    return "" if pillar is None else view.questionnaire.pillar(pillar).name


def _reached(judged: ActionOutcome | None) -> str:
    """Whether the newer round's levels reach what the action aims at; empty when no newer round judges it."""
    if judged is None:
        return ""
    return judged.state.label

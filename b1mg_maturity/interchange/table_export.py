"""Any table as CSV or XLSX, safe to open in a spreadsheet (text that would run as a formula is neutralised)."""

from __future__ import annotations

import io

import pandas as pd

from b1mg_maturity.interchange.spreadsheet_safety import neutralise

__all__ = ["table_csv", "table_xlsx"]


def _safe(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out.columns = [neutralise(str(c)) for c in out.columns]
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(lambda v: neutralise(v) if isinstance(v, str) else v)
    return out


def table_csv(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV (with a byte-order mark, so spreadsheet programs read the accents); formulas neutralised."""
    return _safe(frame).to_csv(index=False).encode("utf-8-sig")


def table_xlsx(frame: pd.DataFrame, sheet: str = "table") -> bytes:
    """An XLSX workbook with one sheet; text that a spreadsheet would run as a formula is neutralised."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        _safe(frame).to_excel(writer, index=False, sheet_name=sheet[:31] or "table")
    return buffer.getvalue()

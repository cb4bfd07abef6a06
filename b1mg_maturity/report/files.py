"""Where the report's template files are, and what its PDF is called (light: no WeasyPrint, no plotly)."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from pathlib import Path

from b1mg_maturity.report.model import ReportContext

REPORT_ASSETS = Path(__file__).resolve().parent.parent.parent / "reports"  # template, stylesheet, images


def report_file_name(context: ReportContext, suffix: str = ".pdf") -> str:
    """A safe file name: ``readiness-report-XA-round-2026.pdf``."""
    parts: Sequence[str] = [
        "readiness-report",
        context.round.health_system_code or context.round.health_system_name,
        context.round.label,
    ]
    text = "-".join(parts)
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    safe = "".join(c if c.isalnum() or c == "_" else "-" for c in ascii_text)
    while "--" in safe:
        safe = safe.replace("--", "-")
    return safe.strip("-")[:120] + suffix

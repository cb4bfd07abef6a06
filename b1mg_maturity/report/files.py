"""Where the report's template files are, and what its PDF is called (light: no WeasyPrint, no plotly)."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from b1mg_maturity.report.model import ReportContext

REPORT_ASSETS = Path(__file__).resolve().parent.parent.parent / "reports"  # template, stylesheet, images

MAX_STEM = 120


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def _slug(text: str, *, lower: bool) -> str:
    """Letters and digits joined by single hyphens: ``Spring review (draft)`` -> ``spring-review-draft``."""
    words = re.findall(r"[A-Za-z0-9]+", _ascii(text))
    slug = "-".join(words)
    return slug.lower() if lower else slug


def report_file_name(context: ReportContext, suffix: str = ".pdf") -> str:
    """The PDF's file name says the system and the round: ``XA-round-2026-readiness-report.pdf``.

    With a half year ``XA-round-2026-h1-readiness-report.pdf``; with a free label its slug follows the
    period: ``XA-round-2026-h1-spring-review-readiness-report.pdf``.  The system is its code, or the
    slug of its name when it has none.  The one name used by the Results page's download, the
    command line's ``report --all`` and the quick assessment.
    """
    info = context.round
    system = _slug(info.health_system_code or "", lower=False) or _slug(info.health_system_name, lower=False)
    parts = [system or "health-system", "round", info.round_period.slug]
    label = _slug(info.free_label, lower=True)
    if label:
        parts.append(label)
    stem = "-".join(parts)
    ending = "-readiness-report"
    if len(stem) + len(ending) > MAX_STEM:  # a long free label is cut at a word, never the system or period
        fixed = len("-".join(parts[:3]))
        cut = stem[: MAX_STEM - len(ending) + 1]
        stem = cut[: max(cut.rfind("-"), fixed)]
    return stem + ending + suffix


__all__ = ["REPORT_ASSETS", "report_file_name"]

"""The PDF readiness report: context (what it says), charts (kaleido SVG), rendering (Jinja2 + WeasyPrint).

The same :class:`ReportContext` feeds the PDF and the Results page: ``context_for_round(services,
user_id, round_id, min_group_size=...)`` (read in one snapshot by ``Services.report_inputs``,
permission checked; a viewer may have it) and ``render_pdf(context)`` for the download button;
its attributes (``overall``, ``pillars``, ``domains`` with their indicator rows,
``strongest``, ``weakest``, ``action_plan``, ``change``, ``benchmark``, ``key_messages``,
``methodology``) are what the page shows.

The names below are imported on first use: importing this package loads neither WeasyPrint,
plotly nor Jinja2 until a report is actually built or rendered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from b1mg_maturity.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from b1mg_maturity.report.context import DRAFT_WATERMARK, ReportContext, build_report_context, report_context_of
    from b1mg_maturity.report.figures import ChartExportError, stop_chart_server
    from b1mg_maturity.report.files import report_file_name
    from b1mg_maturity.report.inputs import IndicatorNotes, PeerMedians, PreviousRound, ReportInputs, RoundInfo
    from b1mg_maturity.report.render import (
        AssetRefused,
        ReportAssetFetcher,
        html_to_pdf,
        render_html,
        render_pdf,
        render_report,
    )
    from b1mg_maturity.report.rounds import context_for_round

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "context": ("DRAFT_WATERMARK", "ReportContext", "build_report_context", "report_context_of"),
        "inputs": ("IndicatorNotes", "PeerMedians", "PreviousRound", "ReportInputs", "RoundInfo"),
        "figures": ("ChartExportError", "stop_chart_server"),
        "render": (
            "AssetRefused",
            "ReportAssetFetcher",
            "html_to_pdf",
            "render_html",
            "render_pdf",
            "render_report",
        ),
        "files": ("report_file_name",),
        "rounds": ("context_for_round",),
    },
)


__all__ = [
    "DRAFT_WATERMARK",
    "AssetRefused",
    "ChartExportError",
    "IndicatorNotes",
    "PeerMedians",
    "PreviousRound",
    "ReportAssetFetcher",
    "ReportContext",
    "ReportInputs",
    "RoundInfo",
    "build_report_context",
    "context_for_round",
    "html_to_pdf",
    "render_html",
    "render_pdf",
    "render_report",
    "report_context_of",
    "report_file_name",
    "stop_chart_server",
]

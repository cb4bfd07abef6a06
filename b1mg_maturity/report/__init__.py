"""The PDF readiness report: context (what it says), charts (kaleido SVG), rendering (Jinja2 + WeasyPrint).

The same :class:`ReportContext` feeds the PDF and the Results page: ``context_for_round(services,
user_id, round_id)`` (permission checked; a viewer may have it) and ``render_pdf(context)`` for the
download button; its attributes (``overall``, ``pillars``, ``domains`` with their indicator rows,
``strongest``, ``weakest``, ``action_plan``, ``change``, ``benchmark``, ``key_messages``,
``methodology``) are what the page shows.
"""

from b1mg_maturity.report.context import (
    DRAFT_WATERMARK,
    IndicatorNotes,
    PeerMedians,
    PreviousRound,
    ReportContext,
    RoundInfo,
    build_report_context,
)
from b1mg_maturity.report.figures import ChartExportError, stop_chart_server
from b1mg_maturity.report.render import (
    AssetRefused,
    ReportAssetFetcher,
    html_to_pdf,
    render_html,
    render_pdf,
    render_report,
    report_file_name,
)
from b1mg_maturity.report.rounds import context_for_round
from b1mg_maturity.services import Services


def pdf_for_round(services: Services, actor_id: int, round_id: int) -> bytes:
    """The PDF report of a round as this user may see it (the permission check is in context_for_round)."""
    return render_pdf(context_for_round(services, actor_id, round_id))


__all__ = [
    "DRAFT_WATERMARK",
    "AssetRefused",
    "ChartExportError",
    "IndicatorNotes",
    "PeerMedians",
    "PreviousRound",
    "ReportAssetFetcher",
    "ReportContext",
    "RoundInfo",
    "build_report_context",
    "context_for_round",
    "html_to_pdf",
    "pdf_for_round",
    "render_html",
    "render_pdf",
    "render_report",
    "report_file_name",
    "stop_chart_server",
]

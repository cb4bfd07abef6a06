"""From report context to HTML (Jinja2, autoescaped) and to a tagged PDF (WeasyPrint, PDF/UA-1).

Safety: every user-supplied text (names, labels, evidence, rationale, links)
reaches the HTML through Jinja2's autoescaping, so it is shown as text and is
never markup.  On top of that the renderer's :class:`ReportAssetFetcher`
serves only the report's own files under ``reports/`` and refuses every
other URL: no file elsewhere, no network address, no data URI, nothing
relative that climbs out of ``reports/``, no symlink that points out of it.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import jinja2
import markupsafe
import plotly.graph_objects as go
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from b1mg_maturity import i18n
from b1mg_maturity.charts import describe, domain_radar, indicator_bars
from b1mg_maturity.charts.scorecard import SHORT_STATEMENT, fit_radar, short_statement
from b1mg_maturity.charts.style import FONT_SIZE
from b1mg_maturity.i18n import _
from b1mg_maturity.report.context import ReportContext, long_date
from b1mg_maturity.report.figures import ChartServer, SvgChart, export_svgs
from b1mg_maturity.report.files import REPORT_ASSETS, report_file_name
from b1mg_maturity.report.tagging import finish_tags

TEMPLATE = "report.html.j2"
STYLESHEET = "report.css"
PDF_VARIANT = "pdf/ua-1"
ASSET_SUFFIXES = frozenset({".css", ".svg", ".png"})
ASSET_TYPES = {".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png"}

# Charts in the PDF: drawn at these pixel sizes, then scaled to the page (the SVG keeps its viewBox).
PRINT_FONT = "Noto Sans, Liberation Sans, DejaVu Sans, sans-serif"
RADAR_WIDTH = 430  # shown 80 mm (226.8 pt) wide: 0.527 pt a pixel, so 18 px text prints at 9.5 pt
RADAR_CODE_SIZE = 19  # the spokes' codes
RADAR_LEGEND_SIZE = 18
BARS_WIDTH = 680  # shown 170 mm (481.9 pt) wide, the text column: 0.709 pt a pixel, so 13 px text prints at 9.2 pt
BARS_LABEL_WIDTH = SHORT_STATEMENT  # one line a label: the chart is as tall as its bars need
PRINT_CHAR_WIDTH = 0.57  # of the font size: Noto Sans's average character, with a little room

log = logging.getLogger(__name__)


# --- the fetcher ---------------------------------------------------------------------------------


class AssetRefused(ValueError):
    """The renderer asked for something other than the report's own assets."""


class ReportAssetFetcher(URLFetcher):  # type: ignore[misc]
    """A WeasyPrint URL fetcher that serves only the report's own files under ``reports/``.

    The charts are inline SVG, so the report needs no data URI either: those are refused too.
    Everything else raises :class:`AssetRefused` before anything is opened.
    ``requested`` records every URL WeasyPrint asked for, ``refused`` those refused.
    """

    def __init__(self, assets: Path = REPORT_ASSETS) -> None:
        super().__init__(timeout=1, allowed_protocols=("file",), allow_redirects=False)
        self.assets = assets.resolve()
        self.requested: list[str] = []
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> URLFetcherResponse:
        self.requested.append(url)
        try:
            return self._serve(url)
        except AssetRefused:
            self.refused.append(url)
            log.warning("report renderer refused to fetch %.200s", url)
            raise

    def _serve(self, url: str) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost") or parts.query:
            raise AssetRefused("the report fetches nothing but its own files")
        path = Path(url2pathname(unquote(parts.path))).resolve()
        if not path.is_relative_to(self.assets) or path.suffix.lower() not in ASSET_SUFFIXES or not path.is_file():
            raise AssetRefused("not one of the report's own files")
        return URLFetcherResponse(
            path.as_uri(), path.read_bytes(), headers={"Content-Type": ASSET_TYPES[path.suffix.lower()]}
        )


# --- templates -----------------------------------------------------------------------------------


def _number(value: float | None, digits: int = 1, missing: str = "–") -> str:
    return missing if value is None else i18n.number(value, digits)


def _fill(message: str, **fields: object) -> markupsafe.Markup:
    """A translated message (``_("... {mark} ...")`` without fields) filled with ``fields``, escaped: a field
    that is markup this package made (a macro's output) stays markup, the message's own text is escaped."""
    return markupsafe.escape(message).format(**fields)  # escape() gives Markup, whose format() escapes the rest


_CSS_PLAIN = frozenset(" .,:;()'·–-")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _css_string(text: str) -> str:
    """``text`` as a CSS string: letters, digits and plain punctuation as they are, anything else (quotes,
    backslashes, ``<``) as a hexadecimal escape, so that no message can end the string or the style element."""
    return '"' + "".join(c if c.isalnum() or c in _CSS_PLAIN else f"\\{ord(c):x} " for c in text) + '"'


def _css_content(message: str, **parts: str) -> markupsafe.Markup:
    """A translated message as the value of CSS ``content``: its text as strings, each ``{placeholder}`` as the
    CSS given for it (``counter(page)``, ``string(status)``), so that a translation may move them.  For the
    page margin boxes, whose texts the stylesheet cannot take from the catalogue."""
    pieces: list[str] = []
    position = 0
    for found in _PLACEHOLDER.finditer(message):
        if found.start() > position:
            pieces.append(_css_string(message[position : found.start()]))
        pieces.append(parts[found.group(1)])
        position = found.end()
    if position < len(message):
        pieces.append(_css_string(message[position:]))
    return markupsafe.Markup(" ".join(pieces))  # noqa: S704 - every text is a CSS string escaped above


def _running(text: str, limit: int) -> str:
    """``text`` cut at a word to at most ``limit`` characters, with an ellipsis: a running header stays one line."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut[limit // 2 :] else cut).rstrip(" ,;:·-") + "…"


def _environment(assets: Path = REPORT_ASSETS) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(assets)),
        autoescape=True,  # every value is escaped unless it is markup this package made
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # the messages in the language of the work at hand, looked up when the template renders
    env.globals.update({"_": i18n._, "_n": i18n._n, "_p": i18n._p})
    env.filters["fill"] = _fill
    env.filters["css_content"] = _css_content
    env.filters["long_date"] = long_date
    env.filters["date"] = i18n.date
    env.filters["number"] = _number
    env.filters["integer"] = i18n.integer
    env.filters["percent"] = i18n.percent
    env.filters["running"] = _running
    env.filters["short"] = short_statement
    return env


_environments: dict[Path, jinja2.Environment] = {}
_environment_lock = threading.Lock()


def environment(assets: Path = REPORT_ASSETS) -> jinja2.Environment:
    with _environment_lock:
        env = _environments.get(assets)
        if env is None:
            env = _environments[assets] = _environment(assets)
        return env


# --- charts --------------------------------------------------------------------------------------


def _for_print(fig: go.Figure) -> go.Figure:
    fig.update_layout(font={"family": PRINT_FONT}, hovermode=False)
    return fig


def report_figures(context: ReportContext) -> list[tuple[str, go.Figure, int, int]]:
    """The report's charts as ``(key, figure, width px, height px)``: ``radar``, then one per domain id."""
    benchmark = context.benchmark
    radar = domain_radar(
        context.card,
        context.questionnaire,
        benchmark=dict(benchmark.medians) if benchmark is not None else None,
        benchmark_label=benchmark.name if benchmark is not None else _("Median of peers"),
        key=False,  # printed at half the page width, beside the table that names the domains
    )
    codes = [str(label) for label in radar.data[-1].theta[:-1]]
    fit_radar(radar, codes, RADAR_CODE_SIZE, width=RADAR_WIDTH, legend_font_size=RADAR_LEGEND_SIZE)
    # no level digits along the slanted radial axis (turned, they print under 9 pt): the caption gives the scale
    radar.update_polars(radialaxis_showticklabels=False)
    figures = [("radar", _for_print(radar), RADAR_WIDTH, int(radar.layout.height))]
    for domain in context.domains:
        bars = _for_print(
            indicator_bars(
                context.card,
                context.questionnaire,
                domain.id,
                show_level_key=False,
                label_width=BARS_LABEL_WIDTH,
            )
        )
        # the labels' margin measured for Noto Sans (0.57 of the font size a character; the screen's estimate
        # is wider), so that the bars keep more of the width
        longest = max(len(label) for label in bars.data[0].y)
        bars.update_layout(margin_l=math.ceil(longest * FONT_SIZE * PRINT_CHAR_WIDTH) + 24, bargap=0.25)
        # the level inside its bar, upright and at the font's size (plotly would turn or shrink it)
        bars.update_traces(textangle=0, constraintext="none", selector={"name": _("Level")})
        figures.append((domain.id, bars, BARS_WIDTH, int(bars.layout.height)))
    return figures


def report_charts(context: ReportContext, server: ChartServer | None = None) -> dict[str, SvgChart]:
    figures = report_figures(context)
    exported = export_svgs([(fig, width, height) for _key, fig, width, height in figures], server)
    return {key: chart for (key, *_size), chart in zip(figures, exported, strict=True)}


# --- rendering -----------------------------------------------------------------------------------


@dataclass
class RenderResult:
    pdf: bytes
    html: str
    fetcher: ReportAssetFetcher
    timings: dict[str, float] = field(default_factory=dict)


def render_html(
    context: ReportContext,
    charts: Mapping[str, SvgChart] | None = None,
    *,
    assets: Path = REPORT_ASSETS,
) -> str:
    """The report as one HTML document (charts inline as SVG; without ``charts``, their text alternatives)."""
    charts = charts or {}
    with i18n.language(context.language):  # the template's texts in the language of the context's own
        texts = {key: chart.description for key, chart in charts.items()}
        if any(key not in charts for key in ("radar", *(d.id for d in context.domains))):
            texts = {key: describe(fig) for key, fig, _width, _height in report_figures(context)} | texts
        return (
            environment(assets)
            .get_template(TEMPLATE)
            .render(
                r=context,
                charts=charts,
                chart_texts=texts,
                stylesheet=STYLESHEET,
                now=dt.datetime.now(dt.UTC),
            )
        )


def html_to_pdf(
    html: str,
    *,
    assets: Path = REPORT_ASSETS,
    fetcher: ReportAssetFetcher | None = None,
) -> bytes:
    """WeasyPrint alone: the HTML to a tagged PDF/UA-1 document, fetching only the report's assets.

    The finisher (:func:`~b1mg_maturity.report.tagging.finish_tags`) closes what WeasyPrint's tagging
    leaves open: running headers, footers and the watermark as artifacts, header cells' scope, the id
    tree, links described in words."""
    fetcher = fetcher or ReportAssetFetcher(assets)
    document = HTML(string=html, base_url=assets.as_uri() + "/", url_fetcher=fetcher)
    pdf = document.write_pdf(pdf_variant=PDF_VARIANT, pdf_tags=True, optimize_images=False, finisher=finish_tags)
    assert isinstance(pdf, bytes)
    return pdf


def render_report(
    context: ReportContext,
    *,
    charts: bool = True,
    server: ChartServer | None = None,
    assets: Path = REPORT_ASSETS,
    fetcher: ReportAssetFetcher | None = None,
) -> RenderResult:
    """Charts, HTML and PDF of one report (``charts=False``: text alternatives instead of charts), in the
    language its context was made in (a worker process knows nothing else)."""
    from b1mg_maturity import i18n

    timings: dict[str, float] = {}
    with i18n.language(context.language):
        started = time.perf_counter()
        svgs = report_charts(context, server) if charts else {}
        timings["charts"] = time.perf_counter() - started
        started = time.perf_counter()
        html = render_html(context, svgs, assets=assets)
        timings["html"] = time.perf_counter() - started
        fetcher = fetcher or ReportAssetFetcher(assets)
        started = time.perf_counter()
        pdf = html_to_pdf(html, assets=assets, fetcher=fetcher)  # its link descriptions are words too
        timings["pdf"] = time.perf_counter() - started
    return RenderResult(pdf, html, fetcher, timings)


def render_pdf(context: ReportContext, *, charts: bool = True, server: ChartServer | None = None) -> bytes:
    """The readiness report of ``context`` as PDF bytes (the Results page's download button uses this)."""
    return render_report(context, charts=charts, server=server).pdf


__all__ = [
    "PDF_VARIANT",
    "REPORT_ASSETS",
    "AssetRefused",
    "RenderResult",
    "ReportAssetFetcher",
    "html_to_pdf",
    "render_html",
    "render_pdf",
    "render_report",
    "report_charts",
    "report_figures",
    "report_file_name",
]

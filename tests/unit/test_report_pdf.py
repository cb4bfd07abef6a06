"""The PDF readiness report: what it says (read back with pypdf), its structure, tagging, watermark and safety."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from pypdf import PdfReader

from b1mg_maturity.questionnaire import Questionnaire
from b1mg_maturity.report.context import IndicatorNotes, ReportContext, RoundInfo, build_report_context
from b1mg_maturity.report.figures import ChartExportError, ChartServer, chromium_path
from b1mg_maturity.report.render import (
    REPORT_ASSETS,
    AssetRefused,
    RenderResult,
    ReportAssetFetcher,
    render_html,
    render_report,
    report_charts,
)
from b1mg_maturity.scoring import Answer, ScoreCard, score
from tests.pdf_tree import struct_nodes

HOSTILE = (
    "<script>alert('x')</script>",
    '<img src="file:///etc/passwd">',
    '<img src="http://10.0.0.1/x">',
    '<div style="background: url(http://169.254.169.254/latest/meta-data)">css</div>',
    "<link rel=stylesheet href=../../pyproject.toml>",
)


def squash(text: str) -> str:
    """Text without whitespace or hyphens: line breaks and hyphenation of the PDF no longer matter."""
    return re.sub(r"[\s\-\u00ad\u2010\u2011]+", "", text)


def pages_text(pdf: bytes) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]


def hand_made_answers(questionnaire: Questionnaire) -> dict[str, Answer]:
    """Every level and gap occurs; every 11th indicator is not applicable, every 7th unanswered."""
    answers: dict[str, Answer] = {}
    for index, indicator in enumerate(questionnaire.indicators):
        if index % 11 == 10:
            answers[indicator.id] = Answer(not_applicable=True)
        elif index % 7 == 6:
            continue
        else:
            level = 1 + index % 5
            answers[indicator.id] = Answer(level=level, target=min(5, level + index % 3))
    return answers


def context_of(
    questionnaire: Questionnaire,
    answers: dict[str, Answer],
    status: str = "published",
    notes: dict[str, IndicatorNotes] | None = None,
    name: str = "Testland",
    label: str = "Round 2026",
) -> tuple[ReportContext, ScoreCard]:
    card = score(questionnaire, answers)
    context = build_report_context(
        questionnaire,
        card,
        RoundInfo(name, label, dt.date(2026, 3, 1), status, "XT"),
        basis_summary="consensus levels",
        notes=notes,
        generated_on=dt.date(2026, 3, 2),
    )
    return context, card


def need_chromium() -> None:
    path = chromium_path()
    if path is None or not Path(path).exists():
        reason = "Chromium not found (apt-get install chromium, or set B1MG_CHROMIUM): the charts cannot be drawn"
        if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
            pytest.fail(f"CI is set, so the chart test may not be skipped: {reason}", pytrace=False)
        pytest.skip(f"SKIPPED: {reason}")


@pytest.fixture(scope="module")
def chart_server() -> Iterator[ChartServer]:
    server = ChartServer()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def full(mlm: Questionnaire, chart_server: ChartServer) -> tuple[ReportContext, ScoreCard, RenderResult]:
    """The hand-made round's full report, charts included (one browser start for the module)."""
    need_chromium()
    context, card = context_of(mlm, hand_made_answers(mlm))
    return context, card, render_report(context, server=chart_server)


def test_pdf_states_the_scores_levels_and_next_steps_of_the_scoring_engine(
    full: tuple[ReportContext, ScoreCard, RenderResult], mlm: Questionnaire
) -> None:
    _, card, result = full
    text = squash(" ".join(pages_text(result.pdf)))
    assert card.overall.score is not None and card.overall.band is not None
    assert squash(f"{card.overall.score:.1f}") in text
    assert squash(f"Level {card.overall.band} · {mlm.level_label(card.overall.band)}") in text
    for group in (*card.pillars, *card.domains):
        assert group.score is not None and group.band is not None
        assert squash(f"{group.score:.1f}") in text
    assert card.priorities, "the hand-made round has gaps"
    for priority in card.priorities:
        assert priority.next_step is not None
        assert squash(priority.next_step) in text, priority.indicator_id
    for result_ in card.indicators:
        if result_.level is not None:
            assert squash(f"{result_.level} · {mlm.level_label(result_.level)}") in text


def test_the_brief_lists_the_parts_at_the_right_pages(full: tuple[ReportContext, ScoreCard, RenderResult]) -> None:
    """The brief's "In this report" gives each part's page; the domains follow in order within the results."""
    context, _, result = full
    pages = pages_text(result.pdf)
    count = len(pages)
    assert 10 <= count <= 30, count
    (listing,) = [number for number, text in enumerate(pages, start=1) if "In this report" in text]
    assert listing == 3  # the brief's second page
    titles = ["Results by domain", "Gaps and next steps", "Methodology"]  # no evidence here: no annex; no plan
    assert "Annex" not in pages[listing - 1]
    previous = 0
    for title in titles:
        match = re.search(re.escape(title) + r"[ .]*?(\d+)\s*$", pages[listing - 1], re.MULTILINE)
        assert match, f"{title!r} missing from the brief's list"
        page = int(match.group(1))
        assert previous < page <= count
        assert squash(title) in squash(pages[page - 1]), f"{title!r} is not on page {page}"
        previous = page
    results = squash(" ".join(pages[3:]))
    places = [results.find(squash(d.title)) for d in context.domains]
    assert -1 not in places and places == sorted(places)
    for number, text in enumerate(pages[1:], start=2):  # the cover has no footer
        assert f"Page {number} of {count}" in text


def test_pdf_is_tagged_with_title_language_and_chart_alternatives(
    full: tuple[ReportContext, ScoreCard, RenderResult],
) -> None:
    context, _, result = full
    reader = PdfReader(io.BytesIO(result.pdf))
    root: Any = reader.trailer["/Root"]
    assert root["/Lang"] == "en"
    assert bool(root["/MarkInfo"]["/Marked"])
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])
    assert "/StructTreeRoot" in root
    assert reader.metadata is not None and reader.metadata.title == context.title
    figures = [node.get("/Alt", "") for node in struct_nodes(root["/StructTreeRoot"]) if node.get("/S") == "/Figure"]
    assert len(figures) == 1 + len(context.domains)
    assert figures[0].startswith("Radar chart of the maturity scores of 8 domains")
    assert all(str(alt).startswith("Bar chart of the levels") for alt in figures[1:])
    assert result.fetcher.requested == [(REPORT_ASSETS / "report.css").as_uri()]


def test_the_chart_server_starts_one_browser_for_many_charts(
    full: tuple[ReportContext, ScoreCard, RenderResult], chart_server: ChartServer
) -> None:
    context, _, _ = full
    charts = report_charts(context, chart_server)  # a second report's charts: the same browser
    assert chart_server.starts == 1
    assert sorted(charts) == sorted(["radar", *(d.id for d in context.domains)])
    assert all(chart.svg.startswith("<svg") and "<title>" in chart.svg for chart in charts.values())


def uid_free(svg: str) -> str:
    """The SVG in canonical XML (attributes sorted) without plotly's random ids (``clip1a2b3c``).

    Plotly gives every export fresh random ids, and a page drawing its first legend may set the same
    attributes in another order: neither changes what the chart shows.
    """
    return re.sub(r"[0-9a-f]{6,}", "~", ElementTree.canonicalize(svg))


def test_the_kept_page_draws_each_chart_without_reloading_plotly_and_the_same_svg(
    full: tuple[ReportContext, ScoreCard, RenderResult], chart_server: ChartServer
) -> None:
    context, _, _ = full
    kept = report_charts(context, chart_server)
    kaleido = chart_server._kaleido  # the browser, to look at its page bookkeeping
    assert type(kaleido).__name__ == "KeptPageKaleido"
    assert sum(kaleido._charts_since_load.values()) >= 2 * len(kept)  # no tab reloaded
    stock = ChartServer(keep_page=False)  # kaleido's own behaviour: the page reloaded after every chart
    try:
        reloaded = report_charts(context, stock)
        assert type(stock._kaleido).__name__ == "Kaleido"
    finally:
        stock.stop()
    assert {key: uid_free(chart.svg) for key, chart in kept.items()} == {
        key: uid_free(chart.svg) for key, chart in reloaded.items()
    }


def test_a_chart_that_fails_is_a_plain_error_and_the_next_chart_gets_a_fresh_browser(
    full: tuple[ReportContext, ScoreCard, RenderResult],
) -> None:
    context, _, _ = full
    server = ChartServer()
    try:
        with pytest.raises(ChartExportError, match=r"^A chart could not be drawn \(KaleidoError: "):
            server.svgs([({"data": "not a list", "layout": {}}, 100, 100)])
        assert not server.running  # the page that failed is not used again
        assert sorted(report_charts(context, server)) == sorted(["radar", *(d.id for d in context.domains)])
        assert server.starts == 2
    finally:
        server.stop()


# --- without charts: cheap renders of the tiny questionnaire -------------------------------------


class RecordingFetcher(ReportAssetFetcher):
    """The project's fetcher, remembering every URL it is asked for."""


def test_hostile_text_is_printed_literally_and_nothing_is_fetched(tiny: Questionnaire) -> None:
    notes = {
        "A.1.1": IndicatorNotes(evidence=HOSTILE[:3], links=("http://10.0.0.1/admin",), rationale=HOSTILE[3]),
        "B.1.1": IndicatorNotes(evidence=(HOSTILE[4], "url(file:///etc/shadow)"), rationale="<b>bold?</b> & more"),
    }
    answers = {"A.1.1": Answer(level=2, target=4), "B.1.1": Answer(level=3)}
    context, _ = context_of(tiny, answers, notes=notes, name="<b>Evil</b> & Co", label="</title><img src=x>")
    fetcher = RecordingFetcher()
    result = render_report(context, charts=False, fetcher=fetcher)
    assert fetcher.requested == [(REPORT_ASSETS / "report.css").as_uri()]
    assert fetcher.refused == []
    text = squash(" ".join(pages_text(result.pdf)))
    for hostile in (
        *HOSTILE,
        "url(file:///etc/shadow)",
        "<b>bold?</b> & more",
        "<b>Evil</b> & Co",
        "</title><img src=x>",
    ):
        assert squash(hostile) in text, hostile
    assert "<script>" not in result.html and "&lt;script&gt;" in result.html
    assert '<img src="file' not in result.html


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/x",
        "https://example.org/style.css",
        (REPORT_ASSETS / "..").as_uri() + "/pyproject.toml",
        REPORT_ASSETS.as_uri() + "/../pyproject.toml",
        REPORT_ASSETS.as_uri() + "/report.html.j2",
        "data:image/svg+xml;base64,PHN2Zy8+",
        "file://otherhost" + str(REPORT_ASSETS / "report.css"),
        "ftp://example.org/x",
    ],
)
def test_fetcher_refuses_everything_but_the_report_assets(url: str) -> None:
    fetcher = ReportAssetFetcher()
    with pytest.raises(AssetRefused):
        fetcher.fetch(url)
    assert fetcher.refused == [url]


def test_fetcher_serves_the_stylesheet_and_refuses_a_symlink_out(tmp_path: Path) -> None:
    response = ReportAssetFetcher().fetch((REPORT_ASSETS / "report.css").as_uri())
    assert response.content_type == "text/css" and b"@page" in response.read()
    (tmp_path / "assets").mkdir()
    secret = tmp_path / "secret.css"
    secret.write_text("secret")
    (tmp_path / "assets" / "evil.css").symlink_to(secret)
    with pytest.raises(AssetRefused):
        ReportAssetFetcher(tmp_path / "assets").fetch((tmp_path / "assets" / "evil.css").as_uri())


def test_a_draft_is_watermarked_on_every_page_a_published_round_on_none(tiny: Questionnaire) -> None:
    answers = {"A.1.1": Answer(level=2, target=4), "B.1.1": Answer(level=3, target=4), "C.1.1": Answer(level=1)}
    draft, _ = context_of(tiny, answers, status="draft")
    published, _ = context_of(tiny, answers, status="published")
    draft_pages = pages_text(render_report(draft, charts=False).pdf)
    published_pages = pages_text(render_report(published, charts=False).pdf)
    assert len(draft_pages) >= 7
    assert all("DRAFT" in text for text in draft_pages)
    assert not any("DRAFT" in text for text in published_pages)


def test_without_charts_the_text_alternatives_stand_in(tiny: Questionnaire) -> None:
    context, _ = context_of(tiny, {"A.1.1": Answer(level=2, target=4)})
    html = render_html(context)
    assert "<svg" not in html
    # the radar and the bars of each domain with a rated indicator (a domain with none gets a sentence)
    assert html.count("Chart as text:") == 1 + sum(1 for d in context.domains if d.score.coverage.answered) == 2
    assert "Radar chart of the maturity scores of 3 domains" in html

"""The report's charts without a browser: the per-domain indicator bars, the print tweaks, the inline SVG."""

from __future__ import annotations

import datetime as dt

import pytest

from b1mg_maturity.charts import LEVEL_COLOURS, NOT_APPLICABLE_COLOUR, TARGET_COLOUR, describe, indicator_bars
from b1mg_maturity.charts.scorecard import indicator_labels, short_statement
from b1mg_maturity.questionnaire import Questionnaire
from b1mg_maturity.report.context import RoundInfo, build_report_context
from b1mg_maturity.report.figures import ChartExportError, chromium_path, inline_svg
from b1mg_maturity.report.render import report_figures
from b1mg_maturity.scoring import Answer, score

ANSWERS = {
    "A.1.1": Answer(level=2, target=4),
    "A.1.2": Answer(level=3),
    "A.2.1": Answer(not_applicable=True),
    "C.1.1": Answer(level=5, target=5),
}


def test_indicator_bars_hold_levels_colours_targets_and_missing_states(tiny: Questionnaire) -> None:
    fig = indicator_bars(score(tiny, ANSWERS), tiny, "A")
    bars = fig.data[0]
    assert list(bars.x) == [2, 3, None]
    assert list(bars.marker.color) == [LEVEL_COLOURS[2], LEVEL_COLOURS[3], NOT_APPLICABLE_COLOUR]
    # two indicators share "Alpha one": each named by its statement; "Alpha two" has one, named by it
    assert list(bars.y) == ["First alpha indicator", "Second alpha indicator, counts<br>double", "Alpha two"]
    target = next(t for t in fig.data if t.name == "Target")
    assert list(target.x) == [4, None, None] and target.marker.line.color == TARGET_COLOUR
    assert [a.text for a in fig.layout.annotations] == ["<i>not applicable</i>"]
    assert sum(1 for t in fig.data if t.legendgroup == "levels") == 5
    assert describe(fig) == (
        "Bar chart of the levels of the 3 indicators of domain I Alpha on a scale of 1 to 5: "
        "A.1.1 level 2 (Two, target 4); A.1.2 level 3 (Three); A.2.1 not applicable."
    )


def test_indicator_bars_without_key_or_targets_and_rows_sized_to_labels(tiny: Questionnaire) -> None:
    fig = indicator_bars(score(tiny, {"B.1.1": Answer(level=1)}), tiny, "B", show_level_key=False)
    assert [t.name for t in fig.data] == ["Level"]
    assert fig.layout.showlegend is False
    short = indicator_bars(score(tiny, ANSWERS), tiny, "A", label_width=40).layout.height
    tall = indicator_bars(score(tiny, ANSWERS), tiny, "A", label_width=4).layout.height
    assert tall > short


def test_a_short_statement_is_cut_at_a_word_and_says_so() -> None:
    assert short_statement("Genomic centres have been set up.") == "Genomic centres have been set up"
    text = "Norms are in place that protect personal data and make sure it is processed lawfully."
    assert short_statement(text, 30) == "Norms are in place that…"  # 24 characters and the ellipsis
    assert short_statement("Averyveryverylongsingleword and more", 12) == "Averyveryve…"


def test_bar_labels_name_each_indicator_and_never_repeat(mlm: Questionnaire) -> None:
    education = [mlm.indicator(f"D5.1.{n}").statement for n in (1, 2, 3)]
    labels = indicator_labels(education, ["Education"] * 3)
    # the same first 45 characters: the start and the end of each statement tell them apart
    assert labels == [
        "Genomics forms part of the standard university…",
        "Genomics forms part of … curricula for nurses",
        "Genomics forms part of … for pharmacists",
    ]
    assert indicator_labels(["Same.", "Same."], ["S", "S"]) == ["Same (1)", "Same (2)"]
    for domain in mlm.domains:
        names = [mlm.subdomain_of(i.id).name for i in domain.indicators]
        labels = indicator_labels([i.statement for i in domain.indicators], names)
        assert len(set(labels)) == len(labels), domain.id
        assert all(len(label) <= 48 for label in labels)
        assert not any(i.id in label for i, label in zip(domain.indicators, labels, strict=True))


def test_report_figures_are_the_radar_and_one_bar_chart_per_domain(tiny: Questionnaire) -> None:
    context = build_report_context(tiny, score(tiny, ANSWERS), RoundInfo("T", "R 1", dt.date(2026, 1, 1)))
    figures = report_figures(context)
    assert [key for key, *_ in figures] == ["radar", "A", "B", "C"]
    radar = figures[0][1]
    # in print the spokes carry the codes; a domain without score says so
    assert list(radar.data[-1].theta) == ["<b>I</b>", "<b>II</b><br><i>not rated</i>", "<b>III</b>", "<b>I</b>"]
    assert describe(radar).startswith("Radar chart of the maturity scores of 3 domains")
    assert all(width > 0 and height > 0 for _, _, width, height in figures)


def test_inline_svg_gets_an_escaped_title_and_accessible_name() -> None:
    svg = inline_svg(
        b'<svg class="main-svg" xmlns="http://www.w3.org/2000/svg" style="x" width="10"><g/></svg>', 'a < b & "c"'
    )
    assert svg.startswith(
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" role="img" aria-label="a &lt; b &amp; &quot;c&quot;" class="chart">'
    )
    assert '<title>a &lt; b &amp; "c"</title><g/></svg>' in svg
    with pytest.raises(ChartExportError):
        inline_svg(b"<html></html>", "x")


def test_chromium_is_found_from_the_environment_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("B1MG_CHROMIUM", "/opt/chrome/chrome")
    assert chromium_path() == "/opt/chrome/chrome"
    monkeypatch.delenv("B1MG_CHROMIUM")
    monkeypatch.setenv("BROWSER_PATH", "/usr/local/bin/chromium")
    assert chromium_path() == "/usr/local/bin/chromium"

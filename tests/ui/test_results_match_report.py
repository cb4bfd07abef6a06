"""The Results page and the PDF report show the same numbers: both render the one report context.

A round is rated by hand; the overall score, every domain score and the list
of gaps are computed here from those ratings (not by the code under test) and
must be what the Results page shows (AppTest) and what the PDF's HTML says.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from b1mg_maturity.cli.database import operator_services
from b1mg_maturity.questionnaire import BUNDLED_MLM, load_questionnaire
from b1mg_maturity.report.context import ReportContext
from b1mg_maturity.report.render import render_html
from b1mg_maturity.report.rounds import context_for_round
from b1mg_maturity.services import Services
from tests.apptest import app_database, open_app
from tests.integration.world import World, build_world

# (indicator, experts' levels, agreed level, target); the level that counts is the agreed one, else the
# lower median of the experts' levels.
RATED = [
    ("D1.1.1", (2, 3), None, 4),  # lower median 2, gap 2
    ("D1.2.1", (), 4, 5),  # consensus 4, gap 1
    ("D2.1.1", (3,), None, 3),  # 3, target met: no gap
    ("D3.1.1", (1,), None, 4),  # 1, gap 3
]
# Every indicator weighs 1 and every domain counts once: a domain's score is the mean of its levels,
# the overall score the mean of the rated domains' scores.
DOMAIN_SCORES = {"D1": (2 + 4) / 2, "D2": 3.0, "D3": 1.0}
OVERALL = (3.0 + 3.0 + 1.0) / 3
GAPS = [("D3.1.1", 3), ("D1.1.1", 2), ("D1.2.1", 1)]  # largest gap first


@pytest.fixture
def rated(tmp_path: Path) -> Iterator[tuple[str, World]]:
    url = f"sqlite:///{tmp_path / 'results.sqlite3'}"
    services = operator_services(url)
    world = build_world(services)
    round_id = world.rounds["DE"]
    experts = [world.id("expert-de"), world.id("expert2-de")]
    coordinator = world.id("coordinator-de")
    for indicator, levels, agreed, target in RATED:
        for expert, level in zip(experts, levels, strict=False):
            services.rate(expert, round_id, indicator, level=level, evidence="", expected_version=0)
        if agreed is not None:
            services.set_consensus(coordinator, round_id, indicator, level=agreed, rationale="", expected_version=0)
        services.set_target(coordinator, round_id, indicator, target=target, expected_version=0)
    try:
        yield url, world
    finally:
        services.db.dispose()


def _context(services: Services, world: World) -> ReportContext:
    return context_for_round(services, world.id("coordinator-de"), world.rounds["DE"], min_group_size=3)


def _pdf_numbers(page: str) -> tuple[str, dict[str, str], list[tuple[str, int]]]:
    """The overall score, the domain scores by name and the action plan's gaps, read from the report's HTML."""
    overall = re.search(
        r'<div class="tile tile-main">\s*<p class="tile-title">[^<]*</p>\s*<p class="tile-score">([^<]+)<', page
    )
    assert overall is not None
    table = re.search(r'<table class="domain-overview">(.*?)</table>', page, re.S)
    assert table is not None
    domains = {
        html.unescape(name): score
        for name, score in re.findall(
            r'<th scope="row">.*?</span>(?:<span class="code">[^<]*</span> )?([^<]+)</th>\s*'
            r'<td class="num strong">([^<]+)</td>',
            table.group(1),
            re.S,
        )
    }
    # the action plan names each indicator by its subdomain and its statement (cut short with "…"), then
    # "level → target"
    plan = re.search(r'<section class="action-plan".*?</section>', page, re.S)
    assert plan is not None
    actions = re.findall(
        r'<th scope="row"><span class="ind-sub">[^<]*</span>\s*([^<]+?)\s*</th>\s*'
        r'<td class="move"><span class="pill"[^>]*>(\d)<span.*?→ (\d)</td>',
        plan.group(0),
        re.S,
    )
    statements = {ind.statement: ind.id for ind in load_questionnaire(BUNDLED_MLM).indicators}

    def indicator(shown: str) -> str:
        start = html.unescape(shown).rstrip("…").strip()
        (found,) = [iid for statement, iid in statements.items() if statement.startswith(start)]
        return found

    gaps = [(indicator(text), int(target) - int(level)) for text, level, target in actions]
    return overall.group(1).strip(), domains, gaps


def test_results_page_and_pdf_show_the_hand_computed_scores_and_gaps(rated: tuple[str, World]) -> None:
    url, world = rated
    domains_of = load_questionnaire(BUNDLED_MLM).domains
    names = {d.id: d.name for d in domains_of}  # the PDF's table: the code apart, then the name
    titles = {d.id: d.title for d in domains_of}  # the page's table: numbered titles
    context = _context(world.services, world)

    # the context itself
    assert context.overall.score == pytest.approx(OVERALL)
    scored = {d.id: d.score.score for d in context.domains if d.score.score is not None}
    assert scored == pytest.approx(DOMAIN_SCORES)
    assert [(item.row.indicator_id, item.gap) for item in context.gaps] == GAPS
    # 4 of 49 answered: a partial assessment, which the page says before its numbers
    assert context.partial and context.partial_note.startswith("This is a partial assessment")

    # the PDF (its HTML: scores to one decimal)
    overall, domains, gaps = _pdf_numbers(render_html(context))
    assert overall == f"{OVERALL:.1f}"
    assert {k: v for k, v in domains.items() if v != "–"} == {
        names[d]: f"{score:.1f}" for d, score in DOMAIN_SCORES.items()
    }
    assert gaps == GAPS

    # the Results page (scores to two decimals)
    with app_database():
        at = open_app(url, "coordinator-de", "results", query={"round": str(world.rounds["DE"])})
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Overall score"] == f"{OVERALL:.2f}" and metrics["Maturity level"] == "Partial"
    assert next(w.value for w in at.warning).startswith("This is a partial assessment")
    table = at.dataframe[0].value
    shown = {row["Domain"]: row["Score"] for row in table.to_dict("records") if row["Score"] == row["Score"]}
    assert shown == pytest.approx({titles[d]: score for d, score in DOMAIN_SCORES.items()})
    listed = re.findall(r"\*\*(\d+)\. (D[\d.]+)\*\* .*?\(gap (\d+)\)", "\n".join(m.value for m in at.markdown), re.S)
    assert [(iid, int(gap)) for _, iid, gap in listed] == GAPS
    indicators = {row["Indicator"]: row for row in at.dataframe[-1].value.to_dict("records")}
    assert [indicators[iid]["Gap"] for iid, _ in GAPS] == [gap for _, gap in GAPS]
    assert (indicators["D1.1.1"]["Basis"], indicators["D1.2.1"]["Basis"]) == ("Experts' median", "Consensus")

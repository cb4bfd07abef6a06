"""Rate: an indicator's resources (from the questionnaire) are shown under its card as links; titles as text."""

from __future__ import annotations

import re
from pathlib import Path

from markdown_it import MarkdownIt

from b1mg_maturity.cli.database import OPERATOR_ID, operator_services
from b1mg_maturity.questionnaire.schema import Resource
from b1mg_maturity.ui.rate import resource_links
from tests.apptest import app_database, copy_sqlite, nodes, open_app

HREF = re.compile(r'<a href="([^"]*)">(.*?)</a>')


def _links(markdown: str) -> list[tuple[str, str]]:
    return HREF.findall(MarkdownIt("commonmark").render(markdown))


def test_a_title_is_text_and_the_address_is_the_one_link() -> None:
    hostile = Resource(
        title="[Sign in again](https://evil.example/login) ![](https://evil.example/x.png) <b>x</b>",
        url="https://example.org/guide_(2024)<x>",
    )
    plain = Resource(title="GA4GH", url="https://www.ga4gh.org/")
    markdown = resource_links((hostile, plain))
    assert markdown.startswith(":material/menu_book: **Guidance to reach the next level:**\n\n")
    html = MarkdownIt("commonmark").render(markdown)
    assert "<img" not in html and "<b>" not in html
    assert _links(markdown) == [
        (
            "https://example.org/guide_%282024%29%3Cx%3E",
            "[Sign in again](https://evil.example/login) ![](https://evil.example/x.png) &lt;b&gt;x&lt;/b&gt;",
        ),
        ("https://www.ga4gh.org/", "GA4GH"),
    ]


def test_the_rate_page_shows_the_resources_of_the_domain_shown(demo_database: Path, tmp_path: Path) -> None:
    url = copy_sqlite(demo_database, tmp_path)
    services = operator_services(url)
    try:
        round_ = next(
            r for r in services.list_rounds(OPERATOR_ID) if r.health_system.code == "XA" and r.status == "draft"
        )
        with app_database(url):
            at = open_app(url, "demo-expert", "rate", query={"round": str(round_.id), "domain": "D1"})
    finally:
        services.db.dispose()
    blocks = [
        n.proto.body
        for n in nodes(at)
        if isinstance(getattr(getattr(n, "proto", None), "body", None), str)
        and "**Guidance to reach the next level:**" in n.proto.body
    ]
    # D1's indicators with resources in the bundled questionnaire: D1.1.1 (B1MG, 1+MG) and D1.3.1 (B1MG, GDI)
    assert [[href for href, _title in _links(block)] for block in blocks] == [
        ["https://b1mg-project.eu/", "https://digital-strategy.ec.europa.eu/en/policies/1-million-genomes"],
        ["https://b1mg-project.eu/", "https://gdi.onemilliongenomes.eu/"],
    ]

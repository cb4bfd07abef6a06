"""Nothing a person entered on Rate or Consensus is lost: each way it used to be lost, walked in Chromium.

Each test uses its own expert or round of the demo data, so the tests do not
depend on each other's order.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from b1mg_maturity.cli.database import OPERATOR_ID, operator_services
from b1mg_maturity.questionnaire import load_bundled
from b1mg_maturity.services import RatingView, Services
from b1mg_maturity.ui.rate import card_key
from tests.e2e.conftest import RunningApp, sign_in
from tests.e2e.pages import ConsensusPage, RatePage, Shown, idle, links_text, wait_until

MLM = load_bundled()


@pytest.fixture
def services(running_app: RunningApp) -> Iterator[Services]:
    services = operator_services(running_app.database_url)
    yield services
    services.db.dispose()


def _round_of(services: Services, code: str) -> int:
    return next(
        r.id
        for r in services.list_rounds(OPERATOR_ID)
        if r.health_system.code == code and r.status in ("draft", "in_review")
    )


def _saved(services: Services, round_id: int, expert: str, indicator_id: str) -> RatingView | None:
    return next(
        (
            r
            for r in services.all_ratings(OPERATOR_ID, round_id)
            if r.expert == expert and r.indicator_id == indicator_id
        ),
        None,
    )


def _now(services: Services, round_id: int, expert: str, indicator_id: str) -> Shown:
    """What the database holds for one rating, in the form the page shows it."""
    return _as_shown(_saved(services, round_id, expert, indicator_id))


def _as_shown(rating: RatingView | None) -> Shown:
    if rating is None:
        return Shown(None, "", "")
    level = "na" if rating.not_applicable else rating.level
    return Shown(level, rating.evidence, links_text(rating.links))


def _another_level(rating: RatingView | None, offset: int = 1) -> int:
    current = rating.level if rating is not None and rating.level is not None else 0
    return (current + offset - 1) % 5 + 1


def _open_rate(page: Any, app: RunningApp, user: str, round_id: int, domain: str) -> RatePage:
    sign_in(page, app, user)
    page.goto(f"{app.url}/rate?round={round_id}&domain={domain}")
    rate = RatePage(page, MLM)
    rate.wait_for_domain(domain)
    return rate


def test_switching_domains_shows_and_keeps_every_saved_answer(
    running_app: RunningApp, new_page: Any, services: Services
) -> None:
    round_id, expert = _round_of(services, "XH"), "xh-expert1"
    rate = _open_rate(new_page(), running_app, expert, round_id, "D1")
    indicators = [i.id for i in next(d for d in MLM.domains if d.id == "D1").indicators]
    for number, indicator_id in enumerate(indicators):
        rate.choose(indicator_id, _another_level(_saved(services, round_id, expert, indicator_id)))
        rate.type_text(indicator_id, "Evidence", f"Evidence {number}: decree of the board", leave=True)
        rate.type_text(
            indicator_id,
            "Links (one per line)",
            f"https://example.org/a{number}\nhttps://example.org/b{number}",
            leave=True,
        )
    before = {i: _as_shown(_saved(services, round_id, expert, i)) for i in indicators}
    assert all(shown.evidence and shown.links.count("\n") == 1 for shown in before.values())

    rate.switch_domain("D2")
    rate.switch_domain("D1")
    for indicator_id in indicators:
        assert rate.shown(indicator_id) == before[indicator_id], indicator_id

    # Editing one field after the switch writes that field only.
    first, second = indicators[0], indicators[1]
    rate.switch_domain("D2")
    rate.switch_domain("D1")
    rate.type_text(first, "Evidence", "Evidence rewritten after a domain switch", leave=True)
    wait_until(
        lambda: _now(services, round_id, expert, first).evidence == "Evidence rewritten after a domain switch",
        "the new evidence is saved",
    )
    assert _as_shown(_saved(services, round_id, expert, first)).level == before[first].level
    rate.switch_domain("D2")
    rate.switch_domain("D1")
    new_level = _another_level(_saved(services, round_id, expert, second))
    rate.choose(second, new_level)
    wait_until(lambda: _now(services, round_id, expert, second).level == new_level, "the new level is saved")
    after = _as_shown(_saved(services, round_id, expert, second))
    assert (after.evidence, after.links) == (before[second].evidence, before[second].links)


def test_the_page_stays_in_the_chosen_domain_and_the_address_names_it(
    running_app: RunningApp, new_page: Any, services: Services
) -> None:
    round_id, expert = _round_of(services, "XH"), "xh-expert2"
    page = new_page()
    rate = _open_rate(page, running_app, expert, round_id, "D1")
    rate.switch_domain("D3")
    domain = next(d for d in MLM.domains if d.id == "D3")
    for offset, indicator in enumerate(domain.indicators[:6]):
        rate.choose(indicator.id, _another_level(_saved(services, round_id, expert, indicator.id), offset + 1))
        assert "domain=D3" in page.url
        expect(rate.heading("D3")).to_be_visible()
        expect(rate.card("D1.1.1")).to_have_count(0)
    page.reload()
    rate.wait_for_domain("D3")
    assert "domain=D3" in page.url
    for indicator in domain.indicators[:6]:
        expected = _as_shown(_saved(services, round_id, expert, indicator.id))
        wait_until(lambda i=indicator.id, e=expected: rate.shown(i) == e, f"{indicator.id} shows the saved rating")


def test_links_without_a_scheme_are_accepted_and_a_bad_link_never_blocks_the_level(
    running_app: RunningApp, new_page: Any, services: Services
) -> None:
    round_id, expert, indicator_id = _round_of(services, "XH"), "xh-expert4", "D2.1.1"
    rate = _open_rate(new_page(), running_app, expert, round_id, "D2")
    rate.type_text(indicator_id, "Links (one per line)", "www.example.org/doc", leave=True)
    wait_until(
        lambda: _now(services, round_id, expert, indicator_id).links == "https://www.example.org/doc",
        "the link is saved with https://",
    )
    expect(rate.card(indicator_id).get_by_label("Links (one per line)")).to_have_value("https://www.example.org/doc")

    rate.type_text(indicator_id, "Links (one per line)", "https://example.org/ok\nnot a web address", leave=True)
    card = rate.card(indicator_id)
    card.get_by_text(re.compile("Line 2 of Links")).first.wait_for()
    body = card.inner_text()
    assert "links[" not in body and "Traceback" not in body
    level = _another_level(_saved(services, round_id, expert, indicator_id))
    rate.choose(indicator_id, level)
    wait_until(lambda: _now(services, round_id, expert, indicator_id).level == level, "the level is saved")
    assert _now(services, round_id, expert, indicator_id).links == "https://www.example.org/doc"
    # The refused text stays in the box for the person to fix, after a domain switch too.
    rate.switch_domain("D1")
    rate.switch_domain("D2")
    expect(card.get_by_label("Links (one per line)")).to_have_value("https://example.org/ok\nnot a web address")


def test_typed_text_is_saved_without_leaving_the_field(
    running_app: RunningApp, new_page: Any, services: Services
) -> None:
    round_id, expert, indicator_id = _round_of(services, "XH"), "xh-expert4", "D4.1.1"
    page = new_page()
    rate = _open_rate(page, running_app, expert, round_id, "D4")
    rate.type_text(indicator_id, "Evidence", "Typed and never left: national survey 2026", leave=False)
    wait_until(
        lambda: (
            (saved := _saved(services, round_id, expert, indicator_id)) is not None
            and saved.evidence == "Typed and never left: national survey 2026"
        ),
        "the typed evidence is saved while the cursor is still in the field",
    )
    expect(rate.card(indicator_id).locator(".b1mg-save-status")).to_contain_text("saved")
    page.reload()
    rate.wait_for_domain("D4")
    expect(rate.card(indicator_id).get_by_label("Evidence")).to_have_value(
        "Typed and never left: national survey 2026", timeout=20_000
    )

    # Typing, then at once clicking another page: the text is saved and the click is not swallowed.
    box = rate.card(indicator_id).get_by_label("Evidence")
    box.fill("Typed, then straight to Results")
    page.get_by_test_id("stSidebarNav").get_by_text("Results").click()
    page.get_by_role("heading", name="Results", exact=True).wait_for()
    wait_until(
        lambda: _now(services, round_id, expert, indicator_id).evidence == "Typed, then straight to Results",
        "the text typed before leaving the page is saved",
    )


def test_consensus_keeps_the_agreed_level_after_a_domain_switch_and_shows_real_links(
    running_app: RunningApp, new_page: Any, services: Services
) -> None:
    round_id = _round_of(services, "XH")  # a draft: its expert may still rate
    expert_id = next(u.id for u in services.list_users(OPERATOR_ID) if u.username == "xh-expert1")
    current = _saved(services, round_id, "xh-expert1", "D1.1.1")
    services.rate(
        expert_id,
        round_id,
        "D1.1.1",
        level=3,
        evidence="Board decree",
        links=["https://example.org/genomics-board-decree"],
        expected_version=current.version if current else 0,
    )
    page = new_page()
    sign_in(page, running_app, "xh-coordinator")
    page.goto(f"{running_app.url}/consensus?round={round_id}&domain=D1")
    card = page.locator(f".st-key-consensus-{card_key('D1.1.1')}")
    link = card.get_by_role("link", name="https://example.org/genomics-board-decree")
    link.wait_for()
    expect(link).to_have_attribute("href", "https://example.org/genomics-board-decree")

    consensus = ConsensusPage(page, MLM)
    agreed = _another_level_of_consensus(services, round_id)
    consensus.choose("D1.1.1", agreed)
    wait_until(lambda: services.consensus_of(OPERATOR_ID, round_id)["D1.1.1"].level == agreed, "consensus saved")
    consensus.switch_domain("D2")
    consensus.switch_domain("D1")
    wait_until(lambda: consensus.shown("D1.1.1").level == agreed, "the agreed level is shown after the switch")
    rationale = card.get_by_label("Rationale")
    rationale.fill("Agreed after a domain switch")
    rationale.press("Tab")
    idle(page)
    wait_until(
        lambda: services.consensus_of(OPERATOR_ID, round_id)["D1.1.1"].rationale == "Agreed after a domain switch",
        "the rationale is saved",
    )
    assert services.consensus_of(OPERATOR_ID, round_id)["D1.1.1"].level == agreed


def _another_level_of_consensus(services: Services, round_id: int) -> int:
    view = services.consensus_of(OPERATOR_ID, round_id).get("D1.1.1")
    return _another_level(None) if view is None or view.level is None else view.level % 5 + 1


def test_fast_clicks_in_one_tab_never_conflict_with_themselves(
    running_app: RunningApp, new_page: Any, services: Services
) -> None:
    """Clicks faster than the page redraws: Streamlit stops a save's callback half-way; the next save still knows
    what the page last saved (a reviewer found false "changed meanwhile" conflicts and lost levels here)."""
    round_id, expert = _round_of(services, "XH"), "xh-expert2"
    page = new_page()
    rate = _open_rate(page, running_app, expert, round_id, "D1")
    rng = random.Random(3)
    last: dict[str, int] = {}
    for _ in range(25):
        indicator_id = rng.choice(["D1.1.1", "D1.2.1"])
        level = rng.randint(1, 5)
        rate.card(indicator_id).get_by_text(f"{level} · {MLM.level_label(level)}", exact=True).first.click()
        last[indicator_id] = level
        page.wait_for_timeout(rng.choice([30, 80, 150, 300]))
    idle(page)
    for indicator_id, level in last.items():
        wait_until(
            lambda i=indicator_id, v=level: _now(services, round_id, expert, i).level == v, "the last click saved"
        )
        assert rate.shown(indicator_id).level == level
        expect(rate.card(indicator_id).get_by_text("changed meanwhile")).to_have_count(0)

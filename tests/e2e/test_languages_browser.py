"""Languages in a real browser (issue 13): an expert switches to French in the sidebar; the Rate page, the
Results page and the PDF speak French, numbers with a decimal comma; the choice outlives signing out; and
switching back gives English again.

Expected French words are read from the catalogue and the questionnaire's French file directly (not
through the app), so the test fails if the app shows anything else.  The app runs on its own copy of the
demo database: the expert's stored language must not reach the other browser tests.
"""

from __future__ import annotations

import io
import re
from functools import cache
from typing import Any

import pypdf
import yaml
from babel.messages.pofile import read_po

from b1mg_maturity import i18n
from b1mg_maturity.cli.database import OPERATOR_ID, operator_services
from b1mg_maturity.questionnaire import BUNDLED_DIR
from tests.e2e.conftest import RunningApp, sign_in
from tests.e2e.pages import idle

EXPERT = "demo-expert"
DRAFT_ROUND = 3  # XA 2026, a draft the demo expert rates
PUBLISHED_ROUND = 2  # XA 2025
REPORT_SECONDS = 240


@cache
def _french_catalogue() -> Any:
    with (i18n.LOCALES_DIR / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle)


def fr(message: str, context: str | None = None) -> str:
    translated = _french_catalogue().get(message, context=context).string
    assert isinstance(translated, str) and translated and translated != message, message
    return translated


@cache
def _french_questionnaire() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((BUNDLED_DIR / "b1mg-mlm.fr.yaml").read_text(encoding="utf-8"))
    return data


def _choose_language(page: Any, label: str, name: str) -> None:
    box = page.get_by_test_id("stSidebar").get_by_label(label)
    box.click()
    page.get_by_role("option", name=name, exact=True).click()
    idle(page)


def _overall(app: RunningApp, round_id: int) -> float:
    services = operator_services(app.database_url)
    try:
        score = services.round_scores(OPERATOR_ID, round_id).card.overall.score
    finally:
        services.db.dispose()
    assert score is not None
    return score


def _stored_language(app: RunningApp, username: str) -> str | None:
    services = operator_services(app.database_url)
    try:
        with services.db.reading() as session:
            return services.user_by_name(session, username).language
    finally:
        services.db.dispose()


def test_an_expert_works_in_french_and_gets_a_french_report(own_app: RunningApp, new_page: Any) -> None:
    page = new_page()
    sign_in(page, own_app, EXPERT)
    page.goto(f"{own_app.url}/rate?round={DRAFT_ROUND}")
    page.get_by_role("heading", name="Rate", exact=True).wait_for()
    assert page.locator("html").get_attribute("lang") == "en"

    # The switch in the sidebar: the page speaks French at once, its lang says so.
    _choose_language(page, "Language", "Français")
    page.get_by_role("heading", name=fr("Rate", "page title"), exact=True).wait_for()
    page.wait_for_function("document.documentElement.lang === 'fr'")
    statement = " ".join(_french_questionnaire()["indicators"]["D1.1.1"]["statement"].split())
    page.get_by_text(statement[:60]).first.wait_for()
    assert page.get_by_text(fr("Not applicable")).count() > 0
    assert page.get_by_text("Not applicable", exact=True).count() == 0

    # Results: French words, the overall score with a decimal comma.
    page.goto(f"{own_app.url}/results?round={PUBLISHED_ROUND}")
    page.get_by_role("heading", name=fr("Results"), exact=True).wait_for()
    idle(page)
    overall = _overall(own_app, PUBLISHED_ROUND)
    metric = page.get_by_test_id("stMetric").filter(has_text=fr("Overall score")).first
    assert metric.get_by_test_id("stMetricValue").inner_text().strip() == f"{overall:.2f}".replace(".", ",")

    # The PDF in French (the page's language is the default): its text is French and /Lang is fr.
    page.get_by_role("button", name=fr("Prepare the PDF report")).click()
    download_button = page.get_by_role("button", name=fr("Report (PDF)"))
    download_button.wait_for(timeout=REPORT_SECONDS * 1000)
    with page.expect_download() as arrived:
        download_button.click()
    with open(arrived.value.path(), "rb") as file:
        reader = pypdf.PdfReader(io.BytesIO(file.read()))
    assert str(reader.root_object["/Lang"]) == "fr"
    text = " ".join(" ".join(p.extract_text() or "" for p in reader.pages).split())
    assert fr("The brief").lower() in text.lower()
    assert " ".join(_french_questionnaire()["title"].split())[:40] in text
    assert f"{overall:.1f}".replace(".", ",") + " / 5" in text
    assert not re.search(rf"\b{re.escape(f'{overall:.1f}')} / 5", text)  # never the English decimal point

    # The choice is stored with the account: the database holds it, a reload keeps it, and a second browser
    # signed in as the same expert opens in French without choosing anything.
    assert _stored_language(own_app, EXPERT) == "fr"
    page.reload()
    page.get_by_role("heading", name=fr("Results"), exact=True).wait_for()
    assert page.locator("html").get_attribute("lang") == "fr"
    second = new_page()
    sign_in(second, own_app, EXPERT)
    second.goto(f"{own_app.url}/rate?round={DRAFT_ROUND}")
    second.get_by_role("heading", name=fr("Rate", "page title"), exact=True).wait_for()
    second.wait_for_function("document.documentElement.lang === 'fr'")

    # The choice is the expert's: after signing out and in again, still French.
    page.get_by_test_id("stSidebarNav").get_by_text(fr("Sign out"), exact=True).click()
    page.get_by_label("Username").wait_for()  # a visitor's page: the browser's language (English) again
    sign_in(page, own_app, EXPERT)
    page.goto(f"{own_app.url}/rate?round={DRAFT_ROUND}")
    page.get_by_role("heading", name=fr("Rate", "page title"), exact=True).wait_for()

    # Back to English.
    _choose_language(page, fr("Language"), "English")
    page.get_by_role("heading", name="Rate", exact=True).wait_for()
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert _stored_language(own_app, EXPERT) == "en"
    second.reload()  # the other browser follows the account at its next page load
    second.get_by_role("heading", name="Rate", exact=True).wait_for()

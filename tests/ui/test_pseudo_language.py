"""No English text escapes the catalogue (issue 13): in the pseudo-language ``en-XA`` every page and the PDF
show no English word outside user data and proper names.

In ``en-XA`` each message comes out with every letter accented ("Rate" -> "Ŕáţé"), the questionnaire's texts
too; a word of two or more plain ASCII letters left on a page is a string not wrapped in ``_()``.  Every page
of every role (and the visitor's pages) is opened in Streamlit's AppTest on a copy of the demo database, with
the session pinned to the pseudo-language; every text an element shows is read (tests/pseudo_text.py); user
data, proper names, codes and markup are removed; and every word left is listed with the page, the role,
the element and the text it came from.  The same for the whole PDF of a published demo round.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from babel.dates import get_day_names, get_month_names
from pypdf import PdfReader
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from b1mg_maturity import i18n
from b1mg_maturity.cli.database import OPERATOR_ID, operator_services
from b1mg_maturity.questionnaire import Questionnaire, load_bundled
from b1mg_maturity.services import Services
from b1mg_maturity.ui.context import SESSION_KEY
from b1mg_maturity.ui.language import LANGUAGE_KEY, PINNED_KEY
from tests.apptest import APP, DEFAULT_PAGE, ROLES, app_database, copy_sqlite, nodes, point_app_at, session_of
from tests.pdf_tree import struct_nodes
from tests.pseudo_text import Finding, Shown, Vocabulary, database_strings, element_texts, findings, in_context, report

PDF_ROUND = 2  # Aldoria (XA), Round 2025: published, in the demo world
PSEUDO_LETTER = re.compile("[" + i18n.pseudo("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") + "]")

# Words that stay as they are in every language: file formats, standards and codes, the model's and the
# programme's names, the pseudo-language's own code.  Keep this short: anything else is a text to wrap.
# "NA" is the answers file's code for "not applicable", shown as a code with its meaning beside it.
KEPT_WORDS = frozenset(
    {"PDF", "CSV", "XLSX", "JSON", "YAML", "FHIR", "B1MG", "MLM", "ELSI", "ISO", "UTC", "ID", "XA", "NA"}
)
# Streamlit's own labels that the app cannot translate.  None reaches the element messages AppTest reads:
# the "Choose an option" / "Choose options" placeholders, the file uploader's "Drag and drop file here",
# the table toolbar and the "Running..." status are drawn by Streamlit's front end in the browser, and the
# date field's format pattern ("YYYY/MM/DD") is left out as not text (tests/pseudo_text.py, NOT_TEXT).
STREAMLIT_LABELS: frozenset[str] = frozenset()


# --- the database and what may stay English ------------------------------------------------------


@dataclass
class Site:
    url: str
    services: Services
    vocabulary: Vocabulary


def _vocabulary(url: str) -> Vocabulary:
    """User data and proper names (read from the database, never listed here), and the words kept as they are.

    Dates are written by Babel in the locale of the language; the pseudo-language's is British English by
    design (``i18n._babel_locale``), so the names of months and days stay English in it.
    """
    questionnaire = load_bundled()
    names = [
        *database_strings(url),
        questionnaire.source.citation,  # a bibliographic reference: quoted as published
        # the titles of the indicators' links to outside guidance: translations do not give them
        *(resource.title for indicator in questionnaire.indicators for resource in indicator.resources),
        *(i18n.language_name(code) for code in i18n.LANGUAGES),  # each language's name for itself
    ]
    calendar = {
        name
        for width in ("wide", "abbreviated")
        for names_of in (get_month_names, get_day_names)
        for name in names_of(width, locale="en_GB").values()
    }
    return Vocabulary(names, KEPT_WORDS | STREAMLIT_LABELS | frozenset(calendar), questionnaire_texts(questionnaire))


def questionnaire_texts(questionnaire: Questionnaire) -> list[str]:
    """The questionnaire's English texts that a translation gives (as translation.pseudo_translation names
    them): shown on a page in the pseudo-language, they tell that the page did not use ``localized()``."""
    texts = [questionnaire.title, questionnaire.source.notice]
    texts += [t for level in questionnaire.levels for t in (level.label, level.description)]
    texts += [t for pillar in questionnaire.pillars for t in (pillar.name, pillar.description)]
    for domain in questionnaire.domains:
        texts += [domain.name, domain.description]
        texts += [t for subdomain in domain.subdomains for t in (subdomain.name, subdomain.description)]
    for indicator in questionnaire.indicators:
        texts += [indicator.statement, indicator.guidance, *indicator.levels.values()]
    return [t for t in texts if t]


@pytest.fixture(scope="module")
def site(demo_database: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """One copy of the demo database for the module, plus an account without any role (pages only look)."""
    url = copy_sqlite(demo_database, tmp_path_factory.mktemp("pseudo"))
    services = operator_services(url)
    services.add_user(OPERATOR_ID, "nobody", "nobody-password-1", display_name="Nobody in particular")
    with app_database(url):
        yield Site(url, services, _vocabulary(url))
    services.db.dispose()


def test_the_reader_finds_english_and_passes_data_codes_and_markup() -> None:
    """The machinery itself: what counts as an English word left, and what does not."""
    vocabulary = Vocabulary(["Aldoria (demo)", "Round 2025", "xa-expert2"], KEPT_WORDS, ["Governance and strategy"])
    assert vocabulary.english(i18n.pseudo("Rate the indicators")) == []
    assert vocabulary.english("Ŕáţé the indicators") == ["the", "indicators"]
    assert vocabulary.english("**Aldoria \\(demo\\)** · Round 2025 · xa\u2011expert2") == []  # data, escaped
    assert vocabulary.english("Ďóŵñľóáď (PDF, CSV) :material/download: [ľíñķ](https://example.org/x)") == []
    assert vocabulary.english("<b>VIII</b> %{customdata}<br>Šçóŕé %{r:.2f}<extra></extra> c6fa0d30cb3c") == []
    assert vocabulary.english("Rounds of Aldoria (demonstration)") == ["Rounds", "of", "Aldoria", "demonstration"]
    shown = [Shown("radio.label", "**D1.1.1** · Governance and strategy"), Shown("caption.body", "Ŕáţé now")]
    found = findings(vocabulary, "rate [expert]", shown)
    assert [(f.where, f.words) for f in found] == [
        ("radio.label (questionnaire text)", ()),
        ("caption.body", ("now",)),
    ]
    message = report(found, "a page")
    assert "localized()" in message and "now  [caption.body on rate [expert]]" in message


# --- pages ---------------------------------------------------------------------------------------


def _run(site: Site, page: str | None, username: str | None = None, **query: str) -> AppTest:
    """``page`` in the pseudo-language, for ``username`` (None: a visitor)."""
    point_app_at(site.url)  # again each time: under pytest-xdist another module's tests may run in between
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.session_state[LANGUAGE_KEY] = i18n.PSEUDO_LANGUAGE
    at.session_state[PINNED_KEY] = True
    if username is not None:
        at.session_state[SESSION_KEY] = session_of(site.services, username)
    for key, value in query.items():
        at.query_params[key] = value
    if page is not None and page != DEFAULT_PAGE:
        at._page_hash = calc_hash(page)  # what the browser asks for at /<url_path>
    at.run()
    return at


def _page_texts(at: AppTest) -> list[Shown]:
    texts = [shown for node in nodes(at) for shown in element_texts(node)]
    menu = at.session_state.get("menu_pages") or {}
    texts.extend(Shown("navigation.title", page.title) for page in menu.values())
    return texts


def _look(vocabulary: Vocabulary, place: str, at: AppTest, found: list[Finding], failed: list[str]) -> None:
    if at.exception:
        failed.extend(f"{place}: {e.message}" for e in at.exception)
    texts = _page_texts(at)
    if not any(PSEUDO_LETTER.search(shown.text) for shown in texts):  # read nothing, or not in en-XA at all
        failed.append(f"{place}: no text in the pseudo-language among {len(texts)} texts read")
    found.extend(findings(vocabulary, place, texts))


def _menu(at: AppTest) -> list[str]:
    return sorted(path or DEFAULT_PAGE for path in at.session_state["menu_pages"])


def test_every_page_of_every_role_shows_no_english(site: Site) -> None:
    found: list[Finding] = []
    failed: list[str] = []
    for role, username in ROLES.items():
        home = _run(site, None, username)
        _look(site.vocabulary, f"{DEFAULT_PAGE} [{role}]", home, found, failed)
        for page in _menu(home):
            if page in (DEFAULT_PAGE, "sign-out"):
                continue
            _look(site.vocabulary, f"{page} [{role}]", _run(site, page, username), found, failed)
    # what the first look does not show: the compare page's other views, and the Results and Consensus
    # pages of a round in each status (each status has its own notices)
    for view in ("heatmap", "indicators"):
        _look(
            site.vocabulary,
            f"compare?view={view} [admin]",
            _run(site, "compare", ROLES["admin"], view=view),
            found,
            failed,
        )
    firsts = {r.status: r.id for r in reversed(site.services.list_rounds(OPERATOR_ID))}
    for status, round_id in sorted(firsts.items()):
        for page in ("results", "consensus"):
            at = _run(site, page, ROLES["admin"], round=str(round_id))
            _look(site.vocabulary, f"{page}?round={round_id} ({status}) [admin]", at, found, failed)
    assert not failed, failed
    assert not found, report(found, "the signed-in pages")


def _quick_with_answers(site: Site) -> AppTest:
    """The quick assessment with a few levels, a not-applicable and a target: its results appear below."""
    from b1mg_maturity.ui.quick_assessment import NAME_KEY, level_key, target_key

    at = _run(site, "quick")
    with i18n.language(i18n.PSEUDO_LANGUAGE):  # select boxes and radios are written back in the page's language
        at.text_input(key=NAME_KEY).set_value("Testland")
        for indicator, level in (("D1.1.1", 2), ("D1.2.1", 4), ("D3.1.1", 3), ("D8.1.1", 1)):
            at.radio(key=level_key(indicator)).set_value(level)
        at.radio(key=level_key("D2.1.1")).set_value("not-applicable")
        at.run()
        at.selectbox(key=target_key("D1.1.1")).set_value(4)
        at.run()
    assert at.metric, "the quick assessment shows no results to read"
    return at


def test_the_visitor_pages_show_no_english(site: Site) -> None:
    with site.services.db.transaction() as session:
        admin_id = Services.user_by_name(session, "demo-admin").id
    issued = site.services.issue_reset_link(admin_id, "demo-viewer")
    (token,) = parse_qs(urlsplit(issued.link).query)["token"]
    visits = {
        "sign-in": _run(site, None),
        "quick": _run(site, "quick"),
        "quick, some answers": _quick_with_answers(site),
        "reset-password (no link)": _run(site, "reset-password"),
        "reset-password (a link)": _run(site, "reset-password", token=token),
        "reset-password (a wrong link)": _run(site, "reset-password", token="B" * 43),
    }
    found: list[Finding] = []
    failed: list[str] = []
    vocabulary = Vocabulary([*site.vocabulary.data, "Testland"], site.vocabulary.words, site.vocabulary.questionnaire)
    for place, at in visits.items():
        _look(vocabulary, f"{place} [visitor]", at, found, failed)
    assert not failed, failed
    assert not found, report(found, "the visitor's pages")


# --- refusals ----------------------------------------------------------------------------------


def _form(at: AppTest, form_id: str, kind: str) -> list[Any]:
    """The widgets of type ``kind`` in the form ``form_id``, in page order (labels are pseudo-text here)."""
    return [n for n in nodes(at) if getattr(n, "type", None) == kind and getattr(n.proto, "form_id", "") == form_id]


def _submit(at: AppTest, form_id: str, *values: str) -> AppTest:
    """Type ``values`` into the form's text fields, in order, and press its button."""
    # AppTest writes back every select box's value through its format_func, in this thread: in the
    # page's language, or the value is not among the (pseudo-language) options
    with i18n.language(i18n.PSEUDO_LANGUAGE):
        for field, value in zip(_form(at, form_id, "text_input"), values, strict=False):
            field.set_value(value)
        (button,) = _form(at, form_id, "button")
        button.click()
        at.run()
    return at


def test_refusals_show_no_english(site: Site) -> None:
    """What a person is told when the app refuses: the services' and validators' messages, in the page."""
    with site.services.db.transaction() as session:
        admin_id = Services.user_by_name(session, "demo-admin").id
    issued = site.services.issue_reset_link(admin_id, "demo-viewer")
    (token,) = parse_qs(urlsplit(issued.link).query)["token"]
    admin = ROLES["admin"]
    typed = ["QQ", "ES-QQ", "Vera Viewer"]  # what the person typed comes back in the message: their data
    vocabulary = Vocabulary([*site.vocabulary.data, *typed], site.vocabulary.words, site.vocabulary.questionnaire)
    refusals: dict[str, Callable[[], AppTest]] = {  # nothing here is written: each is refused
        "sign-in, a wrong password [visitor]": lambda: _submit(
            _run(site, None), "sign-in", "demo-viewer", "not-the-password"
        ),
        "admin, an unknown country code [admin]": lambda: _submit(_run(site, "admin", admin), "admin-add-system", "QQ"),
        "admin, a region code that is none [admin]": lambda: _submit(
            _run(site, "admin", admin), "admin-add-system", "ES-QQ"
        ),
        "admin, a username taken [admin]": lambda: _submit(
            _run(site, "admin", admin), "admin-add-user", "demo-viewer", "Vera Viewer", "", "long-enough-1"
        ),
        "admin, a password too short [admin]": lambda: _submit(_run(site, "admin", admin), "admin-set-password", "x"),
        "account, a wrong current password [viewer]": lambda: _submit(
            _run(site, "account", ROLES["viewer"]), "account-password", "wrong-password", "new-pass-1", "new-pass-1"
        ),
        "reset-password, two passwords that differ [visitor]": lambda: _submit(
            _run(site, "reset-password", token=token), "reset-password", "my-new-password-2", "another-password-3"
        ),
    }
    found: list[Finding] = []
    failed: list[str] = []
    for place, refuse in refusals.items():
        try:
            at = refuse()
        except (ValueError, LookupError) as exc:  # the form is not where it was: the test needs mending
            failed.append(f"{place}: could not fill the form ({exc!r})")
            continue
        if not at.error:
            failed.append(f"{place}: nothing was refused")
        _look(vocabulary, place, at, found, failed)
    assert not failed, failed
    assert not found, report(found, "the pages after a refusal")


# --- the PDF ------------------------------------------------------------------------------------


_SPOKEN = ("/Alt", "/ActualText", "/E")  # a structure element's texts a screen reader reads instead of its content


def test_the_pdf_of_a_round_shows_no_english(site: Site) -> None:
    from b1mg_maturity.report.render import render_pdf
    from b1mg_maturity.report.rounds import context_for_round, report_date

    services = site.services
    with i18n.language(i18n.PSEUDO_LANGUAGE):  # as `b1mg-maturity --lang en-XA report --round 2` makes it
        context = context_for_round(
            services,
            OPERATOR_ID,
            PDF_ROUND,
            min_group_size=services.settings.min_group_size,
            generated_on=report_date(services.get_round(OPERATOR_ID, PDF_ROUND)),
        )
        pdf = render_pdf(context, charts=True)  # charts drawn: their titles, axes and legends are text
    reader = PdfReader(io.BytesIO(pdf))
    root: Any = reader.trailer["/Root"]
    assert root["/Lang"] == "en"  # the pseudo-language is English written oddly
    assert PSEUDO_LETTER.search(reader.pages[0].extract_text() or ""), "the PDF is not in the pseudo-language"
    found: list[Finding] = []
    for number, page in enumerate(reader.pages, start=1):
        # the page as one text: user data (a rationale, a long name) may run over lines
        found.extend(in_context(site.vocabulary, f"PDF page {number}", Shown("page text", page.extract_text() or "")))
    # what a screen reader reads besides: the title a viewer shows, the text alternatives of charts and
    # figures, the words describing each link
    hidden = [Shown("title", reader.metadata.title if reader.metadata and reader.metadata.title else "")]
    for node in struct_nodes(root["/StructTreeRoot"]):
        hidden.extend(Shown(f"{key} of {node.get('/S')}", str(node[key])) for key in _SPOKEN if key in node)
    for page in reader.pages:
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            if "/Contents" in annotation:
                hidden.append(Shown(f"/Contents of a {annotation.get('/Subtype')}", str(annotation["/Contents"])))
    found.extend(findings(site.vocabulary, "PDF structure", hidden))
    assert not found, report(found, f"the PDF of round {PDF_ROUND}")

"""The web app's pages, run headless with Streamlit's AppTest over a demo database.

Every page loads for every role without an exception, and shows only what
that role may see; the Consensus, Results and Administration pages do their
work; free text with HTML and script is shown as text.  How a page is opened
for a signed-in user: ``tests/apptest.py``.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from b1mg_maturity.cli.database import OPERATOR_ID, operator_services
from b1mg_maturity.demo import plan_demo
from b1mg_maturity.questionnaire import load_bundled
from b1mg_maturity.services import RoundView, Services
from tests.apptest import ROLES, app_database, copy_sqlite, nodes, open_app, own_scripts

MLM = load_bundled()
# Health systems of the demo world, from its plan (the world as data): the demo accounts belong to the first.
PLANS = plan_demo(MLM)
MINE = PLANS[0].code
OTHER_WITH_DRAFT = next(p.code for p in PLANS[1:] if any(r.status == "draft" for r in p.rounds))
OTHER_PUBLISHED = next(p.code for p in PLANS[1:] if any(r.status == "published" for r in p.rounds))
PAGE_TITLES = {
    "assessments": "My assessments",
    "rate": "Rate",
    "consensus": "Consensus",
    "results": "Results",
    "plan": "Action plan",
    "compare": None,  # pages of other authors: only "loads without an exception" is checked
    "overview": None,
    "admin": "Administration",
    "history": "Round history",
    "quick": "Quick assessment",
    "account": "My account",
}
# Each role's menu, written out by hand (url paths; "assessments" is the first page, served at "/").
EVERYONE = {"assessments", "results", "compare", "quick", "account", "sign-out"}
MENUS = {
    "admin": EVERYONE | {"consensus", "overview", "admin", "plan"},
    "analyst": EVERYONE | {"overview"},
    "coordinator": EVERYONE | {"consensus", "rate", "history", "plan"},  # a coordinator may invite themselves to rate
    "expert": EVERYONE | {"rate", "plan"},
    "viewer": EVERYONE | {"plan"},
    "no role": EVERYONE,
}
REFUSAL = "you may not open it here"
SCRIPT = "<script>alert('xss')</script>"
IMG = '<img src=x onerror="alert(1)">'


# --- the database -------------------------------------------------------------------------------


def _dispose(services: Services) -> None:
    services.db.dispose()


@pytest.fixture(scope="module")
def template(demo_database: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo database plus one account without any role, built once and copied by each user of it."""
    url = copy_sqlite(demo_database, tmp_path_factory.mktemp("demo"))
    services = operator_services(url)
    services.add_user(OPERATOR_ID, "nobody", "nobody-password-1", display_name="Nobody in particular")
    _dispose(services)
    return Path(url.removeprefix("sqlite:///"))


@dataclass
class Site:
    """One database and the app over it."""

    url: str
    services: Services  # operator services: test set-up and checks, never the app's own

    def user_id(self, username: str) -> int:
        with self.services.db.transaction() as session:
            return Services.user_by_name(session, username).id

    def rounds(self, code: str | None = None, status: str | None = None) -> list[RoundView]:
        return [
            r
            for r in self.services.list_rounds(OPERATOR_ID)
            if (code is None or r.health_system.code == code) and (status is None or r.status == status)
        ]

    def open(self, username: str, page: str | None = None, *, round_id: int | None = None) -> AppTest:
        query = {} if round_id is None else {"round": str(round_id)}
        return open_app(self.url, username, page, query=query, services=self.services)


@pytest.fixture(scope="module")
def shared_site(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """For tests that only look: one copy of the demo database for the whole module."""
    url = copy_sqlite(template, tmp_path_factory.mktemp("shared"))
    services = operator_services(url)
    with app_database():
        yield Site(url, services)
    _dispose(services)


@pytest.fixture
def site(template: Path, tmp_path: Path, shared_site: Site) -> Iterator[Site]:
    """For tests that change things: a fresh copy of the demo database."""
    url = copy_sqlite(template, tmp_path)
    services = operator_services(url)
    yield Site(url, services)
    _dispose(services)


# --- reading the page ---------------------------------------------------------------------------


def markdown_bodies(at: AppTest) -> list[str]:
    """The source of every markdown-rendered text: markdown, captions, alerts, titles, table cells."""
    bodies = []
    for node in nodes(at):
        proto = getattr(node, "proto", None)
        body = getattr(proto, "body", None)
        if isinstance(body, str) and getattr(node, "type", None) != "html":  # HTML: see html_bodies
            bodies.append(body)
        if getattr(node, "type", None) == "table":
            bodies.extend(str(cell) for cell in node.value.to_numpy().ravel())
    return bodies


def unescaped(markdown: str) -> str:
    """What a reader sees of escaped markdown: backslash escapes removed."""
    return re.sub(r"\\(.)", r"\1", markdown)


def menu(at: AppTest) -> set[str]:
    """The url paths of the pages in the signed-in user's menu (remembered by ui.page_registry).

    The default page (the first, My assessments) is served at ``/``: its url path is empty.
    """
    return {path or "assessments" for path in at.session_state["menu_pages"]}


def title(at: AppTest) -> str:
    return " | ".join(t.value for t in at.title)


def texts(elements: Any) -> str:
    return "\n".join(str(e.value) for e in elements)


def download_labels(at: AppTest) -> list[str]:
    return [node.proto.label for node in nodes(at) if getattr(node, "type", None) == "download_button"]


# --- every page, every role ---------------------------------------------------------------------


@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_in_the_menu_loads_for_every_role(shared_site: Site, role: str) -> None:
    """Each role's menu is exactly the hand-written one, and every page in it loads."""
    home = shared_site.open(ROLES[role])
    pages = menu(home)
    assert pages == MENUS[role]
    for page in sorted(pages - {"sign-out"}):
        at = shared_site.open(ROLES[role], page)
        wanted = PAGE_TITLES.get(page)
        if wanted is not None:
            assert wanted in title(at), (page, title(at))
        assert not [e for e in nodes(at) if getattr(e, "type", None) == "exception"]


def test_a_page_outside_the_menu_is_not_shown(shared_site: Site) -> None:
    at = shared_site.open("demo-viewer", "admin")
    assert "Administration" not in title(at)
    at = shared_site.open("demo-expert", "consensus")
    assert "Consensus" not in title(at)


# --- results -----------------------------------------------------------------------------------


def test_viewer_results_list_only_their_systems_submitted_or_published_rounds(shared_site: Site) -> None:
    at = shared_site.open("demo-viewer", "results")
    options = at.selectbox(key="results-round").options
    expected = [r for r in shared_site.rounds(MINE) if r.status in ("submitted", "published")]
    assert len(options) == len(expected) >= 1
    assert all(f"({MINE})" in o and ("Published" in o or "Submitted" in o) for o in options), options
    assert "Round (JSON)" not in download_labels(at)
    assert {"Answers (CSV)", "Answers (XLSX)"} <= set(download_labels(at))


def test_analyst_results_list_only_published_rounds(shared_site: Site) -> None:
    at = shared_site.open("demo-analyst", "results")
    options = at.selectbox(key="results-round").options
    assert len(options) == len(shared_site.rounds(status="published"))
    assert all(o.endswith("Published") for o in options)


@pytest.mark.parametrize(
    ("username", "code", "status"),
    [
        ("demo-viewer", MINE, "draft"),
        ("demo-viewer", OTHER_WITH_DRAFT, "draft"),
        ("demo-expert", OTHER_PUBLISHED, "published"),
    ],
)
def test_results_of_a_round_not_yours_are_refused_by_link(
    shared_site: Site, username: str, code: str, status: str
) -> None:
    other = shared_site.rounds(code, status)[0]
    at = shared_site.open(username, "results", round_id=other.id)
    assert REFUSAL in texts(at.error)
    assert not at.metric and not at.dataframe
    assert f"Round {other.id} does not exist" in texts(at.error)


def test_results_show_scores_radar_gaps_table_and_downloads(shared_site: Site) -> None:
    published = shared_site.rounds(MINE, "published")[0]
    at = shared_site.open("demo-coordinator", "results", round_id=published.id)
    metrics = {m.label: m.value for m in at.metric}
    headline = {"Overall score", "Maturity level", "Coverage", "Overall target"}
    pillars = {"Ethical, legal and social issues", "Standards and guidelines", "Data infrastructure"}
    assert headline | pillars <= set(metrics) and len(metrics) == len(headline) + len(MLM.pillars)
    assert re.fullmatch(r"\d\.\d\d", metrics["Overall score"])
    assert "Scores are based on consensus levels" in texts(at.caption)
    assert [s.value for s in at.subheader][:7] == [
        "Against peers",
        "Since the previous round",
        "Recommendations",
        "Domains",
        "Pillars",
        "Domain scores",
        "Largest gaps and next steps",
    ]
    assert "the overall score ranks" in texts(at.markdown) and "Raise “" in texts(at.markdown)
    assert "Next step (level" in texts(at.markdown)
    table = at.dataframe[-1].value
    assert len(table) == len(MLM.indicators)
    assert list(table.columns) == ["Indicator", "Statement", "Level", "Target", "Gap", "Next step", "Basis"]
    domains = at.dataframe[0].value
    assert len(domains) == len(MLM.domains) and {"Score", "Level", "Target", "Gap", "Coverage"} <= set(domains.columns)
    assert {"Answers (CSV)", "Answers (XLSX)", "Round (JSON)"} <= set(download_labels(at))
    assert [n for n in nodes(at) if getattr(n, "type", None) == "plotly_chart"]


def test_results_of_a_draft_say_they_are_provisional(shared_site: Site) -> None:
    draft = shared_site.rounds(MINE, "draft")[0]
    at = shared_site.open("demo-coordinator", "results", round_id=draft.id)
    assert "provisional" in texts(at.caption)
    assert "the median of the experts' levels" in texts(at.caption)


def test_no_role_results_page_explains_why_it_is_empty(shared_site: Site) -> None:
    at = shared_site.open("nobody", "results")
    assert "no results you may see yet" in texts(at.info)
    assert not at.main.selectbox  # (the sidebar has the language menu)


def test_peer_median_trace_when_enough_other_systems_published(shared_site: Site) -> None:
    published = shared_site.rounds(MINE, "published")[0]
    at = shared_site.open("demo-coordinator", "results", round_id=published.id)
    chart = next(n for n in nodes(at) if getattr(n, "type", None) == "plotly_chart")
    spec = chart.proto.spec
    assert "Current score" in spec
    assert "Median of" in spec  # the demo world has published rounds of more than 3 other health systems


# --- consensus ---------------------------------------------------------------------------------


def test_consensus_lists_only_rounds_the_user_coordinates(shared_site: Site) -> None:
    at = shared_site.open("demo-coordinator", "consensus")
    options = at.selectbox(key="consensus-round").options
    assert options and all(f"({MINE})" in o for o in options)
    other = shared_site.rounds(OTHER_PUBLISHED)[0]
    at = shared_site.open("demo-coordinator", "consensus", round_id=other.id)
    assert REFUSAL in texts(at.error)
    assert not at.radio


def _consensus_of(site: Site, round_id: int, indicator_id: str) -> Any:
    return site.services.consensus_of(OPERATOR_ID, round_id).get(indicator_id)


def test_consensus_shows_experts_spread_and_saves_at_once(site: Site) -> None:
    draft = site.rounds(MINE, "draft")[0]
    at = site.open("demo-coordinator", "consensus", round_id=draft.id)
    experts_table = next(h.proto.body for h in at.get("html") if "b1mg-experts" in h.proto.body)
    assert '<th scope="col">Expert</th><th scope="col">Level</th><th scope="col">Evidence and links</th>' in (
        experts_table
    )
    assert len(at.radio(key="consensus-domain-" + str(draft.id)).options) == len(MLM.domains) + 1  # and "all"
    level = at.radio(key=f"consensus:{draft.id}:D1.1.1:level")
    assert level.options[0] == "Not decided yet" and level.options[-1] == "Not applicable"
    level.set_value(3).run()
    at.text_area(key=f"consensus:{draft.id}:D1.1.1:rationale").set_value("Board minutes 2026").run()
    at.selectbox(key=f"consensus:{draft.id}:D1.1.1:target").set_value(4).run()
    assert not at.exception
    saved = _consensus_of(site, draft.id, "D1.1.1")
    assert (saved.level, saved.rationale, saved.version) == (3, "Board minutes 2026", 2)
    assert site.services.targets_of(OPERATOR_ID, draft.id)["D1.1.1"].target == 4
    assert any("All changes saved" in h.proto.body for h in at.get("html"))
    at.radio(key=f"consensus:{draft.id}:D1.1.1:level").set_value("not-applicable").run()
    saved = _consensus_of(site, draft.id, "D1.1.1")
    assert (saved.level, saved.not_applicable) == (None, True)


def indicator_cards(at: AppTest) -> list[str]:
    """The ids of the indicators shown on the Consensus page (each card starts with "**ID** · statement")."""
    return [m.group(1) for md in at.markdown if (m := re.match(r"\*\*(D[\d.]+)\*\* · ", md.value))]


def test_only_disagreements_filter_on_a_locked_round(site: Site) -> None:
    published = site.rounds(MINE, "published")[0]
    at = site.open("demo-admin", "consensus", round_id=published.id)
    at.radio(key=f"consensus-domain-{published.id}").set_value("all").run()
    assert len(indicator_cards(at)) == len(MLM.indicators)
    at.toggle(key=f"consensus-only-disagreements-{published.id}").set_value(True).run()
    ratings: dict[str, list[int]] = {}
    for rating in site.services.all_ratings(OPERATOR_ID, published.id):
        if rating.level is not None:
            ratings.setdefault(rating.indicator_id, []).append(rating.level)
    expected = sorted(i for i, levels in ratings.items() if max(levels) - min(levels) >= 2)
    assert 0 < len(expected) < len(MLM.indicators)
    assert sorted(indicator_cards(at)) == expected
    # a published round is locked: the decisions are shown as text, nothing can change
    assert "locked" in texts(at.info)
    assert not [r for r in at.radio if r.key and r.key.endswith(":level")]
    assert "**Consensus level**" in texts(at.markdown)


def test_consensus_conflict_keep_mine_and_take_theirs(site: Site) -> None:
    draft = site.rounds(MINE, "draft")[0]
    coordinator = site.user_id("demo-coordinator")
    at = site.open("demo-coordinator", "consensus", round_id=draft.id)
    # someone else (another tab) records a consensus after this page was opened
    site.services.set_consensus(coordinator, draft.id, "D1.1.1", level=2, rationale="theirs", expected_version=0)
    at.radio(key=f"consensus:{draft.id}:D1.1.1:level").set_value(4).run()
    warning = texts(at.warning)
    assert "Yours:" in warning and "level 4" in warning and "Saved meanwhile:" in warning and "level 2" in warning
    at.button(key=f"consensus:{draft.id}:D1.1.1:level::mine").click().run()
    assert _consensus_of(site, draft.id, "D1.1.1").level == 4
    assert not at.warning

    # another save meanwhile, after this page was last drawn
    site.services.set_consensus(coordinator, draft.id, "D1.2.1", level=2, rationale="theirs", expected_version=0)
    at.radio(key=f"consensus:{draft.id}:D1.2.1:level").set_value(5).run()
    at.button(key=f"consensus:{draft.id}:D1.2.1:level::theirs").click().run()
    assert at.radio(key=f"consensus:{draft.id}:D1.2.1:level").value == 2
    assert at.text_area(key=f"consensus:{draft.id}:D1.2.1:rationale").value == "theirs"
    assert _consensus_of(site, draft.id, "D1.2.1").level == 2
    assert not at.warning


def test_start_review_then_submit_with_confirmation_locks_the_round(site: Site) -> None:
    draft = site.rounds(MINE, "draft")[0]
    at = site.open("demo-coordinator", "consensus", round_id=draft.id)
    at.button(key=f"consensus-start-{draft.id}").click().run()
    assert site.services.get_round(OPERATOR_ID, draft.id).status == "in_review"
    assert not [b for b in at.button if b.key == f"consensus-start-{draft.id}"]  # only from draft
    at.button(key=f"consensus-submit-{draft.id}").click().run()
    assert "Submit this round?" in texts(at.warning)
    assert site.services.get_round(OPERATOR_ID, draft.id).status == "in_review"  # not before confirming
    at.button(key=f"consensus-submit-no-{draft.id}").click().run()
    assert not at.warning
    at.button(key=f"consensus-submit-{draft.id}").click().run()
    at.button(key=f"consensus-submit-yes-{draft.id}").click().run()
    assert not at.exception
    assert site.services.get_round(OPERATOR_ID, draft.id).status == "submitted"
    assert "The round is submitted." in texts(at.success)
    assert "locked" in texts(at.info)
    assert not [r for r in at.radio if r.key and r.key.endswith(":level")]
    assert not [b for b in at.button if b.key == f"consensus-submit-{draft.id}"]


# --- administration ----------------------------------------------------------------------------


def test_admin_tabs_and_refusal_for_others(shared_site: Site) -> None:
    at = shared_site.open("demo-admin", "admin")
    assert [t.label for t in at.tabs] == [
        "Users & roles",
        "Health systems",
        "Questionnaire versions",
        "Rounds",
        "Audit log",
    ]
    users = at.dataframe[0].value
    assert "demo-viewer" in set(users["Username"])


def test_admin_adds_health_system_and_shows_validation_error(site: Site) -> None:
    at = site.open("demo-admin", "admin")
    code = next(t for t in at.text_input if t.label == "ISO code")
    code.set_value("QQ")
    next(b for b in at.button if b.label == "Add health system").click().run()
    assert "not an ISO 3166-1 alpha-2 country code" in unescaped(texts(at.error))
    code = next(t for t in at.text_input if t.label == "ISO code")
    code.set_value("ee")
    next(b for b in at.button if b.label == "Add health system").click().run()
    assert "Added the health system EE." in unescaped(texts(at.success))
    assert "EE" in {s.code for s in site.services.list_health_systems(OPERATOR_ID)}


def test_admin_add_user_form_keeps_what_was_typed_after_a_refusal(site: Site) -> None:
    at = site.open("demo-admin", "admin")
    typed = {"Username": "demo-viewer", "Full name": "Vera Viewer", "E-mail (optional)": "vera@example.org"}
    for label, value in typed.items():
        next(t for t in at.text_input if t.label == label).set_value(value)
    next(t for t in at.text_input if t.key and t.key.startswith("admin-add-password")).set_value("long-enough-1")
    next(b for b in at.button if b.label == "Add user").click().run()
    assert "'demo-viewer' is taken" in unescaped(texts(at.error))
    kept = {t.label: t.value for t in at.text_input if t.key and t.key.startswith("admin-add")}
    assert kept == {**typed, "Password": "long-enough-1"}  # nothing to type again
    next(t for t in at.text_input if t.label == "Username").set_value("vera")
    next(b for b in at.button if b.label == "Add user").click().run()
    assert "Added the user vera." in unescaped(texts(at.success))
    assert {t.label: t.value for t in at.text_input if t.key and t.key.startswith("admin-add")} == dict.fromkeys(
        [*typed, "Password"], ""
    )  # added: the form is empty for the next one
    assert "vera" in {u.username for u in site.services.list_users(OPERATOR_ID)}


def test_admin_questionnaire_upload_lists_errors_with_line_numbers(site: Site) -> None:
    at = site.open("demo-admin", "admin")
    broken = b"id: mlm\nversion: '9'\ntitle: Broken\nlanguage: en\nsource: {citation: x}\nlevels: []\npillars: []\n"
    at.file_uploader[0].set_value(("broken.yaml", broken, "application/yaml"))
    next(b for b in at.button if b.label == "Validate and register").click().run()
    shown = unescaped(texts(at.error))
    lines = shown.split("  \n")
    assert len(lines) >= 2, shown
    assert all(re.match(r"broken\.yaml:\d+:\d+: ", line) for line in lines), lines


def test_admin_publishes_and_reopens_with_a_reason(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    from b1mg_maturity.report import jobs

    prepared: list[int] = []  # the reports are asked for (made in tests/integration/test_report_publication.py)
    monkeypatch.setattr(jobs, "prepare_published", lambda services, actor_id, view: prepared.append(view.id))
    submitted = site.rounds(status="submitted")[0]
    at = site.open("demo-admin", "admin")
    at.selectbox(key="admin-publish-round").set_value(submitted)
    at.button(key="admin-publish").click().run()
    assert site.services.get_round(OPERATOR_ID, submitted.id).status == "submitted"  # asked first
    assert "Analysts will see it" in texts(at.warning)
    at.button(key="admin-publish-no").click().run()
    assert not at.warning and site.services.get_round(OPERATOR_ID, submitted.id).status == "submitted"
    at.button(key="admin-publish").click().run()
    at.button(key="admin-publish-yes").click().run()
    assert site.services.get_round(OPERATOR_ID, submitted.id).status == "published"
    assert unescaped(texts(at.success)).startswith(f"Published: {submitted.health_system.name}")
    wait = 0
    while not prepared and wait < 100:  # asked for on a thread of its own
        threading.Event().wait(0.1)
        wait += 1
    assert prepared == [submitted.id]
    published = site.services.get_round(OPERATOR_ID, submitted.id)
    at.selectbox(key="admin-reopen-round").set_value(published)
    at.button(key="admin-reopen").click().run()
    assert "say why the round is reopened" in unescaped(texts(at.error))
    assert site.services.get_round(OPERATOR_ID, submitted.id).status == "published"
    at.text_area(key="admin-reopen-reason").set_value("Typo in the consensus of D1.1.1")
    at.button(key="admin-reopen").click().run()
    assert site.services.get_round(OPERATOR_ID, submitted.id).status == "in_review"
    # the audit log tells it in words, newest first, filtered by round
    at.selectbox(key="admin-audit-round").set_value(submitted.id).run()
    log = at.dataframe[-1].value
    assert list(log["Action"][:2]) == ["Sent to review", "Published"]
    assert list(log["Change"][:2]) == [
        "status: published -> in review; reason: “Typo in the consensus of D1.1.1”",
        "status: submitted -> published",
    ]
    assert set(log["Round"]) == {submitted.label}
    system = submitted.health_system
    assert set(log["Health system"]) == {f"{system.name} ({system.code})"}


def test_admin_grants_a_role(site: Site) -> None:
    at = site.open("demo-admin", "admin")
    at.selectbox(key="admin-role-user").set_value("nobody")
    at.selectbox(key="admin-role-system").set_value(OTHER_PUBLISHED)
    at.selectbox(key="admin-role-role").set_value("viewer")
    at.button(key="admin-grant").click().run()
    assert (OTHER_PUBLISHED, "viewer") in site.services.whoami(site.user_id("nobody")).memberships
    assert f"nobody is now viewer of {OTHER_PUBLISHED}." in unescaped(texts(at.success))


# --- free text is shown as text ----------------------------------------------------------------


def html_bodies(at: AppTest) -> list[str]:
    """The HTML of every ``st.html`` element (experts table, save status lines, the autosave script)."""
    return [node.proto.body for node in nodes(at) if getattr(node, "type", None) == "html"]


def _no_unsafe_html(at: AppTest) -> None:
    for body in html_bodies(at):
        if body.strip() in own_scripts():
            continue  # a constant: no user text ever goes into it
        assert not re.search(r"<(script|img)", body, re.IGNORECASE), body
    for node in nodes(at):
        proto = getattr(node, "proto", None)
        assert not getattr(proto, "allow_html", False), f"unsafe_allow_html in {node}"
    for body in markdown_bodies(at):
        assert not re.search(r"(?<!\\)<(script|img)", body), body


def test_html_and_script_in_evidence_and_names_are_shown_as_text(site: Site) -> None:
    services = site.services
    system = services.add_health_system(OPERATOR_ID, "XZ", demo_name=f"Evil {SCRIPT} land")
    coordinator = site.user_id("demo-coordinator")
    services.grant(OPERATOR_ID, "demo-coordinator", "XZ", "coordinator")
    services.add_user(OPERATOR_ID, "mallory", "mallory-password-1", display_name=f"Mallory {IMG}")
    services.grant(OPERATOR_ID, "mallory", "XZ", "expert")
    round_ = services.open_round(coordinator, system.code, f"Round {SCRIPT}", site.rounds(MINE)[0].round_date)
    services.invite_expert(coordinator, round_.id, "mallory")
    services.rate(
        site.user_id("mallory"),
        round_.id,
        "D1.1.1",
        level=2,
        evidence=f"See {SCRIPT} and {IMG} *bold* [link](javascript:alert(1))",
        links=["https://example.org/<script>"],
        expected_version=0,
    )
    services.set_consensus(coordinator, round_.id, "D1.1.1", level=2, rationale=f"Agreed {SCRIPT}", expected_version=0)

    consensus = site.open("demo-coordinator", "consensus", round_id=round_.id)
    _no_unsafe_html(consensus)
    seen = unescaped("\n".join(markdown_bodies(consensus))) + html.unescape("\n".join(html_bodies(consensus)))
    assert SCRIPT in seen and IMG in seen and "*bold* [link](javascript:alert(1))" in seen
    assert 'href="https://example.org/&lt;script&gt;"' in "\n".join(html_bodies(consensus))
    assert f"Evil {SCRIPT} land" in seen  # the health system's name in the sidebar
    assert consensus.text_area(key=f"consensus:{round_.id}:D1.1.1:rationale").value == f"Agreed {SCRIPT}"
    assert any(SCRIPT in o for o in consensus.selectbox(key="consensus-round").options)

    results = site.open("demo-coordinator", "results", round_id=round_.id)
    _no_unsafe_html(results)

    as_mallory = site.open("mallory", "assessments")
    _no_unsafe_html(as_mallory)
    assert f"Mallory {IMG}" in unescaped("\n".join(markdown_bodies(as_mallory)))

    admin = site.open("demo-admin", "admin")
    _no_unsafe_html(admin)
    assert f"Mallory {IMG}" in set(admin.dataframe[0].value["Name"])

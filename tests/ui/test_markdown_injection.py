"""Text from an address, a file or a user is shown as text, never run as markdown (issue 16, finding 8).

A crafted Compare link (``label=``, ``q=``, ``pillar=``, ``systems=``) used to
be rendered as markdown: a signed-in victim's browser loaded an outside image
and saw a fake "sign in again here" link.  The page's markdown sources are
rendered here with a CommonMark renderer (markdown-it, as Streamlit's
react-markdown follows CommonMark) and must hold no link and no image, and no
bare web address that GitHub-flavoured markdown would turn into a link.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

from b1mg_maturity.cli.database import OPERATOR_ID, operator_services
from b1mg_maturity.ui.feedback import escape_markdown
from tests.apptest import app_database, nodes, open_app, own_scripts

PASSWORD = "injection-test-1"
LINK = "[Your session expired: sign in again here](https://evil.example/login)"
IMAGE = "![](https://evil.example/pixel.png)"
BARE = "https://evil.example/x www.evil.example a@evil.example"
HOSTILE = f"{LINK} {IMAGE} {BARE} <img src=x> :material/lock: :red[alarm]"


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One published round (so that Compare has something to show), an analyst and a coordinator."""
    url = f"sqlite:///{tmp_path_factory.mktemp('injection') / 'db.sqlite3'}"
    services = operator_services(url)
    admin = services.add_user(OPERATOR_ID, "admin", PASSWORD, global_role="admin").id
    services.add_user(admin, "analyst", PASSWORD, global_role="analyst")
    services.add_user(admin, "coordinator", PASSWORD)
    services.add_health_system(admin, "DE")
    services.grant(admin, "coordinator", "DE", "coordinator")
    coordinator = services.whoami(services.sign_in("coordinator", PASSWORD)).id
    round_ = services.open_round(coordinator, "DE", "Round 2026", dt.date(2026, 3, 1))
    services.set_consensus(coordinator, round_.id, "D1.1.1", level=3, expected_version=0)
    services.start_review(coordinator, round_.id)
    services.submit(coordinator, round_.id)
    services.publish(admin, round_.id)
    services.db.dispose()
    with app_database():
        yield url


def markdown_sources(at: AppTest) -> list[str]:
    """Every text the page hands to the markdown renderer: bodies, widget labels and help texts."""
    sources = []
    for node in nodes(at):
        proto = getattr(node, "proto", None)
        for attribute in ("body", "label", "help"):
            value = getattr(proto, attribute, None)
            if isinstance(value, str) and value and value.strip() not in own_scripts():
                sources.append(value)
    return sources


def dangerous(source: str) -> list[str]:
    """What markdown would make of ``source`` that is not plain text: links, images, raw HTML, autolinks."""
    found = []
    html = MarkdownIt("commonmark").render(source)
    for tag in ("<a ", "<img", "<script"):
        if tag in html:
            found.append(f"{tag!r} in {html[:200]!r}")
    for pattern in (r"(?<!\\)://", r"www\.", r"(?<!\\)@evil", r"(?<!\\):material/", r"(?<!\\):red\["):
        if re.search(pattern, source):
            found.append(f"{pattern!r} unescaped in {source[:200]!r}")
    return found


@pytest.mark.parametrize("username", ["analyst", "coordinator"])
@pytest.mark.parametrize(
    "query",
    [
        {"rounds": "label", "label": HOSTILE},
        {"q": HOSTILE},
        {"pillar": HOSTILE},
        {"systems": "![](HTTP://E.CO)"},
        {"group": "list", "members": "[X](HTTP://E.CO)"},
    ],
    ids=["label", "q", "pillar", "systems", "members"],
)
def test_a_crafted_compare_address_shows_as_text(database: str, username: str, query: dict[str, str]) -> None:
    at = open_app(database, username, "compare", query=query)
    sources = markdown_sources(at)
    problems = [problem for source in sources for problem in dangerous(source)]
    assert not problems, problems
    # the refused value is named, literally (a member's round choice is dropped without repeating it)
    if "q" in query or "pillar" in query or ("label" in query and username == "analyst"):
        shown = " ".join(MarkdownIt("commonmark").render(s) for s in sources)
        assert "evil.example/login" in shown, sources


def test_escape_markdown_leaves_nothing_to_run() -> None:
    escaped = escape_markdown(HOSTILE)
    assert not dangerous(escaped)
    rendered = MarkdownIt("commonmark").render(escaped)
    assert "[Your session expired: sign in again here](https://evil.example/login)" in rendered.replace(
        "&lt;", "<"
    ).replace("&gt;", ">")


@pytest.fixture(scope="module")
def plan_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A submitted round with one gap, and a plan whose one action is written by an attacker."""
    from b1mg_maturity.planning import ActionDraft, Aim

    url = f"sqlite:///{tmp_path_factory.mktemp('plan-injection') / 'db.sqlite3'}"
    services = operator_services(url)
    admin = services.add_user(OPERATOR_ID, "admin", PASSWORD, global_role="admin").id
    services.add_user(admin, "coordinator", PASSWORD)
    system = services.add_health_system(admin, "DE")
    services.grant(admin, "coordinator", "DE", "coordinator")
    coordinator = services.whoami(services.sign_in("coordinator", PASSWORD)).id
    round_ = services.open_round(coordinator, "DE", "Round 2026", dt.date(2026, 3, 1))
    services.set_consensus(coordinator, round_.id, "D1.1.1", level=2, expected_version=0)
    services.set_target(coordinator, round_.id, "D1.1.1", target=4, expected_version=0)
    services.start_review(coordinator, round_.id)
    services.submit(coordinator, round_.id)
    text = HOSTILE[:190]
    services.add_action(
        coordinator,
        system.id,
        ActionDraft(
            title=text,
            aims=(Aim("D1.1.1", 3),),
            owner_name=text,
            notes=text,
            start=dt.date(2026, 4, 1),
            due=dt.date(2026, 5, 1),
        ),
        today=dt.date(2026, 6, 1),
    )
    services.db.dispose()
    with app_database():
        yield url


def test_an_actions_text_shows_as_text_on_the_plan_page(plan_database: str) -> None:
    """The title, owner and notes of an action are a person's text: on the Plan page (the gap it addresses,
    the table, the timeline's text, the editor) they never become a link, an image or markup."""
    at = open_app(plan_database, "coordinator", "plan")
    sources = [s for s in markdown_sources(at) if "evil" in s]  # the questionnaire's own guidance links are links
    assert sources, "the action's text is not on the page"
    problems = [problem for source in sources for problem in dangerous(source)]
    assert not problems, problems

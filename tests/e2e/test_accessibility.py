"""WCAG 2.1 AA in a real browser: axe-core on every page each role sees, and what axe cannot check alone.

Each role signs in once and opens every page of its menu (a visitor: sign-in,
quick assessment, reset password), with the XA draft round selected where the
role works on it.  On a tall viewport, so that axe sees the whole page, once the
page has settled: no critical and no serious violation of the WCAG 2.0/2.1 A
and AA rules.  Every page also has a title of its own, ``<html lang="en">``, and
no heading anchor link in the tab order.  The counts of every impact per page are
printed (``-s``), and written to ``B1MG_AXE_COUNTS`` when that is set.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]

from b1mg_maturity.ui.accessibility import APP_TITLE
from tests.e2e.conftest import RunningApp, sign_in
from tests.e2e.pages import idle

WCAG_AA = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}
IMPACTS = ("critical", "serious", "moderate", "minor")
TALL = {"width": 1400, "height": 4000}

# role -> the round its pages open (the XA draft round for those who work on it; None: the page's default)
ROLES: dict[str | None, str] = {
    None: "",
    "demo-expert": "?round=3",
    "demo-coordinator": "?round=3",
    "demo-viewer": "",
    "demo-analyst": "",
    "demo-admin": "?round=3",
}
VISITOR_PAGES = {"": "Sign in", "quick": "Quick assessment", "reset-password": "Set a new password"}

_MENU = """() => Array.from(document.querySelectorAll('[data-testid="stSidebarNavLink"]'))
  .map(a => [new URL(a.href).pathname.replace(/^\\//, ''),
              a.querySelector('[data-testid="stMarkdownContainer"]').innerText.trim()])"""
_CHECKS = """() => ({
  lang: document.documentElement.lang,
  anchorsInTabOrder: Array.from(document.querySelectorAll('[data-testid="stHeaderActionElements"] a'))
    .filter(a => a.tabIndex >= 0).length,
  liveRegions: document.querySelectorAll('[role="status"][aria-live="polite"].b1mg-live').length,
})"""


def _menu(page: Any) -> dict[str, str]:
    """The pages of the signed-in user's menu: address ("" for the first) -> title (signing out is no page)."""
    return {path: title for path, title in page.evaluate(_MENU) if path != "sign-out"}


def _open(page: Any, url: str, title: str) -> None:
    """Open a page and wait until it has settled: its own title set, its script run to the end."""
    page.goto(url)
    page.wait_for_function("t => document.title === t", arg=f"{title} · {APP_TITLE}")
    idle(page)
    # the page script (ui/accessibility.py) has run: on a loaded machine it can mount after the first idle
    page.wait_for_function("() => document.querySelector('.b1mg-live') !== null")
    page.wait_for_timeout(300)  # charts lay themselves out once drawn
    idle(page)


def test_every_page_of_every_role_has_no_serious_violation(running_app: RunningApp, new_page: Any) -> None:
    axe = Axe()
    counts: list[tuple[str, str, dict[str, int]]] = []
    serious: list[str] = []
    titles: dict[str, set[str]] = {}
    for user, round_query in ROLES.items():
        page = new_page()
        role = user or "visitor"
        if user is None:
            pages = VISITOR_PAGES
        else:
            sign_in(page, running_app, user)
            pages = _menu(page)
            assert pages.get("") == "My assessments" and {"results", "account"} <= set(pages), pages
        page.set_viewport_size(TALL)
        for path, title in pages.items():
            query = round_query if path in {"rate", "consensus", "results"} else ""
            _open(page, f"{running_app.url}/{path}{query}", title)
            checks = page.evaluate(_CHECKS)
            assert checks == {"lang": "en", "anchorsInTabOrder": 0, "liveRegions": 1}, (role, path, checks)
            titles.setdefault(page.title(), set()).add(path)
            found = {impact: 0 for impact in IMPACTS}
            for violation in axe.run(page, options=WCAG_AA).response["violations"]:
                found[violation["impact"]] += len(violation["nodes"])
                if violation["impact"] in ("critical", "serious"):
                    where = [node["target"] for node in violation["nodes"][:3]]
                    serious.append(f"{role} /{path}: {violation['id']} ({violation['impact']}) at {where}")
            counts.append((role, path or ("sign-in" if user is None else "assessments"), found))
    table = _table(counts)
    print("\n" + table)
    if os.environ.get("B1MG_AXE_COUNTS"):
        Path(os.environ["B1MG_AXE_COUNTS"]).write_text(table + "\n", encoding="utf-8")
    assert len(counts) >= 3 + 5 * 4, "fewer pages were checked than the menus hold"
    assert not serious, "\n".join(serious)
    # each page its own title: the same title is the same page address, whoever opened it
    assert all(len(paths) == 1 for paths in titles.values()), titles


def _table(counts: list[tuple[str, str, dict[str, int]]]) -> str:
    lines = [f"{'role':<18} {'page':<16} " + " ".join(f"{impact:>8}" for impact in IMPACTS)]
    for role, path, found in counts:
        lines.append(f"{role:<18} {path:<16} " + " ".join(f"{found[impact]:>8}" for impact in IMPACTS))
    return "\n".join(lines)

"""The menu: each page's title and icon.  Who sees which page is :func:`b1mg_maturity.permissions.pages_for`;
the services decide what each page may show."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from b1mg_maturity import permissions
from b1mg_maturity.i18n import N_, _, _p
from b1mg_maturity.permissions import Page
from b1mg_maturity.services import UserView
from b1mg_maturity.ui.page_registry import remember
from b1mg_maturity.ui.session_cookie import forget_sign_in


def _page(module: str) -> Callable[[], None]:
    """The ``render`` of the page module ``b1mg_maturity.ui.<module>``, imported when the page runs: the
    sign-in page loads no tables, charts or report machinery, and each page only its own."""

    def render() -> None:
        importlib.import_module(f"b1mg_maturity.ui.{module}").render()

    render.__name__ = render.__qualname__ = module
    return render


@dataclass(frozen=True)
class PageSpec:
    render: Callable[[], None]
    title: str
    icon: str
    page: Page  # its address, and who sees it (permissions.pages_for)


PAGES = (
    PageSpec(_page("my_assessments"), N_("My assessments"), ":material/assignment:", Page.MY_ASSESSMENTS),
    PageSpec(_page("rate"), N_("Rate"), ":material/rate_review:", Page.RATE),
    PageSpec(_page("consensus"), N_("Consensus"), ":material/handshake:", Page.CONSENSUS),
    PageSpec(_page("results"), N_("Results"), ":material/insights:", Page.RESULTS),
    PageSpec(_page("plan"), N_("Action plan"), ":material/flag:", Page.PLAN),
    PageSpec(_page("compare"), N_("Compare"), ":material/compare_arrows:", Page.COMPARE),
    PageSpec(_page("overview"), N_("Programme overview"), ":material/public:", Page.OVERVIEW),
    PageSpec(_page("admin"), N_("Administration"), ":material/admin_panel_settings:", Page.ADMIN),
    PageSpec(_page("history"), N_("Round history"), ":material/history:", Page.HISTORY),
    PageSpec(_page("quick_assessment"), N_("Quick assessment"), ":material/checklist:", Page.QUICK_ASSESSMENT),
    PageSpec(_page("account"), N_("My account"), ":material/manage_accounts:", Page.ACCOUNT),
)

# What a visitor (not signed in) may open: signing in, a quick assessment that stores nothing, and the
# page a one-time password-reset link leads to.
VISITOR_PAGES = (
    ("sign_in", N_("Sign in"), ":material/login:", "sign-in"),
    ("quick_assessment", N_("Quick assessment"), ":material/checklist:", "quick"),
    ("reset_password", N_("Set a new password"), ":material/key:", "reset-password"),
)


def _sign_out_page() -> None:
    """End the session on the server, remove the cookie, and leave single sign-on too when it was used.

    ``st.user`` has no ``is_logged_in`` at all when single sign-on is not
    configured, hence ``get``.
    """
    forget_sign_in()
    if st.user.get("is_logged_in"):
        st.logout()
    st.rerun()


def _menu_title(spec: PageSpec) -> str:
    """The page's name as its own title says it ("Rate" is the verb: some languages say it apart)."""
    return _p("page title", "Rate") if spec.page == Page.RATE else _(spec.title)


def pages_for(user: UserView | None) -> list[st.Page]:
    if user is None:
        pages = [
            st.Page(_page(module), title=_(title), icon=icon, url_path=url_path, default=index == 0)
            for index, (module, title, icon, url_path) in enumerate(VISITOR_PAGES)
        ]
        remember(pages)
        return pages
    shown = set(permissions.pages_for(user))
    pages = [
        st.Page(spec.render, title=_menu_title(spec), icon=spec.icon, url_path=spec.page.value, default=index == 0)
        for index, spec in enumerate(p for p in PAGES if p.page in shown)
    ]
    pages.append(st.Page(_sign_out_page, title=_("Sign out"), icon=":material/logout:", url_path="sign-out"))
    remember(pages)
    return pages

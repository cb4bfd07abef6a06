"""The menu: each page's title and icon.  Who sees which page is :func:`b1mg_maturity.permissions.pages_for`;
the services decide what each page may show."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from b1mg_maturity import permissions
from b1mg_maturity.permissions import Page
from b1mg_maturity.services import UserView
from b1mg_maturity.ui import (
    admin,
    compare,
    consensus,
    my_assessments,
    overview,
    quick_assessment,
    rate,
    results,
    sign_in,
)
from b1mg_maturity.ui.page_registry import remember
from b1mg_maturity.ui.session_cookie import forget_sign_in


@dataclass(frozen=True)
class PageSpec:
    render: Callable[[], None]
    title: str
    icon: str
    page: Page  # its address, and who sees it (permissions.pages_for)


PAGES = (
    PageSpec(my_assessments.render, "My assessments", ":material/assignment:", Page.MY_ASSESSMENTS),
    PageSpec(rate.render, "Rate", ":material/rate_review:", Page.RATE),
    PageSpec(consensus.render, "Consensus", ":material/handshake:", Page.CONSENSUS),
    PageSpec(results.render, "Results", ":material/insights:", Page.RESULTS),
    PageSpec(compare.render, "Compare", ":material/compare_arrows:", Page.COMPARE),
    PageSpec(overview.render, "Programme overview", ":material/public:", Page.OVERVIEW),
    PageSpec(admin.render, "Administration", ":material/admin_panel_settings:", Page.ADMIN),
    PageSpec(quick_assessment.render, "Quick assessment", ":material/checklist:", Page.QUICK_ASSESSMENT),
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


def pages_for(user: UserView | None) -> list[st.Page]:
    if user is None:
        return [st.Page(sign_in.render, title="Sign in", icon=":material/login:", url_path="sign-in", default=True)]
    shown = set(permissions.pages_for(user))
    pages = [
        st.Page(spec.render, title=spec.title, icon=spec.icon, url_path=spec.page.value, default=index == 0)
        for index, spec in enumerate(p for p in PAGES if p.page in shown)
    ]
    pages.append(st.Page(_sign_out_page, title="Sign out", icon=":material/logout:", url_path="sign-out"))
    remember(pages)
    return pages

"""Which pages a signed-in user sees.  The services decide what each page may show; this only
keeps menus free of pages that could only ever say "not allowed"."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

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
    url_path: str
    visible: Callable[[UserView], bool]


def _roles(user: UserView) -> set[str]:
    return {role for _, role in user.memberships}


def _everyone(_: UserView) -> bool:
    return True


PAGES = (
    PageSpec(my_assessments.render, "My assessments", ":material/assignment:", "assessments", _everyone),
    PageSpec(rate.render, "Rate", ":material/rate_review:", "rate", lambda u: "expert" in _roles(u)),
    PageSpec(
        consensus.render,
        "Consensus",
        ":material/handshake:",
        "consensus",
        lambda u: u.global_role == "admin" or "coordinator" in _roles(u),
    ),
    PageSpec(results.render, "Results", ":material/insights:", "results", _everyone),
    PageSpec(compare.render, "Compare", ":material/compare_arrows:", "compare", _everyone),
    PageSpec(
        overview.render,
        "Programme overview",
        ":material/public:",
        "overview",
        lambda u: u.global_role in ("admin", "analyst"),
    ),
    PageSpec(
        admin.render, "Administration", ":material/admin_panel_settings:", "admin", lambda u: u.global_role == "admin"
    ),
    PageSpec(quick_assessment.render, "Quick assessment", ":material/checklist:", "quick", _everyone),
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
    pages = [
        st.Page(spec.render, title=spec.title, icon=spec.icon, url_path=spec.url_path, default=index == 0)
        for index, spec in enumerate(p for p in PAGES if p.visible(user))
    ]
    pages.append(st.Page(_sign_out_page, title="Sign out", icon=":material/logout:", url_path="sign-out"))
    remember(pages)
    return pages

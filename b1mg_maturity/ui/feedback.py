"""The one place where the web app turns errors into messages.  A user never sees a traceback."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from html import escape
from typing import Protocol, TypeVar

import streamlit as st

from b1mg_maturity.errors import B1mgError, Conflict, PermissionDenied
from b1mg_maturity.i18n import _
from b1mg_maturity.storage.failures import database_failure

log = logging.getLogger("b1mg_maturity.ui")
T = TypeVar("T")


def show_error(exc: BaseException) -> None:
    exc = _explained(exc)
    if isinstance(exc, PermissionDenied):
        st.error(exc.message, icon=":material/lock:")
    elif isinstance(exc, Conflict):
        st.warning(exc.message, icon=":material/sync_problem:")
    elif isinstance(exc, B1mgError):
        lines = exc.lines()
        st.error("  \n".join(escape_markdown(line) for line in lines), icon=":material/error:")
    else:
        log.exception("unexpected error in the web app", exc_info=exc)
        st.error(
            _(
                "Something went wrong on our side; nothing you entered before this was lost. "
                "Please try again, and tell your administrator if it happens again."
            ),
            icon=":material/error:",
        )


def _explained(exc: BaseException) -> BaseException:
    """A database failure (disk full, read-only ...) as a plain-words error; anything else unchanged."""
    failure = database_failure(exc)
    if failure is None:
        return exc
    log.warning("database failure shown to the user as: %s", failure.message, exc_info=exc)
    return failure


def attempt(action: Callable[[], T]) -> T | None:
    """Run a use case; show any error in the page and return None instead of raising."""
    try:
        return action()
    except Exception as exc:  # noqa: BLE001 - every error ends here, shown as a message
        show_error(exc)
        return None


def or_stop(action: Callable[[], T]) -> T:
    """Run what the rest of the run cannot do without (who is signed in, say); on an error show it, in
    plain words, and stop this run.  A database outage is said as such: it never signs anyone out."""
    try:
        return action()
    except Exception as exc:  # noqa: BLE001 - every error ends here, shown as a message
        show_error(exc)
        st.stop()


def escape_markdown(text: str) -> str:
    """Text from a user, a file or an address, for use inside markdown: shown as typed, never run.

    Every markdown punctuation is escaped; ``:`` and ``@`` too, so that no web
    or e-mail address becomes a link by itself, and no ``:material/icon:`` or
    ``:red[...]`` directive of Streamlit applies.
    """
    for char in "\\`*_{}[]()#+-.!|<>$~:@&=\"'":
        text = text.replace(char, "\\" + char)
    return text


class Linked(Protocol):
    @property
    def title(self) -> str: ...

    @property
    def url(self) -> str: ...


def markdown_link(link: Linked) -> str:
    """A checked https address (a questionnaire's guidance) as a markdown link: the title escaped and shown as
    text, the characters that would end the link's target encoded in the address."""
    target = link.url
    for char in "()<>\\ ":
        target = target.replace(char, f"%{ord(char):02X}")
    return f"[{escape_markdown(link.title)}]({target})"


def guidance_line(links: Sequence[Linked]) -> str:
    """``Guidance: <a link>, <a link>`` on one line, as the Results and Plan pages show it beside a gap."""
    return ":material/menu_book: " + _("**Guidance:** {links}", links=", ".join(markdown_link(r) for r in links))


def announce(text: str, *, key: str, focus: str | None = None) -> None:
    """Have screen readers read out a short status (``"The PDF report is ready to download."``) once.

    The page's live region (ui/accessibility.py) reads ``text`` when it is new for
    ``key``: a rerun that draws the same announcement again says nothing.  ``focus``
    (a CSS selector, such as ``".st-key-results-pdf-3 button"``) is where the
    keyboard focus goes if the control that had it vanished in this rerun (a
    "Prepare" button replaced by its download), instead of the top of the page.
    """
    focus_attribute = f' data-focus="{escape(focus)}"' if focus else ""
    st.html(
        f'<div class="b1mg-announce" hidden data-key="{escape(key)}" data-text="{escape(text)}"{focus_attribute}></div>'
    )

"""A round's messages (invitations, reminders, status changes) and where each stands, for its coordinator.

What :meth:`MailUseCases.round_mails` returns, in words.  Without a mail
server nothing is sent: each message is shown ready to copy into one's own
e-mail program.
"""

from __future__ import annotations

import streamlit as st

from b1mg_maturity.i18n import _
from b1mg_maturity.services import Services
from b1mg_maturity.services.mail import MailState, OutboxEntry, state_words
from b1mg_maturity.ui.feedback import attempt, escape_markdown


def round_messages(services: Services, actor_id: int, round_id: int) -> None:
    """The round's newest messages, each with its recipients and state; unsent ones ready to copy.

    Draws no heading and no expander of its own: the caller frames it (an expander
    titled "Messages" on the Consensus page; Streamlit cannot nest expanders).
    """
    mails = attempt(lambda: services.round_mails(actor_id, round_id))
    if mails is None:
        return
    if not mails:
        st.caption(_("No messages yet. Invitations, reminders and changes of status will be listed here."))
        return
    for mail in mails:
        with st.container(border=True):
            st.markdown(f"**{escape_markdown(mail.subject)}**")
            st.markdown(
                _("To: {recipients}", recipients=_recipients(mail)) + "  \n" + escape_markdown(state_words(mail))
            )
            if _to_copy(mail):
                st.code(copy_text(mail), language=None, wrap_lines=True)


def copy_text(mail: OutboxEntry) -> str:
    """The message as one would paste it into an e-mail program."""
    to = ", ".join(mail.recipients) or _("(no e-mail address on file: add the person's address)")
    return (
        _("To: {recipients}", recipients=to) + "\n" + _("Subject: {subject}", subject=mail.subject) + f"\n\n{mail.body}"
    )


def _to_copy(mail: OutboxEntry) -> bool:
    return mail.state in (MailState.TO_COPY, MailState.GAVE_UP) and bool(mail.body)


def _recipients(mail: OutboxEntry) -> str:
    if not mail.recipients:
        return _("nobody yet (no e-mail address on file)")
    return ", ".join(escape_markdown(address) for address in mail.recipients)

"""The line that says a questionnaire is shown in a draft translation, or in another language than the page."""

from __future__ import annotations

import streamlit as st

from b1mg_maturity import i18n
from b1mg_maturity.i18n import _
from b1mg_maturity.questionnaire import Questionnaire
from b1mg_maturity.questionnaire.translation import TranslationNote, shown_note


def notice_text(note: TranslationNote) -> str:
    """The note in words (the PDF says the same)."""
    if note.draft:
        return _(
            "The questionnaire is shown in a draft translation into {language}: a native-speaking domain expert "
            "has not reviewed it yet. Ratings do not depend on the language.",
            language=i18n.language_in_words(note.language),
        )
    return _(
        "The questionnaire has no translation into {language} yet: its texts are shown in {shown}.",
        language=i18n.language_in_words(note.language),
        shown=i18n.language_in_words(note.shown_in),
    )


def show(questionnaire: Questionnaire) -> None:
    """A quiet caption under the page title when there is something to say about the questionnaire's language."""
    note = shown_note(questionnaire)
    if note is not None:
        st.caption(notice_text(note))

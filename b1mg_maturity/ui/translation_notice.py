"""The line that says a questionnaire is shown in a draft translation, or in another language than the page."""

from __future__ import annotations

import streamlit as st

from b1mg_maturity.questionnaire import Questionnaire
from b1mg_maturity.questionnaire.translation import note_text, shown_note


def show(questionnaire: Questionnaire) -> None:
    """A quiet caption under the page title when there is something to say about the questionnaire's language."""
    note = shown_note(questionnaire)
    if note is not None:
        st.caption(note_text(note))

"""One widget bound to one saved field (level, evidence, links, rationale, target): the page's only save logic.

Streamlit forgets the state of a widget that was not drawn in a run (another
domain was shown, another page was open).  So a widget never relies on its
own state surviving: every time it is drawn, :meth:`BoundField.sync` puts the
database's value into it unless the person has an unsaved value there (a
conflict or a refused value waiting for their choice), which is kept in a key
that does survive.  What the page last showed from the database (``seen``) is
kept beside it: an edit sends ``seen`` and the new value, so the services
write that one field, and only while it still holds what the person saw.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from typing import Any

import streamlit as st

from b1mg_maturity.edits import FieldEdit, RecordFields
from b1mg_maturity.errors import Conflict
from b1mg_maturity.ui.feedback import error_lines, escape_markdown, show_error

_MISSING = object()
_DRAWN = itertools.count(1)  # a new number for every status line drawn (no session-state write)


@dataclass(frozen=True)
class Saved:
    """The outcome shown after a successful save."""

    at: dt.datetime | None


@dataclass(frozen=True)
class BoundField:
    """A widget key bound to one field of one saved record.

    ``to_widget``/``from_widget`` convert between the field's value and the
    widget's; ``save`` calls the use case and returns the field's stored value;
    ``describe`` puts a field value into words for conflict messages.
    """

    key: str
    label: str
    save: Callable[[FieldEdit], Any]
    record: RecordFields
    field: str
    to_widget: Callable[[Any], Any] = lambda value: value
    from_widget: Callable[[Any], Any] = lambda value: value
    describe: Callable[[Any], str] = str

    # --- session keys (non-widget keys survive runs in which the widget is not drawn) -----------

    @property
    def _seen(self) -> str:
        return f"{self.key}::seen"

    @property
    def _pending(self) -> str:
        return f"{self.key}::pending"

    @property
    def _problem(self) -> str:
        return f"{self.key}::problem"

    @property
    def _outcome(self) -> str:
        return f"{self.key}::outcome"

    # --- drawing ---------------------------------------------------------------------------------

    def sync(self, stored: Any) -> None:
        """Before the widget is drawn: show the database's value, or the person's unsaved one."""
        state = st.session_state
        pending = state.get(self._pending, _MISSING)
        if pending is not _MISSING:
            if self.key not in state:
                state[self.key] = pending
            return
        if self.key not in state or state.get(self._seen, _MISSING) != stored:
            state[self.key] = self.to_widget(stored)
            state[self._seen] = stored

    def problem(self) -> Exception | None:
        value = st.session_state.get(self._problem)
        return value if isinstance(value, Exception) else None

    def outcome(self) -> Saved | None:
        value = st.session_state.get(self._outcome)
        return value if isinstance(value, Saved) else None

    # --- callbacks ---------------------------------------------------------------------------------

    def on_change(self) -> None:
        """Widget callback: save the new value of this one field."""
        state = st.session_state
        raw = state.get(self.key)
        value = self.from_widget(raw)
        seen = state.get(self._seen)
        if value == seen and self._problem not in state:
            return
        try:
            stored = self.save(FieldEdit(self.field, seen, value))
        except Exception as exc:  # noqa: BLE001 - kept and shown in the card, with the person's value
            state[self._problem] = exc
            state[self._pending] = raw
            state.pop(self._outcome, None)
            return
        state[self._seen] = stored
        shown = self.to_widget(stored)
        if shown != raw:
            state[self.key] = shown  # the stored form, e.g. "https://" added to a bare web address
        state[self._outcome] = Saved(dt.datetime.now(dt.UTC))
        state.pop(self._problem, None)
        state.pop(self._pending, None)

    def keep_mine(self) -> None:
        """After a conflict: save the person's value over the one saved meanwhile, knowingly."""
        conflict = st.session_state.get(self._problem)
        if isinstance(conflict, Conflict):
            st.session_state[self._seen] = self.theirs(conflict)
        self.on_change()

    def take_theirs(self) -> None:
        """After a conflict or a refused value: drop the person's value; the next run shows the saved one."""
        for key in (self._problem, self._pending, self._seen, self.key, self._outcome):
            st.session_state.pop(key, None)

    def theirs(self, conflict: Conflict) -> Any:
        """The field's value saved meanwhile (blank when the record is gone)."""
        return self.record.value_of(self.field, conflict.theirs)


def status_region(key: str, fields: list[BoundField]) -> None:
    """The card's save status in words, announced politely to screen readers (aria-live)."""
    parts: list[str] = []
    state = "saved"
    for field in fields:
        problem = field.problem()
        if isinstance(problem, Conflict):
            parts.append(f"{field.label} not saved: changed meanwhile by someone else (see below).")
            state = "problem"
        elif problem is not None:
            parts.append(f"{field.label} not saved: " + " ".join(error_lines(problem)))
            state = "problem"
    if not parts:
        times = [o.at for f in fields if (o := f.outcome()) is not None and o.at is not None]
        if times:
            parts.append(f"All changes saved (last at {max(times):%H:%M:%S} UTC).")
    text = " ".join(escape(p) for p in parts)
    # A new number each run: the browser redraws the line even when its words did not change, replacing
    # the "Saving…" the autosave script wrote into it.
    drawn = next(_DRAWN)
    st.html(
        f'<div class="b1mg-save-status" data-state="{state}" data-card="{escape(key)}" data-drawn="{drawn}" '
        f'role="status" aria-live="polite">{text}</div>'
    )


def conflict_choice(field: BoundField) -> None:
    """When the field was changed meanwhile: both values in words, and the choice between them."""
    problem = field.problem()
    if problem is None:
        return
    if not isinstance(problem, Conflict):
        show_error(problem)
        st.button(
            f"Show the saved {field.label.lower()}",
            key=f"{field.key}::drop",
            on_click=field.take_theirs,
            help="Drops what you typed here and shows the value that is saved.",
        )
        return
    yours = field.from_widget(st.session_state.get(field.key))
    st.warning(
        f"**{escape_markdown(field.label)} was changed meanwhile by someone else.**  \n"
        f"**Yours:** {escape_markdown(field.describe(yours))}  \n"
        f"**Saved meanwhile:** {escape_markdown(field.describe(field.theirs(problem)))}",
        icon=":material/sync_problem:",
    )
    choice = st.container(horizontal=True)
    choice.button("Keep mine", key=f"{field.key}::mine", on_click=field.keep_mine, type="primary")
    choice.button("Take the saved one", key=f"{field.key}::theirs", on_click=field.take_theirs)

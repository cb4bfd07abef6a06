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
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from typing import Any

import streamlit as st

from b1mg_maturity.edits import FieldEdit, RecordFields
from b1mg_maturity.errors import Conflict
from b1mg_maturity.i18n import _
from b1mg_maturity.ui.feedback import escape_markdown, show_error


@dataclass(frozen=True)
class Saved:
    """The outcome shown after a successful save."""

    at: dt.datetime | None


_MISSING: Any = object()
_SLOTS = "field-state::slots"


@dataclass
class _Slot:
    """What the page knows of one field beside its widget: the value last shown from the database,
    the person's value that could not be saved (and why), and the last successful save."""

    seen: Any = _MISSING
    pending: Any = _MISSING
    problem: Exception | None = None
    outcome: Saved | None = None
    redraw: bool = False  # the stored form differs from what was typed: give it to the widget at its next draw


@dataclass(frozen=True)
class BoundField:
    """A widget key bound to one field of one saved record.

    ``to_widget``/``from_widget`` convert between the field's value and the
    widget's; ``save`` calls the use case and returns the field's stored value;
    ``describe`` puts a field value into words for conflict messages; ``rerun_after`` is given the
    field's stored value before and after a save and names the fragments (``st.fragment(key=...)``)
    to redraw then, in place of the default (the fragment holding the widget, or the whole page).
    ``label`` and ``show_saved`` (the button that drops a refused value, "Show the saved level") are
    texts in the user's language, made when the page runs.
    """

    key: str
    label: str
    save: Callable[[FieldEdit], Any]
    record: RecordFields
    field: str
    to_widget: Callable[[Any], Any] = lambda value: value
    from_widget: Callable[[Any], Any] = lambda value: value
    describe: Callable[[Any], str] = str
    rerun_after: Callable[[Any, Any], tuple[str, ...]] = lambda before, after: ()
    show_saved: str = ""

    # --- what the page knows of this field, beside the widget --------------------------------------
    #
    # Kept in one plain dict per session and changed in place: Streamlit may stop a callback at any
    # access to st.session_state when the person has clicked again, so after a save nothing is written
    # through st.session_state that the next run would need.

    def _slot(self) -> _Slot:
        slots: dict[str, _Slot] = st.session_state.setdefault(_SLOTS, {})
        slot = slots.get(self.key)
        if slot is None:
            slot = slots[self.key] = _Slot()
        return slot

    # --- drawing ---------------------------------------------------------------------------------

    def sync(self, stored: Any) -> None:
        """Before the widget is drawn: show the database's value, or the person's unsaved one."""
        state, slot = st.session_state, self._slot()
        if slot.pending is not _MISSING:
            if self.key not in state:
                state[self.key] = slot.pending
            return
        shown = self.to_widget(stored)
        # Written during the run, before the widget: only then does Streamlit send the value to the browser
        # (a value written in a callback reaches it only if the same run draws the widget; a fragment rerun
        # requested by the callback is a run of its own).
        if slot.redraw or self.key not in state or slot.seen != stored or state[self.key] != shown:
            state[self.key] = shown
            slot.seen, slot.redraw = stored, False

    def problem(self) -> Exception | None:
        return self._slot().problem

    def outcome(self) -> Saved | None:
        return self._slot().outcome

    # --- callbacks ---------------------------------------------------------------------------------

    def on_change(self) -> None:
        """Widget callback: save the new value of this one field."""
        slot = self._slot()
        raw = st.session_state.get(self.key)
        value = self.from_widget(raw)
        if value == slot.seen and slot.problem is None:
            return
        before = stored = slot.seen
        try:
            stored = self.save(FieldEdit(self.field, slot.seen, value))
        except Exception as exc:  # noqa: BLE001 - kept and shown in the card, with the person's value
            slot.problem, slot.pending, slot.outcome = exc, raw, None
        else:
            slot.seen, slot.problem, slot.pending = stored, None, _MISSING
            slot.outcome = Saved(dt.datetime.now(dt.UTC))
            slot.redraw = self.to_widget(stored) != raw  # the stored form, e.g. "https://" added to a web address
        redraw = self.rerun_after(before, stored)
        if redraw:
            st.rerun(list(redraw))

    def keep_mine(self) -> None:
        """After a conflict: save the person's value over the one saved meanwhile, knowingly."""
        slot = self._slot()
        if isinstance(slot.problem, Conflict):
            slot.seen = self.theirs(slot.problem)
        self.on_change()

    def take_theirs(self) -> None:
        """After a conflict or a refused value: drop the person's value; the next run shows the saved one."""
        slot = self._slot()
        mine = self.from_widget(st.session_state.get(self.key))
        theirs = self.theirs(slot.problem) if isinstance(slot.problem, Conflict) else slot.seen
        st.session_state.setdefault(_SLOTS, {}).pop(self.key, None)
        st.session_state.pop(self.key, None)
        redraw = self.rerun_after(mine, theirs)
        if redraw:
            st.rerun(list(redraw))

    def theirs(self, conflict: Conflict) -> Any:
        """The field's value saved meanwhile (blank when the record is gone)."""
        return self.record.value_of(self.field, conflict.theirs)


def status_region(key: str, indicator_id: str, fields: list[BoundField]) -> None:
    """The card's save status in words (what was saved, or what was not and why)."""
    parts: list[str] = []
    state = "saved"
    for field in fields:
        problem = field.problem()
        if isinstance(problem, Conflict):
            parts.append(_("{field} not saved: changed meanwhile elsewhere (see below).", field=field.label))
            state = "problem"
        elif problem is not None:
            parts.append(_("{field} not saved (see below).", field=field.label))
            state = "problem"
    if not parts:
        times = [o.at for f in fields if (o := f.outcome()) is not None and o.at is not None]
        if times:
            last = f"{max(times):%H:%M:%S}"
            parts.append(_("All changes saved (last at {time} UTC).", time=last))
    text = " ".join(escape(p) for p in parts)
    # Screen readers hear each new line through the page's one live region (ui/autosave.py).
    st.html(
        f'<div class="b1mg-save-status" data-state="{state}" data-card="{escape(key)}" '
        f'data-indicator="{escape(indicator_id)}">{text}</div>'
    )


def conflict_choice(field: BoundField) -> None:
    """When the field could not be saved: why, and the choice between the person's value and the saved one."""
    problem = field.problem()
    if problem is None:
        return
    if not isinstance(problem, Conflict):
        show_error(problem)
        st.button(
            field.show_saved or _("Show the saved {field}", field=field.label.lower()),
            key=f"{field.key}::drop",
            on_click=field.take_theirs,
            help=_("Drops what you typed here and shows the value that is saved."),
        )
        return
    yours = field.from_widget(st.session_state.get(field.key))
    st.warning(
        _(
            "**{field} was changed meanwhile, in another tab or by someone else.**  \n"
            "**Yours:** {yours}  \n"
            "**Saved meanwhile:** {theirs}",
            field=escape_markdown(field.label),
            yours=escape_markdown(field.describe(yours)),
            theirs=escape_markdown(field.describe(field.theirs(problem))),
        ),
        icon=":material/sync_problem:",
    )
    choice = st.container(horizontal=True)
    choice.button(_("Keep mine"), key=f"{field.key}::mine", on_click=field.keep_mine, type="primary")
    choice.button(_("Take the saved one"), key=f"{field.key}::theirs", on_click=field.take_theirs)

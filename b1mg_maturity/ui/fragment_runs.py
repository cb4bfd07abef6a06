"""Whether a part of the page reruns on its own (an ``st.fragment`` after a click inside it).

A fragment that reruns on its own is called again with the arguments of the
last full run, so what it shows from the database must be read again: the
values it was given may be out of date by then.
"""

from __future__ import annotations

from streamlit.runtime.scriptrunner import get_script_run_ctx


def rerunning_alone() -> bool:
    """True while only some fragments rerun (after a click inside one), not the whole page."""
    ctx = get_script_run_ctx()
    return bool(ctx is not None and ctx.fragment_ids_this_run)

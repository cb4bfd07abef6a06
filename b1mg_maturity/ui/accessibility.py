"""What every page needs for WCAG 2.1 AA that Streamlit does not give by itself.

Applied once per run by ``app.py`` (:func:`apply`), for every page alike:

- the document title names the page (2.4.2), and the page's language is set
  on ``<html lang>`` (3.1.1) from :func:`b1mg_maturity.ui.language.html_language`, the one place a
  later choice of language changes;
- captions (and the level descriptions under the Rate page's radios, which
  are captions too) are drawn at full opacity in a grey of 7:1 on white instead
  of Streamlit's 60 % text (3.9:1) (1.4.3);
- every control shows a clear outline when it has the keyboard focus: level
  radios, check boxes, menu links, buttons, fields, expanders, tables (2.4.7);
- the heading anchor links Streamlit adds to every heading (a link icon seen on
  hover) leave the tab order: one tab stop per heading helped nobody (2.4.3);
- a table (``st.dataframe``) is one tab stop: arrow keys move between its cells
  and Tab leaves it, instead of moving one cell on (the ARIA grid pattern);
- one polite live region per page (``role=status``) reads out short status
  messages a page asks for with :func:`b1mg_maturity.ui.feedback.announce`
  ("the PDF report is ready"), and the card save lines (ui/autosave.py) (4.1.3);
  when the control that had the focus disappears in a rerun (a "Prepare" button
  replaced by the download), the focus goes to the control the announcement
  names instead of falling back to the top of the page.

The CSS selectors are Streamlit's ``data-testid`` attributes (stable across
releases, unlike its generated class names).  The script is a constant; the
language code is checked before it goes in.
"""

from __future__ import annotations

import re

import streamlit as st

from b1mg_maturity.i18n import DEFAULT_LANGUAGE, N_, _
from b1mg_maturity.text_colours import MUTED_TEXT

APP_TITLE = N_("B1MG maturity self-assessment")
FOCUS_COLOUR = "#1F4E79"  # the theme's primary colour: 8.6:1 on white, 7.6:1 on the sidebar's grey

CSS = f"""
<style>
/* 1.4.3: captions and radio-option descriptions at full opacity, {MUTED_TEXT} = 7:1 on white */
[data-testid="stCaptionContainer"] {{ opacity: 1 !important; color: {MUTED_TEXT} !important; }}
[data-testid="stCaptionContainer"] * {{ color: inherit; }}

/* 2.4.7: a visible focus on every control */
:is(a, button, summary, [role="button"], [role="tab"], [role="slider"], [role="option"],
    [tabindex]:not([tabindex="-1"])):not([data-testid="stMain"]):focus-visible {{
  outline: 3px solid {FOCUS_COLOUR} !important;
  outline-offset: 2px;
}}
[data-testid="stSidebarNavLink"]:focus-visible {{ outline-offset: -3px !important; }}
label:has(input[type="radio"]:focus-visible),
label:has(input[type="checkbox"]:focus-visible),
[data-testid="stRadioOption"][data-focus-visible="true"] {{
  outline: 3px solid {FOCUS_COLOUR};
  outline-offset: 2px;
  border-radius: 4px;
}}
[data-baseweb="input"]:focus-within, [data-baseweb="textarea"]:focus-within,
[data-baseweb="select"] > div:focus-within, [data-testid="stDataFrame"]:focus-within {{
  outline: 2px solid {FOCUS_COLOUR};
  outline-offset: 1px;
}}

/* Elements that only carry a script or an announcement take no room on the page. */
[data-testid="stElementContainer"]:has(> [data-testid="stHtml"] > script:only-child),
[data-testid="stElementContainer"]:has(.b1mg-announce) {{ display: none; }}
</style>
"""

SCRIPT = """
<script>
(() => {
  const doc = window.parent && window.parent.document ? window.parent.document : document;
  const win = doc.defaultView || window;
  doc.documentElement.lang = "LANGUAGE";
  if (win.__b1mgAccessibility) { win.__b1mgAccessibility(); return; }
  // The page's one live region (ui/autosave.py uses it too): a region inserted with its text already in
  // it is not read out, so it is made once and only its text changes.
  const liveRegion = () => {
    let live = doc.querySelector('.b1mg-live');
    if (!live) {
      live = doc.createElement('div');
      live.setAttribute('role', 'status');
      live.setAttribute('aria-live', 'polite');
      live.className = 'b1mg-live';
      live.style.cssText = 'position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap';
      doc.body.appendChild(live);
    }
    return live;
  };
  const said = new Map();  // announcement key -> its text when last read out
  let lastFocus = null;
  doc.addEventListener('focusin', (event) => { lastFocus = event.target; }, true);
  const tidy = () => {
    for (const link of doc.querySelectorAll('[data-testid="stHeaderActionElements"] a:not([tabindex="-1"])')) {
      link.setAttribute('tabindex', '-1');
    }
    for (const note of doc.querySelectorAll('.b1mg-announce')) {
      const key = note.dataset.key || '';
      const text = note.dataset.text || '';
      if (!text || said.get(key) === text) { continue; }
      said.set(key, text);
      liveRegion().textContent = text;
      const lost = !lastFocus || !lastFocus.isConnected || doc.activeElement === doc.body;
      const target = note.dataset.focus && doc.querySelector(note.dataset.focus);
      if (target && lost) { target.focus(); }
    }
  };
  win.__b1mgAccessibility = tidy;
  // A table (st.dataframe) is one tab stop, as the ARIA grid pattern has it: the arrow keys move between its
  // cells, Tab leaves it. The grid would take Tab to move one cell on: one tab stop per column.
  win.addEventListener('keydown', (event) => {
    if (event.key !== 'Tab' || event.ctrlKey || event.altKey || event.metaKey) { return; }
    const target = event.target;
    if (target && target.closest && target.closest('[data-testid="stDataFrame"] [data-testid="data-grid-canvas"]')) {
      event.stopImmediatePropagation();  // the browser's own Tab, to the next control
    }
  }, true);
  liveRegion();
  tidy();
  let pending = false;
  new win.MutationObserver(() => {
    if (pending) { return; }
    pending = true;
    win.requestAnimationFrame(() => { pending = false; tidy(); });
  }).observe(doc.body, {childList: true, subtree: true});
})();
</script>
"""

_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


def document_title(page_title: str) -> str:
    """The browser tab's title: the page first (what differs between tabs), then the app."""
    app_title = _(APP_TITLE)
    return f"{page_title} · {app_title}" if page_title and page_title != app_title else app_title


def script(language: str) -> str:
    if not _LANGUAGE.match(language):
        raise ValueError(f"not a language code: {language!r}")
    return SCRIPT.replace("LANGUAGE", language)


def apply(page_title: str, language: str | None = None) -> None:
    """Title, language, styles and the page script for the page about to run (call before ``page.run()``)."""
    st.set_page_config(page_title=document_title(page_title))
    st.html(CSS)
    st.html(script(language or DEFAULT_LANGUAGE), unsafe_allow_javascript=True)

"""Save long text while people type, and never let a reload drop what they typed.

Streamlit sends a text area's value only when the field loses focus or on
Ctrl+Enter.  This small browser script, installed once per page, asks the text
area to send its value (the same Ctrl+Enter Streamlit listens to) a moment after
the last keystroke, so the widget's own callback saves it as usual.  Until then
the card's status line says the text is not saved yet; leaving or reloading the
page with unsent text first sends it and asks the browser to confirm, and a
click on another page while the text is being saved waits for the save.

The script is a constant: no user text is ever put into it, only its two status texts in the
user's language (from the catalogue, as JSON string literals).
"""

from __future__ import annotations

import json

import streamlit as st

from b1mg_maturity.i18n import N_, _

DEBOUNCE_MS = 1500
SAVING = N_("Saving…")
NOT_SAVED_YET = N_("Not saved yet: saving when you pause typing…")

TEMPLATE = """
<script>
(() => {
  const doc = window.parent && window.parent.document ? window.parent.document : document;
  const win = doc.defaultView || window;
  if (win.__b1mgAutosave) { return; }
  win.__b1mgAutosave = true;
  const waiting = new Map();  // textarea -> timer
  const dirty = new Set();
  const base = new WeakMap();  // textarea -> its text when last sent (or focused)
  const card = (el) => el.closest('[class*="st-key-card-"], [class*="st-key-consensus-card-"]');
  const statusOf = (el) => { const box = card(el); return box && box.querySelector('.b1mg-save-status'); };
  // A rerun of some cards only (a fragment) shows no status widget; the app's script state says it too.
  const running = () => {
    const app = doc.querySelector('[data-testid="stApp"]');
    return (app !== null && app.getAttribute('data-test-script-state') === 'running')
      || doc.querySelector('[data-testid="stStatusWidget"]') !== null;
  };
  let sentAt = 0;
  const whenIdle = (then) => {
    let calm = 0;
    const poll = () => {
      calm = running() ? 0 : calm + 1;
      if (calm >= 4 && Date.now() - sentAt > 400) { then(); } else { setTimeout(poll, 100); }
    };
    setTimeout(poll, 100);
  };
  // The card's status line: the script writes "not saved yet" / "saving" over it, and puts back what the
  // server wrote when nothing was sent or the server's line did not change (so it never sticks).
  const say = (el, text) => {
    const status = statusOf(el);
    if (!status) { return; }
    if (status.dataset.state !== 'typing') { status.dataset.before = status.textContent; }
    status.dataset.state = 'typing';
    if (status.textContent !== text) { status.textContent = text; }
  };
  const unsay = (el) => {
    const status = statusOf(el);
    if (status && status.dataset.state === 'typing') {
      status.textContent = status.dataset.before || '';
      status.dataset.state = 'saved';
    }
  };
  const send = (el) => {
    clearTimeout(waiting.get(el));
    waiting.delete(el);
    if (!dirty.has(el)) { return; }
    dirty.delete(el);
    if (el.value === base.get(el)) { unsay(el); return; }
    base.set(el, el.value);
    sentAt = Date.now();
    say(el, SAVING);
    el.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', code: 'Enter', keyCode: 13, which: 13,
                                                   ctrlKey: true, bubbles: true, cancelable: true}));
    whenIdle(() => unsay(el));
  };
  doc.addEventListener('focusin', (event) => {
    const el = event.target;
    if (el instanceof win.HTMLTextAreaElement && card(el)) { base.set(el, el.value); }
  }, true);
  doc.addEventListener('input', (event) => {
    const el = event.target;
    if (!(el instanceof win.HTMLTextAreaElement) || !card(el)) { return; }
    clearTimeout(waiting.get(el));
    if (el.value === base.get(el)) { dirty.delete(el); unsay(el); return; }
    dirty.add(el);
    say(el, NOT_SAVED_YET);
    waiting.set(el, setTimeout(() => send(el), DEBOUNCE));
  }, true);
  // Leaving a changed field sends its text (Streamlit does that on blur) and starts a rerun. A click on
  // another page in that moment would be lost in the rerun: hold it until the app is idle, then replay it.
  doc.addEventListener('focusout', (event) => {
    const el = event.target;
    clearTimeout(waiting.get(el));
    if (dirty.has(el)) {
      dirty.delete(el);
      if (el.value === base.get(el)) { unsay(el); return; }
      base.set(el, el.value);
      sentAt = Date.now();
      say(el, SAVING);
      whenIdle(() => unsay(el));
    }
  }, true);
  doc.addEventListener('click', (event) => {
    const link = event.target.closest && event.target.closest('[data-testid="stSidebarNav"] a');
    if (!link || link.dataset.b1mgReplay === '1') { return; }
    for (const el of Array.from(dirty)) { send(el); }
    if (Date.now() - sentAt > 1500 && !running()) { return; }
    event.preventDefault();
    event.stopImmediatePropagation();
    whenIdle(() => { link.dataset.b1mgReplay = '1'; link.click(); delete link.dataset.b1mgReplay; });
  }, true);
  win.addEventListener('beforeunload', (event) => {
    if (dirty.size === 0) { return; }
    for (const el of Array.from(dirty)) { send(el); }
    event.preventDefault();
    event.returnValue = '';
  });
  // The page's one lasting live region (made by ui/accessibility.py, else here): the cards' status lines are
  // redrawn by the server, and a region inserted with its text already in it is not read out. Each new
  // server-written line ("All changes saved", "Evidence not saved ...") is.
  let live = doc.querySelector('.b1mg-live');
  if (!live) {
    live = doc.createElement('div');
    live.setAttribute('role', 'status');
    live.setAttribute('aria-live', 'polite');
    live.className = 'b1mg-live';
    live.style.cssText = 'position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap';
    doc.body.appendChild(live);
  }
  const heard = new Map();
  const announce = () => {
    for (const status of doc.querySelectorAll('.b1mg-save-status')) {
      if (status.dataset.state === 'typing') { continue; }
      const key = status.dataset.card;
      const text = status.textContent.trim();
      if (heard.has(key) && heard.get(key) !== text && text) {
        live.textContent = (status.dataset.indicator || '') + ': ' + text;
      }
      heard.set(key, text);
    }
  };
  new win.MutationObserver(announce).observe(doc.body, {childList: true, subtree: true, characterData: true});
})();
</script>
""".replace("DEBOUNCE)", f"{DEBOUNCE_MS})")


def install() -> None:
    """Put the autosave script on the page (once per page; it guards against a second install)."""
    st.html(script(), unsafe_allow_javascript=True)


def script() -> str:
    """The script with its status texts in the current language."""
    return _filled(_(SAVING), _(NOT_SAVED_YET))


def _filled(saving: str, not_saved_yet: str) -> str:
    return TEMPLATE.replace("NOT_SAVED_YET", _js_string(not_saved_yet)).replace("SAVING", _js_string(saving))


def _js_string(text: str) -> str:
    """A JavaScript string literal of ``text`` that cannot end the script element."""
    return json.dumps(text).replace("<", "\\u003c")


SCRIPT = _filled(SAVING, NOT_SAVED_YET)  # in English (the catalogue's source texts), as tests know it

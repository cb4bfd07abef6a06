"""Keep free text from running as a formula when a spreadsheet opens it.

A cell whose text starts with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage
return) is written with a leading apostrophe, which spreadsheet programs show
as plain text.  Reading strips exactly that apostrophe again, so an export
followed by an import gives back the original text.

Control characters other than tab and line breaks are dropped on the way out
(:func:`b1mg_maturity.text_rules.strip_controls`): the XLSX format cannot
hold them (openpyxl raises ``IllegalCharacterError``) and an escape sequence
has no business in a file.  New input refuses them at the edge; this keeps
data stored before that rule exportable.
"""

from __future__ import annotations

from b1mg_maturity.text_rules import strip_controls

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    text = strip_controls(text)
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def restore(text: str) -> str:
    if text.startswith("'") and text[1:].startswith(FORMULA_TRIGGERS):
        return text[1:]
    return text

"""Keep free text from running as a formula when a spreadsheet opens it.

A cell whose text starts with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage
return) is written with a leading apostrophe, which spreadsheet programs show
as plain text.  Reading strips exactly that apostrophe again, so an export
followed by an import gives back the original text.
"""

from __future__ import annotations

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def restore(text: str) -> str:
    if text.startswith("'") and text[1:].startswith(FORMULA_TRIGGERS):
        return text[1:]
    return text

"""The one rule for text that people type, paste or import: no control characters.

A control character (NUL, escape, backspace ... any character of Unicode
category ``Cc``) breaks things far from where it was typed: PostgreSQL refuses
NUL outright, spreadsheet files cannot hold most of them (an export fails),
and an ANSI escape sequence recolours or rewrites the terminal and the server
log it reaches.  A lone surrogate (half of a UTF-16 pair, which JSON can
spell as ``\\ud800``) cannot be stored as UTF-8 at all.

So every name, label and free text is checked here, at the edge:

* :func:`clean_line` for one-line values (names, labels, usernames): no
  control character at all, surrounding blanks removed, length limited.
* :func:`clean_text` for long text (evidence, rationale, reasons): tab and
  line breaks are kept (a Windows line break ``\\r\\n`` or a lone ``\\r``
  becomes ``\\n``), every other control character is refused.
* :func:`strip_controls` for data written before this rule existed: used on
  export (:mod:`b1mg_maturity.interchange.spreadsheet_safety`), it drops what
  a file format cannot hold instead of failing.

Messages say which field, where in it, and what would be valid.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from b1mg_maturity import i18n
from b1mg_maturity.errors import Problem, ValidationFailed
from b1mg_maturity.i18n import N_, _, _n

# Limits of what people type, shared by the use cases and every import of the same values.
MAX_LABEL_CHARS = 120  # a round's label
MAX_NAME_CHARS = 200  # a display name, a health system's name
MAX_USERNAME_CHARS = 80
MAX_EVIDENCE_CHARS = 20_000
MAX_RATIONALE_CHARS = 20_000
MAX_LINKS = 20
MAX_LINK_CHARS = 2_000

_NAMES = {
    "\x00": N_("NUL"),
    "\t": N_("tab"),
    "\n": N_("line break"),
    "\r": N_("carriage return"),
    "\x1b": N_("escape"),
    "\x7f": N_("delete"),
}
_SURROGATE = N_("half of a surrogate pair")

# What a control character problem says, by the text that was expected (``what`` of :func:`control_problem`).
_CONTROL_MESSAGES = {
    "plain text": N_(
        "contains a control character {char} at character {position}; use plain text without control characters"
    ),
    "text": N_("contains a control character {char} at character {position}; use text without control characters"),
    "text on one line": N_(
        "contains a control character {char} at character {position}; use text on one line without control characters"
    ),
    "text (tabs and line breaks are fine)": N_(
        "contains a control character {char} at character {position}; "
        "use text (tabs and line breaks are fine) without control characters"
    ),
}


def _is_forbidden(char: str, allow: str) -> bool:
    if char in allow:
        return False
    category = unicodedata.category(char)
    return category in ("Cc", "Cs")


def _describe(char: str) -> str:
    name = _NAMES.get(char)
    if name is None and unicodedata.category(char) == "Cs":
        name = _SURROGATE
    code = f"U+{ord(char):04X}"
    return _("{code} ({name})", code=code, name=_(name)) if name else code


# Categories Cc (C0 controls, DEL, C1 controls) and Cs (surrogates) as one character class: both sets are
# closed (Unicode's stability policy), so the class is :func:`_is_forbidden` run by the regular expression
# engine instead of one Python call per character (evidence of a few thousand characters, on every save).
_CC = [chr(code) for code in (*range(0x00, 0x20), *range(0x7F, 0xA0))]
_CS = "\\ud800-\\udfff"


@lru_cache(maxsize=16)
def _controls_except(allow: str) -> re.Pattern[str]:
    """The forbidden characters but those of ``allow`` (control characters: tab, line breaks)."""
    assert not any(unicodedata.category(char) == "Cs" for char in allow), "surrogates are never allowed"
    return re.compile("[" + "".join(re.escape(char) for char in _CC if char not in allow) + _CS + "]")


def find_control(value: str, allow: str = "") -> int | None:
    """The 0-based index of the first forbidden character in ``value``, or None."""
    found = _controls_except(allow).search(value)
    return None if found is None else found.start()


def control_problem(value: str, field: str, *, allow: str = "", what: str = "plain text") -> Problem | None:
    """A located problem when ``value`` holds a control character (other than those in ``allow``)."""
    index = find_control(value, allow)
    if index is None:
        return None
    char, position = _describe(value[index]), str(index + 1)
    message = _CONTROL_MESSAGES.get(what)
    if message is None:
        return Problem(
            field,
            _(
                "contains a control character {char} at character {position}; use {what} without control characters",
                char=char,
                position=position,
                what=what,
            ),
        )
    return Problem(field, _(message, char=char, position=position))


def clean_line(value: str, field: str, limit: int | None = None) -> str:
    """A one-line value (a name, a label): stripped of surrounding blanks, no control character.

    Raises :class:`ValidationFailed` naming ``field``.  With ``limit`` the
    stripped value may hold at most that many characters.
    """
    problem = control_problem(value, field, what="text on one line")
    if problem is not None:
        raise ValidationFailed(f"{field}: control character", (problem,))
    value = value.strip()
    if limit is not None and len(value) > limit:
        raise ValidationFailed(
            f"{field} too long",
            (
                Problem(
                    field,
                    _n(
                        "{n} character; at most {limit} are allowed",
                        "{n} characters; at most {limit} are allowed",
                        len(value),
                        limit=i18n.integer(limit),
                    ),
                ),
            ),
        )
    return value


def clean_text(value: str, field: str, limit: int) -> str:
    """Long text (evidence, rationale): tab and line breaks kept, any other control character refused.

    ``\\r\\n`` and a lone ``\\r`` become ``\\n``.  At most ``limit`` characters.
    """
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    problem = control_problem(value, field, allow="\t\n", what="text (tabs and line breaks are fine)")
    if problem is not None:
        raise ValidationFailed(f"{field}: control character", (problem,))
    if len(value) > limit:
        raise ValidationFailed(
            f"{field} too long",
            (
                Problem(
                    field,
                    _n(
                        "{n} character; at most {limit} are kept",
                        "{n} characters; at most {limit} are kept",
                        len(value),
                        limit=i18n.integer(limit),
                    ),
                ),
            ),
        )
    return value


def shortened(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, an ellipsis marking the cut (a name in a message or a menu)."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def strip_controls(value: str, *, keep_line_breaks: bool = True) -> str:
    """``value`` without control characters (for exporting data stored before this rule).

    With ``keep_line_breaks`` tab, ``\\n`` and ``\\r`` stay (every file format
    holds them); without, each becomes a space.
    """
    keep = "\t\n\r"
    if find_control(value, keep if keep_line_breaks else "") is None:
        return value
    if keep_line_breaks:
        return "".join(c for c in value if not _is_forbidden(c, keep))
    return "".join(" " if c in keep else c for c in value if c in keep or not _is_forbidden(c, ""))

"""Messages in the user's language (gettext catalogues made with Babel) and numbers and dates by locale.

Every text a person reads goes through :func:`_` (or :func:`_n` for a count, :func:`_p` when one English word
has two meanings); a text defined at import time is marked with :func:`N_` and translated where it is shown.
Placeholders are named (``{name}``), never concatenated, so a translation may move them.

The language of the work at hand is chosen at the edges and never passed through the core:

* ``with language("fr"):`` around a CLI command, a report job, an e-mail to a French reader;
* in the app, :func:`set_language_source` names where a page run finds the user's language (a run of a
  Streamlit fragment starts in a new thread without the page's context).

The catalogues are ``locales/<language>/LC_MESSAGES/messages.po``, compiled in memory when first used.
``en-XA`` is a pseudo-language made from the English text (every letter accented) that shows any text
which escaped the catalogue.
"""

from __future__ import annotations

import datetime as dt
import gettext as _gettext
import io
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LOCALES_DIR = PROJECT_ROOT / "locales"
DOMAIN = "messages"

DEFAULT_LANGUAGE = "en"
PSEUDO_LANGUAGE = "en-XA"
# The languages shipped: the app and the PDF in all of them; the questionnaire in all but Polish.
LANGUAGES: tuple[str, ...] = ("en", "fr", "de", "es", "it", "pt", "pl")


@dataclass(frozen=True)
class LanguageChoice:
    code: str
    name: str  # in the language itself ("Français"), as a person looks for their own language


_explicit: ContextVar[str | None] = ContextVar("b1mg_language", default=None)
_source: Callable[[], str | None] | None = None


def set_language_source(source: Callable[[], str | None] | None) -> None:
    """Where the language is found when no ``with language(...)`` is in force (the app's session)."""
    global _source
    _source = source


def current() -> str:
    """The language of the work at hand: ``with language(...)``, else the app's source, else English."""
    chosen = _explicit.get()
    if chosen is None and _source is not None:
        chosen = _source()
    return chosen if chosen in _KNOWN else DEFAULT_LANGUAGE


@contextmanager
def language(code: str | None) -> Iterator[str]:
    """Work in ``code`` (a shipped language or the pseudo-language; anything else means English)."""
    chosen = code if code in _KNOWN else DEFAULT_LANGUAGE
    token = _explicit.set(chosen)
    try:
        yield chosen
    finally:
        _explicit.reset(token)


def activate(code: str) -> None:
    """Work in ``code`` from now on in this thread (a command line run speaks one language throughout)."""
    _explicit.set(code if code in _KNOWN else DEFAULT_LANGUAGE)


def supported(code: str | None) -> str | None:
    """The shipped language a browser or a person asked for (``fr-BE`` -> ``fr``, ``pt_BR`` -> ``pt``), or None."""
    if not code:
        return None
    if code in _KNOWN:
        return code
    base = re.split(r"[-_]", code.strip(), maxsplit=1)[0].lower()
    return base if base in LANGUAGES else None


def choices() -> tuple[LanguageChoice, ...]:
    return tuple(LanguageChoice(code, language_name(code)) for code in LANGUAGES)


def language_name(code: str) -> str:
    """The language's own name for itself, capitalised as a menu entry."""
    from babel import Locale

    if code == PSEUDO_LANGUAGE:
        return pseudo("Pseudo-language")
    locale = Locale.parse(code)
    name = locale.get_display_name(locale) or code
    return name[:1].upper() + name[1:]


def language_in_words(code: str) -> str:
    """The language's name as the current language writes it in a sentence ("French", "français", "Französisch")."""
    from babel import Locale

    if code == PSEUDO_LANGUAGE:
        return pseudo("Pseudo-language")
    return Locale.parse(code).get_display_name(_babel_locale(current())) or code


# --- messages ------------------------------------------------------------------------------------


def N_(message: str) -> str:
    """Mark a text for the catalogue where it is defined; it is translated where it is shown (``_(text)``)."""
    return message


def _(message: str, /, **fields: Any) -> str:
    """The message in the current language; ``fields`` fill its ``{placeholders}``."""
    text = _translations(current()).gettext(message)
    return text.format(**fields) if fields else text


def _n(singular: str, plural: str, count: int, /, **fields: Any) -> str:
    """The form of the message for ``count`` (Polish has three); ``{n}`` is the count, written by locale."""
    text = _translations(current()).ngettext(singular, plural, count)
    return text.format(**{"n": integer(count), **fields})


def _p(context: str, message: str, /, **fields: Any) -> str:
    """The message in the sense ``context`` gives it (one English word, two meanings)."""
    text = _translations(current()).pgettext(context, message)
    return text.format(**fields) if fields else text


@cache
def _translations(code: str) -> _gettext.NullTranslations:
    if code == PSEUDO_LANGUAGE:
        return _PseudoTranslations()
    if code == DEFAULT_LANGUAGE:
        return _gettext.NullTranslations()
    return compiled_catalogue(LOCALES_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po")


def compiled_catalogue(po_file: Path) -> _gettext.NullTranslations:
    """A ``.po`` file compiled in memory (no ``.mo`` file to forget to rebuild); fuzzy entries are left out."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    if not po_file.exists():
        return _gettext.NullTranslations()
    with po_file.open("rb") as handle:
        catalogue = read_po(handle)
    buffer = io.BytesIO()
    write_mo(buffer, catalogue)
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


# --- the pseudo-language ---------------------------------------------------------------------------

_ACCENTED = str.maketrans(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "áƀçďéƒĝĥíĵķľṁñóṗǫŕšţúṽŵẋýžÁƁÇĎÉƑĜĤÍĴĶĽṀÑÓṖǪŔŠŢÚṼŴẊÝŽ",
)
# What a translation keeps as it is: placeholders, markup, icons, addresses and link targets.
_KEPT = re.compile(
    r"\{[^{}]*\}|%\([^)]*\)[sdif]|<[^>]+>|&[a-z#0-9]+;|:material/[a-z_]+:|\]\([^)]*\)|https?://\S+|`[^`]*`"
)


def pseudo(message: str) -> str:
    """Every letter of ``message`` accented, its placeholders, markup and addresses kept as they are."""
    parts: list[str] = []
    position = 0
    for kept in _KEPT.finditer(message):
        parts.append(message[position : kept.start()].translate(_ACCENTED))
        parts.append(kept.group())
        position = kept.end()
    parts.append(message[position:].translate(_ACCENTED))
    return "".join(parts)


class _PseudoTranslations(_gettext.NullTranslations):
    def gettext(self, message: str) -> str:
        return pseudo(message)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return pseudo(msgid1 if n == 1 else msgid2)

    def pgettext(self, context: str, message: str) -> str:
        return pseudo(message)


# --- numbers and dates ---------------------------------------------------------------------------

_KNOWN = frozenset((*LANGUAGES, PSEUDO_LANGUAGE))


def _babel_locale(code: str) -> str:
    """English is written as in Europe (``3 May 2026``, ``a, b and c``), the pseudo-language as English."""
    return "en_GB" if code in (DEFAULT_LANGUAGE, PSEUDO_LANGUAGE) else code.replace("-", "_")


def number(value: float, digits: int = 2) -> str:
    """``2.69`` in English, ``2,69`` in French: fixed ``digits``, rounded as Python's ``f"{value:.2f}"`` rounds."""
    from babel.numbers import format_decimal

    rounded = float(f"{value:.{digits}f}")
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(rounded, format=pattern, locale=_babel_locale(current()))


def signed(value: float, digits: int = 1) -> str:
    """A change with its sign (``+0.5``, ``−0.3`` with a true minus), ``0.0`` without one."""
    text = number(abs(value), digits)
    if float(f"{value:.{digits}f}") == 0:
        return text
    return ("+" if value > 0 else "\u2212") + text


def integer(value: int) -> str:
    """A count with the locale's grouping (``1,234``; ``1 234`` in French)."""
    from babel.numbers import format_decimal

    return format_decimal(value, format="#,##0", locale=_babel_locale(current()))


def percent(fraction: float, digits: int = 0) -> str:
    """``80%`` in English, ``80 %`` in French; ``fraction`` is 0 to 1."""
    from babel import Locale
    from babel.numbers import format_percent

    locale = Locale.parse(_babel_locale(current()))
    rounded = float(f"{fraction * 100:.{digits}f}") / 100
    pattern = locale.percent_formats[None].pattern  # "#,##0%", "#,##0\u00a0%" in French ...
    if digits:
        pattern = pattern.replace("#,##0", "#,##0." + "0" * digits, 1)
    return format_percent(rounded, format=pattern, locale=locale)


def date(value: dt.date | dt.datetime, style: str = "long") -> str:
    """A date by locale: ``3 May 2026`` (long), ``3 May 2026``/``May 3, 2026`` as the locale writes it."""
    from babel.dates import format_date

    day = value.date() if isinstance(value, dt.datetime) else value
    return format_date(day, format=style, locale=_babel_locale(current()))


def month_year(value: dt.date | dt.datetime, *, in_range: bool = False) -> str:
    """``May 2026``, ``mai 2026``, ``maj 2026``; ``in_range``: as the end of a span of months reads
    (``od lutego do czerwca 2025``: Polish names a month in a range in another case than alone)."""
    from babel.dates import format_date, format_skeleton

    day = value.date() if isinstance(value, dt.datetime) else value
    locale = _babel_locale(current())
    text = format_skeleton("yMMMM", day, locale=locale)
    if in_range:
        text = text.replace(format_date(day, "LLLL", locale=locale), format_date(day, "MMMM", locale=locale))
    return text


def month(value: dt.date | dt.datetime, *, in_range: bool = False) -> str:
    """The month's name alone (``February``, ``février``); ``in_range``: as the start of a span reads it."""
    from babel.dates import format_date

    day = value.date() if isinstance(value, dt.datetime) else value
    return format_date(day, format="MMMM" if in_range else "LLLL", locale=_babel_locale(current()))


def date_time(value: dt.datetime) -> str:
    """A moment by locale, to the minute (times are shown in UTC, and said so)."""
    from babel.dates import format_datetime

    return format_datetime(value, format="medium", locale=_babel_locale(current()))


def join(items: list[str]) -> str:
    """``a, b and c`` in the current language."""
    from babel.lists import format_list

    if not items:
        return ""
    if current() == PSEUDO_LANGUAGE:  # English's joining words, accented like every other word of it
        marker = "\x00"
        return (
            format_list([marker] * len(items), locale="en_GB").translate(_ACCENTED).replace(marker, "{}").format(*items)
        )
    return format_list(items, locale=_babel_locale(current()))

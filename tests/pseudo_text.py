"""What a reader sees of a page or a PDF, cut into words, to find English text shown in the pseudo-language.

In the pseudo-language ``en-XA`` (:func:`b1mg_maturity.i18n.pseudo`) every letter of a translated text is an
accented one, so a word of two or more plain ASCII letters is a text that escaped the catalogue, unless it is
user data, a proper name, a code or unit, markup, or one of the few words kept in every language.

Used by ``tests/ui/test_pseudo_language.py``; the texts of a page are gathered from the protobuf messages
Streamlit's AppTest keeps for each element (every string field but the few that are not text), the figure
specs of plotly charts, the column configuration and cells of tables, and the visible text of HTML.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import sqlalchemy as sa

# --- what is not text in an element's message -----------------------------------------------------

# String fields of Streamlit's element and block messages that a reader never sees: ids, keys, icons (the
# ":material/x:" names), kinds and styles, the media file's address, formats and bounds of date fields,
# the autocomplete hint, a page link's target.  Every other string field is read as text, so a text field
# a new Streamlit release adds is checked rather than missed.
NOT_TEXT = frozenset(
    {
        "id",
        "form_id",
        "tag",
        "icon",
        "type",
        "deferred_file_id",
        "url",
        "config",
        "language",  # st.code's syntax-highlighting language
        "divider",  # a heading's divider colour
        "format",  # a date field's format pattern ("YYYY/MM/DD")
        "min",
        "max",
        "autocomplete",
        "page",
        "page_script_hash",
        "query_string",
        "color",
        "background_color",
        "border_color",
        "width_config",
        "height_config",
        "avatar",
    }
)
# Fields read their own way: a plotly figure's JSON, a table's column configuration, HTML.
SPECIAL = frozenset({"spec", "columns", "arrow_data"})

# Keys of a plotly figure (data traces, layout, axes, annotations, legend) whose strings are shown: titles,
# trace names, hover templates, tick and category texts, annotation texts.  Colours, fonts, modes and the
# theme template are not text.
PLOTLY_TEXT_KEYS = frozenset(
    {
        "text",
        "name",
        "title",
        "hovertemplate",
        "texttemplate",
        "hovertext",
        "ticktext",
        "tickvals",
        "categoryarray",
        "x",
        "y",
        "theta",
        "labels",
        "customdata",
    }
)
PLOTLY_SKIPPED = frozenset({"template", "font", "hoverlabel"})


@dataclass(frozen=True)
class Shown:
    """One text a reader sees, and where: the element type and field (``metric.help``, ``plotly_chart.alt``)."""

    where: str
    text: str


def _is_message(value: Any) -> bool:
    return hasattr(value, "ListFields") and hasattr(value, "DESCRIPTOR")  # a protobuf message


def _strings(message: Any, prefix: str) -> Iterator[tuple[str, str]]:
    """Every string field of the protobuf ``message`` and its sub-messages, as (leaf field name, value)."""
    for descriptor, value in message.ListFields():
        name = descriptor.name
        if descriptor.type == descriptor.TYPE_MESSAGE:
            if descriptor.message_type.GetOptions().map_entry:
                for key, item in value.items():
                    if _is_message(item):
                        yield from _strings(item, f"{prefix}.{name}")
                    elif isinstance(item, str):
                        yield f"{prefix}.{name}", f"{key} {item}"
            elif descriptor.is_repeated:
                for item in value:
                    yield from _strings(item, f"{prefix}.{name}")
            else:
                yield from _strings(value, f"{prefix}.{name}")
        elif descriptor.type == descriptor.TYPE_STRING and name not in NOT_TEXT:
            for item in value if descriptor.is_repeated else [value]:
                yield name, item


def element_texts(node: Any) -> Iterator[Shown]:
    """The texts one AppTest element (or block) shows."""
    kind = getattr(node, "type", None) or type(node).__name__
    proto = getattr(node, "proto", None)
    if kind in ("dataframe", "table"):
        yield from _table_texts(node, kind)
    if not _is_message(proto):
        return
    for name, value in _strings(proto, kind):
        if name in SPECIAL:
            if name == "spec":
                yield from plotly_texts(value, f"{kind}.spec")
            elif name == "columns":
                yield from _column_config_texts(value, f"{kind}.columns")
            continue
        if not value.strip():
            continue
        if (kind, name) in (("html", "body"), ("iframe", "srcdoc")):
            text = visible_html(value)
            if text.strip():
                yield Shown(f"{kind}.{name}", text)
            continue
        yield Shown(f"{kind}.{name}", value)


def _table_texts(node: Any, kind: str) -> Iterator[Shown]:
    try:
        frame = node.value
    except Exception as exc:  # a table the test cannot read is reported, not skipped
        yield Shown(f"{kind}.value", f"(unreadable table: {exc})")
        return
    for column in frame.columns:
        if isinstance(column, str):
            yield Shown(f"{kind} column", column)
    for cell in frame.to_numpy().ravel():
        if isinstance(cell, str) and cell.strip():
            yield Shown(f"{kind} cell", cell)
        elif isinstance(cell, list | tuple):
            for item in cell:
                if isinstance(item, str) and item.strip():
                    yield Shown(f"{kind} cell", item)


def _column_config_texts(value: str, where: str) -> Iterator[Shown]:
    """A table's column configuration: column names (the keys), their labels and help texts."""
    config = json.loads(value)
    for column, settings in config.items():
        if not isinstance(settings, dict) or settings.get("hidden") or column == "_index":
            continue
        yield Shown(where, column)
        for key in ("label", "help"):
            if isinstance(settings.get(key), str):
                yield Shown(f"{where}.{key}", settings[key])
        options = (settings.get("type_config") or {}).get("options")
        for option in options or ():
            if isinstance(option, str):
                yield Shown(f"{where}.options", option)


def plotly_texts(spec: str, where: str) -> Iterator[Shown]:
    """The texts of a plotly figure given as JSON (a chart element's ``spec``)."""
    figure = json.loads(spec)

    def walk(value: Any, path: str, shown: bool) -> Iterator[Shown]:
        if isinstance(value, dict):  # a text key's dict ("title": {"text": ...}) is searched like any other
            for key, item in value.items():
                if key not in PLOTLY_SKIPPED:
                    # a trace's name is its legend entry; an annotation's or a shape's (in the layout) an id
                    text = key in PLOTLY_TEXT_KEYS and not (key == "name" and " layout" in path)
                    yield from walk(item, f"{path}.{key}", text)
        elif isinstance(value, list):
            for item in value:
                yield from walk(item, path, shown)
        elif isinstance(value, str) and shown and value.strip():
            yield Shown(path, value)

    for part in ("data", "layout", "frames"):
        yield from walk(figure.get(part, {}), f"{where} {part}", False)


class _VisibleText(HTMLParser):
    """The text of an HTML fragment a reader (or a screen reader) meets: not scripts and styles."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._hidden += 1
        for name, value in attrs:
            if name in ("title", "aria-label", "alt", "placeholder") and value:
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible_html(body: str) -> str:
    parser = _VisibleText()
    parser.feed(body)
    parser.close()
    return " ".join(parser.parts)


# --- user data and proper names ------------------------------------------------------------------


# Audit values people typed: a reason given, how a change was written, and an action's own texts.
TYPED_KEYS = frozenset({"reason", "via", "title", "description", "owner", "drop_reason", "notes"})


def database_strings(url: str) -> set[str]:
    """What the database holds that a page may show as it is: names, usernames, e-mail addresses, codes,
    round labels, the questionnaire's id and version, evidence, links and rationales, the messages in the
    outbox (written once, in the recipient's language: the demo's in English), and from the audit log
    the actors' names, the reasons people gave (for reopening a round) and the notes of how a change was
    written ("via": "bulk demo load", shown as stored, see audit_text.change_text).  The audit log's other
    recorded values are the app's own words (roles, statuses, field names): not data."""
    columns = {
        "health_systems": ("code", "name", "parent_code"),
        "users": ("username", "display_name", "email"),
        "rounds": ("label", "free_label"),
        "questionnaire_versions": ("questionnaire_id", "version"),
        "ratings": ("evidence",),
        "consensus": ("rationale",),
        "audit_log": ("actor_name",),
        "outbox": ("subject", "body"),  # a message is written whole in its reader's language when it is made
        "actions": ("title", "description", "owner_name", "drop_reason", "notes"),  # a plan's actions, as typed
    }
    found: set[str] = set()
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            for table, names in columns.items():
                for row in connection.execute(sa.text(f"SELECT {', '.join(names)} FROM {table}")):
                    found.update(v for v in row if isinstance(v, str))
            for (links,) in connection.execute(sa.text("SELECT links FROM ratings")):
                found.update(_json_strings(links))
            for old, new in connection.execute(sa.text("SELECT old_value, new_value FROM audit_log")):
                for value in (old, new):
                    recorded = _json(value)
                    if isinstance(recorded, dict):
                        found.update(v for k, v in recorded.items() if k in TYPED_KEYS and isinstance(v, str))
    finally:
        engine.dispose()
    return {s.strip() for s in found if s and s.strip()}


def _json_strings(value: str | None) -> Iterator[str]:
    stack = [_json(value)]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _json(value: str | None) -> Any:
    if not value:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return value


# --- cleaning and words -------------------------------------------------------------------------

_MARKUP = [
    re.compile(r":material/[a-z0-9_]+:"),  # material icons
    # addresses, also one a PDF broke over lines after a '-' or '/'
    re.compile(r"https?://\S+(?:(?<=[-/])\s+\S+)*|www\.\S+|mailto:\S+"),
    re.compile(r"\S+@\S+\.\S+"),  # e-mail addresses
    re.compile(r"%\{[^}]*\}"),  # plotly template fields (%{x}, %{y:.2f})
    re.compile(r"\{[a-z_][a-z0-9_]*(:[^}]*)?\}"),  # unfilled {placeholders}
    re.compile(r"</?[a-zA-Z][^>]*>"),  # HTML tags (<br>, <b>, <extra>)
    re.compile(r"`[^`]*`"),  # code spans: kept as they are by i18n.pseudo (commands, file names)
    re.compile(r"\]\([^)]*\)"),  # a markdown link's target
    re.compile(r":[a-z]+(-background|-badge)?(?=\[)"),  # Streamlit's colour directives (:red[...])
    re.compile(r":[a-z_]+:"),  # emoji short codes
    re.compile(r"&[a-zA-Z]+;|&#\d+;"),  # entities left over
]
_WORD = re.compile(r"[^\W_]+")  # letters and digits: "B1MG" is one word, "2026-06-18" three
_ASCII_LETTERS = re.compile(r"[A-Za-z]")
_HASH = re.compile(r"(?=[a-f]*\d)[0-9a-f]{7,64}")  # a content hash or its prefix ("c6fa0d30cb3c")
_ROMAN = re.compile(r"M{0,3}(CM|CD|D?C{0,3})(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})")


def normalized(text: str) -> str:
    """Spaces made plain and single; the non-breaking hyphen (which keeps "xa-expert2" on one line) plain."""
    return re.sub(r"\s+", " ", text.replace("\u2011", "-")).strip()


def unescaped(text: str) -> str:
    """A markdown text as read: backslash escapes and entities resolved."""
    return html.unescape(re.sub(r"\\(.)", r"\1", text))


def _phrases(phrases: Iterable[str]) -> re.Pattern[str]:
    """Any of ``phrases`` (the longest first) as whole words."""
    kept = sorted({normalized(p) for p in phrases if normalized(p)}, key=len, reverse=True)
    return re.compile(r"(?<![^\W_])(?:" + "|".join(re.escape(p) for p in kept) + r")(?![^\W_])")


@dataclass
class Vocabulary:
    """What may stay ASCII in the pseudo-language."""

    data: list[str]  # user data and proper names, removed as whole phrases (longest first)
    words: frozenset[str]  # single words kept in every language (codes, units, names of languages ...)
    questionnaire: list[str]  # the questionnaire's English texts: shown, they say localized() was not used
    _pattern: re.Pattern[str] | None = field(default=None, repr=False)
    _questionnaire_pattern: re.Pattern[str] | None = field(default=None, repr=False)

    def without_data(self, text: str) -> str:
        if self._pattern is None:
            self._pattern = _phrases(self.data)
        return self._pattern.sub(" ", text)

    def questionnaire_texts(self, text: str) -> tuple[list[str], str]:
        """The questionnaire's English texts in ``text``, and ``text`` without them."""
        if self._questionnaire_pattern is None:
            self._questionnaire_pattern = _phrases(self.questionnaire)
        text = normalized(unescaped(text))
        return self._questionnaire_pattern.findall(text), self._questionnaire_pattern.sub(" ", text)

    def cleaned(self, text: str) -> str:
        """``text`` without user data, markup, icons, addresses and placeholders."""
        text = normalized(unescaped(text))
        text = self.without_data(text)  # before markup: a name may hold a '*' or '<'
        for pattern in _MARKUP:
            text = pattern.sub(" ", text)
        return self.without_data(normalized(text))

    def english(self, text: str) -> list[str]:
        """The words of ``text`` of two or more plain ASCII letters that are not data, names or kept words."""
        return [match.group() for match in self.english_matches(self.cleaned(text))]

    def english_matches(self, cleaned: str) -> Iterator[re.Match[str]]:
        for match in _WORD.finditer(cleaned):
            word = match.group()
            if len(_ASCII_LETTERS.findall(word)) < 2 or word in self.words:
                continue
            if word.isupper() and _ROMAN.fullmatch(word):
                continue  # the domains' numbers (I to VIII)
            if _HASH.fullmatch(word):
                continue
            yield match


@dataclass(frozen=True)
class Finding:
    place: str  # "results [coordinator]", "PDF page 4"
    where: str  # "metric.help"
    text: str  # the text as shown (cleaned of nothing), shortened
    words: tuple[str, ...]


QUESTIONNAIRE = " (questionnaire text)"  # the mark of a finding that is the questionnaire's own English


def findings(vocabulary: Vocabulary, place: str, texts: Iterable[Shown]) -> list[Finding]:
    """The English words of each text: the questionnaire's English texts found apart, then the rest."""
    found = []
    for shown in texts:
        texts_of_questionnaire, rest = vocabulary.questionnaire_texts(shown.text)
        if texts_of_questionnaire:
            found.append(Finding(place, shown.where + QUESTIONNAIRE, _short(normalized(shown.text)), ()))
        words = vocabulary.english(rest)
        if words:
            found.append(Finding(place, shown.where, _short(normalized(shown.text)), tuple(dict.fromkeys(words))))
    return found


def in_context(vocabulary: Vocabulary, place: str, shown: Shown, around: int = 70) -> list[Finding]:
    """The English words of a long text (a PDF page), each with the text around it (after cleaning)."""
    cleaned = vocabulary.cleaned(shown.text)
    found: list[Finding] = []
    start = end = -1
    words: list[str] = []
    for match in vocabulary.english_matches(cleaned):
        if words and match.start() - around <= end:  # close to the last word: the same passage
            words.append(match.group())
        else:
            if words:
                found.append(_passage(place, shown.where, cleaned, start, end, words))
            start, words = max(0, match.start() - around), [match.group()]
        end = min(len(cleaned), match.end() + around)
    if words:
        found.append(_passage(place, shown.where, cleaned, start, end, words))
    return found


def _passage(place: str, where: str, cleaned: str, start: int, end: int, words: list[str]) -> Finding:
    return Finding(place, where, "…" + cleaned[start:end] + "…", tuple(dict.fromkeys(words)))


def _short(text: str, limit: int = 220) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def report(found: list[Finding], what: str) -> str:
    """The failure message: each text once, with the English words in it and every place it was seen."""
    by_text: dict[tuple[str, str], list[Finding]] = {}
    questionnaire: dict[str, list[Finding]] = {}
    for finding in found:
        if finding.where.endswith(QUESTIONNAIRE):
            questionnaire.setdefault(finding.where, []).append(finding)
        else:  # the same words in the same kind of element: one string, shown with different data
            by_text.setdefault((finding.where, " ".join(finding.words)), []).append(finding)
    lines = []
    if questionnaire:
        lines.append(
            "The questionnaire's own English texts are shown (the questionnaire was not passed through "
            "b1mg_maturity.questionnaire.translation.localized()):"
        )
        for where, group in sorted(questionnaire.items()):
            places = list(dict.fromkeys(f.place for f in group))
            count = len({f.text for f in group})
            lines.append(f"- {count} texts in {where.removesuffix(QUESTIONNAIRE)} on {_places(places)}")
            lines.append(f"    for example {group[0].text!r}")
    if by_text:
        lines.append(
            f"{len(by_text)} texts of {what} show English in the pseudo-language en-XA "
            "(wrap each in _() / N_(), or if it is user data or a proper name, say so in the test):"
        )
    for (where, _text), group in sorted(by_text.items(), key=lambda item: (item[1][0].place, item[0])):
        words = list(dict.fromkeys(w for f in group for w in f.words))
        places = list(dict.fromkeys(f.place for f in group))
        variants = len({f.text for f in group})
        also = f" (and {variants - 1} more like it)" if variants > 1 else ""
        lines.append(f"- {', '.join(words)}  [{where} on {_places(places)}]\n    {group[0].text!r}{also}")
    return "\n".join(lines)


def _places(places: list[str], shown: int = 6) -> str:
    return ", ".join(places[:shown]) + (f" and {len(places) - shown} more" if len(places) > shown else "")

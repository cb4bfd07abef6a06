"""Field-by-field edits of the per-indicator records (rating, consensus, target).

A person changes one field at a time: the level, the evidence, the links, the
rationale or the target.  An edit carries the value the person saw before the
change and the value they chose; the services write only that field, and only
when the stored value is still the one the person saw.  So saving evidence never
writes the level, and a stale edit is refused as a conflict instead of writing
over a value the person never saw.

Pure: no database, no Streamlit.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlparse

from b1mg_maturity.errors import Problem, ValidationFailed

NOT_APPLICABLE: Literal["na"] = "na"
LevelChoice = int | Literal["na"] | None  # a level, "not applicable", or not answered yet

MAX_LINKS = 20
MAX_LINK_CHARS = 2_000
LINKS_FIELD_NAME = "Links"


@dataclass(frozen=True)
class FieldEdit:
    """One field changed by a person: ``seen`` is what the page showed them, ``value`` what they chose."""

    field: str
    seen: Any
    value: Any


@dataclass(frozen=True)
class RecordFields:
    """The editable fields of one kind of record, and how each maps onto table columns."""

    fields: Mapping[str, tuple[str, ...]]  # field -> the columns it is stored in
    blank: Mapping[str, Any]  # column values of a record nobody has saved yet

    def columns(self, field: str, value: Any) -> dict[str, Any]:
        """The stored column values of one field's value."""
        if field not in self.fields:
            raise ValidationFailed("unknown field", (Problem("", f"'{field}' cannot be edited here"),))
        if field == "level":
            return level_columns(value)
        (column,) = self.fields[field]
        if column == "links":
            return {"links": json.dumps(list(value))}
        return {column: value}

    def value_of(self, field: str, columns: Mapping[str, Any] | None) -> Any:
        """A field's value as a person reads it, from stored or described column values (None: blank)."""
        values = self.blank if columns is None else columns
        if field == "level":
            return choice_of(values["level"], bool(values["not_applicable"]))
        (column,) = self.fields[field]
        if column == "links":
            links = values["links"]
            return tuple(json.loads(links or "[]") if isinstance(links, str) else links)
        return values[column]


RATING = RecordFields(
    fields={"level": ("level", "not_applicable"), "evidence": ("evidence",), "links": ("links",)},
    blank={"level": None, "not_applicable": False, "evidence": "", "links": "[]"},
)
CONSENSUS = RecordFields(
    fields={"level": ("level", "not_applicable"), "rationale": ("rationale",)},
    blank={"level": None, "not_applicable": False, "rationale": ""},
)
TARGET = RecordFields(fields={"target": ("target",)}, blank={"target": None})


def level_columns(choice: LevelChoice) -> dict[str, Any]:
    if choice == NOT_APPLICABLE:
        return {"level": None, "not_applicable": True}
    if choice is None or isinstance(choice, int):
        return {"level": choice, "not_applicable": False}
    raise ValidationFailed("bad level", (Problem("Level", f"“{choice}” is not a level"),))


def choice_of(level: int | None, not_applicable: bool) -> LevelChoice:
    return NOT_APPLICABLE if not_applicable else level


# --- evidence links ------------------------------------------------------------------------------


def _with_scheme(text: str) -> str:
    """``www.example.org/doc`` means ``https://www.example.org/doc``: a bare address starting with a host name."""
    if "://" in text or ":" in text.split("/", 1)[0]:
        return text
    host = text.split("/", 1)[0]
    if "." in host and not host.startswith(".") and not host.endswith("."):
        return "https://" + text
    return text


def _link_problem(text: str) -> str | None:
    shown = text if len(text) <= 80 else text[:77] + "…"
    if any(c.isspace() for c in text):
        return f"“{shown}” contains a space; write one web address per line"
    if len(text) > MAX_LINK_CHARS:
        return f"this address has {len(text):,} characters; at most {MAX_LINK_CHARS:,} are kept"
    parsed = urlparse(text)
    if parsed.scheme.lower() not in ("http", "https"):
        return f"“{shown}” is not a web address; write it as https://example.org/page"
    host = parsed.hostname or ""
    if not host or ("." not in host and host != "localhost"):
        return f"“{shown}” has no web site name; write it as https://example.org/page"
    return None


def normalise_links(lines: Sequence[str], *, field_name: str = LINKS_FIELD_NAME) -> tuple[str, ...]:
    """Evidence links as typed (one per line) -> web addresses to store (never fetched).

    Blank lines are dropped; an address without a scheme gets ``https://``.  Any
    other address is refused with the line it is on, in words.
    """
    cleaned: list[str] = []
    problems: list[Problem] = []
    for number, raw in enumerate(lines, start=1):
        text = raw.strip()
        if not text:
            continue
        url = _with_scheme(text)
        problem = _link_problem(url)
        if problem is not None:
            problems.append(Problem(f"Line {number} of {field_name}", problem))
        else:
            cleaned.append(url)
    if len(cleaned) > MAX_LINKS:
        problems.append(Problem(field_name, f"{len(cleaned)} web addresses; at most {MAX_LINKS} are kept"))
    if problems:
        raise ValidationFailed("Some links are not web addresses; nothing in Links was saved.", tuple(problems))
    return tuple(cleaned)

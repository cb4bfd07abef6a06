"""A whole assessment round as one self-contained document (JSON backup and transfer format).

The document carries the questionnaire it was rated against (id, version,
content hash and the YAML text itself), so that it can be read on another
installation exactly as it was rated.  Format name ``b1mg-maturity.round``,
format version 1.  It is also the input of the FHIR export.

The health system's action plan travels with the round (``plan``: the actions
whose indicators all belong to the round's questionnaire).  It was added
within format version 1 as an optional list: a document without it (written
before plans existed) reads as a round without a plan, and its import adds no
action.  An action's status is read as text here and checked by the import, so
that a wrong status is listed with every other problem of the plan.

Reading (:func:`load_round_json`) is strict about what JSON itself lets
slide, and every refusal names its place: a key given twice in one object
(JSON parsers keep the last one silently, so a file could say ``draft`` to a
reader and ``published`` to the import), nesting deeper than
``MAX_JSON_DEPTH`` (checked before parsing), control characters (which an
export drops from data stored before they were refused), and text
far longer than any use case accepts (``MAX_TEXT_CHARS``: a rationale of
15 MB is refused here, before it is held as a model).  The import then
applies the use cases' own limits (:mod:`b1mg_maturity.text_rules`, for
example 20,000 characters of evidence) and says which rating broke them.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from itertools import accumulate
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from b1mg_maturity import i18n
from b1mg_maturity.domain import MAX_FREE_LABEL_CHARS, MAX_PERIOD_YEAR, MIN_PERIOD_YEAR, RoundPeriod
from b1mg_maturity.errors import ImportFailed, Problem
from b1mg_maturity.i18n import _, _n
from b1mg_maturity.text_rules import (
    MAX_EVIDENCE_CHARS,
    MAX_LABEL_CHARS,
    MAX_LINK_CHARS,
    MAX_LINKS,
    MAX_NAME_CHARS,
    MAX_USERNAME_CHARS,
    control_problem,
    strip_controls,
)

ROUND_FORMAT = "b1mg-maturity.round"
ROUND_FORMAT_VERSION = 1
MAX_ROUND_JSON_BYTES = 20 * 1024 * 1024
MAX_JSON_DEPTH = 32  # a round document nests 4 deep
MAX_ID_CHARS = 120
MAX_YAML_CHARS = 2 * 1024 * 1024  # as a questionnaire file (yaml_source.MAX_YAML_BYTES)
MAX_TEXT_CHARS = 50 * MAX_EVIDENCE_CHARS  # one evidence or rationale text: a size guard, see above
MAX_LINKS_LISTED = 50 * MAX_LINKS

RoundStatus = Literal["draft", "in_review", "submitted", "published"]
Level = Annotated[int, Field(ge=0, le=100)]
Id = Annotated[str, Field(max_length=MAX_ID_CHARS)]
Username = Annotated[str, Field(max_length=MAX_USERNAME_CHARS)]
Name = Annotated[str, Field(max_length=MAX_NAME_CHARS)]
Link = Annotated[str, Field(max_length=50 * MAX_LINK_CHARS)]


READING = "reading a file"  # validation context: refuse what export would drop
_MULTILINE = frozenset(
    {"evidence", "rationale", "yaml", "description", "notes", "drop_reason"}
)  # tab and line breaks are fine in these


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any, info: ValidationInfo) -> Any:
        """Read from a file: refused.  Written from the database (data older than the rule): dropped."""
        allow = "\t\n\r" if info.field_name in _MULTILINE else ""
        reading = bool((info.context or {}).get(READING))
        texts = value if isinstance(value, tuple) else (value,)
        for text in texts:
            if isinstance(text, str):
                problem = control_problem(text, "", allow=allow, what="text")
                if problem is not None and reading:
                    raise ValueError(problem.message)
                if problem is not None:
                    cleaned = tuple(
                        strip_controls(t, keep_line_breaks=bool(allow)) if isinstance(t, str) else t for t in texts
                    )
                    return cleaned if isinstance(value, tuple) else cleaned[0]
        return value


class HealthSystemRef(_Doc):
    code: Annotated[str, Field(min_length=2, max_length=16)]  # ISO 3166-1 alpha-2 or ISO 3166-2
    name: Name
    kind: Literal["country", "region"]


class QuestionnaireRef(_Doc):
    id: Id
    version: Id
    content_hash: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    yaml: Annotated[str, Field(max_length=MAX_YAML_CHARS)] | None = (
        None  # the questionnaire text, so another installation can register it
    )


class PersonRef(_Doc):
    username: Username
    display_name: Name = ""


class ExpertRating(_Doc):
    indicator_id: Id
    expert: Username
    level: Level | None = None
    not_applicable: bool = False
    evidence: Annotated[str, Field(max_length=MAX_TEXT_CHARS)] = ""
    links: Annotated[tuple[Link, ...], Field(max_length=MAX_LINKS_LISTED)] = ()
    updated_at: dt.datetime | None = None


class ConsensusEntry(_Doc):
    indicator_id: Id
    level: Level | None = None
    not_applicable: bool = False
    rationale: Annotated[str, Field(max_length=MAX_TEXT_CHARS)] = ""
    updated_at: dt.datetime | None = None


class TargetEntry(_Doc):
    indicator_id: Id
    target: Level


class RoundInfo(_Doc):
    """The round's facts.  Its period (a year, optionally a half) was added later: a document without it
    is read as a whole-year period of the round's date, as the rounds opened before periods existed."""

    label: Annotated[str, Field(min_length=1, max_length=MAX_LABEL_CHARS)]
    round_date: dt.date
    period_year: Annotated[int, Field(strict=True, ge=MIN_PERIOD_YEAR, le=MAX_PERIOD_YEAR)] | None = None
    period_half: Literal[0, 1, 2] = 0  # 0: the whole year; 1: January-June; 2: July-December
    free_label: Annotated[str, Field(max_length=MAX_FREE_LABEL_CHARS)] = ""
    status: RoundStatus
    created_at: dt.datetime | None = None
    submitted_at: dt.datetime | None = None
    published_at: dt.datetime | None = None

    @property
    def period(self) -> RoundPeriod:
        return RoundPeriod(self.period_year if self.period_year is not None else self.round_date.year, self.period_half)


class PlanAim(_Doc):
    indicator_id: Id
    level: Level


class PlanEntry(_Doc):
    """One action of the health system's plan, as its use cases store it (checked again on import)."""

    title: Annotated[str, Field(max_length=MAX_TEXT_CHARS)]
    description: Annotated[str, Field(max_length=MAX_TEXT_CHARS)] = ""
    aims: Annotated[tuple[PlanAim, ...], Field(max_length=MAX_LINKS_LISTED)] = ()
    owner_name: Annotated[str, Field(max_length=MAX_TEXT_CHARS)] = ""
    owner_username: Username | None = None  # an account of the health system, when the owner has one
    proposed_by: Username | None = None  # who wrote it first, when that account still exists
    start: dt.date | None = None
    due: dt.date | None = None
    status: Id = "planned"  # proposed, planned, in_progress, done or dropped: checked by the import
    drop_reason: Annotated[str, Field(max_length=MAX_TEXT_CHARS)] = ""
    notes: Annotated[str, Field(max_length=MAX_TEXT_CHARS)] = ""
    done_on: dt.date | None = None  # the day it was marked done


class RoundDocument(_Doc):
    format: Literal["b1mg-maturity.round"] = "b1mg-maturity.round"
    format_version: Literal[1] = 1
    exported_at: dt.datetime
    health_system: HealthSystemRef
    round: RoundInfo
    questionnaire: QuestionnaireRef
    experts: tuple[PersonRef, ...] = ()
    ratings: tuple[ExpertRating, ...] = ()
    consensus: tuple[ConsensusEntry, ...] = ()
    targets: tuple[TargetEntry, ...] = ()
    plan: Annotated[tuple[PlanEntry, ...], Field(max_length=MAX_LINKS_LISTED)] = ()  # absent in older documents


# --- reading ----------------------------------------------------------------------------------

_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')
_STRINGS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def _check_depth(text: str, name: str) -> None:
    """Refuse nesting deeper than ``MAX_JSON_DEPTH`` before parsing (the parser recurses per level)."""
    brackets = _STRINGS.sub("", text)
    steps = (_STEP.get(c, 0) for c in brackets if c in _STEP)
    if max(accumulate(steps), default=0) <= MAX_JSON_DEPTH:
        return
    depth = 0
    for match in _TOKENS.finditer(text):  # only for the message: find where it happens
        depth += _STEP.get(match.group(), 0)
        if depth > MAX_JSON_DEPTH:
            line = text.count("\n", 0, match.start()) + 1
            column = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
            raise ImportFailed(
                "nested too deep",
                (
                    Problem(
                        f"{name}:{line}:{column}",
                        _(
                            "lists and objects are nested more than {limit} deep here; a round document nests 4 deep",
                            limit=MAX_JSON_DEPTH,
                        ),
                    ),
                ),
            )


class _Repeated(dict[str, Any]):
    """A JSON object in which some key appeared more than once."""

    repeated: tuple[str, ...] = ()


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    repeated: list[str] = []
    for key, value in pairs:
        if key in result and key not in repeated:
            repeated.append(key)
        result[key] = value
    if not repeated:
        return result
    marked = _Repeated(result)
    marked.repeated = tuple(repeated)
    return marked


def _repeated_keys(value: Any, path: tuple[int | str, ...], found: list[Problem], name: str) -> None:
    if isinstance(value, _Repeated):
        for key in value.repeated:
            found.append(
                Problem(
                    f"{name}: {json_path((*path, key))}",
                    _("the key '{key}' appears more than once in this object; give each key once", key=key),
                )
            )
    if isinstance(value, dict):
        for key, item in value.items():
            _repeated_keys(item, (*path, key), found, name)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _repeated_keys(item, (*path, index), found, name)


def json_path(loc: tuple[int | str, ...]) -> str:
    """``ratings[3].level`` from a location such as ``("ratings", 3, "level")``."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or _("(top)")


def _message(error: Any) -> str:
    context = error.get("ctx") or {}
    if error["type"] == "string_too_long":
        given = len(error["input"]) if isinstance(error.get("input"), str) else None
        limit = i18n.integer(context.get("max_length", 0))
        if given is None:
            return _("at most {limit} are accepted", limit=limit)
        return _n(
            "{n} character; at most {limit} are accepted",
            "{n} characters; at most {limit} are accepted",
            given,
            limit=limit,
        )
    if error["type"] == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "too_long":
        return _("at most {limit} entries are accepted", limit=i18n.integer(context.get("max_length", 0)))
    return str(error["msg"])


def load_round_json(raw: bytes, name: str = "round.json") -> RoundDocument:
    """Read a round document; every problem named by its place (``ratings[3].level``)."""
    if len(raw) > MAX_ROUND_JSON_BYTES:
        raise ImportFailed(
            "too large",
            (
                Problem(
                    name,
                    _(
                        "the file is {size} bytes; at most {limit} are accepted",
                        size=i18n.integer(len(raw)),
                        limit=i18n.integer(MAX_ROUND_JSON_BYTES),
                    ),
                ),
            ),
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ImportFailed("not UTF-8", (Problem(f"{name}:{line}", _("the file is not UTF-8 text")),)) from None
    _check_depth(text, name)
    try:
        data = json.loads(text, object_pairs_hook=_object)
    except json.JSONDecodeError as exc:
        raise ImportFailed(
            "not JSON", (Problem(f"{name}:{exc.lineno}:{exc.colno}", _("not valid JSON: {error}", error=exc.msg)),)
        ) from None
    except RecursionError:  # cannot happen after the depth check; kept so that it can never crash
        raise ImportFailed("nested too deep", (Problem(name, _("lists and objects are nested too deep")),)) from None
    repeated: list[Problem] = []
    _repeated_keys(data, (), repeated, name)
    if repeated:
        raise ImportFailed(f"{name} has keys given twice", tuple(repeated))
    try:
        return RoundDocument.model_validate(data, context={READING: True})
    except ValidationError as exc:
        problems = tuple(
            Problem(f"{name}: {json_path(err['loc'])}", _message(err)) for err in exc.errors(include_url=False)
        )
        raise ImportFailed(f"{name} is not a round document", problems) from None

"""Reading a questionnaire file: validated once, at the edge, then used as a frozen value.

Validation has two passes over the same parsed YAML, and both always run so
that a user sees every mistake of a file at once:

* the structural pass (pydantic, ``extra="forbid"``): types, required keys,
  unknown keys, positive weights, id syntax;
* the cross-field pass (:func:`_cross_field_problems`), tolerant of broken
  structure: ids unique across the file, every indicator describes exactly
  the levels of the scale, every domain's pillar is declared.

Every problem is reported as ``PATH:LINE:COL: message``.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ValidationError

from b1mg_maturity.errors import Problem, QuestionnaireError
from b1mg_maturity.i18n import N_, _
from b1mg_maturity.questionnaire.bundled import BUNDLED_MLM
from b1mg_maturity.questionnaire.schema import PILLAR_IDS, Questionnaire
from b1mg_maturity.questionnaire.yaml_source import MarkedDocument, PathKey, YamlReadError, read_marked_yaml

# --- loading ----------------------------------------------------------------------------------


def load_questionnaire(source: Path | str | bytes, name: str | None = None) -> Questionnaire:
    """Load and validate a questionnaire from a YAML file path or bytes.

    Raises :class:`QuestionnaireError` listing every problem found.
    """
    label = name or (str(source) if not isinstance(source, bytes) else "<questionnaire>")
    try:
        doc = read_marked_yaml(source, name=label)
    except YamlReadError as exc:
        raise QuestionnaireError(f"{label} is not a readable questionnaire", tuple(exc.problems)) from None
    if not isinstance(doc.data, dict):
        raise QuestionnaireError(
            f"{label} is not a questionnaire",
            (
                Problem(
                    doc.where(()), _("expected a mapping of questionnaire keys, found {kind}", kind=kind_of(doc.data))
                ),
            ),
        )
    problems = structural_problems(doc) + _cross_field_problems(doc)
    if problems:
        raise QuestionnaireError(f"{label} has {len(problems)} problem(s)", tuple(sorted_problems(problems)))
    return Questionnaire.model_validate(doc.data)


def load_bundled() -> Questionnaire:
    """The bundled MLM questionnaire."""
    return load_questionnaire(BUNDLED_MLM)


def check_questionnaire(source: Path | str) -> list[Problem]:
    """Every problem of a questionnaire file, empty when it is valid."""
    try:
        load_questionnaire(source)
    except QuestionnaireError as exc:
        return list(exc.problems)
    return []


def sorted_problems(problems: list[Problem]) -> list[Problem]:
    def key(p: Problem) -> tuple[int, int, str]:
        parts = p.where.rsplit(":", 2)
        try:
            return int(parts[1]), int(parts[2]), p.message
        except (IndexError, ValueError):
            return 0, 0, p.message

    unique = list(dict.fromkeys(problems))
    return sorted(unique, key=key)


_KINDS: dict[type, str] = {
    dict: N_("a mapping"),
    list: N_("a list"),
    str: N_("text"),
    bool: N_("true/false"),
    int: N_("a number"),
    float: N_("a number"),
}


def kind_of(value: Any) -> str:
    """What kind of YAML value ``value`` is, in words (for "found ..." in a problem)."""
    if value is None:
        return _("nothing")
    kind = _KINDS.get(type(value))
    return _(kind) if kind else type(value).__name__


# --- structural pass ----------------------------------------------------------------------------


def structural_problems(doc: MarkedDocument, model: type[BaseModel] = Questionnaire) -> list[Problem]:
    """What ``model`` (the questionnaire, or a translation of it) refuses in ``doc``, each at its place."""
    try:
        model.model_validate(doc.data)
    except ValidationError as exc:
        return [_problem_from_pydantic(doc, err, model) for err in _meaningful(exc.errors(include_url=False), model)]
    return []


def _meaningful(errors: list[Any], model: type[BaseModel]) -> list[Any]:
    """Drop the echoes pydantic adds to a real mistake.

    * a list that is "too short" only because its one item failed;
    * a "missing required key" next to an unknown key that is its misspelling
      (``statment``): one typo is one problem.
    """
    locs = [tuple(e["loc"]) for e in errors]
    typos = {
        (tuple(e["loc"][:-1]), match)
        for e in errors
        if e["type"] == "extra_forbidden"
        for match in difflib.get_close_matches(str(e["loc"][-1]), _allowed_keys(tuple(e["loc"][:-1]), model), n=1)
    }
    kept = []
    for err, loc in zip(errors, locs, strict=True):
        if err["type"] == "too_short" and any(other[: len(loc)] == loc and other != loc for other in locs):
            continue
        if err["type"] == "missing" and (loc[:-1], loc[-1]) in typos:
            continue
        kept.append(err)
    return kept


def _problem_from_pydantic(doc: MarkedDocument, err: Any, model: type[BaseModel]) -> Problem:
    loc: PathKey = tuple(part for part in err["loc"] if part != "[key]")
    kind = err["type"]
    field = loc[-1] if loc else None
    if kind == "extra_forbidden":
        allowed = _allowed_keys(loc[:-1], model)
        hint = difflib.get_close_matches(str(field), allowed, n=1)
        words = {"key": field, "allowed": ", ".join(allowed)}
        return Problem(
            doc.where(loc, key=True),
            _("unknown key '{key}' (did you mean '{hint}'?); allowed here: {allowed}", hint=hint[0], **words)
            if hint
            else _("unknown key '{key}'; allowed here: {allowed}", **words),
        )
    if kind == "missing":
        return Problem(doc.where(loc[:-1]), _("missing required key '{key}'", key=field))
    if isinstance(field, str):
        label = f"'{field}'"
    else:
        label = _("item {number}", number=field) if isinstance(field, int) else _("value")
    shown = err.get("input")
    message = _friendly(kind, err["msg"], err.get("ctx") or {})
    if isinstance(shown, str | int | float):
        text = _(
            "{what}: {problem} (found {kind}: {value})",
            what=label,
            problem=message,
            kind=kind_of(shown),
            value=repr(shown),
        )
    else:
        text = _("{what}: {problem} (found {kind})", what=label, problem=message, kind=kind_of(shown))
    return Problem(doc.where(loc), text)


def _friendly(kind: str, msg: str, ctx: dict[str, Any]) -> str:
    if kind == "literal_error":
        return _("expected one of {expected}", expected=ctx.get("expected", ""))
    if kind == "string_pattern_mismatch":
        return _("expected an id of letters, digits, '.', '_' or '-', starting with a letter or digit")
    if kind == "too_short" and "min_length" in ctx:
        return _("expected at least {count} item(s)", count=ctx["min_length"])
    if kind == "https_url":
        return _("expected an https address, such as https://example.org/page (other kinds of address are refused)")
    if kind == "greater_than":
        return _("expected a number greater than {limit}", limit=format(ctx.get("gt", 0), "g"))
    return msg[0].lower() + msg[1:] if msg else kind


def _allowed_keys(loc: PathKey, model: type[BaseModel]) -> list[str]:
    """Field names of the model found at ``loc`` (for unknown-key messages)."""
    annotation: Any = model
    for part in loc:
        annotation = _unwrap(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            info = annotation.model_fields.get(str(part))
            if info is None:
                return []
            annotation = info.annotation
        else:
            args = typing.get_args(annotation)  # tuple[X, ...] holds X; dict[K, V] holds V
            annotation = (args[-1] if typing.get_origin(annotation) is dict else args[0]) if args else Any
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return list(annotation.model_fields)
    return []


def _unwrap(annotation: Any) -> Any:
    """Strip Optional/Annotated so the model class inside is reachable."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            inner = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = inner[0]
        else:
            return annotation


# --- cross-field pass ---------------------------------------------------------------------------


def _items(container: Any, key: str) -> Iterator[tuple[int, dict[str, Any]]]:
    value = container.get(key) if isinstance(container, dict) else None
    if isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, dict):
                yield index, item


def _cross_field_problems(doc: MarkedDocument) -> list[Problem]:
    data = doc.data
    problems: list[Problem] = []

    scale: list[int] = []
    for index, level in _items(data, "levels"):
        value = level.get("level")
        if isinstance(value, int) and not isinstance(value, bool):
            if value in scale:
                problems.append(
                    Problem(doc.where(("levels", index, "level")), _("level {level} is declared twice", level=value))
                )
            scale.append(value)
    if scale and scale != list(range(scale[0], scale[0] + len(scale))):
        problems.append(
            Problem(
                doc.where(("levels",)),
                _("the scale must be consecutive whole numbers in rising order, found {scale}", scale=scale),
            )
        )

    declared_pillars: list[str] = []
    for index, pillar_entry in _items(data, "pillars"):
        pid = pillar_entry.get("id")
        if isinstance(pid, str):
            if pid in declared_pillars:
                problems.append(
                    Problem(doc.where(("pillars", index, "id")), _("pillar '{pillar}' is declared twice", pillar=pid))
                )
            declared_pillars.append(pid)

    first_seen: dict[str, str] = {}

    def claim(identifier: Any, path: PathKey) -> None:
        if not isinstance(identifier, str):
            return
        where = doc.where(path)
        if identifier in first_seen:
            problems.append(
                Problem(
                    where,
                    _(
                        "duplicate id '{id}' (first used at {first}); ids must be unique",
                        id=identifier,
                        first=first_seen[identifier],
                    ),
                )
            )
        else:
            first_seen[identifier] = where

    for d_index, domain in _items(data, "domains"):
        d_path: PathKey = ("domains", d_index)
        claim(domain.get("id"), (*d_path, "id"))
        pillar = domain.get("pillar")
        if isinstance(pillar, str) and pillar in PILLAR_IDS and declared_pillars and pillar not in declared_pillars:
            problems.append(
                Problem(
                    doc.where((*d_path, "pillar")),
                    _(
                        "pillar '{pillar}' is not declared under 'pillars' (declared: {declared})",
                        pillar=pillar,
                        declared=", ".join(declared_pillars),
                    ),
                )
            )
        for s_index, sub in _items(domain, "subdomains"):
            s_path: PathKey = (*d_path, "subdomains", s_index)
            claim(sub.get("id"), (*s_path, "id"))
            for i_index, ind in _items(sub, "indicators"):
                i_path: PathKey = (*s_path, "indicators", i_index)
                claim(ind.get("id"), (*i_path, "id"))
                problems.extend(_level_problems(doc, ind, i_path, scale))

    seen_terms: dict[str, str] = {}
    for g_index, entry in _items(data, "glossary"):
        term = entry.get("term")
        if isinstance(term, str):
            where = doc.where(("glossary", g_index, "term"))
            folded = term.strip().casefold()
            if folded in seen_terms:
                problems.append(
                    Problem(
                        where,
                        _(
                            "glossary term '{term}' is defined twice (first at {first})",
                            term=term,
                            first=seen_terms[folded],
                        ),
                    )
                )
            else:
                seen_terms[folded] = where
    return problems


def _level_problems(doc: MarkedDocument, indicator: dict[str, Any], path: PathKey, scale: list[int]) -> list[Problem]:
    levels = indicator.get("levels")
    if not scale or not isinstance(levels, dict):
        return []
    keys = [k for k in levels if isinstance(k, int) and not isinstance(k, bool)]
    missing = [lv for lv in scale if lv not in keys]
    extra = [k for k in keys if k not in scale]
    name = indicator.get("id") or _("this indicator")
    problems = []
    if missing:
        problems.append(
            Problem(
                doc.where((*path, "levels")),
                _(
                    "indicator '{indicator}' has no description for level(s) {levels}; "
                    "every indicator describes each level of the scale ({lowest}-{highest})",
                    indicator=name,
                    levels=", ".join(map(str, missing)),
                    lowest=scale[0],
                    highest=scale[-1],
                ),
            )
        )
    for key in extra:
        problems.append(
            Problem(
                doc.where((*path, "levels", key), key=True),
                _(
                    "level {level} is not on the scale ({lowest}-{highest})",
                    level=key,
                    lowest=scale[0],
                    highest=scale[-1],
                ),
            )
        )
    return problems

"""Translations of a questionnaire that stay the same questionnaire.

A translation file (``questionnaires/b1mg-mlm.fr.yaml``) names the questionnaire id and version it
translates and its language, and gives, keyed by id, the translated texts: title, scale levels, pillars,
domains, subdomains, indicators (statement, guidance, level descriptions) and glossary terms (keyed by
the English term).  Ids, levels, weights and order come from the questionnaire itself, so scoring, rounds,
comparison and trends never depend on the language: :func:`localized` swaps texts only.

A text left out is shown in the questionnaire's own language (the coverage says how many are translated);
an entry that is there must be whole (a statement with every level of the scale, a guidance where the
questionnaire has one).  Every problem is reported as ``PATH:LINE:COL: message``, all at once.

A translation is ``draft`` until a native-speaking domain expert has reviewed it (``reviewed`` with who
and when); the app and the PDF say when a draft is shown.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from b1mg_maturity.errors import Problem, QuestionnaireError
from b1mg_maturity.i18n import N_, _
from b1mg_maturity.questionnaire.bundled import BUNDLED_DIR
from b1mg_maturity.questionnaire.schema import Domain, Indicator, Questionnaire, Subdomain
from b1mg_maturity.questionnaire.yaml_source import MarkedDocument, PathKey, YamlReadError, read_marked_yaml

Text = Annotated[str, Field(min_length=1, max_length=10_000)]
LanguageCode = Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Translates(_Frozen):
    id: Text
    version: Text

    @model_validator(mode="before")
    @classmethod
    def _version_as_text(cls, value: Any) -> Any:
        if isinstance(value, dict) and isinstance(value.get("version"), int | float):
            return {**value, "version": str(value["version"])}
        return value


class Review(_Frozen):
    by: Text
    date: dt.date  # not 'on': YAML reads a bare on as true


class LevelText(_Frozen):
    label: Text
    description: Text


class NamedText(_Frozen):
    name: Text
    description: Text | None = None


class IndicatorText(_Frozen):
    statement: Text
    guidance: Text | None = None
    levels: dict[int, Text]


class TermText(_Frozen):
    term: Text
    definition: Text


class QuestionnaireTranslation(_Frozen):
    translates: Translates
    language: LanguageCode
    status: Literal["draft", "reviewed"]
    reviewed: Review | None = None
    title: Text | None = None
    notice: Text | None = None
    levels: dict[int, LevelText] = {}
    pillars: dict[str, NamedText] = {}
    domains: dict[str, NamedText] = {}
    subdomains: dict[str, NamedText] = {}
    indicators: dict[str, IndicatorText] = {}
    glossary: dict[str, TermText] = {}

    @property
    def is_draft(self) -> bool:
        return self.status == "draft"


@dataclass(frozen=True)
class Coverage:
    """How many of the questionnaire's texts a translation gives."""

    translated: int
    total: int

    @property
    def share(self) -> float:
        return self.translated / self.total if self.total else 1.0


# --- reading and checking ----------------------------------------------------------------------


def load_translation(
    source: Path | str | bytes, base: Questionnaire, name: str | None = None
) -> QuestionnaireTranslation:
    """Read and check a translation of ``base``; raises :class:`QuestionnaireError` with every problem."""
    from b1mg_maturity.questionnaire.loader import kind_of, sorted_problems, structural_problems

    label = name or (str(source) if not isinstance(source, bytes) else "<translation>")
    try:
        doc = read_marked_yaml(source, name=label)
    except YamlReadError as exc:
        raise QuestionnaireError(f"{label} is not a readable translation", tuple(exc.problems)) from None
    if not isinstance(doc.data, dict):
        raise QuestionnaireError(
            f"{label} is not a translation",
            (
                Problem(
                    doc.where(()), _("expected a mapping of translation keys, found {kind}", kind=kind_of(doc.data))
                ),
            ),
        )
    problems = structural_problems(doc, QuestionnaireTranslation) + list(_problems_against(doc, base))
    if problems:
        raise QuestionnaireError(f"{label} has {len(problems)} problem(s)", tuple(sorted_problems(problems)))
    return QuestionnaireTranslation.model_validate(doc.data)


def _problems_against(doc: MarkedDocument, base: Questionnaire) -> Iterator[Problem]:
    """What does not fit the questionnaire it translates (tolerant of a broken structure)."""
    data: dict[str, Any] = doc.data
    translates = data.get("translates")
    if isinstance(translates, dict):
        for key, expected in (("id", base.id), ("version", base.version)):
            found = translates.get(key)
            if found is not None and str(found) != expected:
                yield Problem(
                    doc.where(("translates", key)),
                    _(
                        "this translation is of {key} '{found}', but the questionnaire's {key} is '{expected}'",
                        key=key,
                        found=found,
                        expected=expected,
                    ),
                )
    if data.get("language") == base.language:
        yield Problem(
            doc.where(("language",)), _("'{language}' is the questionnaire's own language", language=base.language)
        )
    if data.get("status") == "reviewed" and not data.get("reviewed"):
        yield Problem(
            doc.where(("status",)), _("a reviewed translation says who reviewed it and when (reviewed: by, date)")
        )
    scale = list(base.scale)
    yield from _unknown(doc, "levels", _mapping(data, "levels"), [str(level) for level in scale], "level of the scale")
    yield from _unknown(doc, "pillars", _mapping(data, "pillars"), [p.id for p in base.pillars], "pillar")
    domains = {d.id: d for d in base.domains}
    yield from _unknown(doc, "domains", _mapping(data, "domains"), list(domains), "domain")
    subdomains = {s.id: s for d in base.domains for s in d.subdomains}
    yield from _unknown(doc, "subdomains", _mapping(data, "subdomains"), list(subdomains), "subdomain")
    indicators = {i.id: i for i in base.indicators}
    yield from _unknown(doc, "indicators", _mapping(data, "indicators"), list(indicators), "indicator")
    terms = [t.term for t in base.glossary]
    yield from _unknown(doc, "glossary", _mapping(data, "glossary"), terms, "glossary term")
    described: dict[str, str | None] = {p.id: p.description for p in base.pillars}
    described |= {i: d.description for i, d in domains.items()}
    described |= {i: s.description for i, s in subdomains.items()}
    for section in ("pillars", "domains", "subdomains"):
        for key, entry in _mapping(data, section).items():
            if isinstance(entry, dict) and str(key) in described:
                yield from _same_optional(doc, (section, key), entry, "description", described[str(key)] is not None)
    for key, entry in _mapping(data, "indicators").items():
        indicator = indicators.get(str(key))
        if indicator is None or not isinstance(entry, dict):
            continue
        yield from _same_optional(doc, ("indicators", key), entry, "guidance", indicator.guidance is not None)
        levels = entry.get("levels")
        if not isinstance(levels, dict):
            continue
        given = {level for level in levels if isinstance(level, int)}
        for level in scale:
            if level not in given:
                yield Problem(
                    doc.where(("indicators", key, "levels")),
                    _(
                        "indicator {indicator} has no description of level {level}; the scale has levels {levels}",
                        indicator=key,
                        level=level,
                        levels=", ".join(map(str, scale)),
                    ),
                )
        for level in levels:
            if level not in scale:
                yield Problem(
                    doc.where(("indicators", key, "levels", level), key=True),
                    _(
                        "level {level} is not on the questionnaire's scale ({levels})",
                        level=level,
                        levels=", ".join(map(str, scale)),
                    ),
                )


def _mapping(data: dict[str, Any], key: str) -> dict[Any, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


# What an unknown key of each section is (without, then with a close match), in whole sentences.
_UNKNOWN = {
    "level of the scale": (
        N_("the questionnaire has no level of the scale '{key}'"),
        N_("the questionnaire has no level of the scale '{key}' (did you mean '{hint}'?)"),
    ),
    "pillar": (
        N_("the questionnaire has no pillar '{key}'"),
        N_("the questionnaire has no pillar '{key}' (did you mean '{hint}'?)"),
    ),
    "domain": (
        N_("the questionnaire has no domain '{key}'"),
        N_("the questionnaire has no domain '{key}' (did you mean '{hint}'?)"),
    ),
    "subdomain": (
        N_("the questionnaire has no subdomain '{key}'"),
        N_("the questionnaire has no subdomain '{key}' (did you mean '{hint}'?)"),
    ),
    "indicator": (
        N_("the questionnaire has no indicator '{key}'"),
        N_("the questionnaire has no indicator '{key}' (did you mean '{hint}'?)"),
    ),
    "glossary term": (
        N_("the questionnaire has no glossary term '{key}'"),
        N_("the questionnaire has no glossary term '{key}' (did you mean '{hint}'?)"),
    ),
}
# An optional text the translation must give exactly when the questionnaire has it: (missing, extra).
_OPTIONAL = {
    "description": (
        N_("missing the translated description (the questionnaire has one)"),
        N_("the questionnaire has no description here to translate"),
    ),
    "guidance": (
        N_("missing the translated guidance (the questionnaire has one)"),
        N_("the questionnaire has no guidance here to translate"),
    ),
}


def _unknown(
    doc: MarkedDocument, section: str, given: dict[Any, Any], known: list[str], what: str
) -> Iterator[Problem]:
    plain, with_hint = _UNKNOWN[what]
    for key in given:
        if str(key) not in known:
            hint = difflib.get_close_matches(str(key), known, n=1)
            message = _(with_hint, key=key, hint=hint[0]) if hint else _(plain, key=key)
            yield Problem(doc.where((section, key), key=True), message)


def _same_optional(
    doc: MarkedDocument, path: PathKey, entry: dict[str, Any], field: str, base_has: bool
) -> Iterator[Problem]:
    missing, extra = _OPTIONAL[field]
    if base_has and field not in entry:
        yield Problem(doc.where(path), _(missing))
    elif not base_has and field in entry:
        yield Problem(doc.where((*path, field), key=True), _(extra))


# --- coverage and use --------------------------------------------------------------------------


def coverage(base: Questionnaire, translation: QuestionnaireTranslation) -> Coverage:
    """Texts translated out of the questionnaire's texts (each label, name, description, statement ...)."""
    total = translated = 0

    def count(present_in_base: bool, present_in_translation: bool) -> None:
        nonlocal total, translated
        if present_in_base:
            total += 1
            translated += int(present_in_translation)

    count(True, translation.title is not None)
    for level in base.levels:
        count(True, level.level in translation.levels)
        count(True, level.level in translation.levels)
    for named, texts in (
        (base.pillars, translation.pillars),
        (base.domains, translation.domains),
        (tuple(s for d in base.domains for s in d.subdomains), translation.subdomains),
    ):
        for item in named:
            count(True, item.id in texts)
            count(item.description is not None, item.id in texts)
    for indicator in base.indicators:
        entry = translation.indicators.get(indicator.id)
        count(True, entry is not None)
        count(indicator.guidance is not None, entry is not None)
        for _level in indicator.levels:
            count(True, entry is not None)
    for term in base.glossary:
        count(True, term.term in translation.glossary)
        count(True, term.term in translation.glossary)
    return Coverage(translated, total)


def apply_translation(base: Questionnaire, translation: QuestionnaireTranslation) -> Questionnaire:
    """``base`` with the translated texts in place of its own; everything else exactly as it was."""

    def indicator(item: Indicator) -> Indicator:
        entry = translation.indicators.get(item.id)
        if entry is None:
            return item
        return item.model_copy(
            update={"statement": entry.statement, "guidance": entry.guidance, "levels": entry.levels}
        )

    def named(item: Any, texts: dict[str, NamedText], extra: dict[str, Any]) -> Any:
        entry = texts.get(item.id)
        update = dict(extra)
        if entry is not None:
            update |= {"name": entry.name, "description": entry.description}
        return item.model_copy(update=update)

    def subdomain(item: Subdomain) -> Subdomain:
        result: Subdomain = named(item, translation.subdomains, {"indicators": tuple(map(indicator, item.indicators))})
        return result

    def domain(item: Domain) -> Domain:
        result: Domain = named(item, translation.domains, {"subdomains": tuple(map(subdomain, item.subdomains))})
        return result

    levels = tuple(
        level.model_copy(update=translation.levels[level.level].model_dump())
        if level.level in translation.levels
        else level
        for level in base.levels
    )
    glossary = tuple(
        term.model_copy(update=translation.glossary[term.term].model_dump())
        if term.term in translation.glossary
        else term
        for term in base.glossary
    )
    source = base.source.model_copy(update={"notice": translation.notice}) if translation.notice else base.source
    return Questionnaire.model_construct(
        **{
            **dict(base),
            "title": translation.title or base.title,
            "language": translation.language,
            "source": source,
            "levels": levels,
            "pillars": tuple(named(p, translation.pillars, {}) for p in base.pillars),
            "domains": tuple(map(domain, base.domains)),
            "glossary": glossary,
        }
    )


def translation_files(base: Questionnaire, folder: Path = BUNDLED_DIR) -> Iterable[Path]:
    """The files beside the bundled questionnaires that may translate ``base`` (``<id>.<language>.yaml``)."""
    return sorted(folder.glob(f"{base.id}.*.yaml"))


_bundled: dict[str, dict[str, QuestionnaireTranslation]] = {}  # by the questionnaire's content hash
_by_version: dict[tuple[str, str, str], QuestionnaireTranslation] = {}  # (id, version, language): those read


def bundled_translations(base: Questionnaire) -> dict[str, QuestionnaireTranslation]:
    """The shipped translations of ``base`` by language (read once per process)."""
    found = _bundled.get(base.content_hash)
    if found is None:
        found = {}
        for path in translation_files(base):
            translation = _read_if_of(path, base)
            if translation is not None:
                found[translation.language] = translation
                _by_version[(base.id, base.version, translation.language)] = translation
        _bundled[base.content_hash] = found
    return found


def _read_if_of(path: Path, base: Questionnaire) -> QuestionnaireTranslation | None:
    """The translation in ``path`` when it is one of ``base``'s version (another version's file is not used)."""
    import yaml

    head = yaml.safe_load(path.read_text(encoding="utf-8"))
    translates = head.get("translates") if isinstance(head, dict) else None
    if not isinstance(translates, dict) or str(translates.get("version")) != base.version:
        return None
    return load_translation(path, base)


def pseudo_translation(base: Questionnaire) -> QuestionnaireTranslation:
    """Every text of ``base`` in the pseudo-language (accented letters), to find texts shown untranslated."""
    from b1mg_maturity.i18n import PSEUDO_LANGUAGE, pseudo

    def optional(text: str | None) -> str | None:
        return None if text is None else pseudo(text)

    subdomains = [s for d in base.domains for s in d.subdomains]
    return QuestionnaireTranslation(
        translates=Translates(id=base.id, version=base.version),
        language=PSEUDO_LANGUAGE,
        status="draft",
        title=pseudo(base.title),
        notice=optional(base.source.notice),
        levels={lv.level: LevelText(label=pseudo(lv.label), description=pseudo(lv.description)) for lv in base.levels},
        pillars={p.id: NamedText(name=pseudo(p.name), description=optional(p.description)) for p in base.pillars},
        domains={d.id: NamedText(name=pseudo(d.name), description=optional(d.description)) for d in base.domains},
        subdomains={s.id: NamedText(name=pseudo(s.name), description=optional(s.description)) for s in subdomains},
        indicators={
            i.id: IndicatorText(
                statement=pseudo(i.statement),
                guidance=optional(i.guidance),
                levels={level: pseudo(text) for level, text in i.levels.items()},
            )
            for i in base.indicators
        },
        glossary={t.term: TermText(term=pseudo(t.term), definition=pseudo(t.definition)) for t in base.glossary},
    )


def translation_for(base: Questionnaire, language: str) -> QuestionnaireTranslation | None:
    """The translation of ``base`` shown to a reader of ``language`` (None: the questionnaire's own text)."""
    from b1mg_maturity.i18n import PSEUDO_LANGUAGE

    if language == base.language:
        return None
    if language == PSEUDO_LANGUAGE:
        return pseudo_translation(base)
    return bundled_translations(base).get(language)


_localized: dict[tuple[str, str], Questionnaire] = {}


def localized(base: Questionnaire, language: str | None = None) -> Questionnaire:
    """``base`` in ``language`` (default: the language of the work at hand) where a translation gives it."""
    from b1mg_maturity import i18n

    code = language or i18n.current()
    key = (base.content_hash, code)
    found = _localized.get(key)
    if found is None:
        translation = translation_for(base, code)
        found = _localized[key] = base if translation is None else apply_translation(base, translation)
    return found


@dataclass(frozen=True)
class TranslationNote:
    """What a reader is told about the questionnaire's language beside its text."""

    language: str  # the language asked for
    shown_in: str  # the language the questionnaire's texts are shown in
    draft: bool  # a draft translation (not yet reviewed by a native-speaking domain expert) is shown
    coverage: Coverage | None


def shown_note(shown: Questionnaire, language: str | None = None) -> TranslationNote | None:
    """What to tell a reader of ``language`` about ``shown`` (a questionnaire as :func:`localized` gave it):
    that it is shown in another language, or in a draft translation; None when there is nothing to say."""
    from b1mg_maturity import i18n

    code = language or i18n.current()
    if code == i18n.PSEUDO_LANGUAGE:
        return None
    if shown.language != code:
        return TranslationNote(code, shown.language, draft=False, coverage=None)
    translation = _by_version.get((shown.id, shown.version, code))
    if translation is None or not translation.is_draft:
        return None
    return TranslationNote(code, code, draft=True, coverage=None)


def note_text(note: TranslationNote) -> str:
    """The note in words, for the pages and the PDF."""
    from b1mg_maturity import i18n
    from b1mg_maturity.i18n import _

    if note.draft:
        return _(
            "The questionnaire is shown in a draft translation into {language}: a native-speaking domain expert "
            "has not reviewed it yet. Ratings do not depend on the language.",
            language=i18n.language_in_words(note.language),
        )
    return _(
        "The questionnaire has no translation into {language} yet: its texts are shown in {shown}.",
        language=i18n.language_in_words(note.language),
        shown=i18n.language_in_words(note.shown_in),
    )


def translation_note(base: Questionnaire, language: str | None = None) -> TranslationNote | None:
    """None when the questionnaire is shown as written or in a reviewed, complete translation."""
    from b1mg_maturity import i18n

    code = language or i18n.current()
    if code in (base.language, i18n.PSEUDO_LANGUAGE):
        return None
    translation = bundled_translations(base).get(code)
    if translation is None:
        return TranslationNote(code, base.language, draft=False, coverage=None)
    covered = coverage(base, translation)
    if not translation.is_draft and covered.translated == covered.total:
        return None
    return TranslationNote(code, code, draft=translation.is_draft, coverage=covered)


def template(base: Questionnaire, language: str) -> str:
    """A translation file of ``base`` into ``language`` to fill in: every text in the questionnaire's own
    language, in the order of the questionnaire, to be replaced by its translation."""
    import yaml

    def named(item: Any) -> dict[str, str]:
        entry = {"name": item.name}
        if item.description is not None:
            entry["description"] = item.description
        return entry

    def indicator(item: Indicator) -> dict[str, Any]:
        entry: dict[str, Any] = {"statement": item.statement}
        if item.guidance is not None:
            entry["guidance"] = item.guidance
        entry["levels"] = dict(item.levels)
        return entry

    document: dict[str, Any] = {
        "translates": {"id": base.id, "version": base.version},
        "language": language,
        "status": "draft",
        "title": base.title,
    }
    if base.source.notice:
        document["notice"] = base.source.notice
    document |= {
        "levels": {lv.level: {"label": lv.label, "description": lv.description} for lv in base.levels},
        "pillars": {p.id: named(p) for p in base.pillars},
        "domains": {d.id: named(d) for d in base.domains},
        "subdomains": {s.id: named(s) for d in base.domains for s in d.subdomains},
        "indicators": {i.id: indicator(i) for i in base.indicators},
        "glossary": {t.term: {"term": t.term, "definition": t.definition} for t in base.glossary},
    }
    header = (
        f"# {base.title}: translation into '{language}' (a draft until a native-speaking domain expert has\n"
        "# reviewed it; then status: reviewed, with reviewed: {by: NAME, date: YYYY-MM-DD}).\n"
        "# Replace each text by its translation, written from the meaning of the original; keep every key.\n"
    )
    return header + yaml.dump(document, allow_unicode=True, sort_keys=False, width=100, default_flow_style=False)


def is_translation_file(path: Path) -> bool:
    """Whether ``path`` names a translation (``<id>.<language>.yaml`` holding ``translates:``), not a questionnaire."""
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)  # bytes: a file that is not UTF-8 is the loader's to refuse, in words
    except OSError:
        return False
    return any(line.startswith(b"translates:") for line in head.splitlines())


def check_translation_file(path: Path, folder: Path = BUNDLED_DIR) -> tuple[list[Problem], Coverage | None]:
    """Every problem of a translation file, checked against the questionnaire it names (``<id>.yaml`` in the
    bundled folder or beside the file), and its coverage when it is valid."""
    import yaml

    from b1mg_maturity.questionnaire.loader import load_questionnaire

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        data = None
    translates = data.get("translates") if isinstance(data, dict) else None
    base_id = translates.get("id") if isinstance(translates, dict) else None
    candidates = [path.parent / f"{base_id}.yaml", folder / f"{base_id}.yaml"] if isinstance(base_id, str) else []
    base_path = next((candidate for candidate in candidates if candidate.is_file()), None)
    if base_path is None:
        try:
            load_translation(path, load_questionnaire(folder / "b1mg-mlm.yaml"))  # the file's own mistakes first
        except QuestionnaireError as exc:
            return list(exc.problems), None
        return [
            Problem(f"{path}:1:1", _("no questionnaire '{id}' to check this translation against", id=base_id))
        ], None
    try:
        base = load_questionnaire(base_path)
        translation = load_translation(path, base)
    except QuestionnaireError as exc:
        return list(exc.problems), None
    return [], coverage(base, translation)

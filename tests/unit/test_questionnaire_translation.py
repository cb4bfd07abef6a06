"""Questionnaire translations: checked against the questionnaire with located errors, applied without changing
what is scored, and shipped complete (as drafts) for every questionnaire language."""

from __future__ import annotations

from pathlib import Path

import pytest

from b1mg_maturity import i18n
from b1mg_maturity.errors import QuestionnaireError
from b1mg_maturity.questionnaire import BUNDLED_DIR, Questionnaire, load_bundled
from b1mg_maturity.questionnaire.translation import (
    apply_translation,
    bundled_translations,
    coverage,
    load_translation,
    localized,
    translation_note,
)
from b1mg_maturity.scoring import Answer, score

# A whole translation of tests/fixtures/tiny.yaml into French, written by hand.
TINY_FR = """\
translates: {id: tiny, version: "0.1"}
language: fr
status: draft
title: Petit questionnaire de test
levels:
  1: {label: Un, description: Niveau un.}
  2: {label: Deux, description: Niveau deux.}
  3: {label: Trois, description: Niveau trois.}
  4: {label: Quatre, description: Niveau quatre.}
  5: {label: Cinq, description: Niveau cinq.}
domains:
  A: {name: Alpha fr}
subdomains:
  A.1: {name: Alpha un}
indicators:
  A.1.1:
    statement: Premier indicateur alpha.
    levels: {1: fa1, 2: fa2, 3: fa3, 4: fa4, 5: fa5}
"""


def _problems(text: str, base: Questionnaire, tmp_path: Path) -> list[str]:
    path = tmp_path / "tiny.fr.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(QuestionnaireError) as caught:
        load_translation(path, base)
    return [str(problem) for problem in caught.value.problems]


def _line_of(text: str, needle: str) -> int:
    return next(number for number, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_a_translation_swaps_texts_and_keeps_everything_scored(tiny: Questionnaire, tmp_path: Path) -> None:
    path = tmp_path / "tiny.fr.yaml"
    path.write_text(TINY_FR, encoding="utf-8")
    french = apply_translation(tiny, load_translation(path, tiny))
    assert (french.title, french.language) == ("Petit questionnaire de test", "fr")
    assert french.indicator("A.1.1").statement == "Premier indicateur alpha."
    assert french.indicator("A.1.1").levels[3] == "fa3"
    assert french.level_label(4) == "Quatre"
    assert french.domains[0].title == "I. Alpha fr"
    assert french.indicator("A.1.2").statement == "Second alpha indicator, counts double."  # not translated: as written
    assert french.domains[1].name == "Beta"
    assert [i.id for i in french.indicators] == [i.id for i in tiny.indicators]
    assert [i.weight for i in french.indicators] == [i.weight for i in tiny.indicators]
    assert french.scale == tiny.scale
    answers = {"A.1.1": Answer(level=2), "A.1.2": Answer(level=4), "A.2.1": Answer(not_applicable=True)}
    assert score(french, answers).overall.score == score(tiny, answers).overall.score


def test_coverage_counts_the_texts_given(tiny: Questionnaire, tmp_path: Path) -> None:
    path = tmp_path / "tiny.fr.yaml"
    path.write_text(TINY_FR, encoding="utf-8")
    covered = coverage(tiny, load_translation(path, tiny))
    # tiny has: a title; 5 levels x (label, description); 2 pillars, 3 domains, 4 subdomains (names only);
    # 6 indicators x (statement + 5 levels); 1 glossary term (term, definition).  TINY_FR gives the title, the
    # levels, 1 domain, 1 subdomain, 1 indicator.
    assert covered.total == 1 + 10 + 2 + 3 + 4 + 6 * 6 + 2
    assert covered.translated == 1 + 10 + 1 + 1 + 6


def test_an_unknown_indicator_is_refused_at_its_line(tiny: Questionnaire, tmp_path: Path) -> None:
    text = TINY_FR + "  A.1.9:\n    statement: Inconnu.\n    levels: {1: x, 2: x, 3: x, 4: x, 5: x}\n"
    problems = _problems(text, tiny, tmp_path)
    line = _line_of(text, "A.1.9:")
    assert len(problems) == 1
    assert problems[0].startswith(f"{tmp_path / 'tiny.fr.yaml'}:{line}:3: the questionnaire has no indicator 'A.1.9'")


def test_a_missing_level_description_is_refused_where_the_levels_are(tiny: Questionnaire, tmp_path: Path) -> None:
    text = TINY_FR.replace("{1: fa1, 2: fa2, 3: fa3, 4: fa4, 5: fa5}", "{1: fa1, 2: fa2, 4: fa4, 5: fa5}")
    problems = _problems(text, tiny, tmp_path)
    line = _line_of(text, "{1: fa1")
    assert len(problems) == 1
    assert problems[0].startswith(f"{tmp_path / 'tiny.fr.yaml'}:{line}:")
    assert "indicator A.1.1 has no description of level 3" in problems[0]


def test_a_level_off_the_scale_is_refused(tiny: Questionnaire, tmp_path: Path) -> None:
    text = TINY_FR.replace("5: fa5}", "5: fa5, 6: fa6}")
    problems = _problems(text, tiny, tmp_path)
    assert len(problems) == 1 and "level 6 is not on the questionnaire's scale (1, 2, 3, 4, 5)" in problems[0]


def test_a_translation_of_another_version_is_refused_at_the_version(tiny: Questionnaire, tmp_path: Path) -> None:
    text = TINY_FR.replace('version: "0.1"', 'version: "0.2"')
    problems = _problems(text, tiny, tmp_path)
    assert problems == [
        f"{tmp_path / 'tiny.fr.yaml'}:1:"
        f"{text.splitlines()[0].index('0.2')}: this translation is of version '0.2', but the questionnaire's "
        "version is '0.1'"
    ]


def test_every_mistake_is_reported_at_once(tiny: Questionnaire, tmp_path: Path) -> None:
    text = (
        TINY_FR.replace("status: draft", "status: reviewd")
        .replace("  A: {name: Alpha fr}", "  Z: {name: Zeta}")
        .replace("statement: Premier", "statment: Premier")
    )
    problems = _problems(text, tiny, tmp_path)
    assert any("'status': expected one of 'draft' or 'reviewed'" in p or "'status'" in p for p in problems)
    assert any("the questionnaire has no domain 'Z'" in p for p in problems)
    assert any("unknown key 'statment' (did you mean 'statement'?)" in p for p in problems)
    assert len(problems) == 3


def test_a_reviewed_translation_says_who_reviewed_it(tiny: Questionnaire, tmp_path: Path) -> None:
    problems = _problems(TINY_FR.replace("status: draft", "status: reviewed"), tiny, tmp_path)
    assert problems == [
        f"{tmp_path / 'tiny.fr.yaml'}:3:9: a reviewed translation says who reviewed it and when (reviewed: by, date)"
    ]
    path = tmp_path / "ok.yaml"
    path.write_text(
        TINY_FR.replace("status: draft", "status: reviewed\nreviewed: {by: Claire Martin, date: 2026-11-30}"),
        encoding="utf-8",
    )
    assert not load_translation(path, tiny).is_draft


@pytest.mark.parametrize("language", ["fr", "de", "es", "it", "pt"])
def test_every_shipped_translation_is_whole_and_a_draft(language: str) -> None:
    base = load_bundled()
    translation = bundled_translations(base)[language]
    covered = coverage(base, translation)
    assert covered.translated == covered.total
    assert translation.is_draft
    shown = localized(base, language)
    assert shown.language == language
    statements = [i.statement for i in shown.indicators]
    originals = [i.statement for i in base.indicators]
    assert all(ours != theirs for ours, theirs in zip(statements, originals, strict=True))
    note = translation_note(base, language)
    assert note is not None and note.draft and note.shown_in == language


def test_polish_has_no_questionnaire_translation_and_says_english_is_shown() -> None:
    base = load_bundled()
    shown = localized(base, "pl")
    assert shown.language == "en" and shown.model_dump() == base.model_dump()  # the English texts, as written
    note = translation_note(base, "pl")
    assert note is not None and (note.shown_in, note.draft) == ("en", False)
    assert translation_note(base, "en") is None


def test_the_pseudo_language_changes_every_text_of_the_questionnaire() -> None:
    base = load_bundled()
    pseudo = localized(base, i18n.PSEUDO_LANGUAGE)
    assert not any(character.isascii() and character.isalpha() for character in pseudo.indicators[0].statement)
    assert [i.levels.keys() for i in pseudo.indicators] == [i.levels.keys() for i in base.indicators]


def test_only_files_named_after_a_questionnaire_are_read_as_its_translations() -> None:
    names = sorted(path.name for path in BUNDLED_DIR.glob("b1mg-mlm.*.yaml"))
    assert names == [f"b1mg-mlm.{code}.yaml" for code in sorted(("fr", "de", "es", "it", "pt"))]

"""Glossary terms are found where an indicator uses them, as whole words in any case."""

from __future__ import annotations

from b1mg_maturity.questionnaire import Questionnaire
from b1mg_maturity.questionnaire.glossary import terms_in


def test_terms_found_as_whole_words_in_any_case(mlm: Questionnaire, tiny: Questionnaire) -> None:
    assert "HTA framework" in {t.term for t in terms_in(mlm, mlm.indicator("D2.3.1"))}
    assert "Reception and interfaces" in {t.term for t in terms_in(mlm, mlm.indicator("D8.4.1"))}  # subdomain name
    assert [t.term for t in terms_in(tiny, tiny.indicator("A.1.1"))] == ["Alpha"]  # subdomain "Alpha one"
    assert terms_in(tiny, tiny.indicator("B.1.1")) == ()


def test_many_glossary_terms_are_explained_somewhere(mlm: Questionnaire) -> None:
    used = {t.term for indicator in mlm.indicators for t in terms_in(mlm, indicator)}
    assert len(used) >= 18

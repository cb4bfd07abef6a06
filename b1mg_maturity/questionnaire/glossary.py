"""Which glossary terms an indicator uses, so they can be explained where they appear."""

from __future__ import annotations

import re
from functools import lru_cache

from b1mg_maturity.questionnaire.schema import GlossaryTerm, Indicator, Questionnaire


@lru_cache(maxsize=8)
def _patterns(content_hash: str, terms: tuple[GlossaryTerm, ...]) -> tuple[tuple[GlossaryTerm, re.Pattern[str]], ...]:
    return tuple((t, re.compile(rf"(?<!\w){re.escape(t.term)}(?!\w)", re.IGNORECASE)) for t in terms)


_found: dict[tuple[str, str], tuple[GlossaryTerm, ...]] = {}


def terms_in(questionnaire: Questionnaire, indicator: Indicator) -> tuple[GlossaryTerm, ...]:
    """Glossary terms found (whole words, any case) in the indicator's subdomain name, statement,
    guidance or level descriptions."""
    key = (questionnaire.content_hash, indicator.id)
    if key not in _found:
        subdomain = questionnaire.subdomain_of(indicator.id).name
        text = " ".join([subdomain, indicator.statement, indicator.guidance or "", *indicator.levels.values()])
        patterns = _patterns(questionnaire.content_hash, questionnaire.glossary)
        _found[key] = tuple(term for term, pattern in patterns if pattern.search(text))
    return _found[key]

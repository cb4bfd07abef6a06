"""The questionnaire: its schema (frozen pydantic models), the loader that reports every problem of a
file as ``PATH:LINE:COL: message``, the YAML reader that keeps those positions, and the glossary.

    from b1mg_maturity.questionnaire import load_bundled, load_questionnaire, Questionnaire

The names below are imported on first use, so that importing this package (or
:mod:`b1mg_maturity.scoring`, or the command line for ``--help``) loads
neither pydantic nor the YAML parser until a questionnaire is actually read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from b1mg_maturity.lazy_exports import lazy_exports
from b1mg_maturity.questionnaire.bundled import BUNDLED_DIR, BUNDLED_MLM

if TYPE_CHECKING:
    from b1mg_maturity.questionnaire.glossary import terms_in
    from b1mg_maturity.questionnaire.loader import check_questionnaire, load_bundled, load_questionnaire
    from b1mg_maturity.questionnaire.schema import (
        PILLAR_IDS,
        Domain,
        GlossaryTerm,
        Indicator,
        Pillar,
        PillarId,
        Questionnaire,
        ScaleLevel,
        Source,
        Subdomain,
    )

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "glossary": ("terms_in",),
        "loader": ("check_questionnaire", "load_bundled", "load_questionnaire"),
        "schema": (
            "PILLAR_IDS",
            "Domain",
            "GlossaryTerm",
            "Indicator",
            "Pillar",
            "PillarId",
            "Questionnaire",
            "ScaleLevel",
            "Source",
            "Subdomain",
        ),
    },
)

__all__ = [
    "BUNDLED_DIR",
    "BUNDLED_MLM",
    "PILLAR_IDS",
    "Domain",
    "GlossaryTerm",
    "Indicator",
    "Pillar",
    "PillarId",
    "Questionnaire",
    "ScaleLevel",
    "Source",
    "Subdomain",
    "check_questionnaire",
    "load_bundled",
    "load_questionnaire",
    "terms_in",
]

"""The PDF's file name says the health system and the round (period, half, free label), and is safe."""

from __future__ import annotations

import datetime as dt

from b1mg_maturity.domain import RoundPeriod
from b1mg_maturity.questionnaire import Questionnaire
from b1mg_maturity.report.context import RoundInfo, build_report_context
from b1mg_maturity.report.files import report_file_name
from b1mg_maturity.scoring import score


def name_of(tiny: Questionnaire, info: RoundInfo, suffix: str = ".pdf") -> str:
    return report_file_name(build_report_context(tiny, score(tiny, {}), info), suffix)


def test_the_name_holds_the_system_code_the_period_its_half_and_the_free_label(tiny: Questionnaire) -> None:
    day = dt.date(2026, 4, 27)
    year = RoundInfo("Aldoria", "Round 2026", day, "draft", "XA", 3, period=RoundPeriod(2026))
    assert name_of(tiny, year) == "XA-round-2026-readiness-report.pdf"
    half = RoundInfo("Aldoria", "Round 2026 H1", day, "draft", "XA", 3, period=RoundPeriod(2026, 1))
    assert name_of(tiny, half) == "XA-round-2026-h1-readiness-report.pdf"
    labelled = RoundInfo(
        "Aldoria", "Round 2026 H2 Spring review", day, "published", "XA", 4,
        period=RoundPeriod(2026, 2), free_label="Spring review (2nd try)",
    )  # fmt: skip
    assert name_of(tiny, labelled) == "XA-round-2026-h2-spring-review-2nd-try-readiness-report.pdf"
    assert name_of(tiny, labelled, ".html") == "XA-round-2026-h2-spring-review-2nd-try-readiness-report.html"
    # the round's label is not in the name: the period and the free label say the same, for grouping
    assert "Round" not in name_of(tiny, labelled)


def test_a_round_without_a_period_is_named_by_its_date_and_a_system_without_a_code_by_its_name(
    tiny: Questionnaire,
) -> None:
    from_file = RoundInfo("Ålesund / <x>", "../../etc", dt.date(2025, 3, 1), health_system_code=None)
    assert name_of(tiny, from_file) == "Alesund-x-round-2025-readiness-report.pdf"
    unset = RoundInfo("Aldoria", "Old round", dt.date(2024, 6, 1), "published", "XA", period=RoundPeriod(0))
    assert name_of(tiny, unset) == "XA-round-2024-readiness-report.pdf"
    nothing_left = RoundInfo("«»", "x", dt.date(2026, 1, 1), free_label="…/../")
    assert name_of(tiny, nothing_left) == "health-system-round-2026-readiness-report.pdf"


def test_a_long_free_label_is_cut_but_the_system_the_period_and_the_ending_stay(tiny: Questionnaire) -> None:
    info = RoundInfo(
        "Aldoria", "R", dt.date(2026, 1, 1), "draft", "XA", period=RoundPeriod(2026, 1), free_label="word " * 60
    )
    name = name_of(tiny, info)
    assert name.startswith("XA-round-2026-h1-word-word-") and name.endswith("-word-readiness-report.pdf")
    assert len(name) <= 124 and "--" not in name

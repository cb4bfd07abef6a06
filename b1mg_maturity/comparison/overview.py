"""The programme overview (analysts and administrators): how far the programme has come.  Pure."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from b1mg_maturity import benchmark as bm
from b1mg_maturity.comparison.rounds import ScoredRound, most_common_questionnaire
from b1mg_maturity.comparison.tables import DECIMALS
from b1mg_maturity.domain import RoundPeriod, RoundStatus, round_name
from b1mg_maturity.i18n import N_, _, _n

IN_PROGRESS = (RoundStatus.DRAFT, RoundStatus.IN_REVIEW, RoundStatus.SUBMITTED)


@dataclass(frozen=True)
class Overview:
    systems_registered: int
    systems_assessed: int  # with at least one published round
    published_rounds: int
    in_progress: Mapping[str, int]  # status -> rounds (administrators only; empty for analysts)
    per_round: pd.DataFrame  # one row per period ("Round 2026 H1"), in the column "Round"
    min_group_size: int
    notes: tuple[str, ...]
    level_labels: Mapping[int, str] = field(default_factory=dict)  # of the questionnaire most rounds used


# The per-round table's columns, named in English (its key); the page shows them translated (``_(name)``).
ROUND = N_("Round")
ASSESSED = N_("Health systems assessed")
SHARE = N_("Share of registered systems")
MEDIAN_COVERAGE = N_("Median coverage")
MEDIAN_SCORE = N_("Median overall score")
WITHHELD = N_("Withheld")
LEVEL_COLUMN = N_("Level {level}")


def level_column(level: int) -> str:
    """The per-round table's column counting the health systems at an overall level (its English key)."""
    return LEVEL_COLUMN.format(level=level)


def column_words(levels: Iterable[int]) -> dict[str, str]:
    """The per-round table's columns as the reader's language names them (English key -> words)."""
    words = {name: _(name) for name in (ROUND, ASSESSED, SHARE, MEDIAN_COVERAGE, MEDIAN_SCORE, WITHHELD)}
    return words | {level_column(level): _(LEVEL_COLUMN, level=level) for level in levels}


def overview(
    scored: Sequence[ScoredRound],
    *,
    registered: int,
    progress: Mapping[tuple[RoundPeriod, str], int],
    threshold: int,
) -> Overview:
    """The overview of the published rounds ``scored``, one row per period ("Round 2026 H1"): a round
    with a free label counts in its period's row, and a health system with several rounds in one
    period counts once, with the latest.  ``progress`` counts the rounds not yet published by (period,
    status) (administrators only: empty for analysts)."""
    common = most_common_questionnaire(scored)
    levels = common.scale if common is not None else ()
    latest: dict[RoundPeriod, dict[str, ScoredRound]] = {}
    for round_ in sorted(scored, key=lambda r: (r.meta.date, r.meta.round_id)):
        latest.setdefault(round_.meta.period, {})[round_.meta.system_code] = round_
    periods = sorted(set(latest) | {period for period, _status in progress})
    rows = [
        _round_row(period, list(latest.get(period, {}).values()), registered, progress, threshold, levels)
        for period in periods
    ]
    table = pd.DataFrame(rows)
    for level in levels:
        if level_column(level) in table.columns:
            table[level_column(level)] = table[level_column(level)].astype("Int64")
    in_progress: dict[str, int] = {}
    for (_period, status), count in progress.items():
        in_progress[status] = in_progress.get(status, 0) + count
    notes = [
        _("Only published rounds count in scores, coverage and levels."),
        _(
            "One row per period: a round with a free label counts in its period's row; a health system with "
            "two rounds in one period counts once, with its latest."
        ),
        _("Coverage is the share of applicable indicators answered (overall, per round)."),
        _("A level is the highest fully reached: the overall score rounded down."),
    ]
    if any(table[WITHHELD] != "") if not table.empty else False:
        notes.append(
            _n(
                "Periods with fewer than {n} health system show counts only: a dash stands for a figure withheld.",
                "Periods with fewer than {n} health systems show counts only: a dash stands for a figure withheld.",
                threshold,
            )
        )
    return Overview(
        systems_registered=registered,
        systems_assessed=len({r.meta.system_code for r in scored}),
        published_rounds=len(scored),
        in_progress=in_progress,
        per_round=table,
        min_group_size=threshold,
        notes=tuple(notes),
        level_labels={level.level: level.label for level in common.levels} if common is not None else {},
    )


def _round_row(
    period: RoundPeriod,
    rounds: Sequence[ScoredRound],
    registered: int,
    progress: Mapping[tuple[RoundPeriod, str], int],
    threshold: int,
    levels: Sequence[int],
) -> dict[str, Any]:
    systems = len({r.meta.system_code for r in rounds})
    row: dict[str, Any] = {
        ROUND: round_name(period),
        ASSESSED: systems,
        SHARE: round(100 * systems / registered) if registered else math.nan,
    }
    small = systems < threshold
    overall = [r.card.overall.score for r in rounds if r.card.overall.score is not None]
    coverage = [r.card.overall.coverage.ratio for r in rounds]
    row[MEDIAN_COVERAGE] = math.nan if small else round(100 * statistics.median(coverage))
    row[MEDIAN_SCORE] = math.nan if small or not overall else round(statistics.median(overall), DECIMALS)
    bands = [r.card.overall.band for r in rounds if r.card.overall.band is not None]
    for level in levels:
        row[level_column(level)] = None if small else sum(1 for b in bands if b == level)
    row[WITHHELD] = bm.withheld_reason(threshold) if small else ""
    if progress:
        for status in IN_PROGRESS:
            row[status.label] = progress.get((period, status.value), 0)
    return row

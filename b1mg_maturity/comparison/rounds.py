"""The facts about published rounds that comparisons work on (plain values, no database).  Pure."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import pandas as pd

from b1mg_maturity import benchmark as bm
from b1mg_maturity.domain import RoundPeriod, round_name
from b1mg_maturity.questionnaire import Questionnaire
from b1mg_maturity.scoring import ScoreCard


@dataclass(frozen=True)
class PublishedRound(bm.RoundMeta):
    """A round as the comparison sees it (read from the database by :mod:`.reading`): what a
    benchmark needs, and which health system and questionnaire version row it belongs to."""

    health_system_id: int
    questionnaire_title: str
    period: RoundPeriod  # what trends and the overview group rounds by (the label is free text)

    @property
    def period_name(self) -> str:
        """``Round 2026 H1``: the name of the period's group, whatever free label the round has."""
        return round_name(self.period)

    @property
    def version_key(self) -> str:
        """``"id@version"``: how the Compare page names a questionnaire version."""
        return f"{self.questionnaire_id}@{self.questionnaire_version}"


@dataclass(frozen=True)
class ScoredRound:
    """One round's scorecard with what a benchmark needs to know about it."""

    meta: PublishedRound
    card: ScoreCard
    health_system_id: int
    questionnaire: Questionnaire


def scores_frame(rounds: Iterable[ScoredRound]) -> pd.DataFrame:
    """The benchmark's long table of scored rounds (see :func:`b1mg_maturity.benchmark.scores_frame`)."""
    return bm.scores_frame((r.meta, r.card) for r in rounds)


def period_scores_frame(rounds: Iterable[ScoredRound]) -> pd.DataFrame:
    """:func:`scores_frame` with each round's period name as its ``round_label``: so that trends group
    rounds by period, never by the free text of their names."""
    return bm.scores_frame((replace(r.meta, label=r.meta.period_name), r.card) for r in rounds)


def most_common_questionnaire(scored: Sequence[ScoredRound]) -> Questionnaire | None:
    """The questionnaire (by content) that most of ``scored`` used; None for none."""
    if not scored:
        return None
    counts: dict[str, int] = {}
    for round_ in scored:
        counts[round_.questionnaire.content_hash] = counts.get(round_.questionnaire.content_hash, 0) + 1
    common = max(counts, key=lambda h: counts[h])
    return next(r.questionnaire for r in scored if r.questionnaire.content_hash == common)

"""The facts about published rounds that comparisons work on (plain values, no database).  Pure."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from b1mg_maturity import benchmark as bm
from b1mg_maturity.questionnaire import Questionnaire
from b1mg_maturity.scoring import ScoreCard


@dataclass(frozen=True)
class PublishedRound(bm.RoundMeta):
    """A round as the comparison sees it (read from the database by :mod:`.reading`): what a
    benchmark needs, and which health system and questionnaire version row it belongs to."""

    health_system_id: int
    questionnaire_title: str

    @property
    def version_key(self) -> str:
        """``"id@version"``: how the Compare page names a questionnaire version."""
        return f"{self.questionnaire_id}@{self.questionnaire_version}"


@dataclass(frozen=True)
class ScoredRound:
    """One round's scorecard with what a benchmark needs to know about it."""

    meta: bm.RoundMeta
    card: ScoreCard
    health_system_id: int
    questionnaire: Questionnaire


def scores_frame(rounds: Iterable[ScoredRound]) -> pd.DataFrame:
    """The benchmark's long table of scored rounds (see :func:`b1mg_maturity.benchmark.scores_frame`)."""
    return bm.scores_frame((r.meta, r.card) for r in rounds)


def most_common_questionnaire(scored: Sequence[ScoredRound]) -> Questionnaire | None:
    """The questionnaire (by content) that most of ``scored`` used; None for none."""
    if not scored:
        return None
    counts: dict[str, int] = {}
    for round_ in scored:
        counts[round_.questionnaire.content_hash] = counts.get(round_.questionnaire.content_hash, 0) + 1
    common = max(counts, key=lambda h: counts[h])
    return next(r.questionnaire for r in scored if r.questionnaire.content_hash == common)

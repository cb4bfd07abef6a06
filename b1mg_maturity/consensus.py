"""What a round's answer to each indicator is, from the experts' ratings and the consensus (pure).

The consensus counts where one is recorded (a level, or "not applicable");
otherwise the lower median of the experts' levels.  The lower median (for 2
and 3 it is 2) keeps the result a level of the scale and errs on the
cautious side.  When every expert who answered said "not applicable", the
indicator is not applicable.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from typing import Protocol

from b1mg_maturity.domain import Basis
from b1mg_maturity.questionnaire import Questionnaire
from b1mg_maturity.scoring import Answer


class ExpertAnswer(Protocol):  # read-only members: frozen views (ConsensusView, RatingView) qualify too
    @property
    def indicator_id(self) -> str: ...
    @property
    def level(self) -> int | None: ...
    @property
    def not_applicable(self) -> bool: ...


class AgreedAnswer(ExpertAnswer, Protocol):
    @property
    def rationale(self) -> str: ...


class TargetLevel(Protocol):
    indicator_id: str
    target: int | None


def is_recorded(agreed: ExpertAnswer | None) -> bool:
    """A consensus counts once it holds a level or "not applicable" (a rationale alone does not)."""
    return agreed is not None and (agreed.level is not None or agreed.not_applicable)


def lower_median(levels: Sequence[int]) -> int | None:
    """The experts' median, the lower of the two middle levels for an even count; None without levels."""
    return int(statistics.median_low(levels)) if levels else None


DISAGREEMENT = 2  # experts this many levels apart (or more) disagree: the consensus page points them out


def spread(levels: Sequence[int]) -> int | None:
    """Highest minus lowest level given ("not applicable" is not a level); None below two levels."""
    return max(levels) - min(levels) if len(levels) >= 2 else None


def disagree(levels: Sequence[int]) -> bool:
    value = spread(levels)
    return value is not None and value >= DISAGREEMENT


def effective_answers(
    questionnaire: Questionnaire,
    ratings: Iterable[ExpertAnswer],
    consensus: Iterable[AgreedAnswer],
    targets: Iterable[TargetLevel],
) -> tuple[dict[str, Answer], dict[str, Basis]]:
    """Per indicator: the answer that counts, and what it rests on (see the module docstring)."""
    by_indicator: dict[str, list[ExpertAnswer]] = {}
    for rating in ratings:
        by_indicator.setdefault(rating.indicator_id, []).append(rating)
    agreed = {c.indicator_id: c for c in consensus}
    target_of = {t.indicator_id: t.target for t in targets}
    answers: dict[str, Answer] = {}
    basis: dict[str, Basis] = {}
    for indicator in questionnaire.indicators:
        iid = indicator.id
        target = target_of.get(iid)
        chosen = agreed.get(iid)
        if chosen is not None and is_recorded(chosen):
            answers[iid] = Answer(chosen.level, chosen.not_applicable, target, chosen.rationale)
            basis[iid] = Basis.CONSENSUS
            continue
        given = by_indicator.get(iid, [])
        median = lower_median([r.level for r in given if r.level is not None])
        if median is not None:
            answers[iid] = Answer(level=median, target=target)
            basis[iid] = Basis.EXPERTS_MEDIAN
        elif any(r.not_applicable for r in given):
            answers[iid] = Answer(not_applicable=True, target=target)
            basis[iid] = Basis.EXPERTS_MEDIAN
        else:
            if target is not None:
                answers[iid] = Answer(target=target)
            basis[iid] = Basis.NONE
    return answers, basis


__all__ = ["DISAGREEMENT", "disagree", "effective_answers", "is_recorded", "lower_median", "spread"]

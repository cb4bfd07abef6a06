"""The change between two rounds of one health system, measured only over the indicators rated in both.  Pure.

Method
------
* An indicator is **compared** when it has a level in both rounds; it then
  improved, declined or stayed unchanged.
* An indicator that moved between "not applicable" and a level (either way)
  is a **switch**: listed apart, never part of a change.
* Every other indicator is **not compared**: not answered in one round or in
  both, or not applicable in both.  Compared + switched + not compared is the
  number of indicators of the questionnaire.
* The change of the overall score, of a pillar and of a domain is the
  difference of the two rounds' scores, both rounds scored by the scoring
  engine (same questionnaire, same aggregation) on the compared indicators
  alone.  An indicator answered in one round only, or a switch, therefore
  moves no score: a domain's score no longer drops because an indicator that
  was not applicable is now rated 1.  A group with no compared indicator has
  no change (None), not 0.
* Both rounds are read against the current round's questionnaire (indicator
  ids are stable across versions); an indicator the questionnaire lacks is not
  counted at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from b1mg_maturity.questionnaire import Questionnaire
from b1mg_maturity.scoring import Aggregation, Answer, IndicatorResult, ScoreCard, score

IndicatorChangeStatus = Literal["improved", "declined", "unchanged", "switched", "not_compared"]
GroupKind = Literal["overall", "pillar", "domain"]
OVERALL_ID = "overall"  # the overall score's item id, as in :mod:`b1mg_maturity.benchmark`


@dataclass(frozen=True)
class IndicatorChange:
    """One indicator in both rounds: its level, or not applicable (``*_not_applicable``), or nothing."""

    indicator_id: str
    domain_id: str
    previous: int | None
    current: int | None
    previous_not_applicable: bool = False
    current_not_applicable: bool = False

    @property
    def status(self) -> IndicatorChangeStatus:
        if self.previous is not None and self.current is not None:
            if self.current > self.previous:
                return "improved"
            return "declined" if self.current < self.previous else "unchanged"
        if (self.previous_not_applicable and self.current is not None) or (
            self.current_not_applicable and self.previous is not None
        ):
            return "switched"
        return "not_compared"

    @property
    def compared(self) -> bool:
        return self.status in ("improved", "declined", "unchanged")

    @property
    def delta(self) -> int | None:
        return None if self.previous is None or self.current is None else self.current - self.previous


@dataclass(frozen=True)
class GroupChange:
    """The overall score's, a pillar's or a domain's change over its indicators rated in both rounds."""

    kind: GroupKind
    id: str
    name: str
    previous: float | None  # the previous round's score over the compared indicators
    current: float | None  # this round's score over the same indicators
    compared: int  # the group's indicators rated in both rounds

    @property
    def delta(self) -> float | None:
        if self.previous is None or self.current is None:
            return None
        return self.current - self.previous


@dataclass(frozen=True)
class RoundChanges:
    """Every change between two rounds; see the module docstring for the method."""

    overall: GroupChange
    pillars: tuple[GroupChange, ...]
    domains: tuple[GroupChange, ...]
    indicators: tuple[IndicatorChange, ...]  # every indicator of the questionnaire, in its order

    def _with(self, status: IndicatorChangeStatus) -> tuple[IndicatorChange, ...]:
        return tuple(i for i in self.indicators if i.status == status)

    @property
    def improved(self) -> tuple[IndicatorChange, ...]:
        return self._with("improved")

    @property
    def declined(self) -> tuple[IndicatorChange, ...]:
        return self._with("declined")

    @property
    def unchanged(self) -> tuple[IndicatorChange, ...]:
        return self._with("unchanged")

    @property
    def switched(self) -> tuple[IndicatorChange, ...]:
        return self._with("switched")

    @property
    def not_compared(self) -> tuple[IndicatorChange, ...]:
        return self._with("not_compared")

    @property
    def compared(self) -> int:
        return sum(1 for i in self.indicators if i.compared)

    def domain(self, domain_id: str) -> GroupChange:
        return next(d for d in self.domains if d.id == domain_id)

    def pillar(self, pillar_id: str) -> GroupChange:
        return next(p for p in self.pillars if p.id == pillar_id)

    def by_item(self) -> dict[tuple[str, str], float | None]:
        """The change by (kind, item id), kinds and ids as in the benchmark's long table."""
        table: dict[tuple[str, str], float | None] = {("overall", OVERALL_ID): self.overall.delta}
        table.update({("pillar", p.id): p.delta for p in self.pillars})
        table.update({("domain", d.id): d.delta for d in self.domains})
        table.update(
            {("indicator", i.indicator_id): float(i.delta) if i.delta is not None else None for i in self.indicators}
        )
        return table


def _restricted(
    questionnaire: Questionnaire, results: Mapping[str, IndicatorResult], ids: Iterable[str], how: Aggregation
) -> ScoreCard:
    """The scoring engine's card of ``ids`` alone (their levels; no targets, no other indicator)."""
    return score(questionnaire, {i: Answer(level=results[i].level) for i in ids}, how)


def round_changes(
    questionnaire: Questionnaire,
    current: ScoreCard,
    previous: ScoreCard,
    aggregation: Aggregation | None = None,
) -> RoundChanges:
    """The changes from ``previous`` to ``current`` (aggregation: the current card's unless given)."""
    how = aggregation if aggregation is not None else current.aggregation
    low, high = questionnaire.min_level, questionnaire.max_level
    now = {i.indicator_id: i for i in current.indicators}
    before = {
        i.indicator_id: i
        for i in previous.indicators
        if questionnaire.has_indicator(i.indicator_id) and (i.level is None or low <= i.level <= high)
    }
    indicators: list[IndicatorChange] = []
    for domain in questionnaire.domains:
        for ind in domain.indicators:
            a, b = before.get(ind.id), now.get(ind.id)
            indicators.append(
                IndicatorChange(
                    ind.id,
                    domain.id,
                    a.level if a is not None else None,
                    b.level if b is not None else None,
                    a is not None and a.not_applicable and a.level is None,
                    b is not None and b.not_applicable and b.level is None,
                )
            )
    common = [i.indicator_id for i in indicators if i.compared]
    old_card = _restricted(questionnaire, before, common, how)
    new_card = _restricted(questionnaire, now, common, how)
    in_domain = {d.id: sum(1 for i in indicators if i.compared and i.domain_id == d.id) for d in questionnaire.domains}

    def change(kind: GroupKind, ident: str, name: str, old: float | None, new: float | None, n: int) -> GroupChange:
        return GroupChange(kind, ident, name, old, new, n) if n else GroupChange(kind, ident, name, None, None, 0)

    domains = tuple(
        change("domain", d.id, d.title, old_card.domain(d.id).score, new_card.domain(d.id).score, in_domain[d.id])
        for d in questionnaire.domains
    )
    pillars = tuple(
        change(
            "pillar",
            p.id,
            p.name,
            old_card.pillar(p.id).score,
            new_card.pillar(p.id).score,
            sum(in_domain[d.id] for d in questionnaire.domains if d.pillar == p.id),
        )
        for p in questionnaire.pillars
    )
    overall = change(
        "overall", OVERALL_ID, questionnaire.title, old_card.overall.score, new_card.overall.score, len(common)
    )
    return RoundChanges(overall, pillars, domains, tuple(indicators))


__all__ = [
    "OVERALL_ID",
    "GroupChange",
    "IndicatorChange",
    "RoundChanges",
    "round_changes",
]

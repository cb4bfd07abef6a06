"""The scoring engine: (Questionnaire, Answers) -> ScoreCard.  Pure, no I/O.

Method
------
* An indicator's score is its level.  ``NA`` (not applicable) and
  unanswered indicators have no score and are left out of every aggregate.
* A subdomain's and a domain's score aggregate the levels of their answered
  indicators, each indicator counting with its weight (default 1).
* A pillar's score aggregates the scores of its domains; the overall score
  aggregates the scores of all domains, each domain with its weight (default
  1), however many indicators it has.  Domains without any answered
  indicator are left out.
* The aggregation is the weighted mean by default; ``median`` and
  ``minimum`` ("weakest link") are the alternatives.  Weights only affect the
  mean.
* The maturity band of a score is the highest level fully reached: the score
  rounded down (2.5 is reported as level 2, halfway to level 3).
* Coverage at every level is ``answered / applicable`` where applicable =
  indicators minus those marked ``NA``; with nothing applicable it is 0.
* Gap to target per indicator: ``max(target - level, 0)`` when both are set.
  The target score of a group aggregates, over its answered indicators, the
  target where one is set and the current level where none is (a target below
  the current level counts as already met).  A group's gap is target score
  minus score.
* Next step: for every answered indicator below its target, the description
  of the next level up.
* Priorities: the indicators with a gap, the largest gap first; ties go to the
  lower current level (the weaker starting point), then questionnaire order.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal

from b1mg_maturity.errors import Problem, ScoringError

if TYPE_CHECKING:
    from b1mg_maturity.questionnaire import Questionnaire

NOT_APPLICABLE = "NA"
_EPSILON = 1e-9


class Aggregation(StrEnum):
    MEAN = "mean"
    MEDIAN = "median"
    MINIMUM = "minimum"


@dataclass(frozen=True)
class Answer:
    """One indicator's answer: a level, or not applicable, or nothing yet; and an optional target."""

    level: int | None = None
    not_applicable: bool = False
    target: int | None = None
    evidence: str = ""

    def __post_init__(self) -> None:
        if self.not_applicable and self.level is not None:
            raise ValueError("an answer is either a level or not applicable, not both")

    @property
    def answered(self) -> bool:
        return self.level is not None


Answers = Mapping[str, Answer]


@dataclass(frozen=True)
class Coverage:
    answered: int
    not_applicable: int
    total: int

    @property
    def applicable(self) -> int:
        return self.total - self.not_applicable

    @property
    def unanswered(self) -> int:
        return self.applicable - self.answered

    @property
    def ratio(self) -> float:
        return self.answered / self.applicable if self.applicable else 0.0

    def __add__(self, other: Coverage) -> Coverage:
        return Coverage(
            self.answered + other.answered,
            self.not_applicable + other.not_applicable,
            self.total + other.total,
        )


EMPTY_COVERAGE = Coverage(0, 0, 0)


@dataclass(frozen=True)
class IndicatorResult:
    indicator_id: str
    domain_id: str
    subdomain_id: str
    pillar: str
    weight: float
    level: int | None
    not_applicable: bool
    target: int | None
    gap: int | None
    next_step: str | None

    @property
    def status(self) -> Literal["answered", "not_applicable", "unanswered"]:
        if self.level is not None:
            return "answered"
        return "not_applicable" if self.not_applicable else "unanswered"


@dataclass(frozen=True)
class GroupScore:
    """The score of a subdomain, domain, pillar or the whole assessment."""

    kind: Literal["subdomain", "domain", "pillar", "overall"]
    id: str
    name: str
    score: float | None
    band: int | None
    target: float | None
    gap: float | None
    coverage: Coverage


@dataclass(frozen=True)
class Priority:
    rank: int
    indicator_id: str
    domain_id: str
    pillar: str
    level: int
    target: int
    gap: int
    next_step: str | None


@dataclass(frozen=True)
class ScoreCard:
    questionnaire_id: str
    questionnaire_version: str
    aggregation: Aggregation
    indicators: tuple[IndicatorResult, ...]
    subdomains: tuple[GroupScore, ...]
    domains: tuple[GroupScore, ...]
    pillars: tuple[GroupScore, ...]
    overall: GroupScore
    priorities: tuple[Priority, ...] = field(default=())

    def domain(self, domain_id: str) -> GroupScore:
        return next(d for d in self.domains if d.id == domain_id)

    def pillar(self, pillar_id: str) -> GroupScore:
        return next(p for p in self.pillars if p.id == pillar_id)

    def indicator(self, indicator_id: str) -> IndicatorResult:
        return next(i for i in self.indicators if i.indicator_id == indicator_id)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary (coverage ratios included)."""

        def group(g: GroupScore) -> dict[str, Any]:
            data = asdict(g)
            data["coverage"]["applicable"] = g.coverage.applicable
            data["coverage"]["ratio"] = round(g.coverage.ratio, 6)
            return data

        return {
            "questionnaire": {"id": self.questionnaire_id, "version": self.questionnaire_version},
            "aggregation": self.aggregation.value,
            "overall": group(self.overall),
            "pillars": [group(p) for p in self.pillars],
            "domains": [group(d) for d in self.domains],
            "subdomains": [group(s) for s in self.subdomains],
            "indicators": [asdict(i) | {"status": i.status} for i in self.indicators],
            "priorities": [asdict(p) for p in self.priorities],
        }


def band(score: float | None, lowest: int, highest: int) -> int | None:
    """The highest level fully reached by ``score`` (rounded down, within the scale)."""
    if score is None:
        return None
    return max(lowest, min(highest, math.floor(score + _EPSILON)))


def aggregate(values: Sequence[float], weights: Sequence[float], how: Aggregation) -> float | None:
    """Combine values with the chosen aggregation; None for no values."""
    if not values:
        return None
    if how is Aggregation.MEAN:
        return math.fsum(v * w for v, w in zip(values, weights, strict=True)) / math.fsum(weights)
    if how is Aggregation.MEDIAN:
        return float(statistics.median(values))
    return float(min(values))


def _check_answers(questionnaire: Questionnaire, answers: Answers) -> None:
    problems = []
    lowest, highest = questionnaire.min_level, questionnaire.max_level
    for indicator_id, answer in answers.items():
        if not questionnaire.has_indicator(indicator_id):
            problems.append(Problem(indicator_id, f"no indicator '{indicator_id}' in {questionnaire.id}"))
            continue
        for what, value in (("level", answer.level), ("target", answer.target)):
            if value is not None and not lowest <= value <= highest:
                problems.append(Problem(indicator_id, f"{what} {value} is outside the scale {lowest}-{highest}"))
    if problems:
        raise ScoringError("the answers do not fit the questionnaire", tuple(problems))


def _group(
    kind: Literal["subdomain", "domain", "pillar", "overall"],
    ident: str,
    name: str,
    members: Iterable[tuple[float, float, float]],
    coverage: Coverage,
    how: Aggregation,
    scale: tuple[int, int],
) -> GroupScore:
    """Score a group from (value, target value, weight) triples of its scored members."""
    items = list(members)
    values = [v for v, _, _ in items]
    targets = [t for _, t, _ in items]
    weights = [w for _, _, w in items]
    score = aggregate(values, weights, how)
    target = aggregate(targets, weights, how)
    gap = None if score is None or target is None else max(target - score, 0.0)
    return GroupScore(kind, ident, name, score, band(score, *scale), target, gap, coverage)


def score(
    questionnaire: Questionnaire,
    answers: Answers,
    aggregation: Aggregation = Aggregation.MEAN,
) -> ScoreCard:
    """Score ``answers`` against ``questionnaire``; see the module docstring for the method."""
    _check_answers(questionnaire, answers)
    scale = (questionnaire.min_level, questionnaire.max_level)
    blank = Answer()

    indicator_results: list[IndicatorResult] = []
    subdomain_scores: list[GroupScore] = []
    domain_scores: list[GroupScore] = []
    for domain in questionnaire.domains:
        domain_members: list[tuple[float, float, float]] = []
        domain_coverage = EMPTY_COVERAGE
        for sub in domain.subdomains:
            sub_members: list[tuple[float, float, float]] = []
            answered = not_applicable = 0
            for ind in sub.indicators:
                answer = answers.get(ind.id, blank)
                level = answer.level
                gap = None
                next_step = None
                if level is not None:
                    answered += 1
                    effective_target = max(answer.target, level) if answer.target is not None else level
                    sub_members.append((float(level), float(effective_target), ind.weight))
                    if answer.target is not None:
                        gap = max(answer.target - level, 0)
                        if gap > 0:
                            next_step = ind.next_step(level)
                elif answer.not_applicable:
                    not_applicable += 1
                indicator_results.append(
                    IndicatorResult(
                        indicator_id=ind.id,
                        domain_id=domain.id,
                        subdomain_id=sub.id,
                        pillar=domain.pillar,
                        weight=ind.weight,
                        level=level,
                        not_applicable=answer.not_applicable and level is None,
                        target=answer.target,
                        gap=gap,
                        next_step=next_step,
                    )
                )
            coverage = Coverage(answered, not_applicable, len(sub.indicators))
            subdomain_scores.append(_group("subdomain", sub.id, sub.name, sub_members, coverage, aggregation, scale))
            domain_members.extend(sub_members)
            domain_coverage = domain_coverage + coverage
        domain_scores.append(
            _group("domain", domain.id, domain.title, domain_members, domain_coverage, aggregation, scale)
        )

    def domain_members_of(domain_ids: set[str]) -> list[tuple[float, float, float]]:
        return [
            (d.score, d.target if d.target is not None else d.score, dom.weight)
            for d, dom in zip(domain_scores, questionnaire.domains, strict=True)
            if dom.id in domain_ids and d.score is not None
        ]

    def coverage_of(domain_ids: set[str]) -> Coverage:
        total = EMPTY_COVERAGE
        for d in domain_scores:
            if d.id in domain_ids:
                total = total + d.coverage
        return total

    pillar_scores = []
    for pillar in questionnaire.pillars:
        ids = {d.id for d in questionnaire.domains if d.pillar == pillar.id}
        pillar_scores.append(
            _group("pillar", pillar.id, pillar.name, domain_members_of(ids), coverage_of(ids), aggregation, scale)
        )
    all_ids = {d.id for d in questionnaire.domains}
    overall = _group(
        "overall",
        questionnaire.id,
        questionnaire.title,
        domain_members_of(all_ids),
        coverage_of(all_ids),
        aggregation,
        scale,
    )

    return ScoreCard(
        questionnaire_id=questionnaire.id,
        questionnaire_version=questionnaire.version,
        aggregation=aggregation,
        indicators=tuple(indicator_results),
        subdomains=tuple(subdomain_scores),
        domains=tuple(domain_scores),
        pillars=tuple(pillar_scores),
        overall=overall,
        priorities=_priorities(indicator_results),
    )


def _priorities(results: Sequence[IndicatorResult]) -> tuple[Priority, ...]:
    order = {r.indicator_id: index for index, r in enumerate(results)}
    gaps = [r for r in results if r.gap and r.level is not None and r.target is not None]
    gaps.sort(key=lambda r: (-(r.gap or 0), r.level, order[r.indicator_id]))
    return tuple(
        Priority(
            rank=rank,
            indicator_id=r.indicator_id,
            domain_id=r.domain_id,
            pillar=r.pillar,
            level=r.level or 0,
            target=r.target or 0,
            gap=r.gap or 0,
            next_step=r.next_step,
        )
        for rank, r in enumerate(gaps, start=1)
    )

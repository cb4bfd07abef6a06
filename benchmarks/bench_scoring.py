"""Benchmark: score 10,000 synthetic assessments of the bundled questionnaire.

Baseline, in the same run: a plain pandas groupby-mean of the same answers as a
long table (assessment x indicator), giving only the per-domain means.  The
ratio says how much the full scorecard (subdomains, domains, pillars, overall,
coverage, targets, gaps, next steps, priorities) costs over that bare minimum.

Run: ``make bench`` or ``python -m benchmarks.bench_scoring [--assessments N]``.
"""

from __future__ import annotations

import argparse
import random
import time

import pandas as pd

from b1mg_maturity.questionnaire import load_bundled
from b1mg_maturity.scoring import Answer, score
from benchmarks.results import record


def synthetic_answers(count: int, seed: int = 7) -> list[dict[str, Answer]]:
    questionnaire = load_bundled()
    rng = random.Random(seed)
    sets = []
    for _ in range(count):
        answers: dict[str, Answer] = {}
        for indicator in questionnaire.indicators:
            roll = rng.random()
            if roll < 0.05:
                answers[indicator.id] = Answer(not_applicable=True)
            elif roll < 0.12:
                continue  # not yet answered
            else:
                level = rng.randint(1, 5)
                target = min(5, level + rng.randint(0, 2)) if rng.random() < 0.6 else None
                answers[indicator.id] = Answer(level=level, target=target)
        sets.append(answers)
    return sets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--assessments", type=int, default=10_000)
    args = parser.parse_args()
    questionnaire = load_bundled()
    sets = synthetic_answers(args.assessments)
    domain_of = {ind.id: questionnaire.domain_of(ind.id).id for ind in questionnaire.indicators}
    long = pd.DataFrame(
        [
            (n, domain_of[iid], a.level)
            for n, answers in enumerate(sets)
            for iid, a in answers.items()
            if a.level is not None
        ],
        columns=["assessment", "domain", "level"],
    )

    start = time.perf_counter()
    baseline = long.groupby(["assessment", "domain"], sort=False)["level"].mean()
    baseline_seconds = time.perf_counter() - start

    start = time.perf_counter()
    cards = [score(questionnaire, answers) for answers in sets]
    ours_seconds = time.perf_counter() - start

    # Same numbers: the engine's domain means equal the groupby's.
    sample = cards[0]
    for domain in sample.domains:
        if domain.score is not None:
            assert abs(domain.score - baseline.loc[(0, domain.id)]) < 1e-9

    print(f"assessments scored:            {len(sets):,} ({len(long):,} answered ratings)")
    print(f"b1mg-maturity score():         {ours_seconds:8.3f} s  ({ours_seconds / len(sets) * 1e3:.3f} ms each)")
    print(f"pandas groupby-mean baseline:  {baseline_seconds:8.3f} s")
    print(f"ratio (ours / baseline):       {ours_seconds / baseline_seconds:8.1f}x")
    record(
        f"Scoring: score() of {len(sets):,} assessments",
        ours_seconds,
        baseline_seconds,
        baseline_name="pandas groupby mean",
    )


if __name__ == "__main__":
    main()

"""Benchmark: every benchmark table for 300 health systems x 5 rounds of the bundled questionnaire.

Timed: :func:`b1mg_maturity.benchmark.benchmark` from the scorecards (the long
table, published-only filter, snapshot, statistics with quartiles and the
privacy threshold, ranks and distances, changes between rounds, statistics per
round label).  Baseline, in the same run: a bare pandas groupby (count, median,
max, min) over the same long table's latest rounds, which gives only the
snapshot statistics.  The scorecards themselves are made before timing.

Run: ``python -m benchmarks.bench_benchmark [--systems N] [--rounds N] [--repeat N]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import time

from b1mg_maturity import benchmark as bm
from b1mg_maturity.domain import RoundStatus
from b1mg_maturity.questionnaire import load_bundled
from b1mg_maturity.scoring import Answer, ScoreCard, score
from benchmarks.results import record


def synthetic_rounds(systems: int, rounds: int, seed: int = 11) -> list[tuple[bm.RoundMeta, ScoreCard]]:
    questionnaire = load_bundled()
    rng = random.Random(seed)
    result = []
    round_id = 0
    for number in range(systems):
        base = rng.uniform(1.3, 4.2)
        code = f"S{number:03d}"
        for year in range(rounds):
            answers: dict[str, Answer] = {}
            for indicator in questionnaire.indicators:
                roll = rng.random()
                if roll < 0.04:
                    answers[indicator.id] = Answer(not_applicable=True)
                elif roll < 0.08:
                    continue
                else:
                    level = max(1, min(5, round(base + 0.25 * year + rng.gauss(0, 0.7))))
                    answers[indicator.id] = Answer(level=level, target=min(5, level + rng.randint(0, 2)))
            round_id += 1
            status = RoundStatus.PUBLISHED if year < rounds - 1 or rng.random() < 0.8 else RoundStatus.SUBMITTED
            meta = bm.RoundMeta(
                round_id,
                code,
                f"System {number}",
                f"Round {2020 + year}",
                dt.date(2020 + year, rng.randint(1, 12), rng.randint(1, 28)),
                questionnaire.id,
                questionnaire.version,
                status,
            )
            result.append((meta, score(questionnaire, answers)))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--systems", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rounds = synthetic_rounds(args.systems, args.rounds)

    ours: list[float] = []
    frame_only: list[float] = []
    baseline: list[float] = []
    result = None
    for _ in range(args.repeat):
        start = time.perf_counter()
        frame = bm.scores_frame(rounds)
        frame_only.append(time.perf_counter() - start)

        start = time.perf_counter()
        result = bm.benchmark(rounds, min_group_size=3)
        ours.append(time.perf_counter() - start)

        published, _ = bm.only_published(frame)
        latest = bm.snapshot(published)
        start = time.perf_counter()
        bare = latest.groupby(["questionnaire_id", "kind", "item_id"], sort=False)["score"].agg(
            ["count", "median", "max", "min"]
        )
        baseline.append(time.perf_counter() - start)
    assert result is not None

    # Same numbers: the benchmark's medians equal the bare groupby's.
    check = result.statistics.set_index(["questionnaire_id", "kind", "item_id"])
    for key in list(bare.index)[:40]:
        assert abs(float(check.loc[key, "median"]) - float(bare.loc[key, "median"])) < 1e-9

    ours_s, base_s, frame_s = (statistics.median(v) for v in (ours, baseline, frame_only))
    rows = len(bm.scores_frame(rounds))
    print(f"rounds: {len(rounds):,} ({args.systems} health systems x {args.rounds}); long table {rows:,} rows")
    print(f"all benchmark tables (median of {args.repeat}): {ours_s:8.3f} s")
    print(f"  of which the long table from scorecards:  {frame_s:8.3f} s")
    print(f"bare pandas groupby (count/median/max/min): {base_s:8.3f} s")
    print(f"ratio (ours / baseline):                    {ours_s / base_s:8.1f}x")
    record(
        f"Compare: all benchmark tables, {len(rounds):,} rounds",
        ours_s,
        base_s,
        baseline_name="bare pandas groupby count/median/max/min",
    )
    print(f"ratio without building the long table:      {(ours_s - frame_s) / base_s:8.1f}x")


if __name__ == "__main__":
    main()

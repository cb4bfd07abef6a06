"""Benchmark: the action plan's use cases on the demo data, each beside a comparable use case.

The demo data is loaded into a temporary SQLite database; the actor is XA's
coordinator (``demo-coordinator``).  XA has a plan of 8 actions and rounds 2024
and 2025 published, 2026 a draft.  Three paths, each with its baseline measured
in the same run (the paths take turns in blocks; each figure is the median
block's seconds per call, so a busy spell of a shared machine hits all alike;
the CPU time of this process per call is printed too, less disturbed by other
work):

* **the Plan page's read**: ``Services.plan(coordinator, XA)``, what the page
  reads on every run, against ``Services.round_scores(coordinator, XA 2025)``,
  one round's effective answers scored.  The plan scores up to three rounds (the
  assessed one, 2025; the one before it, 2024; the newer one it is judged
  against, the 2026 draft), none from a cache, and reads the actions, their
  people and the system's members besides: a ratio near 3 is what the three
  scorecards alone cost.
* **Learn, who reached a level**: ``Services.peers_at_level`` for the largest
  gap of XA's plan (its indicator, one level above XA's), against two reads of
  the same rounds (the published rounds of the questionnaire, scored through the
  same cache of published scorecards, warm in all three as on a running server):
  ``comparison.published_scorecards`` for the analyst (every published round of
  the questionnaire, 32, nothing computed on them: the bare read; for a
  coordinator it would read only their own system's two rounds, no baseline), and
  ``comparison.peer_domain_medians(coordinator, XA 2025)``, the peers' medians the
  Results page shows beside a round (the other systems' rounds, a median per
  domain).  ``peers_at_level`` also finds the plan's rounds (which one is
  assessed) and keeps each other system's latest round (13).
* **an action saved**: ``Services.update_action`` with one field changed (the
  notes, a new version each call), against ``Services.set_target`` on the 2026
  draft round (the target moving between two levels, a new version each call):
  both a versioned save by the coordinator that refuses a stale version and
  writes one audit entry, in one transaction.

Each path is also given as SQL statements per call (commit included), counted
apart from the timed runs.  Reported with :func:`benchmarks.results.record`
(ratio = ours / baseline).

Run: ``python -m benchmarks.bench_plan [--calls N]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from itertools import count
from pathlib import Path

from sqlalchemy import select

from b1mg_maturity.cli.database import OPERATOR_ID, operator_services
from b1mg_maturity.demo import DEMO_TODAY, load_demo
from b1mg_maturity.domain import ActionStatus
from b1mg_maturity.services import Services
from b1mg_maturity.services.comparison import peer_domain_medians, published_scorecards
from b1mg_maturity.storage.models import AssessmentRound, HealthSystem, Target, User
from benchmarks.results import record
from tests.statement_count import StatementCounter

BLOCKS = 20  # turns each path takes
WARM_CALLS = 5  # unmeasured calls of each path first: statements compiled, caches filled

Call = Callable[[int], object]  # the n-th call of one path


@dataclass(frozen=True)
class Demo:
    """What the paths need from the demo world."""

    services: Services
    coordinator: int
    analyst: int
    system: int  # XA
    assessed_round: int  # XA 2025 (published)
    draft_round: int  # XA 2026 (draft)


def _demo(url: str) -> Demo:
    services = operator_services(url)
    started = time.perf_counter()
    load_demo(services, OPERATOR_ID)
    print(f"demo data loaded in {time.perf_counter() - started:.1f} s")
    with services.db.reading() as session:
        coordinator = session.scalars(select(User.id).where(User.username == "demo-coordinator")).one()
        analyst = session.scalars(select(User.id).where(User.username == "demo-analyst")).one()
        system = session.scalars(select(HealthSystem.id).where(HealthSystem.code == "XA")).one()
        rounds = {
            r.period_year: r
            for r in session.scalars(select(AssessmentRound).where(AssessmentRound.health_system_id == system))
        }
    assert rounds[2025].status == "published" and rounds[2026].status == "draft", rounds
    return Demo(services, coordinator, analyst, system, rounds[2025].id, rounds[2026].id)


# --- the paths ---------------------------------------------------------------------------------------


def _plan_reads(demo: Demo) -> Call:
    return lambda _n: demo.services.plan(demo.coordinator, demo.system, today=DEMO_TODAY)


def _round_scores(demo: Demo) -> Call:
    return lambda _n: demo.services.round_scores(demo.coordinator, demo.assessed_round)


def _peers_at_level(demo: Demo, indicator_id: str, level: int) -> Call:
    return lambda _n: demo.services.peers_at_level(demo.coordinator, demo.system, indicator_id, level)


def _published_cards(demo: Demo, questionnaire_id: str) -> Call:
    return lambda _n: published_scorecards(demo.services, demo.analyst, questionnaire_id=questionnaire_id)


def _peer_medians(demo: Demo) -> Call:
    return lambda _n: peer_domain_medians(demo.services, demo.coordinator, demo.assessed_round)


def _action_saves(demo: Demo, action_id: int) -> Call:
    """One field (the notes) changed per call, on the version the last save returned."""
    view = demo.services.plan(demo.coordinator, demo.system, today=DEMO_TODAY)
    action = next(a for a in view.actions if a.id == action_id)
    draft, version = action.as_draft(), action.version

    def save(n: int) -> None:
        nonlocal version
        changed = dataclasses.replace(draft, notes=f"bench note {n}")
        saved = demo.services.update_action(
            demo.coordinator, action_id, changed, expected_version=version, today=DEMO_TODAY
        )
        assert saved.version == version + 1, "every save is a new version"
        version = saved.version

    return save


def _target_saves(demo: Demo, indicator_id: str) -> Call:
    """The target of one indicator of the draft round, moving between two levels, on the version last saved."""
    with demo.services.db.reading() as session:
        stored = session.scalars(
            select(Target).where(Target.round_id == demo.draft_round, Target.indicator_id == indicator_id)
        ).one_or_none()
    version = stored.version if stored is not None else 0

    def save(n: int) -> None:
        nonlocal version
        saved = demo.services.set_target(
            demo.coordinator, demo.draft_round, indicator_id, target=4 + n % 2, expected_version=version
        )
        assert saved.version == version + 1, "every save is a new version"
        version = saved.version

    return save


# --- measuring ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PerCall:
    """A path's median seconds per call: wall clock, and CPU time of this process (less disturbed by a busy
    machine)."""

    wall: float
    cpu: float


def _statements(demo: Demo, call: Call, start: int) -> int:
    """SQL statements (commit included) one call sends, after a warm call."""
    call(start)
    with StatementCounter(demo.services.db.engine) as counter:
        call(start + 1)
    return counter.count


def _median_per_call(paths: dict[str, Call], calls: int) -> dict[str, PerCall]:
    """Each path's medians per call over ``BLOCKS`` blocks, the paths taking turns block by block."""
    per_block = max(1, calls // BLOCKS)
    numbers = {name: count(1000) for name in paths}  # numbers apart from the warm and counted calls
    for name, call in paths.items():
        for _ in range(WARM_CALLS):
            call(next(numbers[name]))
    wall: dict[str, list[float]] = {name: [] for name in paths}
    cpu: dict[str, list[float]] = {name: [] for name in paths}
    for _ in range(BLOCKS):
        for name, call in paths.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            for _ in range(per_block):
                call(next(numbers[name]))
            wall[name].append((time.perf_counter() - start) / per_block)
            cpu[name].append((time.process_time() - start_cpu) / per_block)
    return {name: PerCall(statistics.median(wall[name]), statistics.median(cpu[name])) for name in paths}


def _compare(demo: Demo, path: str, ours: Call, baselines: dict[str, Call], calls: int) -> None:
    """Ours beside each baseline (all taking turns), one recorded row per baseline."""
    paths = {"ours": ours, **baselines}
    statements = {name: _statements(demo, call, 0) for name, call in paths.items()}
    measured = _median_per_call(paths, calls)
    mine = measured["ours"]
    for name in baselines:
        theirs = measured[name]
        record(f"plan: {path}", mine.wall, theirs.wall, baseline_name=name)
        print(
            f"    CPU time of this process per call: ours {mine.cpu * 1000:.3f} ms, baseline {theirs.cpu * 1000:.3f} ms,"
            f" ratio {mine.cpu / theirs.cpu:.2f}; SQL statements per call (commit included): ours "
            f"{statements['ours']}, baseline {statements[name]}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=200, help=f"calls of each path, in {BLOCKS} blocks")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        demo = _demo(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
        view = demo.services.plan(demo.coordinator, demo.system, today=DEMO_TODAY)
        assert len(view.actions) == 8, [a.title for a in view.actions]
        assert view.assessed and view.previous and view.judged and view.questionnaire, "the plan reads three rounds"
        print(
            f"XA's plan: {len(view.actions)} actions, {len(view.gaps)} gaps; rounds assessed {view.assessed.label}, "
            f"previous {view.previous.label}, judged against {view.judged.label}"
        )
        gap = view.gaps[0].gap
        planned = next(a for a in view.actions if a.status == ActionStatus.PLANNED)
        _compare(
            demo,
            "Services.plan (the Plan page's read, three rounds scored)",
            _plan_reads(demo),
            {"Services.round_scores of one round": _round_scores(demo)},
            args.calls,
        )
        learned = demo.services.peers_at_level(demo.coordinator, demo.system, gap.indicator_id, gap.level + 1)
        print(
            f"  peers_at_level({gap.indicator_id}, {gap.level + 1}): {len(learned.named)} named, "
            f"{learned.at_or_above} of {learned.rated} rated"
        )
        _compare(
            demo,
            "Services.peers_at_level (one indicator)",
            _peers_at_level(demo, gap.indicator_id, gap.level + 1),
            {
                "published_scorecards (analyst, 32 rounds)": _published_cards(demo, view.questionnaire.id),
                "peer_domain_medians of the assessed round": _peer_medians(demo),
            },
            args.calls,
        )
        _compare(
            demo,
            "Services.update_action (one field, a new version)",
            _action_saves(demo, planned.id),
            {"Services.set_target (a new version)": _target_saves(demo, gap.indicator_id)},
            args.calls,
        )
        demo.services.db.dispose()


if __name__ == "__main__":
    main()

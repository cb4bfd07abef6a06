"""Benchmark: the time of one rating save, on SQLite and PostgreSQL, beside a bare insert.

Ours: ``Services.edit_rating`` (one field, what the Rate page sends on each
click) and ``Services.rate`` (the whole record), each one transaction: the
actor and the round checked (the round share-locked), the record's version
checked, the row written, an audit entry written.  Baseline, in the same run
and on the same database and engine (so with the same transaction settings:
``BEGIN IMMEDIATE`` on SQLite, the driver's read-committed transaction on
PostgreSQL): a bare SQLAlchemy Core insert of one rating row, one transaction
each.  The paths take turns in blocks and each figure is the median block's
seconds per save, so a busy spell of a shared machine hits all of them alike
(the CPU time of this process is printed too: less disturbed by other work).
Evidence texts are short here; checking a text costs about 20 ns a character.
Reported with :func:`benchmarks.results.record` (ratio = ours / baseline; the
goal of issue 15 is at most 3), with the SQL statements each save sends.  Then
20 threads saving at once, beside 20 threads of bare inserts.

Run: ``python -m benchmarks.bench_saves [--saves N]`` (PostgreSQL is started
from the server binaries, as the tests do).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import count
from pathlib import Path
from typing import cast

from sqlalchemy import Table, insert

from b1mg_maturity.edits import FieldEdit
from b1mg_maturity.questionnaire import load_bundled
from b1mg_maturity.services import Services
from b1mg_maturity.storage.database import Database
from b1mg_maturity.storage.migrate import upgrade_to_head
from b1mg_maturity.storage.models import Rating
from benchmarks.results import record
from tests.pg_server import PostgresNotAvailable, create_database, running_postgres
from tests.statement_count import StatementCounter

THREADS = 20
BLOCKS = 20  # turns each path takes
BASELINE = "bare SQLAlchemy insert of one rating row, one transaction"

Save = Callable[[int], None]  # the n-th save of one path


def _setup(url: str, experts: int) -> tuple[Services, int, list[int]]:
    upgrade_to_head(url)
    services = Services(Database(url))
    admin = services.add_user(None, "admin", "bench-password-1", global_role="admin").id
    services.add_health_system(admin, "EE")
    round_id = services.open_round(admin, "EE", "bench", dt.date(2026, 1, 1)).id
    ids = []
    for n in range(experts):
        name = f"expert{n}"
        ids.append(services.add_user(admin, name, "bench-password-1").id)
        services.grant(admin, name, "EE", "expert")
        services.invite_expert(admin, round_id, name)
    return services, round_id, ids


def _rate_saves(services: Services, round_id: int, expert: int) -> Save:
    """``Services.rate`` over the indicators in turn (a first save inserts, later ones update), on the version read."""
    indicators = [i.id for i in load_bundled().indicators]
    versions: dict[str, int] = {}

    def save(n: int) -> None:
        indicator = indicators[n % len(indicators)]
        saved = services.rate(
            expert,
            round_id,
            indicator,
            level=1 + n % 5,
            evidence=f"save {n}",
            expected_version=versions.get(indicator, 0),
        )
        versions[indicator] = saved.version

    return save


def _field_saves(services: Services, round_id: int, expert: int) -> Save:
    """What the Rate page does: one field per save (evidence), guarded by the value the page showed."""
    indicators = [i.id for i in load_bundled().indicators]
    shown: dict[str, str] = {}

    def save(n: int) -> None:
        indicator = indicators[n % len(indicators)]
        text = f"edit {n}"
        services.edit_rating(expert, round_id, indicator, FieldEdit("evidence", shown.get(indicator, ""), text))
        shown[indicator] = text

    return save


_BARE_INSERT = insert(cast(Table, Rating.__table__)).inline()  # built once, no id fetched: as our saves' inserts


def _bare_inserts(db: Database, round_id: int, expert: int, prefix: str) -> Save:
    """The baseline: one new rating row per transaction (an indicator id of its own), through the same engine."""

    def save(n: int) -> None:
        with db.engine.begin() as connection:
            connection.execute(
                _BARE_INSERT,
                {
                    "round_id": round_id, "indicator_id": f"{prefix}{n}", "expert_id": expert, "level": 1 + n % 5,
                    "evidence": f"save {n}", "links": "[]", "version": 1, "not_applicable": False,
                    "updated_at": dt.datetime.now(dt.UTC),
                },
            )  # fmt: skip

    return save


@dataclass(frozen=True)
class PerSave:
    """A path's median seconds per save: wall clock, and CPU time of this process (less disturbed by a busy machine)."""

    wall: float
    cpu: float


def _per_save(paths: dict[str, Save], saves: int) -> dict[str, PerSave]:
    """Each path's medians per save over ``BLOCKS`` blocks, the paths taking turns block by block."""
    per_block = max(1, saves // BLOCKS)
    numbers: dict[str, Iterator[int]] = {name: count() for name in paths}
    for name, save in paths.items():  # unmeasured: statements compiled, connections opened, caches filled
        for _ in range(10):
            save(next(numbers[name]))
    wall: dict[str, list[float]] = {name: [] for name in paths}
    cpu: dict[str, list[float]] = {name: [] for name in paths}
    for _ in range(BLOCKS):
        for name, save in paths.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            for _ in range(per_block):
                save(next(numbers[name]))
            wall[name].append((time.perf_counter() - start) / per_block)
            cpu[name].append((time.process_time() - start_cpu) / per_block)
    return {name: PerSave(statistics.median(wall[name]), statistics.median(cpu[name])) for name in paths}


def _threaded_seconds_per_save(saves_of: list[Save], per_thread: int) -> float:
    """Wall seconds per save while one thread per path saves at once (all started together)."""
    barrier = threading.Barrier(len(saves_of) + 1)

    def work(save: Save) -> None:
        barrier.wait()
        for k in range(per_thread):
            save(k)

    threads = [threading.Thread(target=work, args=(save,)) for save in saves_of]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    return (time.perf_counter() - start) / (per_thread * len(saves_of))


def _statements_per_save(services: Services, round_id: int, expert: int) -> tuple[float, float, float]:
    """Statements (and commits) per save, counted apart from the timed runs: whole record, one field, bare insert.

    Warmed first (the questionnaire is parsed once per process), then 10 of each
    on indicators this expert has not rated (inserts) and again (updates).
    """
    indicators = [i.id for i in load_bundled().indicators][-10:]
    services.edit_rating(expert, round_id, indicators[0], FieldEdit("evidence", "", "warm"))
    bare = _bare_inserts(services.db, round_id, expert, prefix="C")
    counts = []
    for kind in ("rate", "field", "bare"):
        with StatementCounter(services.db.engine) as counter:
            for n, indicator in enumerate(indicators[1:] * 2):
                if kind == "rate":
                    version = 0 if n < 9 else 1
                    services.rate(expert, round_id, indicator, level=2, evidence="c", expected_version=version)
                elif kind == "field":
                    seen, text = ("c", f"f{n}") if n < 9 else (f"f{n - 9}", f"g{n}")
                    services.edit_rating(expert, round_id, indicator, FieldEdit("evidence", seen, text))
                else:
                    bare(n)
        counts.append(counter.count / 18)
    return counts[0], counts[1], counts[2]


def bench(label: str, url: str, saves: int) -> None:
    services, round_id, experts = _setup(url, THREADS + 3)
    per_rate, per_field, per_bare = _statements_per_save(services, round_id, experts[THREADS + 2])
    print(f"{label}:")
    print(
        f"  statements per save (commit included): Services.edit_rating (1 field) {per_field:.1f}, "
        f"Services.rate {per_rate:.1f}, bare insert {per_bare:.1f}"
    )
    measured = _per_save(
        {
            "bare": _bare_inserts(services.db, round_id, experts[THREADS + 1], prefix="X"),
            "field": _field_saves(services, round_id, experts[THREADS]),
            "rate": _rate_saves(services, round_id, experts[THREADS + 1]),
        },
        saves,
    )
    bare_save = measured["bare"]
    for name, path in (("field", "Services.edit_rating (one field)"), ("rate", "Services.rate (whole record)")):
        ours = measured[name]
        record(f"saves, {label}: {path}", ours.wall, bare_save.wall, baseline_name=BASELINE)
        print(
            f"    CPU time of this process per save: ours {ours.cpu * 1000:.3f} ms, "
            f"bare insert {bare_save.cpu * 1000:.3f} ms, ratio {ours.cpu / bare_save.cpu:.2f}"
        )
    per_thread = max(1, saves // THREADS)
    threaded = _threaded_seconds_per_save([_rate_saves(services, round_id, e) for e in experts[:THREADS]], per_thread)
    bare = _threaded_seconds_per_save(
        [_bare_inserts(services.db, round_id, e, prefix=f"T{n}-") for n, e in enumerate(experts[:THREADS])], per_thread
    )
    record(
        f"saves, {label}: Services.rate, {THREADS} threads at once",
        threaded,
        bare,
        baseline_name=f"the same bare insert from {THREADS} threads at once",
    )
    services.db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--saves", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bench("SQLite (WAL file)", f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", args.saves)
    try:
        with running_postgres() as admin_url:
            bench("PostgreSQL (local, fsync off)", create_database(admin_url, "bench"), args.saves)
    except PostgresNotAvailable as exc:
        print(f"PostgreSQL skipped: {exc}")


if __name__ == "__main__":
    main()

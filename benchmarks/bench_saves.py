"""Benchmark: rating saves per second on SQLite and PostgreSQL.

Ours: ``Services.rate`` (one transaction per save: actor and round loaded,
permission and version checks, the row written, an audit entry written),
sequentially and from 20 threads at once.  Baseline, in the same run and on
the same database: a bare SQLAlchemy loop inserting the same number of rating
rows, one transaction each.  Prints saves per second and the ratio.

Run: ``python -m benchmarks.bench_saves [--saves N]`` (PostgreSQL is started
from the server binaries, as the tests do).
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy import insert

from b1mg_maturity.edits import FieldEdit
from b1mg_maturity.questionnaire import load_bundled
from b1mg_maturity.services import Services
from b1mg_maturity.storage.database import Database
from b1mg_maturity.storage.migrate import upgrade_to_head
from b1mg_maturity.storage.models import Rating
from tests.pg_server import PostgresNotAvailable, create_database, running_postgres
from tests.statement_count import StatementCounter

THREADS = 20


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


def _ours_sequential(services: Services, round_id: int, expert: int, saves: int) -> float:
    indicators = [i.id for i in load_bundled().indicators]
    versions: dict[str, int] = {}
    start = time.perf_counter()
    for n in range(saves):
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
    return time.perf_counter() - start


def _ours_field_edits(services: Services, round_id: int, expert: int, saves: int) -> float:
    """What the Rate page does: one field per save (evidence), guarded by the value the page showed."""
    indicators = [i.id for i in load_bundled().indicators]
    shown: dict[str, str] = {}
    start = time.perf_counter()
    for n in range(saves):
        indicator = indicators[n % len(indicators)]
        text = f"edit {n}"
        services.edit_rating(expert, round_id, indicator, FieldEdit("evidence", shown.get(indicator, ""), text))
        shown[indicator] = text
    return time.perf_counter() - start


def _ours_threads(services: Services, round_id: int, experts: list[int], saves: int) -> float:
    indicators = [i.id for i in load_bundled().indicators]
    per_thread = saves // THREADS
    barrier = threading.Barrier(THREADS + 1)

    def work(n: int) -> None:
        expert = experts[n]  # one expert per thread: no conflicts, pure throughput
        versions: dict[str, int] = {}
        barrier.wait()
        for k in range(per_thread):
            indicator = indicators[k % len(indicators)]
            saved = services.rate(
                expert, round_id, indicator, level=1 + k % 5, evidence="t", expected_version=versions.get(indicator, 0)
            )
            versions[indicator] = saved.version

    threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    return time.perf_counter() - start


def _baseline(db: Database, round_id: int, expert: int, saves: int, prefix: str = "X") -> float:
    start = time.perf_counter()
    for n in range(saves):
        with db.engine.begin() as connection:
            connection.execute(
                insert(Rating).values(
                    round_id=round_id, indicator_id=f"{prefix}{n}", expert_id=expert, level=1 + n % 5, evidence=f"save {n}",
                    links="[]", version=1, not_applicable=False, updated_at=dt.datetime.now(dt.UTC),
                )
            )  # fmt: skip
    return time.perf_counter() - start


def _statements_per_save(services: Services, round_id: int, expert: int) -> tuple[float, float, float]:
    """Statements (and commits) per save, counted apart from the timed runs: whole record, one field, bare insert.

    Warmed first (the questionnaire is parsed once per process), then 10 of each
    on indicators this expert has not rated (inserts) and again (updates).
    """
    indicators = [i.id for i in load_bundled().indicators][-10:]
    services.edit_rating(expert, round_id, indicators[0], FieldEdit("evidence", "", "warm"))
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
                    _baseline(services.db, round_id, expert, 1, prefix=f"C{n}-")
        counts.append(counter.count / 18)
    return counts[0], counts[1], counts[2]


def bench(label: str, url: str, saves: int) -> None:
    services, round_id, experts = _setup(url, THREADS + 3)
    per_rate, per_field, per_bare = _statements_per_save(services, round_id, experts[THREADS + 2])
    ours = _ours_sequential(services, round_id, experts[THREADS + 1], saves)
    base = _baseline(services.db, round_id, experts[THREADS + 1], saves)
    threaded = _ours_threads(services, round_id, experts[:THREADS], saves)
    fields = _ours_field_edits(services, round_id, experts[THREADS], saves)
    print(f"{label}:")
    print(
        f"  statements per save (commit included): Services.rate {per_rate:.1f}, "
        f"edit_rating (1 field) {per_field:.1f}, bare insert {per_bare:.1f}"
    )
    print(f"  bare SQLAlchemy insert loop:   {saves / base:8.0f} saves/s")
    print(f"  Services.rate, 1 thread:       {saves / ours:8.0f} saves/s   (ratio to baseline {base / ours:5.2f})")
    print(f"  Services.rate, {THREADS} threads:     {saves / threaded:8.0f} saves/s   (ratio {base / threaded:5.2f})")
    print(f"  Services.edit_rating (1 field): {saves / fields:8.0f} saves/s   (ratio {base / fields:5.2f})")
    services.db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--saves", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bench("SQLite (WAL, file)", f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", args.saves)
    try:
        with running_postgres() as admin_url:
            bench("PostgreSQL 15 (local, fsync off)", create_database(admin_url, "bench"), args.saves)
    except PostgresNotAvailable as exc:
        print(f"PostgreSQL skipped: {exc}")


if __name__ == "__main__":
    main()

"""``python -m benchmarks`` (``make bench``): run every benchmark, then print one table of all of them.

Each ``bench_*.py`` runs in a process of its own, one after another (they measure wall time: two at
once would slow each other), with its output shown as it comes.  Whatever paths a benchmark recorded
(:func:`benchmarks.results.record`, into the file named by ``B1MG_BENCH_RESULTS``) become rows of the
table, failed benchmark or not; a benchmark that fails is named below the table and the runner exits 1.

Run: ``python -m benchmarks [NAME ...]`` (names like ``bench_cli`` or ``cli``: only those).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console, JustifyMethod
from rich.table import Table

from benchmarks.results import RESULTS_FILE, Row, read_rows

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


@dataclass(frozen=True)
class Outcome:
    """What one benchmark script gave: its rows, its exit status, how long it ran."""

    name: str
    rows: list[Row]
    returncode: int
    seconds: float


def scripts_in(folder: Path, only: Sequence[str] = ()) -> list[Path]:
    """The ``bench_*.py`` files of ``folder``, by name; with ``only``, just those named (with or without
    the ``bench_`` prefix)."""
    wanted = {name.removeprefix("bench_").removesuffix(".py") for name in only}
    return [
        script
        for script in sorted(folder.glob("bench_*.py"))
        if not wanted or script.stem.removeprefix("bench_") in wanted
    ]


def run_one(script: Path, results_dir: Path) -> Outcome:
    """Run one benchmark script in a new process (the project on its import path); its recorded rows."""
    results = results_dir / f"{script.stem}.jsonl"
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, RESULTS_FILE: str(results), "PYTHONPATH": path}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, str(script)], cwd=ROOT, env=env, check=False)
    return Outcome(script.stem, read_rows(results), done.returncode, time.perf_counter() - start)


def run_all(scripts: Sequence[Path], console: Console) -> list[Outcome]:
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="b1mg-bench-") as tmp:
        for script in scripts:
            console.rule(script.stem, style="dim")
            outcomes.append(run_one(script, Path(tmp)))
    return outcomes


def table_of(outcomes: Sequence[Outcome]) -> Table:
    """One row per recorded path: ours, the baseline's, which baseline, and the ratio ours / baseline."""
    table = Table(title="Benchmarks: ours beside a baseline measured in the same run")
    columns: tuple[tuple[str, JustifyMethod], ...] = (
        ("benchmark", "left"),
        ("path", "left"),
        ("ours", "right"),
        ("baseline", "right"),
        ("baseline is", "left"),
        ("ratio", "right"),
    )
    for column, justify in columns:
        table.add_column(column, justify=justify)
    for outcome in outcomes:
        for row in outcome.rows:
            table.add_row(
                outcome.name,
                row.path,
                f"{row.ours:.4g} {row.unit}",
                f"{row.baseline:.4g} {row.unit}",
                row.baseline_name,
                f"{row.ratio:.2f}x",
            )
    return table


def report(outcomes: Sequence[Outcome], console: Console) -> int:
    """Print the table and the failures; the exit status (1 when any benchmark failed)."""
    console.print(table_of(outcomes))
    for outcome in outcomes:
        if not outcome.rows:
            console.print(f"{outcome.name} recorded no rows.", style="yellow")
    failed = [outcome for outcome in outcomes if outcome.returncode != 0]
    for outcome in failed:
        console.print(f"FAILED: {outcome.name} (exit status {outcome.returncode})", style="bold red")
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None, folder: Path = HERE) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("names", nargs="*", help="only these benchmarks (default: every bench_*.py)")
    args = parser.parse_args(argv)
    console = Console(width=None if sys.stdout.isatty() else 160, highlight=False)
    scripts = scripts_in(folder, args.names)
    if not scripts:
        console.print(f"No benchmark in {folder} matches {args.names}.", style="bold red")
        return 2
    return report(run_all(scripts, console), console)


if __name__ == "__main__":
    sys.exit(main())

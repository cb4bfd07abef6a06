"""``python -m benchmarks`` (``make bench``): every benchmark runs, and one table shows every recorded path,
with a failed benchmark named and the exit status non-zero."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from benchmarks.__main__ import report, run_all, scripts_in, table_of

FAST = """
from benchmarks.results import record

print("fast benchmark ran")
record("fast path", 0.2, 0.1, baseline_name="a bare loop")
record("other path", 3.0, 4.0, baseline_name="a bare loop", unit="ms")
"""

BROKEN = """
import sys

from benchmarks.results import record

record("broken path", 1.0, 1.0, baseline_name="itself")
sys.exit(3)
"""


def _fake_benchmarks(folder: Path) -> Path:
    (folder / "bench_fast.py").write_text(FAST)
    (folder / "bench_broken.py").write_text(BROKEN)
    (folder / "helper.py").write_text("raise SystemExit('not a benchmark: never run')\n")
    return folder


def _console() -> tuple[Console, io.StringIO]:
    text = io.StringIO()
    return Console(file=text, width=200, color_system=None), text


def test_every_benchmark_runs_and_each_recorded_path_is_a_row(tmp_path: Path) -> None:
    folder = _fake_benchmarks(tmp_path)
    console, _ = _console()
    outcomes = run_all(scripts_in(folder), console)
    assert [(o.name, o.returncode) for o in outcomes] == [("bench_broken", 3), ("bench_fast", 0)]
    rows = {row.path: row for outcome in outcomes for row in outcome.rows}
    assert set(rows) == {"broken path", "fast path", "other path"}
    assert rows["fast path"].ratio == 2.0
    assert rows["other path"].unit == "ms"


def test_the_table_shows_every_row_and_names_the_failed_benchmark(tmp_path: Path) -> None:
    console, text = _console()
    status = report(run_all(scripts_in(_fake_benchmarks(tmp_path)), console), console)
    shown = text.getvalue()
    assert status == 1
    for expected in ("fast path", "0.2 s", "0.1 s", "a bare loop", "2.00x", "3 ms", "0.75x", "broken path"):
        assert expected in shown, shown
    assert "FAILED: bench_broken (exit status 3)" in shown
    assert "bench_fast (exit" not in shown


def test_all_passing_exits_zero_and_names_can_pick_benchmarks(tmp_path: Path) -> None:
    folder = _fake_benchmarks(tmp_path)
    assert [s.name for s in scripts_in(folder, ["fast"])] == ["bench_fast.py"]
    assert [s.name for s in scripts_in(folder, ["bench_broken"])] == ["bench_broken.py"]
    console, _ = _console()
    outcomes = run_all(scripts_in(folder, ["fast"]), console)
    assert report(outcomes, console) == 0
    assert table_of(outcomes).row_count == 2

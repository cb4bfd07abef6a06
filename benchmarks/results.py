"""One way for a benchmark to report a measured path beside its baseline.

Each benchmark calls :func:`record` once per path it measures.  The line is
printed at once, and when ``B1MG_BENCH_RESULTS`` names a file (``make bench``
sets it), the row is appended there as one JSON line, so that the runner can
print one table of every path after all benchmarks ran.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

RESULTS_FILE = "B1MG_BENCH_RESULTS"


@dataclass(frozen=True)
class Row:
    """One measured path: our time and the baseline's, in the same unit, measured in the same run."""

    path: str
    ours: float
    baseline: float
    unit: str
    baseline_name: str

    @property
    def ratio(self) -> float:
        return self.ours / self.baseline if self.baseline else float("inf")


def record(path: str, ours: float, baseline: float, *, baseline_name: str, unit: str = "s") -> Row:
    """Print one path's figures (ours, baseline, ratio = ours / baseline) and keep them for the table."""
    row = Row(path, ours, baseline, unit, baseline_name)
    print(f"  {path}: ours {ours:.4g} {unit}, baseline ({baseline_name}) {baseline:.4g} {unit}, ratio {row.ratio:.2f}")
    target = os.environ.get(RESULTS_FILE)
    if target:
        with Path(target).open("a", encoding="utf-8") as file:
            file.write(json.dumps(asdict(row)) + "\n")
    return row


def read_rows(path: Path) -> list[Row]:
    """The rows recorded into ``path`` (one JSON object a line)."""
    if not path.exists():
        return []
    return [Row(**json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

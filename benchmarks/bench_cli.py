"""Benchmark: how long the command line takes to answer, from the shell's point of view.

Each path runs as a new process, as a person runs it (the installed ``b1mg-maturity`` script):
``--help``, and ``validate`` of the bundled questionnaire.  The baseline is a one-command Typer app
run the same way: its ``--help``, and its command given the same file.  That is what any Typer command
line pays for the same action (Python's start, Typer, rich for the help screen, pydantic, which Typer
uses to convert every argument), so the ratio is what this project adds.  A bare ``python -c pass``
or ``python -c "import typer"`` would leave out Typer's own help rendering and argument conversion, and
count them against the project; both are printed for reference.

The runs take turns (ours, baseline, ours, ...) so that a busy machine slows both alike, and the
fastest run of each counts: a start-up takes a few hundred milliseconds, and on a shared machine the
slower runs mostly measure the machine's other work.

Run: ``python -m benchmarks.bench_cli [--runs N]``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.results import record

ROOT = Path(__file__).resolve().parents[1]
QUESTIONNAIRE = ROOT / "questionnaires" / "b1mg-mlm.yaml"
COMMAND_LINE = Path(sys.executable).parent / "b1mg-maturity"
BASELINE = "one-command Typer app"
MINIMAL_TYPER_APP = '''
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(add_completion=False)


@app.command()
def validate(paths: Annotated[list[Path], typer.Argument(help="Files to check.")]) -> None:
    """Check files."""
    for path in paths:
        print(f"{path}: {len(path.read_bytes())} bytes")


@app.command()
def other() -> None:
    """A second command, so that the help lists commands as ours does."""


app()
'''


def _seconds(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - start


def _fastest(commands: dict[str, list[str]], runs: int) -> dict[str, float]:
    """Each command ``runs`` times, taking turns; the fastest run of each."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for command in commands.values():  # one unmeasured run each: the file system's caches
        _seconds(command)
    for _ in range(runs):
        for name, command in commands.items():
            times[name].append(_seconds(command))
    return {name: min(values) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7, help="runs of each command (default 7)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        minimal = Path(tmp) / "minimal_typer_app.py"
        minimal.write_text(MINIMAL_TYPER_APP)
        baseline = [sys.executable, str(minimal)]
        fastest = _fastest(
            {
                "help": [str(COMMAND_LINE), "--help"],
                "baseline help": [*baseline, "--help"],
                "validate": [str(COMMAND_LINE), "validate", str(QUESTIONNAIRE)],
                "baseline validate": [*baseline, "validate", str(QUESTIONNAIRE)],
                "python": [sys.executable, "-c", "pass"],
                "import typer": [sys.executable, "-c", "import typer"],
            },
            args.runs,
        )
    print(
        f"  for reference: python -c pass {fastest['python']:.3f} s, python -c 'import typer' {fastest['import typer']:.3f} s"
    )
    record("cli: b1mg-maturity --help", fastest["help"], fastest["baseline help"], baseline_name=f"{BASELINE} --help")
    record(
        "cli: b1mg-maturity validate (bundled questionnaire)",
        fastest["validate"],
        fastest["baseline validate"],
        baseline_name=f"{BASELINE}, its command on the same file",
    )


if __name__ == "__main__":
    main()

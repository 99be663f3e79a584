"""Benchmark: wall time of every `python cli.py ... --help`, against `python -c pass`.

Each command runs in a fresh process (what a user or cron pays); the median of `--repeats` runs is
reported, with the interpreter's bare start-up measured in the same run as the baseline. The help
paths are read from the parser itself, so a new command or action is measured without editing
this file.

Run: python -m benchmarks.startup [--repeats 5]
Prints a Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.factories import help_paths  # noqa: E402

TARGET_S = 0.5


def wall_seconds(command: list[str]) -> float:
    """Wall time of one run of `command` in the project root (its output discarded)."""
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def median_seconds(command: list[str], repeats: int) -> float:
    """The median wall time of `repeats` runs of `command`."""
    return statistics.median(wall_seconds(command) for _ in range(repeats))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="runs per command (default 5)")
    args = parser.parse_args()

    baseline = median_seconds([sys.executable, "-c", "pass"], args.repeats)
    print(f"baseline `python -c pass`: {baseline:.3f} s (median of {args.repeats})\n")
    print("| command | median s | above baseline s | under 0.5 s |")
    print("|---|---|---|---|")
    for arguments in help_paths():
        seconds = median_seconds([sys.executable, "cli.py", *arguments], args.repeats)
        verdict = "yes" if seconds < TARGET_S else "NO"
        shown = " ".join(arguments)
        print(f"| `cli.py {shown}` | {seconds:.3f} | {seconds - baseline:.3f} | {verdict} |")


if __name__ == "__main__":
    main()

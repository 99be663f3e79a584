"""Benchmark: the fixed costs of every use case, building its SQL and opening the store.

Two costs come before any row is read, on every page run and every command:
- building the experiment statements with SQLGlot (`analysis_query`, `cumulative_query`) for each
  experiment stored in STORE, and rendering them to DuckDB SQL;
- opening a connection to STORE (`data.store.connect`, read-only and writable), against the bare
  `duckdb.connect` + `close` of the same file, measured in the same run (a DuckDB database
  instance is the floor: it registers every built-in function when it opens).

CPU milliseconds per operation (`time.process_time`, so the figure hardly moves with the load of
the machine), the median of `--repeats` rounds of `--each` operations.

Run: python -m benchmarks.builders --db STORE [--repeats 5] [--each 20]
STORE: a demo store (`python cli.py demo --size small --db STORE`). Prints Markdown tables for
docs/benchmarks.md. The store is copied first, so the writable connections leave it unchanged.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402

from data.experiment_store import latest_definitions  # noqa: E402
from data.store import StoreSettings, connect  # noqa: E402
from experiments.sql import analysis_query, cumulative_query  # noqa: E402


def cpu_ms(operation: Callable[[], object], repeats: int, each: int) -> float:
    """Median over `repeats` rounds of the CPU milliseconds one call of `operation` takes."""
    rounds = []
    for _ in range(repeats):
        started = time.process_time()
        for _ in range(each):
            operation()
        rounds.append((time.process_time() - started) / each * 1000)
    return statistics.median(rounds)


def _open_and_close(settings: StoreSettings, read_only: bool) -> None:
    with connect(settings, read_only=read_only):
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="a demo store (left unchanged)")
    parser.add_argument("--repeats", type=int, default=5, help="rounds (default 5)")
    parser.add_argument("--each", type=int, default=20, help="operations a round (default 20)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "store.duckdb"
        shutil.copyfile(args.db, path)
        settings = StoreSettings(path)
        with connect(settings, read_only=True) as con:
            specs = [definition.spec for definition in latest_definitions(con)]

        print("| experiment | analysis: build ms | build + SQL ms | 14 looks: build + SQL ms |")
        print("|---|---|---|---|")
        for spec in specs:
            until = min(spec.end, spec.start + dt.timedelta(days=14))
            looks = tuple(spec.start + dt.timedelta(days=day) for day in range(1, 15))

            def build(spec=spec, until=until) -> object:
                return analysis_query(spec, until)

            def render(spec=spec, until=until) -> object:
                return analysis_query(spec, until).sql(dialect="duckdb")

            def render_looks(spec=spec, looks=looks) -> object:
                return cumulative_query(spec, looks).sql(dialect="duckdb")

            print(
                f"| {spec.id} | {cpu_ms(build, args.repeats, args.each):.1f} "
                f"| {cpu_ms(render, args.repeats, args.each):.1f} "
                f"| {cpu_ms(render_looks, args.repeats, args.each):.1f} |"
            )

        print("\n| connection to the store | CPU ms |")
        print("|---|---|")
        rows = (
            (
                "`duckdb.connect` + `close` (baseline)",
                lambda: duckdb.connect(str(path)).close(),
            ),
            ("`connect(read_only=True)`", lambda: _open_and_close(settings, True)),
            ("`connect()` (writable)", lambda: _open_and_close(settings, False)),
        )
        for label, operation in rows:
            print(f"| {label} | {cpu_ms(operation, args.repeats, args.each):.1f} |")


if __name__ == "__main__":
    main()

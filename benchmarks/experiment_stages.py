"""Benchmark: where the experiment statement's time goes as the store grows, stage by stage.

`benchmarks/experiments.py` times whole routes; this times prefixes of the production statement
(`experiments.sql.analysis_query` on `benchmarks/experiment_bench.toml`), each in a fresh Python
process with the same DuckDB memory limit and threads, and reports the CPU time (user + system,
all threads), wall time, peak RSS and the peak size of DuckDB's temporary directory (what spilled
to disk, polled every 0.1 s):

- units: the assignments grouped per unit (the `units` step alone);
- join: the events joined once to the units (every `event_rows` row read, nothing grouped);
- statement: the whole statement (the per-unit sums, the sums per arm, the exposure).

The stages are cut from the production statement with SQLGlot (its CTEs, another final SELECT),
so they measure the production SQL, not a copy of it.

    python -m benchmarks.experiment_stages --db /work/bench/exp-1m.duckdb \
        --db /work/bench/exp-10m.duckdb
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import duckdb
from sqlglot import exp

from benchmarks.experiment_data import SPEC_PATH
from experiments.spec import load_spec
from experiments.sql import analysis_query

STAGES = ("units", "join", "statement")


def stage_sql(stage: str) -> str:
    """The DuckDB SQL of one stage, cut from the production statement."""
    spec = load_spec(SPEC_PATH)
    query = analysis_query(spec, spec.end)
    if stage == "statement":
        return query.sql(dialect="duckdb")
    ctes = query.args["with_"]
    if stage == "units":
        final = exp.select("count(*)", "sum(arm)", "max(assigned_at)").from_("units")
    else:
        final = exp.select("count(*)", "sum(value)", "sum(cell)").from_("event_rows")
    final.set("with_", ctes.copy())
    return final.sql(dialect="duckdb")


def _directory_size(path: str) -> int:
    try:
        return sum(entry.stat().st_size for entry in os.scandir(path) if entry.is_file())
    except FileNotFoundError:
        return 0


def measure_one(stage: str, db: Path, memory_limit: str, threads: int) -> None:
    """Run one stage in this process; print CPU s, wall s, peak RSS MB and peak spill MB."""
    sql = stage_sql(stage)
    spill = tempfile.mkdtemp(prefix="yardstick-spill-")
    config: dict[str, str | int] = {"memory_limit": memory_limit, "threads": threads}
    con = duckdb.connect(str(db), read_only=True, config=config)
    con.execute(f"SET temp_directory = '{spill}'")
    peak = [0]
    done = threading.Event()

    def poll() -> None:
        while not done.wait(0.1):
            peak[0] = max(peak[0], _directory_size(spill))

    poller = threading.Thread(target=poll)
    poller.start()
    started, cpu_started = time.perf_counter(), time.process_time()
    rows = con.execute(sql).fetchall()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    done.set()
    poller.join()
    con.close()
    shutil.rmtree(spill, ignore_errors=True)
    print(json.dumps({
        "cpu_s": cpu, "seconds": seconds, "rows": len(rows),
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "spill_mb": peak[0] / 2**20,
    }))  # fmt: skip


def measure_once(stage: str, db: Path, memory_limit: str, threads: int) -> dict[str, float]:
    """One run of `stage` in a fresh Python process."""
    output = subprocess.run(
        [sys.executable, "-m", "benchmarks.experiment_stages", "--one", stage, "--db", str(db),
         "--memory-limit", memory_limit, "--threads", str(threads)],
        check=True, capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1],
    ).stdout  # fmt: skip
    return dict(json.loads(output.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, action="append", required=True, help="generated store")
    parser.add_argument("--memory-limit", default="1.5GB")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--stages", default=",".join(STAGES))
    parser.add_argument("--one", choices=STAGES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        measure_one(args.one, args.db[0], args.memory_limit, args.threads)
        return
    print(f"# DuckDB memory_limit {args.memory_limit}, threads {args.threads}, "
          f"load average before: {os.getloadavg()[0]:.1f}")  # fmt: skip
    print("| store | stage | CPU s | wall s | peak MB | spilled MB |")
    print("|---|---|---|---|---|---|")
    for stage in args.stages.split(","):
        for db in args.db:
            run = measure_once(stage, db, args.memory_limit, args.threads)
            print(
                f"| {db.name} | {stage} | {run['cpu_s']:.2f} | {run['seconds']:.2f} | "
                f"{run['peak_mb']:.0f} | {run['spill_mb']:.0f} |",
                flush=True,
            )
    print(f"<!-- load average after: {os.getloadavg()[0]:.1f} -->")


if __name__ == "__main__":
    main()

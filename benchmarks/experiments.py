"""Benchmark: the experiment analysis against one hand-written DuckDB query, on generated stores.

The data are those of `benchmarks/experiment_data.py` (N units, 10 events each on average, 40% in
the 14 days before assignment) and the spec `benchmarks/experiment_bench.toml` (CTR as a ratio,
revenue per unit as a mean with CUPED, conversion as a proportion with CUPED). Each route runs in
its own Python process with the same DuckDB memory limit and threads, so wall time and the
process's peak memory (max RSS) compare fairly; each run also reports its CPU time (user +
system, all threads), less sensitive than wall time to other jobs. The routes and the stores take
turns (round 1 on every store, then round 2), so load from elsewhere falls on all of them alike:

- engine: the production path the detail page takes, `services.experiments.reading_spec`: ONE
  statement (`experiments.sql.analysis_query`, statistics and exposure rows) and the statistics;
- hand: one DuckDB query, written by hand, returning the same sums per variant (and nothing else);
- one_pass: the production statement alone (`data.experiment_store.analysis_records`), without
  the statistics computed from its rows: the engine's time in the database.

    python -m benchmarks.experiments --db /work/bench/exp-1m.duckdb --db /work/bench/exp-3m.duckdb
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from benchmarks.experiment_data import SPEC_PATH
from data.experiment_store import analysis_records
from data.store import StoreSettings, connect
from experiments.analysis import ExperimentAnalysis
from experiments.cells import split_analysis_records
from experiments.spec import ExperimentSpec, load_spec
from services.experiments import reading_spec

# The baseline a DuckDB user would write by hand for the same three metrics.
HAND_WRITTEN = """
WITH units AS (
    SELECT unit_id, min(variant) AS variant, min(assigned_at) AS assigned_at
    FROM assignments
    WHERE experiment_id = $experiment AND assigned_at < $until
    GROUP BY unit_id
    HAVING count(DISTINCT variant) = 1
), sums AS (
    SELECT e.unit_id,
        sum(e.value) FILTER (e.event = 'click' AND e.ts >= u.assigned_at) AS clicks,
        sum(e.value) FILTER (e.event = 'impression' AND e.ts >= u.assigned_at) AS impressions,
        sum(e.value) FILTER (e.event = 'purchase' AND e.ts >= u.assigned_at) AS revenue,
        sum(e.value) FILTER (e.event = 'purchase' AND e.ts < u.assigned_at) AS pre_revenue,
        max(1) FILTER (e.event = 'purchase' AND e.ts >= u.assigned_at) AS converted,
        max(1) FILTER (e.event = 'purchase' AND e.ts < u.assigned_at) AS pre_converted
    FROM events e JOIN units u USING (unit_id)
    WHERE e.event IN ('click', 'impression', 'purchase') AND e.ts < $until
      AND e.ts >= u.assigned_at - INTERVAL 14 DAY
    GROUP BY e.unit_id
), per_unit AS (
    SELECT u.variant, coalesce(clicks, 0) AS clicks, coalesce(impressions, 0) AS impressions,
        coalesce(revenue, 0) AS revenue, coalesce(pre_revenue, 0) AS pre_revenue,
        coalesce(converted, 0) AS converted, coalesce(pre_converted, 0) AS pre_converted
    FROM units u LEFT JOIN sums s USING (unit_id)
)
SELECT variant, count(*) AS n,
    sum(clicks), sum(clicks * clicks), sum(impressions), sum(impressions * impressions),
    sum(clicks * impressions),
    sum(revenue), sum(revenue * revenue), sum(pre_revenue), sum(pre_revenue * pre_revenue),
    sum(revenue * pre_revenue),
    sum(converted), sum(pre_converted), sum(converted * pre_converted)
FROM per_unit GROUP BY variant ORDER BY variant
"""


def _settings(db: Path, memory_limit: str, threads: int) -> StoreSettings:
    return StoreSettings(db, memory_limit=memory_limit, threads=threads)


def run_engine(settings: StoreSettings, spec: ExperimentSpec) -> list[float]:
    """The production route; the checks are units per arm and the treatment's three means."""
    reading = reading_spec(settings, spec, spec.end)
    analysis, exposure = reading.analysis, reading.exposure
    if not isinstance(analysis, ExperimentAnalysis):
        raise SystemExit(f"the benchmark store cannot be analysed: {analysis}")
    treated = [c.variant_mean for c in analysis.comparisons]
    return [float(exposure.units(v)) for v in sorted(spec.variant_names)] + treated


def run_hand(settings: StoreSettings, spec: ExperimentSpec) -> list[float]:
    with connect(settings, read_only=True) as con:
        rows = con.execute(HAND_WRITTEN, {"experiment": spec.id, "until": spec.end}).fetchall()
    treated = rows[-1]
    return [float(row[1]) for row in rows] + [
        treated[2] / treated[4],
        treated[7] / treated[1],
        treated[12] / treated[1],
    ]


def run_one_pass(settings: StoreSettings, spec: ExperimentSpec) -> list[float]:
    with connect(settings, read_only=True) as con:
        statistics, _ = split_analysis_records(analysis_records(con, spec, spec.end))
    whole_arms = [r for r in statistics if all(r[k] == 1 for k in r if k.startswith("grouping_"))]
    arms = {r["variant"]: r for r in whole_arms}
    treated = arms[spec.treatments[0]]
    return [float(arms[v]["n"]) for v in sorted(spec.variant_names)] + [
        treated["m0_num_sum"] / treated["m0_den_sum"],
        treated["m1_sum"] / treated["n"],
        treated["m2_sum"] / treated["n"],
    ]


ROUTES = {"engine": run_engine, "hand": run_hand, "one_pass": run_one_pass}


def measure_one(route: str, db: Path, memory_limit: str, threads: int) -> None:
    """Run one route in this process and print its time, peak memory and checksums as JSON."""
    spec = load_spec(SPEC_PATH)
    settings = _settings(db, memory_limit, threads)
    started, cpu_started = time.perf_counter(), time.process_time()
    checks = ROUTES[route](settings, spec)
    seconds = time.perf_counter() - started
    # CPU time (user + system, every thread of this process) of the route alone: less sensitive
    # than wall time to other jobs on a shared machine, though not immune (caches, memory bus).
    cpu_s = time.process_time() - cpu_started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "cpu_s": cpu_s, "peak_mb": peak_mb, "checks": checks}))


def measure_once(route: str, db: Path, memory_limit: str, threads: int) -> dict[str, object]:
    """One run of `route` in a fresh Python process."""
    output = subprocess.run(
        [sys.executable, "-m", "benchmarks.experiments", "--one", route, "--db", str(db),
         "--memory-limit", memory_limit, "--threads", str(threads)],
        check=True, capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1],
    ).stdout  # fmt: skip
    return json.loads(output.strip().splitlines()[-1])


def measure(
    routes: list[str], dbs: list[Path], memory_limit: str, threads: int, repeats: int
) -> dict[Path, dict[str, dict[str, object]]]:
    """Median wall and CPU time and largest peak memory per store and route.

    The rounds are interleaved over stores AND routes (round 1: every route on every store, then
    round 2, ...), so a burst of load from elsewhere falls on every size alike and the growth
    from one size to the next is not an artefact of when each size ran.
    """
    runs: dict[Path, dict[str, list[dict[str, object]]]] = {
        db: {route: [] for route in routes} for db in dbs
    }
    for round_number in range(1, repeats + 1):
        for db in dbs:
            for route in routes:
                run = measure_once(route, db, memory_limit, threads)
                runs[db][route].append(run)
                # Each run as it ends, so a long benchmark cut short still leaves its numbers.
                print(
                    f"<!-- {db.name} {route} round {round_number}: {run['seconds']:.2f} s, "
                    f"CPU {run['cpu_s']:.2f} s, {run['peak_mb']:.0f} MB -->",
                    flush=True,
                )
        print(f"<!-- round {round_number} done, load average {os.getloadavg()[0]:.1f} -->",
              flush=True)  # fmt: skip
    return {db: {route: _summary(mine) for route, mine in by_route.items()}
            for db, by_route in runs.items()}  # fmt: skip


def _summary(mine: list[dict[str, object]]) -> dict[str, object]:
    """Medians, the rounds themselves and the largest peak memory of one route's runs."""
    seconds = [float(run["seconds"]) for run in mine]  # type: ignore[arg-type]  # JSON from the child
    cpu = [float(run["cpu_s"]) for run in mine]  # type: ignore[arg-type]  # JSON from the child
    return {
        "seconds": statistics.median(seconds),
        "runs": [round(value, 2) for value in seconds],
        "cpu_s": statistics.median(cpu),
        "cpu_runs": [round(value, 2) for value in cpu],
        "peak_mb": max(float(run["peak_mb"]) for run in mine),  # type: ignore[arg-type]  # JSON
        "checks": mine[0]["checks"],
    }


def store_size(db: Path) -> tuple[int, int]:
    """(units, events) of a generated store."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        units = con.execute("SELECT count(DISTINCT unit_id) FROM assignments").fetchone()
        events = con.execute("SELECT count(*) FROM events").fetchone()
    finally:
        con.close()
    return int(units[0]) if units else 0, int(events[0]) if events else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, action="append", required=True, help="generated store")
    parser.add_argument("--memory-limit", default="1.5GB", help="DuckDB memory limit, all routes")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--routes", default="hand,engine,one_pass")
    parser.add_argument("--one", choices=list(ROUTES), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        measure_one(args.one, args.db[0], args.memory_limit, args.threads)
        return
    routes = args.routes.split(",")
    print(f"# DuckDB memory_limit {args.memory_limit}, threads {args.threads}, "
          f"load average before: {os.getloadavg()[0]:.1f}")  # fmt: skip
    results = measure(routes, args.db, args.memory_limit, args.threads, args.repeats)
    print("| units | events | route | median s | runs s | median CPU s | CPU runs s | peak MB "
          "| vs hand (wall) | vs hand (CPU) |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|")
    for db, by_route in results.items():
        units, events = store_size(db)
        hand = by_route.get("hand")
        for route, result in by_route.items():
            wall = float(result["seconds"])  # type: ignore[arg-type]  # our summary
            cpu = float(result["cpu_s"])  # type: ignore[arg-type]  # our summary
            wall_ratio = f"{wall / float(hand['seconds']):.2f}x" if hand else "-"  # type: ignore[arg-type]  # our summary
            cpu_ratio = f"{cpu / float(hand['cpu_s']):.2f}x" if hand else "-"  # type: ignore[arg-type]  # our summary
            print(
                f"| {units:,} | {events:,} | {route} | {wall:.2f} | {result['runs']} | "
                f"{cpu:.2f} | {result['cpu_runs']} | {result['peak_mb']:.0f} | "
                f"{wall_ratio} | {cpu_ratio} |",
                flush=True,
            )
    for db, by_route in results.items():
        for route, result in by_route.items():
            print(f"<!-- {db.name} {route} checks: {result['checks']} -->", flush=True)
    print(f"<!-- load average after: {os.getloadavg()[0]:.1f} -->", flush=True)


if __name__ == "__main__":
    main()

"""Benchmark: `experiment analyze` of three metrics against one hand-written DuckDB query.

The metrics are those of the demo's challenger test: CTR (ratio), revenue per unit (mean, with
CUPED over 14 days) and conversion (proportion). Each route runs in its own Python process with
the same DuckDB memory limit, so wall time and the process's peak memory (max RSS) compare fairly:

- engine: `services.experiments.analyze_spec`, i.e. what `experiment analyze` runs (SQLGlot-built
  statistics query, exposure query, then the statistics);
- hand: one DuckDB query, written by hand, returning the same sums (and nothing else);
- pandas: what a notebook user would do: load the experiment's events into pandas, then group by
  unit and variant (for reference; run on the 10% sample, as the full store does not fit 2 GB).

Linearity is read from the same runs on a 10% unit sample of the store. Usage:

    python -m benchmarks.experiments --db /work/bench/large.duckdb \
        --sample-db /work/bench/sample10.duckdb
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from core.clock import system_clock
from data.store import StoreSettings, connect
from experiments.analysis import analysis_to_json, window_end
from experiments.spec import ExperimentSpec, parse_spec
from services.experiments import analyze_spec, definition

EXPERIMENT = "rec-v3-vs-v2"

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
        max(1) FILTER (e.event = 'purchase' AND e.ts >= u.assigned_at) AS converted
    FROM events e JOIN units u USING (unit_id)
    WHERE e.event IN ('click', 'impression', 'purchase') AND e.ts < $until
      AND e.ts >= u.assigned_at - INTERVAL 14 DAY
    GROUP BY e.unit_id
), per_unit AS (
    SELECT u.variant, coalesce(clicks, 0) AS clicks, coalesce(impressions, 0) AS impressions,
        coalesce(revenue, 0) AS revenue, coalesce(pre_revenue, 0) AS pre_revenue,
        coalesce(converted, 0) AS converted
    FROM units u LEFT JOIN sums s USING (unit_id)
)
SELECT variant, count(*) AS n,
    sum(clicks), sum(clicks * clicks), sum(impressions), sum(impressions * impressions),
    sum(clicks * impressions),
    sum(revenue), sum(revenue * revenue), sum(pre_revenue), sum(pre_revenue * pre_revenue),
    sum(revenue * pre_revenue),
    sum(converted)
FROM per_unit GROUP BY variant ORDER BY variant
"""

PANDAS_EVENTS = """
SELECT e.unit_id, e.event, e.value, e.ts FROM events e
WHERE e.event IN ('click', 'impression', 'purchase')
  AND e.unit_id IN (SELECT unit_id FROM assignments WHERE experiment_id = $experiment)
"""
PANDAS_ASSIGNMENTS = (
    "SELECT unit_id, variant, assigned_at FROM assignments WHERE experiment_id = $experiment"
)


def benchmark_spec(settings: StoreSettings) -> ExperimentSpec:
    """The three-metric spec over the stored experiment's window."""
    stored = definition(settings, EXPERIMENT).spec
    return parse_spec(
        {
            "id": EXPERIMENT,
            "control": stored.control,
            "variants": dict(stored.variants),
            "start": stored.start,
            "end": stored.end,
            "cuped_days": 14,
            "metrics": [
                {"name": "ctr", "kind": "ratio", "numerator": "click",
                 "denominator": "impression", "role": "primary"},
                {"name": "revenue", "kind": "mean", "event": "purchase"},
                {"name": "converted", "kind": "proportion", "event": "purchase"},
            ],
        }
    )  # fmt: skip


def run_engine(settings: StoreSettings) -> list[float]:
    spec = benchmark_spec(settings)
    document = analysis_to_json(analyze_spec(settings, spec, spec.end))
    return [document["units"][variant] for variant in sorted(document["units"])] + [
        row["variant_mean"] for row in document["results"]
    ]


def run_hand(settings: StoreSettings) -> list[float]:
    spec = benchmark_spec(settings)
    with connect(settings, read_only=True) as con:
        rows = con.execute(
            HAND_WRITTEN,
            {"experiment": EXPERIMENT, "until": window_end(spec, spec.end, system_clock)},
        ).fetchall()
    return [row[1] for row in rows] + [
        rows[1][2] / rows[1][4],
        rows[1][7] / rows[1][1],
        rows[1][12] / rows[1][1],
    ]


def run_pandas(settings: StoreSettings) -> list[float]:
    spec = benchmark_spec(settings)
    until = window_end(spec, spec.end, system_clock)
    with connect(settings, read_only=True) as con:
        events = con.execute(PANDAS_EVENTS, {"experiment": EXPERIMENT}).df()
        assignments = con.execute(PANDAS_ASSIGNMENTS, {"experiment": EXPERIMENT}).df()
    assignments = assignments[assignments["assigned_at"] < until]
    variants = assignments.groupby("unit_id")["variant"].nunique()
    clean = assignments[assignments["unit_id"].isin(variants[variants == 1].index)]
    units = clean.groupby("unit_id").agg(variant=("variant", "min"), at=("assigned_at", "min"))
    joined = events.merge(units, left_on="unit_id", right_index=True)
    window = joined[(joined["ts"] >= joined["at"]) & (joined["ts"] < until)]
    per_unit = window.pivot_table(
        index="unit_id", columns="event", values="value", aggfunc="sum", fill_value=0
    ).reindex(units.index, fill_value=0)
    per_unit["variant"] = units["variant"]
    treated = per_unit[per_unit["variant"] == spec.treatments[0]]
    return [int((units["variant"] == v).sum()) for v in sorted(spec.variant_names)] + [
        treated["click"].sum() / treated["impression"].sum(),
        treated["purchase"].mean(),
        (treated["purchase"] > 0).mean(),
    ]


ROUTES = {"engine": run_engine, "hand": run_hand, "pandas": run_pandas}


def measure_one(route: str, db: Path, memory_limit: str) -> None:
    """Run one route in this process and print its time, peak memory and checksums as JSON."""
    settings = StoreSettings(db, memory_limit=memory_limit)
    started = time.perf_counter()
    checks = ROUTES[route](settings)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps({"seconds": seconds, "peak_mb": peak_mb, "checks": [float(c) for c in checks]})
    )


def measure_once(route: str, db: Path, memory_limit: str) -> dict[str, object]:
    """One run of `route` in a fresh Python process."""
    output = subprocess.run(
        [sys.executable, "-m", "benchmarks.experiments", "--one", route, "--db", str(db),
         "--memory-limit", memory_limit],
        check=True, capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1],
    ).stdout  # fmt: skip
    return json.loads(output.strip().splitlines()[-1])


def measure(routes: list[str], db: Path, memory_limit: str, repeats: int) -> dict[str, dict]:
    """Median time and largest peak memory per route; the routes take turns, so load from
    anything else on the machine falls on all of them alike."""
    runs: dict[str, list[dict]] = {route: [] for route in routes}
    for _ in range(repeats):
        for route in routes:
            runs[route].append(measure_once(route, db, memory_limit))
    return {
        route: {
            "seconds": statistics.median(run["seconds"] for run in mine),
            "peak_mb": max(run["peak_mb"] for run in mine),
            "checks": mine[0]["checks"],
        }
        for route, mine in runs.items()
    }


def make_sample(source: Path, target: Path, share_in_ten: int = 1) -> None:
    """A store with the units whose hash falls in `share_in_ten` tenths, and all their events."""
    target.unlink(missing_ok=True)
    with connect(StoreSettings(target)) as con:
        con.execute(f"ATTACH '{source}' AS source (READ_ONLY)")
        keep = f"hash(unit_id) % 10 < {int(share_in_ten)}"
        con.execute(f"INSERT INTO assignments SELECT * FROM source.assignments WHERE {keep}")
        con.execute(f"INSERT INTO events SELECT * FROM source.events WHERE {keep}")
        con.execute(
            "INSERT INTO experiment_definitions SELECT * FROM source.experiment_definitions"
        )
        con.execute("INSERT INTO offline_metrics SELECT * FROM source.offline_metrics")
        con.execute("INSERT INTO models SELECT * FROM source.models")
        con.execute("DETACH source")
        con.execute("CHECKPOINT")


def event_count(db: Path) -> int:
    with connect(StoreSettings(db), read_only=True) as con:
        return int(con.execute("SELECT count(*) FROM events").fetchone()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, required=True, help="the large demo store")
    parser.add_argument("--sample-db", type=Path, help="10%% sample store (built if missing)")
    parser.add_argument("--memory-limit", default="1GB", help="DuckDB memory limit for all routes")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--one", choices=list(ROUTES), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        measure_one(args.one, args.db, args.memory_limit)
        return
    stores = [args.db]
    if args.sample_db:
        if not args.sample_db.exists():
            make_sample(args.db, args.sample_db)
        stores.insert(0, args.sample_db)
    print(f"# {system_clock():%Y-%m-%d %H:%M} UTC, DuckDB memory_limit {args.memory_limit}")
    print("| store | events | route | median s | peak MB | vs hand |")
    print("|---|---|---|---|---|---|")
    for db in stores:
        events = event_count(db)
        routes = ["hand", "engine"] + (["pandas"] if db == args.sample_db else [])
        results = measure(routes, db, args.memory_limit, args.repeats)
        for route, result in results.items():
            ratio = result["seconds"] / results["hand"]["seconds"]
            print(f"| {db.name} | {events:,} | {route} | {result['seconds']:.2f} | "
                  f"{result['peak_mb']:.0f} | {ratio:.2f}x |")  # fmt: skip
        for route, result in results.items():
            print(f"<!-- {db.name} {route} checks: {result['checks']} -->")


if __name__ == "__main__":
    main()

"""Generate the experiment benchmark store: N units in one A/B test, about 10 events per unit.

The shape is the one issue 8 measured: 10 million units and 100 million events, 40% of them in
the 14 days before the unit's assignment (the CUPED pre-period), the rest in the 14 days after.
Everything is built inside DuckDB from `range()` and `hash()`, so the store is the same for the
same seed and size (and the same DuckDB version, whose `hash` it uses), and 100 million events
never pass through Python. The schema is the real one (`data.store.connect` runs the migrations).

- assignments: one row per unit in `bench-three-metrics` (benchmarks/experiment_bench.toml),
  `control` or `treatment` 50/50, assigned uniformly over the first 14 days of the window, with
  attributes `device` (3 values) and `region` (30 values, so a segment breakdown has an `other`);
  one unit in every N/300 gets a second row in the other variant an hour later (the analysis
  leaves those out);
- events: 10 x N rows (`--events-per-unit`) whose unit is drawn by hash (so a unit's event count is
  Poisson(10), a few units have none, and the table is not clustered by unit, as interleaved traffic
  is not); impression (about 72%), click (about 24%, 2 points more in treatment) or purchase (2% to
  8% by unit, value lognormal around 20); 40% of them in the 14 days before the unit's assignment.

Usage (then define the experiment with `python cli.py experiment define --db STORE
--spec benchmarks/experiment_bench.toml` if the command line should analyse it):

    python -m benchmarks.experiment_data --db /work/bench/exp-1m.duckdb --units 1000000
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

from data.store import StoreSettings, connect, one_row
from experiments.spec import ExperimentSpec, load_spec, parse_spec, spec_to_dict

SPEC_PATH = Path(__file__).resolve().parent / "experiment_bench.toml"
DEFAULT_UNITS = 10_000_000
EVENTS_PER_UNIT = 10
PRE_PERIOD_SHARE = 0.4
ASSIGNMENT_DAYS = 14
DOUBLE_ASSIGNED_UNITS = 300
REGIONS = 30

# Every draw has its own salt; a draw is DuckDB's hash of ONE integer, (key * 64 + salt) * a prime
# + seed, hashed twice. Salt and seed go into the hashed value, not as further arguments:
# hash(a, b, c) combines the arguments' hashes by a cheap mix, and draws differing only in such an
# argument came out related (two seeds gave the same arm split).
_SALTS = ("variant", "assigned", "propensity", "device", "region", "unit", "kind", "v1", "v2")
_SALTS += ("when", "pre")


def benchmark_specs() -> list[ExperimentSpec]:
    """The benchmark spec as is, with two segment columns, and with a capped, segmented mean."""
    spec = load_spec(SPEC_PATH)
    raw = spec_to_dict(spec)
    metrics = list(raw["metrics"])  # type: ignore[call-overload]  # spec_to_dict: a list of dicts
    metrics[1] = {**metrics[1], "cap_percentile": 0.99}
    capped = parse_spec(
        {**raw, "id": spec.id, "segments": ["device", "region"], "metrics": metrics}
    )
    return [spec, replace(spec, segments=("device", "region")), capped]


def _hashed(key: str, salt: str) -> str:
    return f"hash(hash(({key} * 64 + {_SALTS.index(salt)}) * 1000003 + $seed))"


def _uniform(key: str, salt: str) -> str:
    """A deterministic draw in [0, 1) from 53 bits of the hash."""
    return f"(({_hashed(key, salt)} >> 11)::DOUBLE / 9007199254740992.0)"


def unit_columns(key: str = "i") -> dict[str, str]:
    """SQL for each per-unit property as a pure function of the unit's index `key`.

    Events recompute these from their unit's index instead of joining a units table, so the
    generator streams: no join, no sort, nothing held per unit.
    """
    return {
        "unit_id": f"'u' || {key}::VARCHAR",
        "variant": f"CASE WHEN {_uniform(key, 'variant')} < 0.5 THEN 'control' "
        "ELSE 'treatment' END",
        "assigned_at": f"$start + to_microseconds(({_uniform(key, 'assigned')} "
        f"* {ASSIGNMENT_DAYS} * 86400e6)::BIGINT)",
        "purchase_rate": f"0.02 + 0.06 * {_uniform(key, 'propensity')}",
    }


def assignments_sql() -> str:
    """INSERT of one assignment per unit, plus a second, other-variant one for a few units."""
    unit = unit_columns()
    attributes = (
        "json_object('device', ['mobile', 'desktop', 'tablet']"
        f"[1 + floor({_uniform('i', 'device')} * 3)::INTEGER], "
        f"'region', 'r' || lpad(floor(pow({_uniform('i', 'region')}, 2) * {REGIONS})"
        "::INTEGER::VARCHAR, 2, '0'))"
    )
    return f"""
        INSERT INTO assignments (experiment_id, unit_id, variant, assigned_at, attributes)
        WITH units AS (
            SELECT i, {unit["unit_id"]} AS unit_id, {unit["variant"]} AS variant,
                {unit["assigned_at"]} AS assigned_at, {attributes} AS attributes
            FROM range($units) r(i)
        )
        SELECT $experiment, unit_id, variant, assigned_at, attributes FROM units
        UNION ALL
        SELECT $experiment, unit_id,
            CASE variant WHEN 'control' THEN 'treatment' ELSE 'control' END,
            assigned_at + INTERVAL 1 HOUR, attributes
        FROM units WHERE i % $double_step = 0
    """


def events_sql() -> str:
    """INSERT of EVENTS_PER_UNIT x units events, each drawn for a unit chosen by hash."""
    unit = unit_columns("i")
    kind = _uniform("j", "kind")
    treated_click = f"CASE WHEN {unit['variant']} = 'treatment' THEN 0.26 ELSE 0.24 END"
    # Box-Muller from two uniforms: a standard normal for a lognormal purchase value.
    normal = f"sqrt(-2 * ln(1 - {_uniform('j', 'v1')})) * cos(2 * pi() * {_uniform('j', 'v2')})"
    offset = f"to_microseconds(({_uniform('j', 'when')} * {ASSIGNMENT_DAYS} * 86400e6)::BIGINT)"
    return f"""
        INSERT INTO events (unit_id, event, value, ts)
        WITH drawn AS (
            SELECT j, ({_hashed("j", "unit")} % $units)::BIGINT AS i FROM range($events) r(j)
        ), described AS (
            SELECT j, i, {unit["unit_id"]} AS unit_id, {unit["assigned_at"]} AS assigned_at,
                CASE
                    WHEN {kind} < {unit["purchase_rate"]} THEN 'purchase'
                    WHEN {kind} < {unit["purchase_rate"]} + {treated_click} THEN 'click'
                    ELSE 'impression'
                END AS event,
                {_uniform("j", "pre")} < {PRE_PERIOD_SHARE} AS before_assignment
            FROM drawn
        )
        SELECT unit_id, event,
            CASE WHEN event = 'purchase' THEN round(exp(3 + 0.8 * {normal}), 2) ELSE 1 END,
            CASE WHEN before_assignment THEN assigned_at - {offset} ELSE assigned_at + {offset} END
        FROM described
    """


def generate(
    path: Path,
    units: int,
    seed: int,
    memory_limit: str,
    threads: int,
    events_per_unit: int = EVENTS_PER_UNIT,
) -> dict[str, int]:
    """Write a fresh store at `path` with `units` units and `events_per_unit` x units events;
    returns the row counts written. Event j is the same row whatever the count, so a store with
    fewer events per unit holds a prefix of the events of one with more (same units, same seed):
    the stores differ in the events only, which is what "linear in events" varies."""
    spec: ExperimentSpec = load_spec(SPEC_PATH)
    path.unlink(missing_ok=True)
    parameters = {
        "seed": seed,
        "units": units,
        "start": spec.start,
        "experiment": spec.id,
        "double_step": max(units // DOUBLE_ASSIGNED_UNITS, 1),
    }
    settings = StoreSettings(path, memory_limit=memory_limit, threads=threads)
    with connect(settings) as con:
        con.execute(assignments_sql(), parameters)
        events = {**parameters, "events": units * events_per_unit}
        del events["experiment"], events["double_step"]
        con.execute(events_sql(), events)
        con.execute("CHECKPOINT")
        counts = {
            table: int(one_row(con.execute(f"SELECT count(*) FROM {table}").fetchone())[0])
            for table in ("assignments", "events")
        }
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True, help="store file to (re)create")
    parser.add_argument("--units", type=int, default=DEFAULT_UNITS)
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--memory-limit", default="4GB")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--events-per-unit",
        type=int,
        default=EVENTS_PER_UNIT,
        help=f"events per unit on average (default {EVENTS_PER_UNIT}, the issue's shape)",
    )
    args = parser.parse_args()
    started = time.perf_counter()
    counts = generate(
        args.db, args.units, args.seed, args.memory_limit, args.threads, args.events_per_unit
    )
    print(
        f"{args.db}: {counts['assignments']:,} assignments, {counts['events']:,} events "
        f"({args.units:,} units, seed {args.seed}) in {time.perf_counter() - started:.1f} s"
    )


if __name__ == "__main__":
    main()

"""Check the one-pass candidates against today's builders, every column to 1e-9 relative.

For each store and spec it runs `experiments.sql.statistics_query` and `exposure_query` (today)
and `benchmarks.one_pass.one_pass_query` (the candidate) on the same read-only connection, splits
the candidate's rows into statistics and exposure rows (see benchmarks/one_pass.py) and compares:
the same keys (variant, segment values, grouping flags; variant and day), the same counts, every
sum equal within 1e-9 relative (sums of doubles differ in their last bits with the order of
addition). `cumulative_query` and `one_pass_cumulative_query` are compared the same way at the
chart's looks. Specs: every definition stored in the store (the demo's three: four metrics, two
segment columns, a capped metric) and, on a generated store, the benchmark's three-metric spec
plus the same with segments and with a cap, each at the window's end and at its middle.

    python -m benchmarks.compare_one_pass /work/bench/demo-small.duckdb /work/bench/exp-1m.duckdb
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
from dataclasses import replace
from pathlib import Path

import duckdb

from benchmarks.experiment_data import SPEC_PATH
from benchmarks.one_pass import one_pass_cumulative_query, one_pass_query
from experiments.analysis import look_times
from experiments.spec import ExperimentSpec, load_spec, parse_spec, spec_to_dict
from experiments.sql import cumulative_query, exposure_query, statistics_query

RELATIVE_TOLERANCE = 1e-9
Row = dict[str, object]


def stored_specs(con: duckdb.DuckDBPyConnection) -> list[ExperimentSpec]:
    """The latest stored version of every experiment definition in the store."""
    rows = con.execute(
        "SELECT experiment_id, spec::VARCHAR FROM experiment_definitions"
        " QUALIFY version = max(version) OVER (PARTITION BY experiment_id) ORDER BY 1"
    ).fetchall()
    import json

    return [parse_spec(json.loads(payload), origin=name) for name, payload in rows]


def benchmark_specs() -> list[ExperimentSpec]:
    """The benchmark spec as is, with two segment columns, and with a capped, segmented mean."""
    spec = load_spec(SPEC_PATH)
    raw = spec_to_dict(spec)
    metrics = list(raw["metrics"])  # type: ignore[call-overload]
    metrics[1] = {**metrics[1], "cap_percentile": 0.99}
    capped = parse_spec(
        {**raw, "id": spec.id, "segments": ["device", "region"], "metrics": metrics}
    )
    return [spec, replace(spec, segments=("device", "region")), capped]


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[Row]:
    cursor = con.execute(sql)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _close(a: object, b: object) -> bool:
    if a is None or b is None:
        return a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(float(a), float(b), rel_tol=RELATIVE_TOLERANCE, abs_tol=1e-12)
    return a == b


def compare(con: duckdb.DuckDBPyConnection, spec: ExperimentSpec, until: dt.datetime) -> list[str]:
    """Differences between today's two queries and the candidate; empty when they agree."""
    statistics = _rows(con, statistics_query(spec, until).sql(dialect="duckdb"))
    exposure = _rows(con, exposure_query(spec, until).sql(dialect="duckdb"))
    candidate = _rows(con, one_pass_query(spec, until))
    keys = [k for k in statistics[0] if k == "variant" or k.startswith(("segment_", "grouping_"))]
    problems = []
    new_statistics = {
        tuple(r[k] for k in keys): r for r in candidate if r["day"] is None and r["variant"]
    }
    old_statistics = {tuple(r[k] for k in keys): r for r in statistics}
    if set(new_statistics) != set(old_statistics):
        problems.append(f"statistics keys differ: {set(new_statistics) ^ set(old_statistics)}")
    for key, old in old_statistics.items():
        new = new_statistics.get(key, {})
        for column, value in old.items():
            if not _close(value, new.get(column)):
                problems.append(f"{key} {column}: today {value!r}, candidate {new.get(column)!r}")
    new_exposure = sorted(
        (str(r["variant"]), str(r["day"]), r["units"])
        for r in candidate
        if r["day"] or not r["variant"]
    )
    old_exposure = sorted((str(r["variant"]), str(r["day"]), r["units"]) for r in exposure)
    if new_exposure != old_exposure:
        problems.append(f"exposure differs: {set(new_exposure) ^ set(old_exposure)}")
    return problems


def compare_cumulative(
    con: duckdb.DuckDBPyConnection, spec: ExperimentSpec, until: dt.datetime
) -> list[str]:
    """Differences between today's cumulative query and the candidate at the chart's looks.

    The detail page reads the primary metric only, without segments; both queries get all of
    the spec's metrics here, to check every metric kind.
    """
    flat = replace(spec, segments=())
    looks = tuple(look_times(flat, until))
    old = _rows(con, cumulative_query(flat, looks).sql(dialect="duckdb"))
    new = _rows(con, one_pass_cumulative_query(flat, looks))
    if len(old) != len(new):
        return [f"cumulative rows: today {len(old)}, candidate {len(new)}"]
    return [
        f"look {o['look']} {o['variant']} {column}: today {o[column]!r}, "
        f"candidate {n.get(column)!r}"
        for o, n in zip(old, new, strict=True)
        for column in o
        if not _close(o[column], n.get(column))
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("stores", type=Path, nargs="+")
    args = parser.parse_args()
    failures = 0
    for store in args.stores:
        con = duckdb.connect(str(store), read_only=True, config={"memory_limit": "4GB"})
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET enable_progress_bar = false")
        has_bench = con.execute(
            "SELECT count(*) > 0 FROM assignments WHERE experiment_id = ?",
            [load_spec(SPEC_PATH).id],
        ).fetchone()
        specs = stored_specs(con) + (benchmark_specs() if has_bench and has_bench[0] else [])
        for spec in specs:
            for until in (spec.end, spec.start + (spec.end - spec.start) / 2):
                problems = compare(con, spec, until) + compare_cumulative(con, spec, until)
                label = (
                    f"{store.name} {spec.id} segments={len(spec.segments)} "
                    f"caps={sum(m.cap_percentile is not None for m in spec.metrics)} "
                    f"until={until:%Y-%m-%d %H:%M}"
                )
                print(f"{'OK  ' if not problems else 'DIFF'} {label}")
                for problem in problems[:10]:
                    print(f"     {problem}")
                failures += bool(problems)
        con.close()
    raise SystemExit(1 if failures else 0)


if __name__ == "__main__":
    main()

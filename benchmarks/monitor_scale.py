"""Benchmark: predictions at scale: bytes on disk, and `monitor check` against a hand query.

`build` writes N generated predictions with 10 input features into a store created by the real
migrations (data/migrations), with the feature columns added as the ingest adds them
(data/prediction_features.py), in timestamp order, as Parquet parts written by the ingest's own
writer (data/prediction_parts.py), then prints the store's size (file + parts folder) and the
bytes per prediction of each column (`parquet_metadata`). The rows are shaped like real
inputs, deterministic from a seed (a counter-based hash, as data/demo_predictions.py):

  score            a float32 probability (what ONNX, LightGBM or PyTorch serving return), kept as
                   DOUBLE: every float32 is exactly a double
  latency_ms       to 0.1 ms
  request_id       'r' || counter, as the demo's
  price_yen        whole yen, log-normal                 (numeric)
  basket_usd       to the cent                           (numeric)
  items            a count, 1 to ~30                      (numeric)
  session_s        whole seconds                          (numeric)
  since_visit_s    whole seconds, up to weeks             (numeric)
  discount         a ratio to 0.05                        (numeric)
  ctr_30d          a rate to 0.001                        (numeric)
  category         40 levels, skewed                      (categorical)
  device           12 levels                              (categorical)
  prefecture       47 levels                              (categorical)

Over `DAYS` days (a 7-day reference and 30 daily windows), the last 10 days drifted (prices up,
a category shift). `run` times the routes on an existing store, interleaved, in fresh processes
(peak RSS and CPU time per process): see docs/benchmarks.md, "Monitoring".

Run: python -m benchmarks.monitor_scale build --rows 100000000 --db /work/bench/mon-100m.duckdb
     python -m benchmarks.monitor_scale run --db /work/bench/mon-100m.duckdb [--repeats 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from core.clock import system_clock
from data.kinds import KINDS, ColumnSpec, ColumnType
from data.prediction_features import add_feature_columns
from data.prediction_parts import PendingParts, committed_parts, parts_folder, parts_root
from data.store import StoreSettings, connect, one_row, rollback_quietly

DAYS = 37
FIRST_DAY = dt.date(2026, 5, 1)
DRIFT_DAYS = 10
FAMILY = "recommender"
MODEL_ID = "recommender-v2"
NUMERIC = ("price_yen", "basket_usd", "items", "session_s", "since_visit_s", "discount", "ctr_30d")
CATEGORICAL = ("category", "device", "prefecture")
MEMORY_LIMIT = "1500MB"
MONITOR_ID = "scale"
WINDOWS = 30
# The hand query holds every numeric feature's reference values at once (one quantile_cont each):
# at 100 million rows that needs more than the store's default 1GB (1700MB on the native table;
# reading the Parquet parts it fails at 1700MB and peaks at 1.74 GB RSS with 2000MB).
HAND_MEMORY_LIMIT = "2000MB"

_MACROS = """
CREATE OR REPLACE TEMP MACRO pu(seed, k, salt) AS
    ((hash(seed, k, salt) % 1000000007)::DOUBLE + 0.5) / 1000000007;
CREATE OR REPLACE TEMP MACRO pz(seed, k, salt) AS
    sqrt(-2 * ln(pu(seed, k, salt + 1))) * cos(2 * pi() * pu(seed, k, salt + 2));
"""

# Row i of N falls at first + i * span / N plus a jitter inside its own slot: timestamps to the
# microsecond, in order, as a serving log is written.
_ROWS = """
WITH r AS (
    SELECT i,
        TIMESTAMP '$first' + to_microseconds(CAST(
            (i + pu($seed, i, 1)) * ($span_us / $rows) AS BIGINT)) AS ts
    FROM range($start, $stop) AS t(i)
), d AS (SELECT *, ts >= TIMESTAMP '$drift' AS drifted, pu($seed, i, 20) AS fb FROM r)
SELECT ts, '$model' AS model_id, 'r' || i AS request_id,
    CAST(1 / (1 + exp(-(-2.5 + 0.8 * pz($seed, i, 30)))) AS FLOAT) AS score,
    CASE WHEN fb < 0.008 THEN 'popular' WHEN fb < 0.0095 THEN 'random' ELSE 'model' END
        AS served_by,
    round(CASE WHEN fb < 0.0095 THEN 3 ELSE 42 END * exp(0.35 * pz($seed, i, 40)), 1)
        AS latency_ms,
    round(2800 * exp(0.6 * pz($seed, i, 50)) * (CASE WHEN drifted THEN 1.15 ELSE 1 END), 0)
        AS price_yen,
    round(35 * exp(0.7 * pz($seed, i, 60)), 2) AS basket_usd,
    1 + floor(-ln(pu($seed, i, 70)) * 3) AS items,
    round(exp(5.5 + 0.9 * pz($seed, i, 80)), 0) AS session_s,
    round(-ln(pu($seed, i, 90)) * 86400 * 3, 0) AS since_visit_s,
    CASE WHEN pu($seed, i, 100) < 0.7 THEN 0 ELSE 0.05 * floor(pu($seed, i, 110) * 10) END
        AS discount,
    round(0.02 + 0.01 * pz($seed, i, 120), 3) AS ctr_30d,
    'cat' || lpad(CAST(CASE WHEN drifted AND pu($seed, i, 130) < 0.3
        THEN 36 + floor(pu($seed, i, 140) * 5)
        ELSE 1 + floor(power(pu($seed, i, 140), 1.6) * 35) END AS INTEGER)::VARCHAR, 2, '0')
        AS category,
    'dev' || CAST(floor(power(pu($seed, i, 150), 2) * 12) AS INTEGER) AS device,
    'JP-' || lpad(CAST(1 + floor(power(pu($seed, i, 160), 1.3) * 47) AS INTEGER)::VARCHAR,
        2, '0') AS prefecture,
    $batch AS batch_id
FROM d
"""


# Bytes per column of the Parquet parts (compressed column chunks, summed over row groups).
_COLUMN_BYTES = """
SELECT path_in_schema, string_agg(DISTINCT encodings, '+'), sum(total_compressed_size)
FROM parquet_metadata($files) GROUP BY path_in_schema ORDER BY min(column_id)
"""


def _bind(sql: str, values: dict[str, object]) -> str:
    for name in sorted(values, key=len, reverse=True):
        sql = sql.replace(f"${name}", str(values[name]))
    return sql


def build(path: Path, rows: int, seed: int, chunk: int) -> None:
    """Write `rows` predictions into a new store at `path`, one load batch of `chunk` rows at a
    time, each written as a Parquet part by the ingest's own writer (data/prediction_parts.py)."""
    path.unlink(missing_ok=True)
    path.with_name(path.name + ".wal").unlink(missing_ok=True)
    shutil.rmtree(parts_root(path), ignore_errors=True)
    settings = StoreSettings(path=path, memory_limit=MEMORY_LIMIT)
    started = time.perf_counter()
    with connect(settings) as con:
        con.execute(
            "INSERT INTO models (model_id, family, version, deployed_at, stage) "
            f"VALUES ('{MODEL_ID}', '{FAMILY}', 'v2', TIMESTAMP '2026-01-01', 'production')"
        )
        features = tuple(ColumnSpec(n, ColumnType.FLOAT, required=False) for n in NUMERIC) + tuple(
            ColumnSpec(n, ColumnType.TEXT, required=False) for n in CATEGORICAL
        )
        spec = KINDS["predictions"]
        add_feature_columns(con, dataclasses.replace(spec, columns=spec.columns + features))
        con.execute(_MACROS)
        values: dict[str, object] = {
            "seed": seed,
            "rows": rows,
            "first": FIRST_DAY.isoformat(),
            "span_us": DAYS * 86_400_000_000,
            "drift": (FIRST_DAY + dt.timedelta(days=DAYS - DRIFT_DAYS)).isoformat(),
            "model": MODEL_ID,
        }
        for start in range(0, rows, chunk):
            stop = min(rows, start + chunk)
            _write_batch(con, path, _bind(_ROWS, {**values, "start": start, "stop": stop}))
        con.execute("CHECKPOINT")
        files = "[" + ", ".join(f"'{parts_folder(path) / n}'" for n in committed_parts(con)) + "]"
        per_column = con.execute(_bind(_COLUMN_BYTES, {"files": files})).fetchall()
    elapsed = time.perf_counter() - started
    store = path.stat().st_size
    parts = sum(p.stat().st_size for p in parts_folder(path).iterdir())
    size = store + parts
    print(
        f"rows {rows:,}  store {size / 1e6:.1f} MB (file {store / 1e6:.1f} MB + parts "
        f"{parts / 1e6:.1f} MB)  {size / rows:.2f} B/row  ({elapsed:.0f} s)"
    )
    print("| column | encodings | MB | bytes per prediction |")
    print("|---|---|---|---|")
    for name, encodings, used in per_column:
        print(f"| {name} | {encodings} | {used / 1e6:.1f} | {used / rows:.2f} |")


def _write_batch(con: duckdb.DuckDBPyConnection, path: Path, rows_sql: str) -> None:
    """One generated chunk as a load batch: its `load_batches` row and its part, one transaction.

    The generator's rows come in ts order (row i falls in the i-th time slot), so they are
    written in the order they come instead of sorted again (sorting 20 million rows would spill
    to disk for nothing).
    """
    parts = PendingParts(path, system_clock)
    con.execute("BEGIN TRANSACTION")
    try:
        batch_id = int(one_row(con.execute("SELECT nextval('load_batch_id')").fetchone())[0])
        added = parts.write(con, rows_sql.replace("$batch", str(batch_id)), batch_id, None)
        con.execute(
            "INSERT INTO load_batches (batch_id, kind, file_name, content_hash, rows, actor, "
            "loaded_at) VALUES (?, 'predictions', 'benchmark generator', NULL, ?, 'benchmark', ?)",
            [batch_id, added, system_clock()],
        )
        con.execute("COMMIT")
    except BaseException:
        rollback_quietly(con)
        parts.abandoned()
        raise
    parts.committed()


def _between(first: dt.date, last: dt.date) -> str:
    end = last + dt.timedelta(days=1)
    return f"(p.ts >= TIMESTAMP '{first}' AND p.ts < TIMESTAMP '{end}')"


def _bin(column: str, edges: str) -> str:
    inside = " + ".join(
        f"CASE WHEN {column} > {edges}[{k}] THEN 1 ELSE 0 END" for k in range(2, 11)
    )
    return (
        f"CASE WHEN {column} IS NULL THEN NULL WHEN {column} < {edges}[1] THEN 0 "
        f"WHEN {column} > {edges}[11] THEN 11 ELSE 1 + {inside} END"
    )


def hand_query(windows: int) -> str:
    """The hand-written query: the reference's deciles of every numeric feature (the score: rows
    served by the model only, as the check reads it) and, in the same statement, every feature's
    bin or category counts in the reference and in each of the last `windows` daily windows."""
    reference = (FIRST_DAY, FIRST_DAY + dt.timedelta(days=6))
    last = FIRST_DAY + dt.timedelta(days=DAYS - 1)
    first_window = last - dt.timedelta(days=windows - 1)
    numeric = [*NUMERIC, "score"] if windows == 1 else list(NUMERIC)
    deciles = "[" + ", ".join(f"{k / 10}" for k in range(1, 10)) + "]"

    def edges(c: str) -> str:
        only = " FILTER (WHERE p.served_by = 'model')" if c == "score" else ""
        return (
            f"[min({c}){only}] || quantile_cont({c}, {deciles}){only} || [max({c}){only}] AS e_{c}"
        )

    def value(c: str) -> str:
        return f"CASE WHEN p.served_by = 'model' THEN {c} END" if c == "score" else c

    buckets = [f"{_bin(value(c), f'e_{c}')} AS b_{c}" for c in numeric]
    buckets += [f"{c} AS b_{c}" for c in CATEGORICAL]
    names = [f"b_{c}" for c in (*numeric, *CATEGORICAL)]
    sets = ", ".join(f"(side, {n})" for n in names)
    return f"""
WITH family AS (SELECT model_id FROM models WHERE family = '{FAMILY}'),
edges AS (
    SELECT {", ".join(edges(c) for c in numeric)}
    FROM predictions p SEMI JOIN family f ON p.model_id = f.model_id
    WHERE {_between(*reference)}
), rows AS (
    SELECT CASE WHEN p.ts < TIMESTAMP '{reference[1] + dt.timedelta(days=1)}' THEN -1
                ELSE datediff('day', DATE '{first_window}', CAST(p.ts AS DATE)) END AS side,
        {", ".join(buckets)}
    FROM predictions p SEMI JOIN family f ON p.model_id = f.model_id, edges
    WHERE {_between(*reference)} OR {_between(first_window, last)}
)
SELECT grouping_id({", ".join(names)}) AS g, side, {", ".join(names)}, count(*) AS n
FROM rows GROUP BY GROUPING SETS ({sets})
"""


SPEC = f"""\
id = "{MONITOR_ID}"
family = "{FAMILY}"
reference = {{ start = {FIRST_DAY}, end = {FIRST_DAY + dt.timedelta(days=6)} }}
window_days = 1
owner = "benchmark"
rationale = "A week's reference, then daily windows"
"""
ROUTES = ("check", "hand-check", "heatmap", "hand-heatmap")


def route(name: str, path: Path) -> None:
    """Run one route once, in this process (the parent measures it)."""
    settings = StoreSettings(path=path)
    if name == "heatmap":
        from services.monitoring_views import drift_map

        cells = drift_map(settings, MONITOR_ID, windows=WINDOWS).cells
        print(len(cells), "cells")
    else:
        # Through the store's own connection: the same `predictions` (table and parts) as the check.
        hand = StoreSettings(path=path, memory_limit=HAND_MEMORY_LIMIT)
        with connect(hand, read_only=True) as con:
            rows = con.execute(hand_query(1 if name == "hand-check" else WINDOWS)).fetchall()
        print(len(rows), "rows")


def _define(path: Path) -> None:
    from monitoring.spec import parse_spec
    from services.monitoring import define_monitor

    define_monitor(StoreSettings(path=path), parse_spec(SPEC), "benchmark")


def _measure(command: list[str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system) and peak RSS (MB) of one child process."""
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) not in (0, 10, 20, 30):
        raise SystemExit(f"{command} failed")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def run(path: Path, repeats: int) -> None:
    """Every route `repeats` times, interleaved; medians per route."""
    _define(path)
    commands = {
        "check": [
            sys.executable,
            "cli.py",
            "monitor",
            "check",
            "--db",
            str(path),
            "--id",
            MONITOR_ID,
            "--json",
        ],
    }
    for name in ROUTES[1:]:
        commands[name] = [
            sys.executable,
            "-m",
            "benchmarks.monitor_scale",
            "route",
            name,
            "--db",
            str(path),
        ]
    results: dict[str, list[tuple[float, float, float]]] = {name: [] for name in ROUTES}
    load_before = os.getloadavg()[0]
    for _ in range(repeats):
        for name in ROUTES:
            results[name].append(_measure(commands[name]))
    load_after = os.getloadavg()[0]
    print(f"load average (1 min) before {load_before:.1f}, after {load_after:.1f}")
    print("| route | median s | CPU s (user+sys) | peak RSS MB | runs (s) |")
    print("|---|---|---|---|---|")
    for name in ROUTES:
        runs = results[name]
        wall = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        rss = max(r[2] for r in runs)
        listed = ", ".join(f"{r[0]:.1f}" for r in runs)
        print(f"| {name} | {wall:.1f} | {cpu:.1f} | {rss:.0f} | {listed} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    sub = parser.add_subparsers(dest="command", required=True)
    make = sub.add_parser("build")
    make.add_argument("--rows", type=int, default=100_000_000)
    make.add_argument("--db", type=Path, required=True)
    make.add_argument("--seed", type=int, default=11)
    make.add_argument("--chunk", type=int, default=20_000_000)
    timing = sub.add_parser("run")
    timing.add_argument("--db", type=Path, required=True)
    timing.add_argument("--repeats", type=int, default=3)
    once = sub.add_parser("route")
    once.add_argument("name", choices=ROUTES[1:])
    once.add_argument("--db", type=Path, required=True)
    args = parser.parse_args()
    if args.command == "build":
        build(args.db, args.rows, args.seed, args.chunk)
    elif args.command == "run":
        run(args.db, args.repeats)
    else:
        route(args.name, args.db)


if __name__ == "__main__":
    main()

"""Benchmark: bytes per stored prediction of three layouts for input features.

The same generated predictions (7 numeric features with two decimals, 3 categorical features of 50
categories, a full-precision score, a unique request_id) stored as: the store's wide table (one
typed column per feature), the same without request ids, a long (row, feature, value) table, and
two MAP columns. Single-threaded, 1 GB memory limit; file size after CHECKPOINT.

Run: python -m benchmarks.monitor_storage [--rows 2000000] [--dir /tmp]
Prints a Markdown table for docs/monitoring.md.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import duckdb

LAYOUTS = ("wide", "wide without request_id", "long (row, feature, value)", "MAP columns")


def _base(rows: int) -> str:
    numeric = ", ".join(f"round(random() * 1000, 2) AS f{i}" for i in range(7))
    categorical = ", ".join(f"'c' || CAST(floor(random() * 50) AS INT) AS g{i}" for i in range(3))
    return (
        "SELECT TIMESTAMP '2026-06-01' + "
        f"to_microseconds(CAST(i * 1000000 * 86400 * 30 / {rows} AS BIGINT)) AS ts, "
        "'rec-v' || (i % 2) AS model_id, 'r' || i AS request_id, random() AS score, "
        "CASE WHEN random() < 0.05 THEN 'random' ELSE 'model' END AS served_by, "
        "round(10 + random() * 50, 1) AS latency_ms, NULL::DOUBLE AS label, "
        f"{numeric}, {categorical} FROM range({rows}) t(i)"
    )


def _build(con: duckdb.DuckDBPyConnection, layout: str, base: str) -> None:
    core = "ts, model_id, request_id, score, served_by, latency_ms, label"
    if layout == "wide":
        con.execute(f"CREATE TABLE predictions AS {base}")
    elif layout == "wide without request_id":
        con.execute(
            f"CREATE TABLE predictions AS SELECT * EXCLUDE (request_id), '' AS request_id "
            f"FROM ({base})"
        )
    elif layout.startswith("long"):
        con.execute(
            f"CREATE TEMP TABLE p AS SELECT row_number() OVER () AS row_id, * FROM ({base})"
        )
        parts = [
            f"SELECT row_id, 'f{i}' AS feature, f{i} AS num_value, NULL::VARCHAR AS cat_value "
            "FROM p"
            for i in range(7)
        ] + [f"SELECT row_id, 'g{i}', NULL, g{i} FROM p" for i in range(3)]
        con.execute(f"CREATE TABLE features AS {' UNION ALL '.join(parts)}")
        con.execute(f"CREATE TABLE predictions AS SELECT row_id, {core} FROM p")
    else:
        keys = ", ".join(f"'f{i}'" for i in range(7))
        values = ", ".join(f"f{i}" for i in range(7))
        con.execute(
            f"CREATE TABLE predictions AS SELECT {core}, MAP([{keys}], [{values}]) AS numeric, "
            f"MAP(['g0', 'g1', 'g2'], [g0, g1, g2]) AS categorical FROM ({base})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args()
    print("| layout | MB | bytes per prediction | GB at 100 million |")
    print("|---|---|---|---|")
    for number, layout in enumerate(LAYOUTS):
        path = args.dir / f"monitor_storage_{number}.duckdb"
        path.unlink(missing_ok=True)
        con = duckdb.connect(str(path))
        try:
            con.execute("SET threads = 1; SET memory_limit = '1GB'")
            _build(con, layout, _base(args.rows))
            con.execute("CHECKPOINT")
        finally:
            con.close()
        size = path.stat().st_size
        path.unlink()
        print(
            f"| {layout} | {size / 1e6:.1f} | {size / args.rows:.1f} "
            f"| {size / args.rows / 10:.2f} |"
        )


if __name__ == "__main__":
    main()

"""Benchmark: `cli.py ingest` of a 10-million-row events file against DuckDB's bare load.

Each load runs in its own process on an empty store, so time and peak memory (max RSS) are
measured the same way for both. Usage:

    python -m benchmarks.ingest --rows 10000000 --workdir /tmp/yardstick-bench
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]

_GENERATE = """
COPY (
    SELECT 'u' || lpad(CAST(i // 10 AS VARCHAR), 8, '0') AS unit_id,
           ['impression', 'click', 'purchase', 'latency_ms'][1 + i % 4] AS event,
           round(CAST(hash(i) % 100000 AS DOUBLE) / 100, 2) AS value,
           TIMESTAMP '2026-10-01' + to_microseconds(i * 250000) AS ts
    FROM range({rows}) AS t(i)
) TO '{path}' ({options})
"""

_BARE = """
import duckdb, sys
con = duckdb.connect(sys.argv[1], config={{"memory_limit": "1GB"}})
con.execute("CREATE TABLE events AS SELECT * FROM {reader}(?)", [sys.argv[2]])
print(con.execute("SELECT count(*) FROM events").fetchone()[0])
"""


def generate(rows: int, workdir: Path) -> dict[str, Path]:
    """The same events as Parquet and as CSV."""
    files = {"parquet": workdir / f"events_{rows}.parquet", "csv": workdir / f"events_{rows}.csv"}
    con = duckdb.connect()
    for fmt, path in files.items():
        if not path.exists():
            options = "FORMAT parquet" if fmt == "parquet" else "FORMAT csv, HEADER true"
            con.execute(_GENERATE.format(rows=rows, path=path, options=options))
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/yardstick-bench"))
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    files = generate(args.rows, args.workdir)
    print(
        "| format | bare DuckDB load (s) | yardstick ingest (s) | ratio | peak MB bare | "
        "peak MB ingest |"
    )
    print("|---|---|---|---|---|---|")
    for fmt, path in files.items():
        # Fresh process per measurement: ru_maxrss of children is a running maximum, so run the
        # ingest first in its own interpreter chain and the bare load in another.
        reader = "read_parquet" if fmt == "parquet" else "read_csv"
        results = {}
        for name, command in (
            (
                "ingest",
                [sys.executable, "cli.py", "ingest", "--db", "{db}", "--kind", "events", str(path)],
            ),
            ("bare", [sys.executable, "-c", _BARE.format(reader=reader), "{db}", str(path)]),
        ):
            db = args.workdir / f"{name}-{fmt}.duckdb"
            db.unlink(missing_ok=True)
            db.with_name(db.name + ".wal").unlink(missing_ok=True)
            measured = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "benchmarks.ingest_one",
                    *[part.replace("{db}", str(db)) for part in command],
                ],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
            )
            results[name] = [float(x) for x in measured.stdout.split()[:2]]
        bare, ingest = results["bare"], results["ingest"]
        print(
            f"| {fmt} | {bare[0]:.1f} | {ingest[0]:.1f} | {ingest[0] / bare[0]:.2f}x | "
            f"{bare[1]:.0f} | {ingest[1]:.0f} |"
        )


if __name__ == "__main__":
    main()

"""Benchmark: `cli.py ingest` of a 10-million-row events file against DuckDB's bare load.

Each load runs in its own process on an empty store with the same DuckDB memory limit (1 GB),
so wall time and peak memory (max RSS) are measured the same way for both; each is repeated and
the median reported. "load" is the time inside the process (the CLI's own report; the bare
CREATE TABLE AS), "wall" adds interpreter start-up and imports. Usage:

    python -m benchmarks.ingest --rows 10000000 --repeats 3 --workdir /tmp/yardstick-bench
"""

from __future__ import annotations

import argparse
import re
import statistics
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
import duckdb, sys, time
started = time.perf_counter()
con = duckdb.connect(sys.argv[1], config={{"memory_limit": "1GB"}})
con.execute("CREATE TABLE events AS SELECT * FROM {reader}(?)", [sys.argv[2]])
con.close()
print(f"loaded in {{time.perf_counter() - started:.3f}} s")
"""
_LOAD_SECONDS = re.compile(r"in ([0-9.]+) s")


def generate(rows: int, workdir: Path) -> dict[str, Path]:
    """The same events as Parquet and as CSV."""
    files = {"parquet": workdir / f"events_{rows}.parquet", "csv": workdir / f"events_{rows}.csv"}
    con = duckdb.connect()
    for fmt, path in files.items():
        if not path.exists():
            options = "FORMAT parquet" if fmt == "parquet" else "FORMAT csv, HEADER true"
            con.execute(_GENERATE.format(rows=rows, path=path, options=options))
    return files


def measure(command: list[str], db: Path) -> tuple[float, float, float]:
    """Wall seconds, in-process load seconds and peak MB of one run on a new store."""
    db.unlink(missing_ok=True)
    db.with_name(db.name + ".wal").unlink(missing_ok=True)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.ingest_one",
            *[p.replace("{db}", str(db)) for p in command],
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    wall, peak, report = done.stdout.split(" ", 2)
    load = _LOAD_SECONDS.search(report)
    return float(wall), float(load.group(1)) if load else float("nan"), float(peak)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/yardstick-bench"))
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    files = generate(args.rows, args.workdir)
    print(
        "| format | bare load s | ingest load s | ratio (load) | bare wall s | ingest wall s | "
        "ratio (wall) | peak MB bare | peak MB ingest |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for fmt, path in files.items():
        reader = "read_parquet" if fmt == "parquet" else "read_csv"
        commands = {
            "bare": [sys.executable, "-c", _BARE.format(reader=reader), "{db}", str(path)],
            "ingest": [
                sys.executable,
                "cli.py",
                "ingest",
                "--db",
                "{db}",
                "--kind",
                "events",
                str(path),
            ],
        }
        runs: dict[str, list[tuple[float, float, float]]] = {"bare": [], "ingest": []}
        for _ in range(args.repeats):
            # Interleaved, so a busy moment of the machine hits both the same way.
            for name, command in commands.items():
                runs[name].append(measure(command, args.workdir / f"{name}-{fmt}.duckdb"))
        bare = [statistics.median(values) for values in zip(*runs["bare"], strict=True)]
        ingest = [statistics.median(values) for values in zip(*runs["ingest"], strict=True)]
        print(
            f"| {fmt} | {bare[1]:.2f} | {ingest[1]:.2f} | {ingest[1] / bare[1]:.2f}x | "
            f"{bare[0]:.2f} | {ingest[0]:.2f} | {ingest[0] / bare[0]:.2f}x | "
            f"{max(r[2] for r in runs['bare']):.0f} | {max(r[2] for r in runs['ingest']):.0f} |"
        )


if __name__ == "__main__":
    main()

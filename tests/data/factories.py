"""Helpers of the store and ingestion tests: run the real command line, query a store file, and
fingerprint every table.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb

from data.store import StoreSettings

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
BAD = HERE / "bad"
GOOD = HERE / "good"


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`python cli.py ARGS` in the project root, as a user would run it."""
    return subprocess.run(
        [sys.executable, "cli.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def ingest(
    settings: StoreSettings, kind: str, *files: Path, extra: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    """`python cli.py ingest --db STORE --kind KIND FILES`."""
    return run_cli(
        "ingest", "--db", str(settings.path), "--kind", kind, *extra, *(str(f) for f in files)
    )


def table_checksums(path: Path) -> dict[str, tuple[int, int | None]]:
    """Row count and an order-independent hash of every row, per table of the store."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = [
            row[0]
            for row in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
                "ORDER BY table_name"
            ).fetchall()
        ]
        return {
            t: con.execute(f'SELECT count(*), sum(hash(t)) FROM "{t}" t').fetchone() for t in tables
        }
    finally:
        con.close()


def query(path: Path, sql: str, params: list[object] | None = None) -> list[tuple]:
    """Rows of a read-only query, for checks."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def write_text(path: Path, text: str, encoding: str = "utf-8") -> Path:
    """Write a small input file exactly as given (no newline translation); returns its path."""
    path.write_bytes(text.encode(encoding))
    return path


def write_parquet(path: Path, columns: dict[str, object]) -> Path:
    """A Parquet file of the given pyarrow arrays (or lists of values), by column name."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table(columns), path)
    return path

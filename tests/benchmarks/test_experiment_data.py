"""The generated benchmark store has the shape the benchmark claims, the same for the same seed."""

from __future__ import annotations

from pathlib import Path

import duckdb

from benchmarks.experiment_data import generate

UNITS = 3000


def _checksum(path: Path) -> tuple[object, ...]:
    con = duckdb.connect(str(path), read_only=True)
    row = con.execute(
        "SELECT count(*), sum(hash(unit_id, event, value, ts)) FROM events"
    ).fetchone()
    assert row is not None
    return tuple(row)


def test_same_seed_same_store_and_the_promised_shape(tmp_path: Path) -> None:
    first, second, other = tmp_path / "a.duckdb", tmp_path / "b.duckdb", tmp_path / "c.duckdb"
    counts = generate(first, UNITS, seed=5, memory_limit="1GB", threads=2)
    generate(second, UNITS, seed=5, memory_limit="1GB", threads=1)
    generate(other, UNITS, seed=6, memory_limit="1GB", threads=1)
    assert _checksum(first) == _checksum(second) != _checksum(other)
    assert counts["events"] == 10 * UNITS
    con = duckdb.connect(str(first), read_only=True)
    double = con.execute(
        "SELECT count(*) FROM (SELECT unit_id FROM assignments GROUP BY unit_id"
        " HAVING min(variant) <> max(variant))"
    ).fetchone()
    assert double is not None and double[0] == counts["assignments"] - UNITS > 0
    pre_share, treated_share = con.execute(
        "WITH a AS (SELECT unit_id, min(assigned_at) AS at, min(variant) AS v"
        " FROM assignments GROUP BY unit_id HAVING min(variant) = max(variant))"
        " SELECT avg((e.ts < a.at)::INTEGER), avg((a.v = 'treatment')::INTEGER)"
        " FROM events e JOIN a USING (unit_id)"
    ).fetchone() or (None, None)
    assert abs(pre_share - 0.4) < 0.02
    assert abs(treated_share - 0.5) < 0.05
    kinds = dict(con.execute("SELECT event, count(*) FROM events GROUP BY event").fetchall())
    assert set(kinds) == {"impression", "click", "purchase"}

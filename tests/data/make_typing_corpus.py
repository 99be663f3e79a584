"""Regenerate the Parquet files of the bad-input corpus whose types pyarrow cannot write (or
writes only awkwardly): lists (in values and in keys), structs, maps, intervals, TIME, BC and
far-future timestamps, and dates DuckDB can hold but Yardstick cannot store (infinity, year 10000).

DuckDB writes them, so the types are exactly the ones a user's DuckDB or Spark export carries.
Run: python tests/data/make_typing_corpus.py
"""

from __future__ import annotations

from pathlib import Path

import duckdb

BAD = Path(__file__).resolve().parent / "bad"

# file name -> SELECT giving its one row (the other columns are valid).
ONLINE_NO_DATE = "'recommender-v2' AS model_id, 'ctr' AS metric"
ONLINE = f"DATE '2026-11-20' AS date, {ONLINE_NO_DATE}"
OFFLINE = (
    "'recommender-v2' AS model_id, 'auc' AS metric, 0.81 AS value, "
    "TIMESTAMP '2026-11-16' AS evaluated_at, 'labels' AS dataset"
)
FILES: dict[str, str] = {
    "integer_list_n.offline_metrics.parquet": f"SELECT {OFFLINE}, [250000]::INTEGER[] AS n",
    "bigint_list_value.online_metrics.parquet": f"SELECT {ONLINE}, [5]::BIGINT[] AS value",
    "interval_n.online_metrics.parquet": f"SELECT {ONLINE}, 0.05 AS value, INTERVAL 3 DAY AS n",
    "struct_value.online_metrics.parquet": f"SELECT {ONLINE}, {{'v': 0.05}} AS value",
    "map_n.offline_metrics.parquet": f"SELECT {OFFLINE}, MAP {{'n': 250000}} AS n",
    "bc_timestamp.events.parquet": (
        "SELECT 'u1' AS unit_id, 'click' AS event, 1.0 AS value, "
        "CAST('0044-03-15 (BC)' AS TIMESTAMP) AS ts"
    ),
    "far_future_timestamp_s.events.parquet": (
        "SELECT 'u1' AS unit_id, 'click' AS event, 1.0 AS value, "
        "CAST(TIMESTAMP '3000-01-01 00:00:00' AS TIMESTAMP_S) AS ts"
    ),
    "interval_value.events.parquet": (
        "SELECT 'u1' AS unit_id, 'click' AS event, INTERVAL 3 DAY AS value, "
        "TIMESTAMP '2026-11-27 09:00:00' AS ts"
    ),
    "list_key.events.parquet": (
        "SELECT ['u1'] AS unit_id, 'click' AS event, 1.0 AS value, "
        "TIMESTAMP '2026-11-27 09:00:00' AS ts"
    ),
    "time_ts.events.parquet": (
        "SELECT 'u1' AS unit_id, 'click' AS event, 1.0 AS value, TIME '09:00:00' AS ts"
    ),
    "infinity_date.online_metrics.parquet": (
        f"SELECT 'infinity'::DATE AS date, {ONLINE_NO_DATE}, 0.05 AS value, 51000 AS n"
    ),
    "year_10000_date.online_metrics.parquet": (
        f"SELECT DATE '10000-01-01' AS date, {ONLINE_NO_DATE}, 0.05 AS value, 51000 AS n"
    ),
}


def main() -> None:
    con = duckdb.connect()
    for name, select in FILES.items():
        target = str(BAD / name).replace("'", "''")
        con.execute(f"COPY ({select}) TO '{target}' (FORMAT parquet)")
    con.close()


if __name__ == "__main__":
    main()

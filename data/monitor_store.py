"""The store side of monitors: their versions, and the aggregates a check reads.

Every read runs a monitoring/sql.py builder rendered for DuckDB and returns a handful of numbers
(counts per bin or category, two ECDF distances, latency quantiles); no prediction row leaves
DuckDB.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
from sqlglot.expressions import Expression

from core.tables import STORE_TABLES, TableMapping
from core.vocab import FeatureType
from data.kinds import KINDS
from data.prediction_features import stored_features
from data.store import one_row, write_audit
from monitoring import sql, sql_features
from monitoring.check import CategoricalReadings, NumericReadings, ServingReadings, ServingRow
from monitoring.drift import DECILES, numeric_bin_edges
from monitoring.spec import parse_spec, spec_to_toml
from monitoring.sql_features import Span, Watched
from monitoring.versions import MonitorVersion

Connection = duckdb.DuckDBPyConnection
Days = tuple[dt.date, dt.date]
_BINS = sql.ABOVE + 1


def _run(con: Connection, query: Expression) -> list[tuple[object, ...]]:
    return con.execute(query.sql(dialect="duckdb")).fetchall()


def feature_types(con: Connection) -> dict[str, FeatureType]:
    """Every stored feature and its type, in column order."""
    return stored_features(con, KINDS["predictions"])


def families(con: Connection) -> list[str]:
    """Model families in the store."""
    return [
        str(r[0]) for r in con.execute("SELECT DISTINCT family FROM models ORDER BY 1").fetchall()
    ]


def monitor_ids(con: Connection) -> list[str]:
    """Ids of the defined monitors."""
    rows = con.execute("SELECT DISTINCT monitor_id FROM monitor_versions ORDER BY 1").fetchall()
    return [str(r[0]) for r in rows]


def history(con: Connection, monitor_id: str) -> list[MonitorVersion]:
    """Every version of a monitor, oldest first."""
    rows = con.execute(
        "SELECT spec_toml, version, author, defined_at FROM monitor_versions "
        "WHERE monitor_id = ? ORDER BY version",
        [monitor_id],
    ).fetchall()
    return [
        MonitorVersion(parse_spec(text, f"monitor_versions:{monitor_id}"), version, author, at)
        for text, version, author, at in rows
    ]


def latest_version(con: Connection, monitor_id: str) -> MonitorVersion | None:
    """The version in force, or None when the monitor is not defined."""
    versions = history(con, monitor_id)
    return versions[-1] if versions else None


def insert_version(con: Connection, version: MonitorVersion) -> None:
    """Store a new version (and say so in the audit log), in the caller's transaction."""
    spec = version.spec
    con.execute(
        "INSERT INTO monitor_versions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            spec.monitor_id,
            version.version,
            spec.family,
            spec_to_toml(spec),
            spec.owner,
            spec.rationale,
            version.author,
            version.defined_at,
        ],
    )
    write_audit(
        con,
        "monitor_define",
        spec.monitor_id,
        {"version": version.version},
        spec.rationale,
        version.author,
        at=version.defined_at,
    )


def last_day(con: Connection, tables: TableMapping = STORE_TABLES) -> dt.date | None:
    """The last day any model has a prediction."""
    day = one_row(con.execute(sql.last_day_query(tables).sql(dialect="duckdb")).fetchone())
    return day[0] if isinstance(day[0], dt.date) else None


def live_model(
    con: Connection, family: str, day: dt.date, tables: TableMapping = STORE_TABLES
) -> tuple[str, dt.date] | None:
    """The family's production version live on `day` and the day it was deployed."""
    rows = _run(con, sql.live_model_query(family, day, tables))
    if not rows:
        return None
    model_id, deployed_on = rows[0]
    assert isinstance(deployed_on, dt.date)
    return str(model_id), deployed_on


def row_counts(
    con: Connection, family: str, reference: Days, window: Days, tables: TableMapping = STORE_TABLES
) -> tuple[int, int]:
    """The family's predictions in the reference and in the window."""
    row = one_row(
        con.execute(
            sql.row_counts_query(family, reference, window, tables).sql("duckdb")
        ).fetchone()
    )
    return int(row[0]), int(row[1])


def _bins(rows: Sequence[tuple[object, ...]], side: str) -> list[int]:
    counts = [0] * _BINS
    for row_side, index, n in rows:
        if row_side == side:
            counts[int(str(index))] = int(str(n))
    return counts


def numeric_readings(
    con: Connection,
    family: str,
    column: str,
    reference: Days,
    window: Days,
    *,
    model_only: bool = False,
    with_distances: bool = True,
    tables: TableMapping = STORE_TABLES,
) -> NumericReadings:
    """Bins on the reference's deciles, and (unless not asked for) KS and Wasserstein."""
    summary = one_row(
        con.execute(
            sql.reference_summary_query(family, column, reference, tables, model_only).sql("duckdb")
        ).fetchone()
    )
    reference_n, minimum, maximum, sd, *deciles = summary
    if not reference_n:
        # No reference to bin on: only how many values the window has is known.
        in_window = sql.reference_summary_query(family, column, window, tables, model_only)
        window_n = int(one_row(con.execute(in_window.sql("duckdb")).fetchone())[0])
        return NumericReadings(0, window_n, [0] * _BINS, [0] * _BINS, None, None, None)
    edges = numeric_bin_edges(float(minimum), [float(q) for q in deciles], float(maximum))
    binned = _run(
        con, sql.binned_counts_query(family, column, reference, window, edges, tables, model_only)
    )
    reference_bins, window_bins = _bins(binned, sql.REFERENCE), _bins(binned, sql.WINDOW)
    ks = wasserstein = None
    if with_distances:
        distances = one_row(
            con.execute(
                sql.ecdf_distance_query(family, column, reference, window, tables).sql("duckdb")
            ).fetchone()
        )
        ks, wasserstein = distances[0], distances[1]
    return NumericReadings(
        reference_n=int(reference_n),
        window_n=sum(window_bins),
        reference_bins=reference_bins,
        window_bins=window_bins,
        ks=None if ks is None else float(ks),
        wasserstein=None if wasserstein is None else float(wasserstein),
        reference_sd=None if sd is None else float(sd),
    )


def categorical_readings(
    con: Connection,
    family: str,
    column: str,
    reference: Days,
    window: Days,
    tables: TableMapping = STORE_TABLES,
) -> CategoricalReadings:
    """Counts per category in each window."""
    rows = _run(con, sql.category_counts_query(family, column, reference, window, tables))
    counts: dict[str, dict[str | None, int]] = {sql.REFERENCE: {}, sql.WINDOW: {}}
    for side, category, n in rows:
        counts[str(side)][str(category)] = int(str(n))
    return CategoricalReadings(counts[sql.REFERENCE], counts[sql.WINDOW])


def serving_readings(
    con: Connection, family: str, window: Days, tables: TableMapping = STORE_TABLES
) -> ServingReadings:
    """The window's requests: n and latency quantiles overall, n per served_by."""
    rows = _run(con, sql.serving_query(family, window, tables))
    total = next((r for r in rows if r[0] is None), None)
    by_level = {str(r[0]): int(str(r[1])) for r in rows if r[0] is not None}
    if total is None:
        return ServingReadings(0, None, None, by_level)
    _, n, p95, p99 = total
    return ServingReadings(
        int(str(n)),
        None if p95 is None else float(str(p95)),
        None if p99 is None else float(str(p99)),
        by_level,
    )


def _optional(value: object) -> float | None:
    return None if value is None else float(str(value))


def daily_serving_rows(
    con: Connection, family: str, window: Days, tables: TableMapping = STORE_TABLES
) -> list[ServingRow]:
    """Per day and model of the window: all requests (served_by None) and each level's."""
    return [
        ServingRow(
            day=day,
            model_id=str(model_id),
            served_by=None if served_by is None else str(served_by),
            n=int(str(n)),
            latency_p50_ms=_optional(p50),
            latency_p95_ms=_optional(p95),
            latency_p99_ms=_optional(p99),
        )
        for day, model_id, served_by, n, p50, p95, p99 in _run(
            con, sql.daily_serving_query(family, window, tables)
        )
        if isinstance(day, dt.date)
    ]


# Columns whose reference deciles one statement computes (`reference_summaries`).
SORTS_TOGETHER = 2


@dataclass(frozen=True)
class ReferenceSummary:
    """One numeric column's reference: what its bins and distances need.

    Attributes:
        reference_n: non-empty values in the reference.
        edges: minimum, the nine deciles (DuckDB's `quantile_cont`), maximum; empty without a
            reference value.
        sd: the reference's sample standard deviation (None below two values).
    """

    reference_n: int
    edges: tuple[float, ...]
    sd: float | None


def reference_summary(
    con: Connection,
    family: str,
    column: Watched,
    reference: Days,
    tables: TableMapping = STORE_TABLES,
) -> ReferenceSummary:
    """The reference's n, bin edges and sd of one numeric column (one sort of its values)."""
    query = sql.reference_summary_query(family, column.column, reference, tables, column.model_only)
    reference_n, minimum, maximum, sd, *deciles = one_row(
        con.execute(query.sql("duckdb")).fetchone()
    )
    if not reference_n:
        return ReferenceSummary(0, (), None)
    edges = numeric_bin_edges(float(minimum), [float(q) for q in deciles], float(maximum))
    return ReferenceSummary(int(str(reference_n)), edges, _optional(sd))


def reference_summaries(
    con: Connection,
    family: str,
    columns: Sequence[Watched],
    reference: Days,
    tables: TableMapping = STORE_TABLES,
) -> list[ReferenceSummary]:
    """`reference_summary` of every column, in order, `SORTS_TOGETHER` columns a statement.

    A statement's sorts run together, one a core, so two columns a statement keep both cores of
    this machine busy where one column a statement left one idle; more would hold more columns'
    values at once (each sort holds all its column's values: at 100 million predictions the eight
    numeric columns of a 7-day reference in one statement did not fit the store's 1 GB)."""
    width = 4 + len(DECILES)
    summaries = []
    for start in range(0, len(columns), SORTS_TOGETHER):
        chunk = columns[start : start + SORTS_TOGETHER]
        query = sql.reference_summaries_query(
            family, [(c.column, c.model_only) for c in chunk], reference, tables
        )
        row = one_row(con.execute(query.sql("duckdb")).fetchone())
        for k in range(len(chunk)):
            reference_n, minimum, maximum, sd, *deciles = row[k * width : (k + 1) * width]
            if not reference_n:
                summaries.append(ReferenceSummary(0, (), None))
                continue
            edges = numeric_bin_edges(float(minimum), [float(q) for q in deciles], float(maximum))
            summaries.append(ReferenceSummary(int(str(reference_n)), edges, _optional(sd)))
    return summaries


def bucket_counts(
    con: Connection,
    family: str,
    watched: Sequence[tuple[Watched, Sequence[float] | None]],
    spans: Sequence[Span],
    tables: TableMapping = STORE_TABLES,
) -> list[dict[int, dict[str, int]]]:
    """Per watched column (in order): slot -> bucket (bin index as text, or category) -> count,
    for every column and window from one scan."""
    counts: list[dict[int, dict[str, int]]] = [{} for _ in watched]
    if watched:
        query = sql_features.bucket_counts_query(family, watched, spans, tables)
        for feature, slot, bucket, n in _run(con, query):
            slots = counts[int(str(feature))]
            slots.setdefault(int(str(slot)), {})[str(bucket)] = int(str(n))
    return counts


def _bin_list(counts: dict[str, int]) -> list[int]:
    bins = [0] * _BINS
    for index, n in counts.items():
        bins[int(index)] = n
    return bins


def feature_readings(
    con: Connection,
    family: str,
    numeric: Sequence[str],
    categorical: Sequence[str],
    reference: Days,
    window: Days,
    tables: TableMapping = STORE_TABLES,
) -> tuple[list[NumericReadings], list[CategoricalReadings]]:
    """What `numeric_readings` and `categorical_readings` read, for every column at once: the
    reference's deciles (two numeric columns a statement), then ONE statement for every
    column's bins or categories and every numeric column's KS and Wasserstein."""
    summaries = reference_summaries(con, family, [Watched(c) for c in numeric], reference, tables)
    binned = [k for k, summary in enumerate(summaries) if summary.edges]
    watched: list[tuple[Watched, tuple[float, ...] | None]] = [
        (Watched(numeric[k]), summaries[k].edges) for k in binned
    ]
    watched += [(Watched(c), None) for c in categorical]
    rows: list[tuple[object, ...]] = []
    if watched:
        query = sql_features.window_readings_query(family, watched, reference, window, tables)
        rows = _run(con, query)
    totals: dict[int, tuple[object, ...]] = {}
    buckets: list[tuple[dict[str, int], dict[str, int]]] = [({}, {}) for _ in watched]
    for feature, bucket, n_reference, n_window, ks, wasserstein in rows:
        index = int(str(feature))
        if bucket is None:
            totals[index] = (n_window, ks, wasserstein)
        else:
            buckets[index][0][str(bucket)] = int(str(n_reference))
            buckets[index][1][str(bucket)] = int(str(n_window))
    numeric_out: list[NumericReadings] = []
    for index, (column, summary) in enumerate(zip(numeric, summaries, strict=True)):
        if not summary.edges:
            # No reference to bin on: only how many values the window has is known.
            window_n = _window_count(con, family, Watched(column), window, tables)
            numeric_out.append(
                NumericReadings(0, window_n, [0] * _BINS, [0] * _BINS, None, None, None)
            )
            continue
        position = binned.index(index)
        _, ks, wasserstein = totals.get(position, (0, None, None))
        reference_bins, window_bins = (_bin_list(side) for side in buckets[position])
        numeric_out.append(
            NumericReadings(
                reference_n=summary.reference_n,
                window_n=sum(window_bins),
                reference_bins=reference_bins,
                window_bins=window_bins,
                ks=_optional(ks),
                wasserstein=_optional(wasserstein),
                reference_sd=summary.sd,
            )
        )
    categorical_out = [
        CategoricalReadings(
            {k: n for k, n in reference_counts.items() if n},
            {k: n for k, n in window_counts.items() if n},
        )
        for reference_counts, window_counts in buckets[len(binned) :]
    ]
    return numeric_out, categorical_out


def _window_count(
    con: Connection,
    family: str,
    column: Watched,
    window: Days,
    tables: TableMapping = STORE_TABLES,
) -> int:
    query = sql.reference_summary_query(family, column.column, window, tables, column.model_only)
    return int(str(one_row(con.execute(query.sql("duckdb")).fetchone())[0]))

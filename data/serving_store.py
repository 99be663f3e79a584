"""The store side of serving health tied to value: runs the monitoring/sql_serving.py builders
rendered for DuckDB and returns their few numbers as the domain's types (no prediction row leaves
DuckDB)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import duckdb
from sqlglot.expressions import Expression

from core.tables import STORE_TABLES, TableMapping
from data.store import one_row
from kpi.fallback_value import LevelOutcomes
from monitoring import sql_serving
from monitoring.arm_health import ScoreSummary
from monitoring.budget import BudgetReadings
from monitoring.drift import numeric_bin_edges
from monitoring.spec import MonitorSpec
from monitoring.sql import ABOVE
from monitoring.sql_serving import Moments

Connection = duckdb.DuckDBPyConnection
Days = tuple[dt.date, dt.date]


def _rows(con: Connection, query: Expression) -> list[tuple[object, ...]]:
    return con.execute(query.sql(dialect="duckdb")).fetchall()


def _float(value: object) -> float | None:
    return None if value is None else float(str(value))


def budget_readings(
    con: Connection,
    spec: MonitorSpec,
    window: Days,
    by_level: dict[str, int],
    limits: Sequence[tuple[str, float]],
    tables: TableMapping = STORE_TABLES,
) -> BudgetReadings:
    """The window's requests, those with a latency, and those slower than each limit."""
    query = sql_serving.slow_requests_query(spec.family, window, limits, tables)
    row = one_row(con.execute(query.sql(dialect="duckdb")).fetchone())
    n, timed, *slow = row
    return BudgetReadings(
        n=int(str(n)),
        timed=int(str(timed)),
        slow={name: int(str(count or 0)) for (name, _), count in zip(limits, slow, strict=True)},
        by_level=by_level,
    )


def level_outcomes(
    con: Connection, family: str, window: Days, tables: TableMapping = STORE_TABLES
) -> tuple[list[LevelOutcomes], int]:
    """Per day and serving level: requests, labelled requests and positives; and how many labels
    are neither 0 nor 1 (a rate of a binary outcome cannot read them)."""
    rows = _rows(con, sql_serving.level_outcomes_query(family, window, tables))
    outcomes = [
        LevelOutcomes(
            day=day,
            served_by=str(served_by),
            n=int(str(n)),
            labelled=int(str(labelled)),
            positives=int(float(str(positives))),
        )
        for day, served_by, n, labelled, positives, _ in rows
        if isinstance(day, dt.date)
    ]
    return outcomes, sum(int(str(r[5])) for r in rows)


def arm_serving_rows(
    con: Connection, model_ids: Sequence[str], moments: Moments, tables: TableMapping = STORE_TABLES
) -> list[tuple[str, str | None, int, float | None, float | None, float | None]]:
    """Per model: (model_id, served_by None for all requests or a level, n, p50, p95, p99)."""
    return [
        (str(m), None if s is None else str(s), int(str(n)), _float(p50), _float(p95), _float(p99))
        for m, s, n, p50, p95, p99 in _rows(
            con, sql_serving.arm_serving_query(model_ids, moments, tables)
        )
    ]


def arm_scores(
    con: Connection, model_ids: Sequence[str], moments: Moments, tables: TableMapping = STORE_TABLES
) -> dict[str, tuple[ScoreSummary, tuple[float, ...] | None]]:
    """Per model: its score summary and its bin edges (minimum, deciles, maximum; None without
    scores)."""
    found: dict[str, tuple[ScoreSummary, tuple[float, ...] | None]] = {}
    for row in _rows(con, sql_serving.arm_scores_query(model_ids, moments, tables)):
        model_id, n, mean, sd, q05, q25, q50, q75, q95, minimum, maximum, *deciles = row
        summary = ScoreSummary(
            int(str(n)),
            _float(mean),
            _float(sd),
            _float(q05),
            _float(q25),
            _float(q50),
            _float(q75),
            _float(q95),
        )
        edges = (
            tuple(
                numeric_bin_edges(
                    float(str(minimum)), [float(str(q)) for q in deciles], float(str(maximum))
                )
            )
            if summary.n
            else None
        )
        found[str(model_id)] = (summary, edges)
    return found


def score_ks(
    con: Connection,
    control: str,
    treatment: str,
    moments: Moments,
    tables: TableMapping = STORE_TABLES,
) -> float | None:
    """The KS statistic between two models' model-served scores (None when one has none)."""
    row = one_row(
        con.execute(
            sql_serving.score_ks_query(control, treatment, moments, tables).sql(dialect="duckdb")
        ).fetchone()
    )
    ks, n_control, n_treatment = row
    if not n_control or not n_treatment:
        return None
    return _float(ks)


def score_bins(
    con: Connection,
    control: str,
    treatment: str,
    moments: Moments,
    edges: Sequence[float],
    tables: TableMapping = STORE_TABLES,
) -> tuple[list[int], list[int]]:
    """Both models' score counts on `edges` (the control's bins)."""
    counts = {"control": [0] * (ABOVE + 1), "treatment": [0] * (ABOVE + 1)}
    for side, index, n in _rows(
        con, sql_serving.score_bins_query(control, treatment, moments, edges, tables)
    ):
        counts[str(side)][int(str(index))] = int(str(n))
    return counts["control"], counts["treatment"]


def model_families(con: Connection, model_ids: Sequence[str]) -> dict[str, str]:
    """The family of each registered model among `model_ids`."""
    rows = con.execute(
        "SELECT model_id, family FROM models WHERE list_contains(?, model_id)", [list(model_ids)]
    ).fetchall()
    return {str(m): str(f) for m, f in rows}

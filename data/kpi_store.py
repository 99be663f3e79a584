"""KPI rows in the store: versioned definitions, decisions, recorded evaluations, the series read.

SQL reads and writes only. Every function takes an open connection `con`, so a use case
(`services.kpis`) reads everything from one consistent snapshot and writes a decision with its
evidence in one transaction; writes run inside the caller's transaction. The rules (which version
is in force, what a new version needs, what a decision needs) live in `kpi.versions` and
`kpi.spec`. Series SQL is built by `kpi.sql` over the store's table mapping.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from core.tables import STORE_TABLES, TableMapping
from core.vocab import COST_CELLS, KpiDecision, KpiStatusCode, ModelStage
from data.store import write_audit
from kpi import sql
from kpi.spec import KpiSpec, MetricAvailability, ValueModel
from kpi.value import CostMatrix
from kpi.versions import KpiVersion, UnknownKpiError

__all__ = ["UnknownKpiError"]  # re-exported for callers that catch it from the store

Connection = duckdb.DuckDBPyConnection


@dataclass(frozen=True)
class Decision:
    """A decision taken on a KPI (continue, retrain, withdraw), who took it and why.

    Attributes:
        decision_id: store id.
        kpi_id: the KPI.
        version: the KPI version in force when the decision was taken.
        decision: `continue`, `retrain` or `withdraw` (the table's CHECK holds it to these).
        decided_by: the person accountable.
        decided_at: when (naive UTC).
        reason: why.
    """

    decision_id: int
    kpi_id: str
    version: int
    decision: KpiDecision
    decided_by: str
    decided_at: dt.datetime
    reason: str


@dataclass(frozen=True)
class RecordedEvaluation:
    """A stored evaluation: the status a KPI had as of a day under the version then used.

    Attributes:
        kpi_id: the KPI.
        version: the KPI version the evaluation used.
        as_of: the last day of data evaluated.
        status: healthy, warning, exit or no_data (the table's CHECK holds it to these).
        model_id: the model live that day, if any.
        value: the window estimate, in the metric's unit.
        ci_low: lower end of the window interval.
        ci_high: upper end of the window interval.
        evaluated_at: when the evaluation ran (naive UTC).
        evaluated_by: who ran it.
    """

    kpi_id: str
    version: int
    as_of: dt.date
    status: KpiStatusCode
    model_id: str | None
    value: float | None
    ci_low: float | None
    ci_high: float | None
    evaluated_at: dt.datetime
    evaluated_by: str


@dataclass(frozen=True)
class Deployment:
    """A model version of a family and the days it served.

    Attributes:
        model_id: model id.
        version: the family's version label.
        stage: production or challenger.
        deployed_at: first moment it served (naive UTC).
        retired_at: when it stopped serving, None while live.
    """

    model_id: str
    version: str
    stage: ModelStage  # ingest takes only these (data.kinds.MODEL_STAGES)
    deployed_at: dt.datetime
    retired_at: dt.datetime | None


_VERSION_COLUMNS = (
    "kpi_id", "version", "name", "family", "metric", "source", "direction", "target", "warning",
    "exit_threshold", "window_days", "persistence", "confidence", "owner", "value_model",
    "author", "created_at", "rationale", "max_staleness_days",
)  # fmt: skip
_SELECT_VERSION = f"SELECT {', '.join(_VERSION_COLUMNS)} FROM kpi_versions"


def _value_model_json(value: ValueModel) -> str:
    payload: dict[str, object] = {"kind": value.kind, "currency": value.currency}
    if value.unit_value is not None:
        payload["unit_value"] = value.unit_value
    if value.cost_matrix is not None:
        payload.update({cell: getattr(value.cost_matrix, cell) for cell in COST_CELLS})
    if value.offline_metric is not None:
        payload["offline_metric"] = value.offline_metric
    if value.online_metric is not None:
        payload["online_metric"] = value.online_metric
    return json.dumps(payload)


def _value_model_from_json(text: str) -> ValueModel:
    payload = json.loads(text)
    matrix = (
        CostMatrix(**{cell: payload[cell] for cell in COST_CELLS})
        if payload["kind"] == "cost_matrix"
        else None
    )
    return ValueModel(
        kind=payload["kind"],
        currency=payload["currency"],
        unit_value=payload.get("unit_value"),
        cost_matrix=matrix,
        offline_metric=payload.get("offline_metric"),
        online_metric=payload.get("online_metric"),
    )


def _version_from_row(row: Sequence[Any]) -> KpiVersion:
    field = dict(zip(_VERSION_COLUMNS, row, strict=True))
    spec = KpiSpec(
        kpi_id=str(field["kpi_id"]),
        name=str(field["name"]),
        family=str(field["family"]),
        metric=str(field["metric"]),
        source=field["source"],
        direction=field["direction"],
        target=float(field["target"]),
        warning=float(field["warning"]),
        exit_threshold=float(field["exit_threshold"]),
        window_days=int(field["window_days"]),
        persistence=int(field["persistence"]),
        confidence=float(field["confidence"]),
        owner=str(field["owner"]),
        rationale=str(field["rationale"] or ""),
        value=_value_model_from_json(str(field["value_model"])),
        max_staleness_days=int(field["max_staleness_days"]),
    )
    return KpiVersion(spec, int(field["version"]), str(field["author"]), field["created_at"])


def metric_availability(
    con: Connection, tables: TableMapping = STORE_TABLES
) -> list[MetricAvailability]:
    """Every family, source and metric in the store with its number of days of data."""
    rows = con.execute(sql.metric_availability_query(tables).sql(dialect="duckdb")).fetchall()
    return [
        MetricAvailability(family, source, metric, int(days))
        for family, source, metric, days in rows
    ]


def offline_metric_names(
    con: Connection, family: str, tables: TableMapping = STORE_TABLES
) -> list[str]:
    """The offline metrics stored for a family's models (reads only the small offline table)."""
    query = sql.offline_metric_names_query(family, tables).sql(dialect="duckdb")
    return [row[0] for row in con.execute(query).fetchall()]


def kpi_history(con: Connection, kpi_id: str) -> list[KpiVersion]:
    """Every version of one KPI, oldest first; empty for an id never defined."""
    rows = con.execute(f"{_SELECT_VERSION} WHERE kpi_id = ? ORDER BY version", [kpi_id]).fetchall()
    return [_version_from_row(row) for row in rows]


def latest_version(con: Connection, kpi_id: str) -> KpiVersion | None:
    """The newest version of one KPI, None for an id never defined."""
    row = con.execute(
        f"{_SELECT_VERSION} WHERE kpi_id = ? ORDER BY version DESC LIMIT 1", [kpi_id]
    ).fetchone()
    return _version_from_row(row) if row else None


def kpi_ids(con: Connection) -> list[str]:
    """Every defined KPI id, in order."""
    rows = con.execute("SELECT DISTINCT kpi_id FROM kpi_versions ORDER BY kpi_id").fetchall()
    return [row[0] for row in rows]


def latest_versions(con: Connection) -> list[KpiVersion]:
    """The current version of every KPI, ordered by id."""
    query = sql.latest_versions_query(_VERSION_COLUMNS).sql(dialect="duckdb")
    return [_version_from_row(row) for row in con.execute(query).fetchall()]


def insert_version(
    con: Connection,
    spec: KpiSpec,
    version: int,
    author: str,
    created_at: dt.datetime,
    changed_lines: Sequence[str],
    *,
    logged_at: dt.datetime,
) -> None:
    """Write a definition version and its audit row, in the caller's transaction.

    `created_at` may be back-dated (an agreement made before the store existed); the audit row
    says when the version was written (`logged_at`)."""
    con.execute(
        f"INSERT INTO kpi_versions ({', '.join(_VERSION_COLUMNS)}) "
        f"VALUES ({', '.join('?' for _ in _VERSION_COLUMNS)})",
        [
            spec.kpi_id, version, spec.name, spec.family, spec.metric, spec.source,
            spec.direction, spec.target, spec.warning, spec.exit_threshold, spec.window_days,
            spec.persistence, spec.confidence, spec.owner, _value_model_json(spec.value),
            author, created_at, spec.rationale, spec.max_staleness_days,
        ],
    )  # fmt: skip
    write_audit(
        con,
        "kpi.define",
        spec.kpi_id,
        {"version": version, "changed_lines": list(changed_lines)},
        spec.rationale,
        author,
        at=logged_at,
    )


def insert_decision(
    con: Connection,
    kpi_id: str,
    decision: KpiDecision,
    decided_by: str,
    decided_at: dt.datetime,
    reason: str,
) -> tuple[int, dt.datetime]:
    """Write a decision under the KPI's current version, with its audit row, in the caller's
    transaction; returns (decision id, decided_at). The caller checks the decision
    (`kpi.versions.checked_decision`) and that the KPI exists.
    """
    row = con.execute(
        "INSERT INTO kpi_decisions (kpi_id, version, decision, decided_by, decided_at, reason) "
        "SELECT ?, max(version), ?, ?, ?, ? FROM kpi_versions WHERE kpi_id = ? "
        "RETURNING id, decided_at, version",
        [kpi_id, decision, decided_by, decided_at, reason, kpi_id],
    ).fetchone()
    assert row is not None  # INSERT ... RETURNING always returns the inserted row
    write_audit(
        con,
        "kpi.decide",
        kpi_id,
        {"decision": decision, "version": row[2]},
        reason,
        decided_by,
        at=decided_at,
    )
    return int(row[0]), row[1]


def decision_by_id(con: Connection, decision_id: int) -> Decision:
    """One stored decision."""
    row = con.execute(
        "SELECT id, kpi_id, version, decision, decided_by, decided_at, reason "
        "FROM kpi_decisions WHERE id = ?",
        [decision_id],
    ).fetchone()
    if row is None:
        raise LookupError(f"no decision with id {decision_id}")
    return Decision(*row)


def decisions(con: Connection, kpi_id: str | None = None) -> list[Decision]:
    """Recorded decisions, newest first; all KPIs unless `kpi_id` is given."""
    rows = con.execute(
        "SELECT id, kpi_id, version, decision, decided_by, decided_at, reason "
        "FROM kpi_decisions WHERE ? IS NULL OR kpi_id = ? ORDER BY decided_at DESC, id DESC",
        [kpi_id, kpi_id],
    ).fetchall()
    return [Decision(*row) for row in rows]


def insert_evaluations(con: Connection, evaluations: Iterable[RecordedEvaluation]) -> int:
    """Write evaluations and one audit row, in the caller's transaction; returns how many.

    Rows go in as parameters (one per KPI, a handful per run), so a missing value stays NULL.
    """
    recorded = list(evaluations)
    rows = [
        [e.kpi_id, e.version, e.as_of, e.status, e.model_id, e.value, e.ci_low, e.ci_high,
         e.evaluated_at, e.evaluated_by]
        for e in recorded
    ]  # fmt: skip
    if not rows:
        return 0
    con.executemany(
        "INSERT INTO kpi_evaluations (kpi_id, version, as_of, status, model_id, value, "
        "ci_low, ci_high, evaluated_at, evaluated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    write_audit(
        con,
        "kpi.check",
        ",".join(sorted({str(r[0]) for r in rows})),
        {"as_of": str(rows[0][2]), "evaluations": len(rows)},
        None,
        str(rows[0][9]),
        at=recorded[0].evaluated_at,
    )
    return len(rows)


def recorded_evaluations(
    con: Connection, kpi_id: str | None = None, limit: int = 200
) -> list[RecordedEvaluation]:
    """Stored evaluations, newest first."""
    rows = con.execute(
        "SELECT kpi_id, version, as_of, status, model_id, value, ci_low, ci_high, "
        "evaluated_at, evaluated_by FROM kpi_evaluations WHERE ? IS NULL OR kpi_id = ? "
        "ORDER BY evaluated_at DESC, kpi_id LIMIT ?",
        [kpi_id, kpi_id, limit],
    ).fetchall()
    return [RecordedEvaluation(*row) for row in rows]


def live_daily_series(
    con: Connection,
    family: str,
    metrics: Sequence[str],
    end: dt.date | None = None,
    tables: TableMapping = STORE_TABLES,
) -> pd.DataFrame:
    """Daily values of `metrics` for the production version live each day, up to `end`.

    Columns: date, model_id, metric, value, n, std. On a hand-over day the newer deployment wins.
    """
    query = sql.live_daily_series_query(family, metrics, end, tables).sql(dialect="duckdb")
    return con.execute(query).df()


def family_daily_volume(
    con: Connection,
    family: str,
    metric: str,
    first: dt.date,
    last: dt.date,
    tables: TableMapping = STORE_TABLES,
) -> dict[dt.date, int]:
    """The units `metric` was measured on per day over every model of `family` (days without a
    row are absent)."""
    query = sql.family_daily_volume_query(family, metric, first, last, tables)
    rows = con.execute(query.sql(dialect="duckdb")).fetchall()
    return {day: int(n) for day, n in rows if isinstance(day, dt.date) and n is not None}


def offline_series(
    con: Connection,
    family: str,
    metrics: Sequence[str],
    end: dt.date | None = None,
    tables: TableMapping = STORE_TABLES,
) -> pd.DataFrame:
    """Offline evaluations of every model of the family (columns: evaluated_at, model_id, metric,
    value, n, dataset, live), oldest first, up to `end` (`live`: `kpi.sql.offline_series_query`)."""
    query = sql.offline_series_query(family, metrics, end, tables).sql(dialect="duckdb")
    return con.execute(query).df()


def deployments(
    con: Connection, family: str, tables: TableMapping = STORE_TABLES
) -> list[Deployment]:
    """The family's model versions with their serving periods, oldest first."""
    rows = con.execute(sql.deployments_query(family, tables).sql(dialect="duckdb")).fetchall()
    return [Deployment(*row) for row in rows]


def rows_after(
    con: Connection,
    family: str,
    online_metrics: Sequence[str],
    offline_metrics: Sequence[str],
    after: dt.date,
    tables: TableMapping = STORE_TABLES,
) -> int:
    """Rows of the family's models for these metrics dated after `after` (far-future, infinity)."""
    query = sql.rows_after_query(family, online_metrics, offline_metrics, after, tables)
    row = con.execute(query.sql(dialect="duckdb")).fetchone()
    return int(row[0] or 0) if row else 0


def last_online_date(con: Connection, tables: TableMapping = STORE_TABLES) -> dt.date | None:
    """The last day with any online metric (the default `as of`)."""
    row = con.execute(sql.last_online_date_query(tables).sql(dialect="duckdb")).fetchone()
    return row[0] if row else None

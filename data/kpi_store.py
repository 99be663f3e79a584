"""All SQL for KPIs: versioned definitions, decisions, recorded evaluations and the series read.

A definition is never updated in place: each change inserts a new version with author, time and
rationale, so an evaluation or decision made under an older version keeps meaning what it meant.
Series are read already aggregated by day (`online_metrics`), never from raw events.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import duckdb
import pandas as pd

from core.clock import system_clock
from data.store import StoreSettings, connect, current_actor, write_audit
from kpi.spec import (
    CostMatrix,
    KpiSpec,
    MetricAvailability,
    SpecError,
    ValueModel,
    changed_lines,
    check_against_store,
)

DECISIONS = ("continue", "retrain", "withdraw")


class UnknownKpiError(LookupError):
    """No KPI with this id is defined in the store."""


@dataclass(frozen=True)
class KpiVersion:
    """One stored version of a KPI definition.

    Attributes:
        spec: the definition as agreed (its `rationale` is this version's rationale).
        version: 1 for the first definition, +1 for each change.
        author: who stored this version.
        created_at: when it was stored (naive UTC).
    """

    spec: KpiSpec
    version: int
    author: str
    created_at: dt.datetime


@dataclass(frozen=True)
class DefineOutcome:
    """What `define_kpi` did.

    Attributes:
        kpi_id: the KPI.
        version: the version now in force.
        created: False when the spec equals the latest version (nothing stored).
        changed_lines: agreed lines (target, warning, exit) that moved from the previous version.
    """

    kpi_id: str
    version: int
    created: bool
    changed_lines: tuple[str, ...]


@dataclass(frozen=True)
class Decision:
    """A decision taken on a KPI (continue, retrain, withdraw), who took it and why.

    Attributes:
        decision_id: store id.
        kpi_id: the KPI.
        version: the KPI version in force when the decision was taken.
        decision: `continue`, `retrain` or `withdraw`.
        decided_by: the person accountable.
        decided_at: when (naive UTC).
        reason: why.
    """

    decision_id: int
    kpi_id: str
    version: int
    decision: str
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
        status: healthy, warning, exit or no_data.
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
    status: str
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
    stage: str
    deployed_at: dt.datetime
    retired_at: dt.datetime | None


_VERSION_COLUMNS = (
    "kpi_id, version, name, family, metric, source, direction, target, warning, exit_threshold, "
    "window_days, persistence, confidence, owner, value_model, author, created_at, rationale"
)


def _value_model_json(value: ValueModel) -> str:
    payload: dict[str, object] = {"kind": value.kind, "currency": value.currency}
    if value.unit_value is not None:
        payload["unit_value"] = value.unit_value
    if value.cost_matrix is not None:
        matrix = value.cost_matrix
        payload.update(tp=matrix.tp, fp=matrix.fp, tn=matrix.tn, fn=matrix.fn)
    if value.offline_metric is not None:
        payload["offline_metric"] = value.offline_metric
    if value.online_metric is not None:
        payload["online_metric"] = value.online_metric
    return json.dumps(payload)


def _value_model_from_json(text: str) -> ValueModel:
    payload = json.loads(text)
    matrix = (
        CostMatrix(payload["tp"], payload["fp"], payload["tn"], payload["fn"])
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


def _version_from_row(row: Sequence[object]) -> KpiVersion:
    field = dict(zip(_VERSION_COLUMNS.split(", "), row, strict=True))
    spec = KpiSpec(
        kpi_id=str(field["kpi_id"]),
        name=str(field["name"]),
        family=str(field["family"]),
        metric=str(field["metric"]),
        source=str(field["source"]),
        direction=str(field["direction"]),
        target=float(field["target"]),  # type: ignore[arg-type]
        warning=float(field["warning"]),  # type: ignore[arg-type]
        exit_threshold=float(field["exit_threshold"]),  # type: ignore[arg-type]
        window_days=int(field["window_days"]),  # type: ignore[call-overload]
        persistence=int(field["persistence"]),  # type: ignore[call-overload]
        confidence=float(field["confidence"]),  # type: ignore[arg-type]
        owner=str(field["owner"]),
        rationale=str(field["rationale"] or ""),
        value=_value_model_from_json(str(field["value_model"])),
    )
    return KpiVersion(spec, int(field["version"]), str(field["author"]), field["created_at"])  # type: ignore[arg-type,call-overload]


def _availability(con) -> list[MetricAvailability]:  # type: ignore[no-untyped-def]
    rows = con.execute(
        """
        SELECT m.family, 'online' AS source, o.metric, count(DISTINCT o.date)
        FROM online_metrics o JOIN models m USING (model_id)
        GROUP BY ALL
        UNION ALL
        SELECT m.family, 'offline', f.metric, count(DISTINCT f.evaluated_at::DATE)
        FROM offline_metrics f JOIN models m USING (model_id)
        GROUP BY ALL
        """
    ).fetchall()
    return [
        MetricAvailability(family, source, metric, int(days))
        for family, source, metric, days in rows
    ]


def metric_availability(settings: StoreSettings) -> list[MetricAvailability]:
    """Every family, source and metric in the store with its number of days of data."""
    with connect(settings, read_only=True) as con:
        return _availability(con)


def offline_metric_names(settings: StoreSettings, family: str) -> list[str]:
    """The offline metrics stored for a family's models (reads only the small offline table)."""
    with connect(settings, read_only=True) as con:
        rows = con.execute(
            "SELECT DISTINCT f.metric FROM offline_metrics f JOIN models m USING (model_id) "
            "WHERE m.family = ? ORDER BY f.metric",
            [family],
        ).fetchall()
    return [row[0] for row in rows]


def define_kpi(
    settings: StoreSettings,
    spec: KpiSpec,
    author: str | None = None,
    origin: str = "<spec>",
    text: str | None = None,
    created_at: dt.datetime | None = None,
) -> DefineOutcome:
    """Store `spec` as the KPI's next version; refuses (SpecError) what the store cannot serve.

    A spec equal to the latest version stores nothing. Moving target, warning or exit needs a
    rationale different from the previous version's, so the reason for the move is on record.
    `created_at` back-dates an agreement made before the store existed (default: now, UTC).
    """
    author = author or current_actor()
    with connect(settings) as con:
        check_against_store(spec, _availability(con), origin, text)
        con.execute("BEGIN TRANSACTION")
        try:
            latest = con.execute(
                f"SELECT {_VERSION_COLUMNS} FROM kpi_versions WHERE kpi_id = ? "
                "ORDER BY version DESC LIMIT 1",
                [spec.kpi_id],
            ).fetchone()
            previous = _version_from_row(latest) if latest else None
            if previous and previous.spec == spec:
                con.execute("ROLLBACK")
                return DefineOutcome(spec.kpi_id, previous.version, False, ())
            moved = changed_lines(previous.spec, spec) if previous else ()
            if moved and spec.rationale.strip() == previous.spec.rationale.strip():  # type: ignore[union-attr]
                raise SpecError(
                    "rationale_required", "rationale", origin, None, lines=", ".join(moved)
                )
            version = previous.version + 1 if previous else 1
            con.execute(
                f"INSERT INTO kpi_versions ({_VERSION_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                "coalesce(?, ?), ?)",
                [
                    spec.kpi_id,
                    version,
                    spec.name,
                    spec.family,
                    spec.metric,
                    spec.source,
                    spec.direction,
                    spec.target,
                    spec.warning,
                    spec.exit_threshold,
                    spec.window_days,
                    spec.persistence,
                    spec.confidence,
                    spec.owner,
                    _value_model_json(spec.value),
                    author,
                    created_at,
                    system_clock(),
                    spec.rationale,
                ],
            )
            write_audit(
                con,
                "kpi.define",
                spec.kpi_id,
                {"version": version, "changed_lines": list(moved)},
                spec.rationale,
                author,
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
    return DefineOutcome(spec.kpi_id, version, True, moved)


def kpi_history(settings: StoreSettings, kpi_id: str) -> list[KpiVersion]:
    """Every version of one KPI, oldest first; raises UnknownKpiError for an unknown id."""
    with connect(settings, read_only=True) as con:
        rows = con.execute(
            f"SELECT {_VERSION_COLUMNS} FROM kpi_versions WHERE kpi_id = ? ORDER BY version",
            [kpi_id],
        ).fetchall()
        known = [r[0] for r in con.execute("SELECT DISTINCT kpi_id FROM kpi_versions").fetchall()]
    if not rows:
        raise UnknownKpiError(
            f"No KPI with id '{kpi_id}' (defined: {', '.join(sorted(known)) or 'none'})"
        )
    return [_version_from_row(row) for row in rows]


def latest_versions(settings: StoreSettings) -> list[KpiVersion]:
    """The current version of every KPI, ordered by id."""
    with connect(settings, read_only=True) as con:
        rows = con.execute(
            f"SELECT {_VERSION_COLUMNS} FROM kpi_versions "
            "QUALIFY row_number() OVER (PARTITION BY kpi_id ORDER BY version DESC) = 1 "
            "ORDER BY kpi_id"
        ).fetchall()
    return [_version_from_row(row) for row in rows]


def version_in_force(versions: Sequence[KpiVersion], as_of: dt.date) -> tuple[KpiVersion, bool]:
    """The version in force at the end of `as_of`, and whether it was defined only after that day.

    When the KPI did not exist yet on `as_of`, its first version is used (flag True) so that a
    back-dated check still answers, and says so.
    """
    in_force = [v for v in versions if v.created_at.date() <= as_of]
    if in_force:
        return max(in_force, key=lambda v: v.version), False
    return min(versions, key=lambda v: v.version), True


def record_decision(
    settings: StoreSettings,
    kpi_id: str,
    decision: str,
    reason: str,
    decided_by: str | None = None,
) -> Decision:
    """Record a decision on a KPI, linked to its current version."""
    if decision not in DECISIONS:
        raise ValueError(f"decision must be one of {', '.join(DECISIONS)}, not '{decision}'")
    if not reason.strip():
        raise ValueError("a decision needs a reason")
    decided_by = decided_by or current_actor()
    with connect(settings) as con:
        con.execute("BEGIN TRANSACTION")
        try:
            latest = con.execute(
                "SELECT max(version) FROM kpi_versions WHERE kpi_id = ?", [kpi_id]
            ).fetchone()
            if not latest or latest[0] is None:
                raise UnknownKpiError(f"No KPI with id '{kpi_id}'")
            row = con.execute(
                "INSERT INTO kpi_decisions (kpi_id, version, decision, decided_by, decided_at, "
                "reason) VALUES (?, ?, ?, ?, ?, ?) RETURNING id, decided_at",
                [kpi_id, latest[0], decision, decided_by, system_clock(), reason.strip()],
            ).fetchone()
            write_audit(
                con,
                "kpi.decide",
                kpi_id,
                {"decision": decision, "version": latest[0]},
                reason,
                decided_by,
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
    assert row is not None
    return Decision(
        int(row[0]), kpi_id, int(latest[0]), decision, decided_by, row[1], reason.strip()
    )


def decisions(settings: StoreSettings, kpi_id: str | None = None) -> list[Decision]:
    """Recorded decisions, newest first; all KPIs unless `kpi_id` is given."""
    with connect(settings, read_only=True) as con:
        rows = con.execute(
            "SELECT id, kpi_id, version, decision, decided_by, decided_at, reason "
            "FROM kpi_decisions WHERE ? IS NULL OR kpi_id = ? ORDER BY decided_at DESC, id DESC",
            [kpi_id, kpi_id],
        ).fetchall()
    return [Decision(*row) for row in rows]


def record_evaluations(settings: StoreSettings, evaluations: Iterable[RecordedEvaluation]) -> int:
    """Store evaluations (one transaction, one audit row); returns how many were stored."""
    rows = [
        [e.kpi_id, e.version, e.as_of, e.status, e.model_id, e.value, e.ci_low, e.ci_high,
         e.evaluated_at, e.evaluated_by]
        for e in evaluations
    ]  # fmt: skip
    if not rows:
        return 0
    with connect(settings) as con:
        con.execute("BEGIN TRANSACTION")
        try:
            con.executemany(
                "INSERT INTO kpi_evaluations (kpi_id, version, as_of, status, model_id, value, "
                "ci_low, ci_high, evaluated_at, evaluated_by) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            write_audit(
                con,
                "kpi.check",
                ",".join(sorted({str(r[0]) for r in rows})),
                {"as_of": str(rows[0][2]), "evaluations": len(rows)},
                None,
                str(rows[0][9]),
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
    return len(rows)


def recorded_evaluations(
    settings: StoreSettings, kpi_id: str | None = None, limit: int = 200
) -> list[RecordedEvaluation]:
    """Stored evaluations, newest first."""
    with connect(settings, read_only=True) as con:
        rows = con.execute(
            "SELECT kpi_id, version, as_of, status, model_id, value, ci_low, ci_high, "
            "evaluated_at, evaluated_by FROM kpi_evaluations WHERE ? IS NULL OR kpi_id = ? "
            "ORDER BY evaluated_at DESC, kpi_id LIMIT ?",
            [kpi_id, kpi_id, limit],
        ).fetchall()
    return [RecordedEvaluation(*row) for row in rows]


def live_daily_series(
    settings: StoreSettings,
    family: str,
    metrics: Sequence[str],
    end: dt.date | None = None,
) -> pd.DataFrame:
    """Daily values of `metrics` for the production version live each day, up to `end`.

    Columns: date, model_id, metric, value, n, std. On a hand-over day the newer deployment wins.
    """
    with connect(settings, read_only=True) as con:
        return con.execute(
            """
            SELECT o.date, o.model_id, o.metric, o.value, o.n, o.std
            FROM online_metrics o JOIN models m USING (model_id)
            WHERE m.family = ? AND m.stage = 'production' AND list_contains(?, o.metric)
              AND o.date >= m.deployed_at::DATE
              AND (m.retired_at IS NULL OR o.date <= m.retired_at::DATE)
              AND (? IS NULL OR o.date <= ?)
            QUALIFY row_number() OVER (
                PARTITION BY o.date, o.metric ORDER BY m.deployed_at DESC
            ) = 1
            ORDER BY o.metric, o.date
            """,
            [family, list(metrics), end, end],
        ).df()


def offline_series(
    settings: StoreSettings, family: str, metrics: Sequence[str], end: dt.date | None = None
) -> pd.DataFrame:
    """Offline evaluations of every model of the family (columns: evaluated_at, model_id, metric,
    value, n, dataset), oldest first, up to `end`."""
    with connect(settings, read_only=True) as con:
        return con.execute(
            """
            SELECT f.evaluated_at, f.model_id, f.metric, f.value, f.n, f.dataset
            FROM offline_metrics f JOIN models m USING (model_id)
            WHERE m.family = ? AND list_contains(?, f.metric)
              AND (? IS NULL OR f.evaluated_at::DATE <= ?)
            ORDER BY f.metric, f.evaluated_at, f.model_id
            """,
            [family, list(metrics), end, end],
        ).df()


def deployments(settings: StoreSettings, family: str) -> list[Deployment]:
    """The family's model versions with their serving periods, oldest first."""
    with connect(settings, read_only=True) as con:
        rows = con.execute(
            "SELECT model_id, version, stage, deployed_at, retired_at FROM models "
            "WHERE family = ? ORDER BY deployed_at",
            [family],
        ).fetchall()
    return [Deployment(*row) for row in rows]


def last_online_date(settings: StoreSettings) -> dt.date | None:
    """The last day with any online metric (the default `as of`)."""
    with connect(settings, read_only=True) as con:
        row = con.execute("SELECT max(date) FROM online_metrics").fetchone()
    return row[0] if row else None


def insert_decision(
    con: duckdb.DuckDBPyConnection,
    kpi_id: str,
    decision: str,
    decided_by: str,
    decided_at: dt.datetime,
    reason: str,
) -> tuple[int, dt.datetime]:
    """Insert a decision on a KPI, linked to its latest version, in the caller's transaction.

    Writes the decision row and its `kpi.decide` audit row; returns the decision's id and time.
    The caller checks the decision and its reason (`kpi.plan.decision_for`) and owns the
    transaction, so a decision can be written together with what it rests on.
    """
    latest = con.execute(
        "SELECT max(version) FROM kpi_versions WHERE kpi_id = ?", [kpi_id]
    ).fetchone()
    if not latest or latest[0] is None:
        raise UnknownKpiError(f"No KPI with id '{kpi_id}'")
    row = con.execute(
        "INSERT INTO kpi_decisions (kpi_id, version, decision, decided_by, decided_at, reason) "
        "VALUES (?, ?, ?, ?, ?, ?) RETURNING id, decided_at",
        [kpi_id, latest[0], decision, decided_by, decided_at, reason.strip()],
    ).fetchone()
    assert row is not None  # INSERT ... RETURNING always returns the row it inserted
    write_audit(
        con, "kpi.decide", kpi_id, {"decision": decision, "version": latest[0]}, reason, decided_by
    )
    return int(row[0]), row[1]

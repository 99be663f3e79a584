"""SQL of retraining: versioned plans, and the evidence stored with a retraining decision.

A plan is versioned like a KPI: saving a changed plan adds a version, so a decision keeps pointing
at the numbers it was taken on. Every function works in the caller's connection (and
transaction): the use case that records a decision writes the KPI's decision
(`data.kpi_store.insert_decision`) and its evidence here in one transaction
(`services.retraining.record_decision`). The rules about plans are `kpi.plan`.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass
from typing import Any

import duckdb

from data.store import StoreSettings, transaction, write_audit
from kpi.checks import raise_first, retraining_input_problems
from kpi.plan import DecisionEvidence, RetrainingPlan, check_plan

_PLAN_COLUMNS = (
    "plan_id, kpi_id, name, person_days, day_rate, compute_cost, release_cost, uplift_experiment, "
    "uplift_metric, uplift, uplift_se, horizon_days, discount_rate, fallback_value_per_day, notes"
)
_PLAN_FIELDS = tuple(name.strip() for name in _PLAN_COLUMNS.split(","))


@dataclass(frozen=True)
class StoredPlan:
    """A plan as stored: which version, who saved it and when.

    Attributes:
        plan: the plan.
        version: 1 for the first save, +1 for each change.
        author: who saved this version.
        created_at: when (naive UTC).
    """

    plan: RetrainingPlan
    version: int
    author: str
    created_at: dt.datetime


def _plan_from_row(row: tuple[Any, ...]) -> StoredPlan:
    values = dict(zip(_PLAN_FIELDS, row[: len(_PLAN_FIELDS)], strict=True))
    return StoredPlan(RetrainingPlan(**values), int(row[-3]), str(row[-2]), row[-1])


def save_plan(
    con: duckdb.DuckDBPyConnection,
    plan: RetrainingPlan,
    author: str,
    created_at: dt.datetime,
) -> StoredPlan:
    """Store a checked plan as a new version, with its audit row, in the caller's transaction.

    Nothing is stored when the plan equals the latest version; that version is returned.
    """
    check_plan(plan)
    latest = con.execute(
        f"SELECT {_PLAN_COLUMNS}, version, author, created_at FROM retraining_plans "
        "WHERE plan_id = ? ORDER BY version DESC LIMIT 1",
        [plan.plan_id],
    ).fetchone()
    if latest is not None and _plan_from_row(latest).plan == plan:
        return _plan_from_row(latest)
    version = 1 if latest is None else int(latest[-3]) + 1
    row = con.execute(
        f"INSERT INTO retraining_plans ({_PLAN_COLUMNS}, version, author, created_at) "
        f"VALUES ({', '.join('?' * 18)}) "
        f"RETURNING {_PLAN_COLUMNS}, version, author, created_at",
        [*asdict(plan).values(), version, author, created_at],
    ).fetchone()
    write_audit(
        con,
        "retrain.plan",
        plan.plan_id,
        {"version": version, "kpi_id": plan.kpi_id, "cost": plan.cost},
        actor=author,
        at=created_at,
    )
    assert row is not None  # INSERT ... RETURNING always returns the row it inserted
    return _plan_from_row(row)


def latest_plans(con: duckdb.DuckDBPyConnection, kpi_id: str | None = None) -> list[StoredPlan]:
    """The latest version of every plan (of one KPI when `kpi_id` is given), ordered by id."""
    rows = con.execute(
        f"SELECT {_PLAN_COLUMNS}, version, author, created_at FROM retraining_plans "
        "WHERE ? IS NULL OR kpi_id = ? "
        "QUALIFY version = max(version) OVER (PARTITION BY plan_id) ORDER BY plan_id",
        [kpi_id, kpi_id],
    ).fetchall()
    return [_plan_from_row(row) for row in rows]


def latest_plan_version(con: duckdb.DuckDBPyConnection, plan_id: str) -> int | None:
    """The latest version of a plan; None when no plan has this id."""
    found = con.execute(
        "SELECT max(version) FROM retraining_plans WHERE plan_id = ?", [plan_id]
    ).fetchone()
    return None if found is None or found[0] is None else int(found[0])


@dataclass(frozen=True)
class StoredFallback:
    """A KPI's stored fallback value: what withdrawal is weighed against.

    Attributes:
        kpi_id: the KPI.
        value_per_day: the fallback's value per day (currency; the sign of the KPI's value).
        note: what the fallback is (user text), if given.
        version: 1 for the first save, +1 for each change.
        author: who saved this version.
        created_at: when (naive UTC).
    """

    kpi_id: str
    value_per_day: float
    note: str | None
    version: int
    author: str
    created_at: dt.datetime


_FALLBACK_COLUMNS = "kpi_id, value_per_day, note, version, author, created_at"


def latest_fallback(con: duckdb.DuckDBPyConnection, kpi_id: str) -> StoredFallback | None:
    """The KPI's latest stored fallback value; None when none was stored."""
    row = con.execute(
        f"SELECT {_FALLBACK_COLUMNS} FROM kpi_fallback_values WHERE kpi_id = ? "
        "ORDER BY version DESC LIMIT 1",
        [kpi_id],
    ).fetchone()
    return None if row is None else StoredFallback(*row)


def save_fallback(
    con: duckdb.DuckDBPyConnection,
    kpi_id: str,
    value_per_day: float,
    note: str | None,
    author: str,
    created_at: dt.datetime,
) -> StoredFallback:
    """Store a KPI's fallback value as a new version with its audit row, in the caller's
    transaction; nothing is stored when it equals the latest version (returned instead)."""
    raise_first(retraining_input_problems(fallback_value_per_day=value_per_day))
    latest = latest_fallback(con, kpi_id)
    if latest is not None and (latest.value_per_day, latest.note) == (value_per_day, note):
        return latest
    version = 1 if latest is None else latest.version + 1
    row = con.execute(
        f"INSERT INTO kpi_fallback_values ({_FALLBACK_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?) "
        f"RETURNING {_FALLBACK_COLUMNS}",
        [kpi_id, value_per_day, note, version, author, created_at],
    ).fetchone()
    write_audit(
        con,
        "retrain.fallback",
        kpi_id,
        {"version": version, "value_per_day": value_per_day},
        note,
        actor=author,
        at=created_at,
    )
    assert row is not None  # INSERT ... RETURNING always returns the row it inserted
    return StoredFallback(*row)


def model_families(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The family of every registered model (a handful of rows), by model id."""
    rows = con.execute("SELECT model_id, family FROM models").fetchall()
    return {str(model_id): str(family) for model_id, family in rows}


def insert_evidence(
    con: duckdb.DuckDBPyConnection,
    decision_id: int,
    evidence: DecisionEvidence,
    plan_version: int | None,
) -> None:
    """Store the evaluation a decision was taken on, keyed by the decision's id."""
    con.execute(
        "INSERT INTO retraining_decision_evidence VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            decision_id,
            evidence.plan_id,
            plan_version,
            evidence.as_of,
            evidence.recommendation,
            evidence.npv_expected,
            evidence.npv_p10,
            evidence.npv_p90,
            evidence.probability_positive,
            json.dumps(evidence.evaluation, ensure_ascii=False, default=str),
        ],
    )


DEMO_PLAN = RetrainingPlan(
    plan_id="rec-ctr-retrain",
    kpi_id="rec-ctr",
    name="Retrain the recommender on recent clicks (v3)",
    person_days=20,
    day_rate=80_000,
    compute_cost=400_000,
    release_cost=600_000,
    uplift_experiment="rec-v3-vs-v2",
    uplift_metric="ctr",
    fallback_value_per_day=1_800_000,
    notes="Evidence: the v3 challenger's A/B test against v2. Fallback: popular-items rules.",
)


def define_demo_retraining(settings: StoreSettings, now: dt.datetime) -> None:
    """The demo's retraining plan: retrain the recommender, with the v3 experiment as evidence."""
    with transaction(settings) as con:
        save_plan(con, DEMO_PLAN, "demo", now)

"""Shared helpers of the retraining tests: the command line in-process, plans, and store reads."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

import cli
from core.vocab import Recommendation
from data.store import StoreSettings, connect
from kpi.plan import DecisionEvidence, RetrainingPlan

PLAN = RetrainingPlan(
    plan_id="rec-retrain",
    kpi_id="rec-ctr",
    name="Retrain the recommender on fresh clicks",
    person_days=20,
    day_rate=100_000,
    compute_cost=500_000,
    release_cost=500_000,
    uplift_experiment="rec-v3-vs-v2",
    uplift_metric="ctr",
)


def plan(**changes: Any) -> RetrainingPlan:
    """`PLAN` with some fields changed."""
    return dataclasses.replace(PLAN, **changes)


def evidence(
    recommendation: Recommendation = "wait", plan_id: str | None = "rec-retrain"
) -> DecisionEvidence:
    """The evidence of a decision taken on a (made-up) evaluation."""
    return DecisionEvidence(
        as_of=dt.date(2026, 11, 27),
        recommendation=recommendation,
        npv_expected=1.5e6,
        npv_p10=-2e5,
        npv_p90=3e6,
        probability_positive=0.7,
        evaluation={"recommendation": recommendation, "kpi": "rec-ctr"},
        plan_id=plan_id,
    )


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """`python cli.py ARGS` in-process: exit status, stdout, stderr."""
    status = cli.main(list(args))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def rows(settings: StoreSettings, sql: str, params: list[object] | None = None) -> list[tuple]:
    """Rows of a read-only query on the store, for checks (predictions: the table and its
    Parquet parts, as every reader sees them)."""
    with connect(settings, read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def audit_actions(settings: StoreSettings) -> list[str]:
    """The audit log's actions, oldest first."""
    return [row[0] for row in rows(settings, "SELECT action FROM audit_log ORDER BY id")]


def count_store_opens(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Record each store connection opened from now on (True for a read-only one): how many
    snapshots a use case reads."""
    from data import store as store_module

    opened: list[bool] = []
    real_open = store_module._open

    def counting_open(settings: StoreSettings, read_only: bool) -> object:
        opened.append(read_only)
        return real_open(settings, read_only)

    monkeypatch.setattr(store_module, "_open", counting_open)
    return opened

"""Retraining plans are versioned and audited; decisions land in the KPI's decision record."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from data import retrain_store
from data.retrain_store import DecisionEvidence, RetrainingPlan
from data.store import StoreSettings, connect
from kpi.spec import parse_spec
from services import kpis
from tests.kpi.factories import build_store, ctr_spec


@pytest.fixture
def store(tmp_path: Path) -> StoreSettings:
    settings = build_store(tmp_path)
    kpis.define_kpi(settings, parse_spec(ctr_spec()), author="tanaka")
    return settings


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


def audit_actions(settings: StoreSettings) -> list[str]:
    with connect(settings, read_only=True) as con:
        return [
            row[0] for row in con.execute("SELECT action FROM audit_log ORDER BY id").fetchall()
        ]


def test_plan_cost_is_person_days_times_rate_plus_compute_and_release() -> None:
    assert PLAN.cost == 20 * 100_000 + 500_000 + 500_000


def test_saving_a_plan_stores_version_one_with_an_audit_row(store: StoreSettings) -> None:
    stored = retrain_store.save_plan(store, PLAN, author="sato")
    assert (stored.version, stored.author, stored.plan) == (1, "sato", PLAN)
    assert retrain_store.load_plan(store, "rec-retrain").plan == PLAN
    assert audit_actions(store)[-1] == "retrain.plan"


def test_an_unchanged_plan_adds_no_version_and_a_changed_one_adds_one(
    store: StoreSettings,
) -> None:
    retrain_store.save_plan(store, PLAN)
    assert retrain_store.save_plan(store, PLAN).version == 1
    cheaper = dataclasses.replace(PLAN, person_days=10)
    assert retrain_store.save_plan(store, cheaper).version == 2
    [latest] = retrain_store.latest_plans(store, "rec-ctr")
    assert (latest.version, latest.plan.cost) == (2, cheaper.cost)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"day_rate": -1.0}, "day_rate"),
        ({"uplift": 0.02, "uplift_se": 0.01}, "either uplift_experiment"),
        ({"uplift_experiment": None, "uplift_metric": None}, "either uplift_experiment"),
        ({"uplift_metric": None}, "uplift_metric"),
        ({"horizon_days": 0}, "horizon_days"),
    ],
)
def test_a_bad_plan_is_refused_naming_the_field_and_stores_nothing(
    store: StoreSettings, change: dict, named: str
) -> None:
    with pytest.raises(ValueError, match=named):
        retrain_store.save_plan(store, dataclasses.replace(PLAN, **change))
    assert retrain_store.latest_plans(store) == []


def test_an_unknown_plan_is_reported_by_id(store: StoreSettings) -> None:
    with pytest.raises(retrain_store.UnknownPlanError, match="nope"):
        retrain_store.load_plan(store, "nope")


def test_waiting_lands_in_the_kpi_decision_record_as_continue_with_its_evidence(
    store: StoreSettings,
) -> None:
    retrain_store.save_plan(store, PLAN)
    evidence = DecisionEvidence(
        as_of=dt.date(2026, 11, 27),
        recommendation="wait",
        npv_expected=1.5e6,
        npv_p10=-2e5,
        npv_p90=3e6,
        probability_positive=0.7,
        evaluation={"recommendation": "wait", "kpi": "rec-ctr"},
        plan_id="rec-retrain",
    )
    decision = retrain_store.record_decision(
        store, "rec-ctr", "wait", "Evidence too thin; look again after the sale", evidence, "mori"
    )
    [recorded] = kpis.decisions(store, "rec-ctr")
    assert (recorded.decision, recorded.decided_by) == ("continue", "mori")
    assert recorded.reason == "Evidence too thin; look again after the sale"
    assert retrain_store.decision_evidence(store, decision.decision_id) == evidence
    assert audit_actions(store)[-2:] == ["kpi.decide", "retrain.decide"]


def test_an_unknown_choice_is_refused_before_anything_is_written(store: StoreSettings) -> None:
    evidence = DecisionEvidence(dt.date(2026, 11, 27), "wait", 0.0, 0.0, 0.0, 0.0, {})
    with pytest.raises(ValueError, match="retrain, wait, withdraw"):
        retrain_store.record_decision(store, "rec-ctr", "maybe", "why", evidence)
    assert kpis.decisions(store, "rec-ctr") == []

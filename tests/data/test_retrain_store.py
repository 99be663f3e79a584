"""Retraining plans are versioned and audited; a bad plan stores nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from core.errors import YardstickError
from data import retrain_store
from data.store import StoreSettings, connect
from kpi.plan import RetrainingPlan
from kpi.spec import parse_spec
from services import kpis
from tests.factories import TEST_NOW
from tests.kpi.factories import build_store, ctr_spec
from tests.services.factories import PLAN, audit_actions, plan

SAVED_AT = dt.datetime(2026, 11, 28, 6, 0)


@pytest.fixture
def store(tmp_path: Path) -> StoreSettings:
    settings = build_store(tmp_path)
    kpis.define_kpi(settings, parse_spec(ctr_spec()), author="tanaka")
    return settings


def save(settings: StoreSettings, plan: RetrainingPlan) -> retrain_store.StoredPlan:
    with connect(settings) as con:
        return retrain_store.save_plan(con, plan, "sato", SAVED_AT)


def latest(settings: StoreSettings, kpi_id: str | None = None) -> list[retrain_store.StoredPlan]:
    with connect(settings, read_only=True) as con:
        return retrain_store.latest_plans(con, kpi_id)


def test_saving_a_plan_stores_version_one_with_an_audit_row(store: StoreSettings) -> None:
    stored = save(store, PLAN)
    assert (stored.version, stored.author, stored.plan, stored.created_at) == (
        1,
        "sato",
        PLAN,
        SAVED_AT,
    )
    assert [p.plan for p in latest(store, "rec-ctr")] == [PLAN]
    assert audit_actions(store)[-1] == "retrain.plan"


def test_an_unchanged_plan_adds_no_version_and_a_changed_one_adds_one(
    store: StoreSettings,
) -> None:
    save(store, PLAN)
    assert save(store, PLAN).version == 1
    cheaper = plan(person_days=10)
    assert save(store, cheaper).version == 2
    [stored] = latest(store, "rec-ctr")
    assert (stored.version, stored.plan.cost) == (2, cheaper.cost)
    with connect(store, read_only=True) as con:
        assert retrain_store.latest_plan_version(con, "rec-retrain") == 2
        assert retrain_store.latest_plan_version(con, "nope") is None


def test_a_bad_plan_is_refused_naming_the_field_and_stores_nothing(store: StoreSettings) -> None:
    with pytest.raises(YardstickError) as raised:
        save(store, plan(day_rate=-1.0))
    assert (raised.value.code, raised.value.field) == ("retrain.negative", "day_rate")
    assert latest(store) == []


def test_the_demo_plan_is_defined_once(store: StoreSettings) -> None:
    retrain_store.define_demo_retraining(store, TEST_NOW)
    retrain_store.define_demo_retraining(store, TEST_NOW)
    [stored] = latest(store, "rec-ctr")
    assert (stored.plan, stored.version, stored.author) == (retrain_store.DEMO_PLAN, 1, "demo")

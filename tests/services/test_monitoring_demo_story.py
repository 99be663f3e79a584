"""The demo's monitoring story is detectable through the services: the catalogue change is a
category alert after it (and not before), the fallback incident breaks the objective on its days
only, v3's latency breaks the p95 objective, and the last 30 days of fraud labels are missing."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from core.clock import fixed_clock
from data.demo import demo_end_date
from data.demo_predictions import (
    CATALOGUE_CHANGE_DAYS,
    INCIDENT_DAYS,
    INCIDENT_START_DAYS,
    LABEL_DELAY_DAYS,
)
from data.store import StoreSettings
from services.monitoring import check_monitors
from services.monitoring_views import drift_map, family_statuses, serving_history
from services.performance import estimate_performance
from tests.factories import TEST_NOW

CLOCK = fixed_clock(TEST_NOW)
END = demo_end_date(TEST_NOW.date())


def test_category_shift_is_an_alert_after_the_catalogue_change(
    demo_settings: StoreSettings,
) -> None:
    [rec] = check_monitors(demo_settings, "rec-inputs", clock=CLOCK).checks
    psi = {(f.name, f.method): f for f in rec.features}
    assert psi[("category_id", "psi")].status == "alert"
    assert psi[("session_length", "psi")].status == "ok"
    change = END - dt.timedelta(days=CATALOGUE_CHANGE_DAYS)
    before = check_monitors(
        demo_settings, "rec-inputs", as_of=change - dt.timedelta(days=1), clock=CLOCK
    ).checks[0]
    assert {f.status for f in before.features if f.method == "psi"} == {"ok"}


def test_drift_map_turns_red_in_the_first_window_holding_the_change(
    demo_settings: StoreSettings,
) -> None:
    drift = drift_map(demo_settings, "rec-inputs", windows=20, clock=CLOCK)
    change = END - dt.timedelta(days=CATALOGUE_CHANGE_DAYS)
    category = [c for c in drift.cells if c.feature == "category_id"]
    assert len(category) == 20
    for cell in category:
        expected = "alert" if cell.window[1] >= change else "ok"
        assert cell.status == expected, cell


def test_drift_map_last_window_equals_monitor_check(demo_settings: StoreSettings) -> None:
    for monitor_id in ("rec-inputs", "fraud-scores"):
        [check] = check_monitors(demo_settings, monitor_id, clock=CLOCK).checks
        drift = drift_map(demo_settings, monitor_id, windows=3, clock=CLOCK)
        last = {c.feature: c for c in drift.cells if c.window == check.window}
        for feature in (f for f in check.features if f.method == "psi"):
            assert last[feature.name].psi == pytest.approx(feature.value, abs=1e-12)
            assert last[feature.name].status == feature.status


def test_fallback_incident_breaks_the_objective_on_its_days_only(
    demo_settings: StoreSettings,
) -> None:
    history = serving_history(demo_settings, "rec-inputs", days=90, clock=CLOCK)
    start = END - dt.timedelta(days=INCIDENT_START_DAYS)
    incident = {start + dt.timedelta(days=k) for k in range(INCIDENT_DAYS)}
    broken = {d.day for d in history.daily if "fallback_rate" in d.breached}
    assert broken == incident
    # popular first, then random as it saturated
    levels = {d.day: d.fallback_by_level for d in history.daily if d.model_id == "recommender-v2"}
    first, last = min(incident), max(incident)
    assert levels[first]["popular"] > 0.2 and levels[first].get("random", 0) < 0.1
    assert levels[last]["random"] > 0.1


def test_v3_breaks_the_latency_objective_and_v2_does_not(demo_settings: StoreSettings) -> None:
    history = serving_history(demo_settings, "rec-inputs", days=28, clock=CLOCK)
    v3 = [d for d in history.daily if d.model_id == "recommender-v3"]
    v2 = [d for d in history.daily if d.model_id == "recommender-v2"]
    assert v3 and sum("latency_p95_ms" in d.breached for d in v3) >= 0.9 * len(v3)
    assert not any("latency_p95_ms" in d.breached for d in v2)


def test_fraud_labels_are_missing_for_the_last_30_days(demo_settings: StoreSettings) -> None:
    with duckdb.connect(str(demo_settings.path), read_only=True) as con:
        row = con.execute(
            "SELECT max(CAST(p.ts AS DATE)), count(*) FROM predictions p "
            "JOIN prediction_labels l USING (model_id, request_id)"
        ).fetchone()
        unlabelled = con.execute(
            "SELECT count(DISTINCT CAST(p.ts AS DATE)) FROM predictions p "
            "LEFT JOIN prediction_labels l USING (model_id, request_id) "
            "WHERE p.model_id LIKE 'fraud-%' AND l.label IS NULL"
        ).fetchone()
    assert row is not None and unlabelled is not None
    assert row[0] == END - dt.timedelta(days=LABEL_DELAY_DAYS)
    assert unlabelled[0] == LABEL_DELAY_DAYS
    report = estimate_performance(demo_settings, "fraud-scores", 0.2, days=60, clock=CLOCK)
    assert report.status == "estimated"
    assert sum(d.estimated for d in report.days) == LABEL_DELAY_DAYS
    # Every other day has all its labels in (its realised precision may still be undefined: the
    # rare fraud, 0.3% of predictions, leaves some small-demo days with nothing flagged).
    assert all(d.labelled == d.n for d in report.days if not d.estimated)
    assert any(d.realised_precision is not None for d in report.days if not d.estimated)


def test_overview_statuses_per_family(demo_settings: StoreSettings) -> None:
    statuses = family_statuses(demo_settings, clock=CLOCK)
    assert statuses["recommender"] == "alert"
    assert set(statuses) == {"recommender", "fraud"}

"""The demo store tells the KPI story: one healthy, one at warning with an exit forecast, one past
exit."""

from __future__ import annotations

from data.store import StoreSettings
from services import kpis as service


def test_demo_kpis_show_healthy_warning_with_forecast_and_exit(
    demo_settings: StoreSettings,
) -> None:
    statuses = {s.kpi_id: s for s in service.all_kpi_statuses(demo_settings)}
    assert set(statuses) == {"rec-ctr", "rec-revenue-per-session", "rec-latency", "fraud-cost"}
    assert statuses["rec-revenue-per-session"].status == "healthy"
    assert statuses["rec-ctr"].status == "warning"
    assert statuses["rec-ctr"].forecast_exit is not None
    assert statuses["fraud-cost"].status == "exit"
    assert all(s.defined_after_as_of is None for s in statuses.values())
    assert all(s.value_per_day is not None for s in statuses.values())


def test_demo_latency_that_rose_since_its_first_weeks_reports_a_positive_value_lost(
    demo_settings: StoreSettings,
) -> None:
    latency = next(s for s in service.all_kpi_statuses(demo_settings) if s.kpi_id == "rec-latency")
    # The demo's p95 latency starts near 181 ms and drifts up; each ms is priced as a cost.
    assert latency.value is not None and latency.value > 181
    assert latency.value_lost_to_date is not None and latency.value_lost_to_date > 0

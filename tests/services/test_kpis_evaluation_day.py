"""Each KPI is judged on the last day ITS OWN data has, says how stale that is, ignores rows dated
in the far future, and uses the version in force today (or on the day asked for)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from core.clock import fixed_clock
from data.store import StoreSettings, transaction
from kpi.spec import parse_spec
from services import kpis as service
from tests.kpi.factories import END, FRAUD_SPEC, build_store, ctr_spec

TODAY = END + dt.timedelta(days=1)
NOW = dt.datetime.combine(TODAY, dt.time(6))
CLOCK = fixed_clock(NOW)
DEFINED = dt.datetime.combine(END - dt.timedelta(days=60), dt.time(9))


def _insert_online(settings: StoreSettings, rows: list[tuple[str, str, str, float, int]]) -> None:
    """Rows straight into the table (dates as text, so 'infinity' goes in as DuckDB stores it),
    bypassing the ingestion's checks, as an older store may hold them."""
    frame = pd.DataFrame(rows, columns=["day", "model_id", "metric", "value", "n"])
    with transaction(settings) as con:
        con.register("extra_rows", frame)
        con.execute(
            "INSERT INTO online_metrics (date, model_id, metric, value, n, std) "
            "SELECT CAST(day AS DATE), model_id, metric, value, n, NULL FROM extra_rows"
        )
        con.unregister("extra_rows")


def _store(directory: Path) -> StoreSettings:
    settings = build_store(directory)
    service.define_kpi(settings, parse_spec(ctr_spec()), created_at=DEFINED, clock=CLOCK)
    service.define_kpi(settings, parse_spec(FRAUD_SPEC), created_at=DEFINED, clock=CLOCK)
    return settings


@pytest.fixture()
def store(tmp_path: Path) -> StoreSettings:
    return _store(tmp_path)


def _by_id(settings: StoreSettings, clock=CLOCK, as_of=None) -> dict[str, service.KpiStatus]:
    return {s.kpi_id: s for s in service.all_kpi_statuses(settings, as_of, clock=clock)}


def test_each_kpi_is_evaluated_on_its_own_last_data_day(store: StoreSettings) -> None:
    before = _by_id(store)["fraud-cost"]
    _insert_online(store, [(TODAY.isoformat(), "recommender-v2", "ctr", 0.05, 200_000)])
    after = _by_id(store)
    assert after["rec-ctr"].as_of == TODAY
    assert after["rec-ctr"].last_data_date == TODAY
    assert after["fraud-cost"].as_of == END
    assert after["fraud-cost"].last_data_date == END
    assert after["fraud-cost"].stale_days == 1
    assert (after["fraud-cost"].value, after["fraud-cost"].days_past_exit) == (
        before.value,
        before.days_past_exit,
    )


def test_rows_dated_far_in_the_future_are_ignored_and_counted(store: StoreSettings) -> None:
    before = _by_id(store)
    _insert_online(
        store,
        [
            ("9999-12-31", "recommender-v2", "ctr", 0.01, 200_000),
            ("infinity", "recommender-v2", "ctr", 0.01, 200_000),
            ("2030-01-01", "fraud-v1", "tp", 1.0, 1),
        ],
    )
    statuses = service.check_kpis(store, record=True, clock=CLOCK)
    after = {s.kpi_id: s for s in statuses}
    assert after["rec-ctr"].ignored_future_rows == 2
    assert after["fraud-cost"].ignored_future_rows == 1
    for kpi_id in ("rec-ctr", "fraud-cost"):
        assert after[kpi_id].as_of == END
        assert after[kpi_id].value == before[kpi_id].value
        assert after[kpi_id].status == before[kpi_id].status
    assert service.exit_code(statuses) != 30
    detail = service.kpi_detail(store, "rec-ctr", clock=CLOCK)
    assert pd.to_datetime(detail.series["date"]).max().date() == END


def test_stale_beyond_the_allowance_is_flagged_and_exits_30(tmp_path: Path) -> None:
    settings = build_store(tmp_path)
    lenient = ctr_spec().replace('owner = "EC', 'max_staleness_days = 10\nowner = "EC')
    service.define_kpi(settings, parse_spec(lenient), created_at=DEFINED, clock=CLOCK)
    service.define_kpi(settings, parse_spec(FRAUD_SPEC), created_at=DEFINED, clock=CLOCK)
    later = fixed_clock(NOW + dt.timedelta(days=8))
    statuses = _by_id(settings, later)
    assert statuses["rec-ctr"].stale_days == 9 and not statuses["rec-ctr"].is_stale
    assert statuses["fraud-cost"].stale_days == 9 and statuses["fraud-cost"].is_stale
    assert statuses["fraud-cost"].as_of == END  # judged on its data, not on an empty window
    assert statuses["fraud-cost"].status != "no_data"
    assert service.exit_code(list(statuses.values())) == 30
    assert service.exit_code(list(_by_id(settings, CLOCK).values())) == 0


def test_an_explicit_as_of_measures_staleness_against_that_day(store: StoreSettings) -> None:
    day = END - dt.timedelta(days=30)
    statuses = _by_id(store, as_of=day)
    assert all(s.as_of == day and s.last_data_date == day for s in statuses.values())
    assert all(s.stale_days == 0 for s in statuses.values())


def test_status_since_is_the_first_day_of_the_current_status(store: StoreSettings) -> None:
    detail = service.kpi_detail(store, "fraud-cost", clock=CLOCK)
    since = detail.status.status_since
    assert since is not None
    run = [e for e in detail.evaluations if e.date >= since]
    assert {e.status for e in run} == {detail.status.status}
    earlier = [e for e in detail.evaluations if e.date < since]
    assert not earlier or earlier[-1].status != detail.status.status


def test_today_uses_the_version_defined_today_even_before_new_data(store: StoreSettings) -> None:
    moved = ctr_spec(warning=0.049, rationale="Tightened today")
    service.define_kpi(store, parse_spec(moved), created_at=NOW, clock=CLOCK)
    today_status = service.kpi_status(store, "rec-ctr", clock=CLOCK)
    assert today_status.as_of == END < NOW.date()
    assert today_status.version == 2
    assert today_status.warning == 0.049
    assert today_status.defined_after_as_of is None


def test_an_explicit_past_as_of_uses_the_version_in_force_then(store: StoreSettings) -> None:
    moved = ctr_spec(warning=0.049, rationale="Tightened today")
    service.define_kpi(store, parse_spec(moved), created_at=NOW, clock=CLOCK)
    past = service.kpi_status(store, "rec-ctr", END - dt.timedelta(days=3), clock=CLOCK)
    assert past.version == 1
    assert past.warning == 0.046

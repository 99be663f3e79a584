"""KPI use cases: status, money, decay and forecasts from a store with known series."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data.store import connect, transaction
from i18n.kpi import status_to_json, version_note
from kpi.spec import parse_spec
from services import kpis as service
from tests.kpi.factories import (
    END,
    FRAUD_CELLS,
    FRAUD_SPEC,
    IMPRESSIONS,
    SWITCH_DAY,
    build_store,
    ctr_spec,
)

DECAY_PER_DAY = 0.00003
NOISE = np.random.default_rng(7).normal(0, 0.0004, 300)


def decaying_ctr(day: int) -> float:
    """v2 starts at 0.050 and loses DECAY_PER_DAY a day, with weekly seasonality and noise."""
    since = max(day - SWITCH_DAY, 0)
    weekly = 0.001 * np.sin(2 * np.pi * day / 7)
    return 0.050 - DECAY_PER_DAY * since + weekly + NOISE[day]


@pytest.fixture(scope="module")
def decaying(tmp_path_factory: pytest.TempPathFactory):
    settings = build_store(tmp_path_factory.mktemp("decaying"), decaying_ctr)
    # v2's level at END is 0.050 - 0.00003 * 199 = 0.04403: past warning, above exit.
    service.define_kpi(settings, parse_spec(ctr_spec()))
    service.define_kpi(settings, parse_spec(FRAUD_SPEC))
    service.define_kpi(
        settings, parse_spec(ctr_spec("rec-ctr-strict", 0.060, 0.055, 0.050, rationale="Strict"))
    )
    service.define_kpi(
        settings, parse_spec(ctr_spec("rec-ctr-loose", 0.040, 0.035, 0.030, rationale="Loose"))
    )
    return settings


def test_each_kpi_gets_the_status_its_lines_imply(decaying) -> None:
    statuses = {s.kpi_id: s for s in service.all_kpi_statuses(decaying, END)}
    assert statuses["rec-ctr"].status == "warning"
    assert statuses["rec-ctr-strict"].status == "exit"
    assert statuses["rec-ctr-loose"].status == "healthy"
    assert statuses["rec-ctr"].model_id == "recommender-v2"
    assert service.exit_code(list(statuses.values())) == 20


def test_exit_code_maps_the_worst_status() -> None:
    def of(*states: str) -> list[service.KpiStatus]:
        return [_status(state) for state in states]

    assert service.exit_code(of("healthy", "healthy")) == 0
    assert service.exit_code(of("healthy", "warning")) == 10
    assert service.exit_code(of("warning", "exit", "healthy")) == 20
    assert service.exit_code([]) == 0


def test_exit_code_30_outranks_exit_when_a_kpi_has_no_data_or_is_stale() -> None:
    assert service.exit_code([_status("healthy"), _status("no_data")]) == 30
    assert service.exit_code([_status("exit"), _status("healthy", stale_days=4)]) == 30
    assert service.exit_code([_status("exit"), _status("healthy", stale_days=3)]) == 20
    assert service.exit_code([_status("healthy", stale_days=None)]) == 30


def _status(state: str, stale_days: int | None = 0) -> service.KpiStatus:
    return service.KpiStatus(
        "k", 1, None, "n", "f", "m", "increase", "o", END, state, None, None, None,
        1.0, 0.9, 0.8, 0, 0, None, None, None, "JPY", None, None, None,
        last_data_date=END, stale_days=stale_days, max_staleness_days=3,
    )  # fmt: skip


def test_trend_recovers_the_known_decay_within_its_interval(decaying) -> None:
    status = service.kpi_status(decaying, "rec-ctr", END)
    assert status.trend is not None
    low, high = status.trend.per_30_days_ci
    assert low <= -30 * DECAY_PER_DAY <= high
    assert status.decay_per_day is not None and status.decay_per_day > 0


def test_exit_forecast_lands_near_the_true_crossing_day(decaying) -> None:
    status = service.kpi_status(decaying, "rec-ctr", END)
    true_days = (0.04403 - 0.042) / DECAY_PER_DAY
    assert status.forecast_warning is None  # already past
    assert status.forecast_exit is not None
    forecast_days = (status.forecast_exit.date - END).days
    assert abs(forecast_days - true_days) <= 0.1 * true_days
    assert status.forecast_exit.earliest <= END + dt.timedelta(days=round(true_days))


def test_value_per_day_is_clicks_times_unit_value(decaying) -> None:
    status = service.kpi_status(decaying, "rec-ctr", END)
    detail = service.kpi_detail(decaying, "rec-ctr", END)
    window = detail.series.tail(7)
    expected = float((window["value"] * IMPRESSIONS * 30).mean())
    assert status.value_per_day == pytest.approx(expected)
    assert status.currency == "JPY"


def test_value_lost_is_positive_for_a_decaying_kpi(decaying) -> None:
    status = service.kpi_status(decaying, "rec-ctr", END)
    # about half the decay over 200 days, times impressions and the unit value
    rough = 0.5 * DECAY_PER_DAY * 199 * 172 * IMPRESSIONS * 30
    assert status.value_lost_to_date == pytest.approx(rough, rel=0.3)


def test_cost_matrix_value_matches_a_hand_computation(decaying) -> None:
    status = service.kpi_status(decaying, "fraud-cost", END)
    by_hand = 40 * 48_000 + 300 * -800 + 9_600 * 0 + 60 * -50_000
    assert status.value_per_day == pytest.approx(by_hand)
    predictions = sum(FRAUD_CELLS.values())
    assert -50_000 <= by_hand / predictions <= 48_000
    assert status.value_lost_to_date == pytest.approx(0.0)


def test_json_has_the_documented_shape(decaying) -> None:
    record = status_to_json(service.kpi_status(decaying, "rec-ctr", END))
    for key in ("id", "version", "name", "status", "model_id", "value", "ci", "target",
                "warning", "exit", "days_past_warning", "days_past_exit", "trend", "forecast",
                "currency", "value_per_day", "value_lost_to_date"):  # fmt: skip
        assert key in record
    assert set(record["forecast"]) == {"warning", "exit"}
    assert record["forecast"]["exit"]["date"] > END.isoformat()


def test_a_kpi_defined_after_as_of_is_evaluated_with_its_first_version_and_says_so(
    decaying,
) -> None:
    status = service.kpi_status(decaying, "rec-ctr", END)
    note = version_note(status, "en")
    assert status.version == 1 and note and "first version" in note


def test_window_with_no_data_is_no_data(tmp_path: Path) -> None:
    settings = build_store(tmp_path)
    service.define_kpi(settings, parse_spec(ctr_spec()))
    before_any_data = END - dt.timedelta(days=400)
    status = service.kpi_status(settings, "rec-ctr", before_any_data)
    assert status.status == "no_data" and status.value is None


def test_an_evaluation_made_before_a_threshold_change_keeps_its_version(tmp_path: Path) -> None:
    settings = build_store(tmp_path, decaying_ctr)
    service.define_kpi(settings, parse_spec(ctr_spec()))
    service.check_kpis(settings, evaluated_by="cron")
    service.define_kpi(settings, parse_spec(ctr_spec(warning=0.043, rationale="Relaxed")))
    later = service.latest_versions(settings)
    assert later[0].version == 2
    [stored] = service.recorded_evaluations(settings, "rec-ctr")
    assert (stored.version, stored.status) == (1, "warning")


BRIDGE_SPEC = """\
id = "rec-ctr-bridged"
name = "CTR priced through the AUC bridge"
family = "recommender"
metric = "ctr"
source = "online"
direction = "increase"
target = 0.050
warning = 0.046
exit = 0.042
window_days = 7
persistence = 3
owner = "EC business unit"
rationale = "Bridge pricing"

[value]
kind = "bridge"
currency = "JPY"
unit_value = 30
offline_metric = "auc"
"""

OFFLINE_SPEC = """\
id = "rec-auc"
name = "Offline AUC on fresh labels"
family = "recommender"
metric = "auc"
source = "offline"
direction = "increase"
target = 0.80
warning = 0.785
exit = 0.77
window_days = 28
persistence = 2
owner = "Data science"
rationale = "Offline floor"

[value]
kind = "bridge"
currency = "JPY"
unit_value = 30
offline_metric = "auc"
online_metric = "ctr"
"""


def test_bridge_value_tracks_the_per_unit_value_when_offline_and_online_move_together(
    tmp_path: Path,
) -> None:
    # CTR and AUC both fall linearly, so the fitted bridge reads today's CTR off today's AUC.
    settings = build_store(tmp_path, lambda day: 0.052 - 0.00002 * day)
    service.define_kpi(settings, parse_spec(BRIDGE_SPEC))
    service.define_kpi(settings, parse_spec(ctr_spec()))
    bridged = service.kpi_status(settings, "rec-ctr-bridged", END)
    per_unit = service.kpi_status(settings, "rec-ctr", END)
    assert bridged.value_per_day == pytest.approx(per_unit.value_per_day, rel=0.05)
    detail = service.kpi_detail(settings, "rec-ctr-bridged", END)
    assert detail.bridge is not None and detail.bridge.bridge is not None
    assert detail.bridge.bridge.slope > 0 and detail.bridge.effect is not None


def test_offline_kpi_is_evaluated_on_the_live_models_offline_series(tmp_path: Path) -> None:
    settings = build_store(tmp_path)
    service.define_kpi(settings, parse_spec(OFFLINE_SPEC))
    status = service.kpi_status(settings, "rec-auc", END)
    # The synthetic AUC falls from 0.80 to 0.78 over the 300 days: below warning, above exit.
    assert status.model_id == "recommender-v2"
    assert status.value == pytest.approx(0.7805, abs=0.001)
    assert status.status == "warning"


def test_offline_kpi_reads_the_live_version_when_others_are_evaluated_the_same_day(
    tmp_path: Path,
) -> None:
    settings = build_store(tmp_path)
    service.define_kpi(settings, parse_spec(OFFLINE_SPEC))
    before = service.kpi_status(settings, "rec-auc", END)
    with connect(settings, read_only=True) as con:
        [last_day] = con.execute(
            "SELECT max(evaluated_at) FROM offline_metrics WHERE model_id = 'recommender-v2'"
        ).fetchone()
    # The retired v1 evaluated again beside v2 on v2's last evaluation day, far better: not the
    # production model's value that day (once two rows for one day, which stopped the check).
    beside = pd.DataFrame(
        {
            "model_id": ["recommender-v1"],
            "metric": ["auc"],
            "value": [0.95],
            "evaluated_at": [last_day],
            "dataset": ["fresh-labels"],
            "n": [10_000],
        }
    )
    with transaction(settings) as con:
        con.register("beside", beside)
        con.execute(
            "INSERT INTO offline_metrics (model_id, metric, value, evaluated_at, dataset, n) "
            "SELECT model_id, metric, value, evaluated_at, dataset, n FROM beside"
        )
    after = service.kpi_status(settings, "rec-auc", END)
    assert (after.model_id, after.value, after.status) == (
        before.model_id,
        before.value,
        before.status,
    )


def ctr_with_dips(day: int) -> float:
    """0.05 every day, except one day and then two days at 0.040 (past exit), and the last
    three days at 0.0445 (past warning only)."""
    if day in (250, 270, 271):
        return 0.040
    if day >= 297:
        return 0.0445
    return 0.050


def test_status_turns_only_after_persistence_days_and_never_on_a_short_dip(
    tmp_path: Path,
) -> None:
    settings = build_store(tmp_path, ctr_with_dips)
    service.define_kpi(settings, parse_spec(ctr_spec(window_days=1, persistence=3)))
    evaluations = service.kpi_detail(settings, "rec-ctr", END).evaluations
    by_day = {(e.date - END).days + 299: e for e in evaluations}
    assert {by_day[d].status for d in range(100, 297)} == {"healthy"}
    assert by_day[271].days_past_exit == 2 and by_day[271].status == "healthy"
    assert [by_day[d].status for d in (297, 298, 299)] == ["healthy", "healthy", "warning"]
    assert service.kpi_status(settings, "rec-ctr", END).days_past_warning == 3

"""Stored rows that ingest accepts but a KPI's evaluation cannot use: each is a `YardstickError`
naming what to fix, worded from the catalogue (English on the command line), never a bare
ValueError's text."""

from __future__ import annotations

import duckdb
import pytest

import cli
from core.clock import fixed_clock
from core.errors import YardstickError
from data.store import StoreSettings
from i18n.errors import describe
from services import kpis
from tests.factories import TEST_NOW

CLOCK = fixed_clock(TEST_NOW)
LIVE_FRAUD_LAST_DAY = (
    "date = (SELECT max(date) FROM online_metrics WHERE metric = 'tp') AND metric IN "
    "('tp', 'fp', 'tn', 'fn')"
)
LIVE_CTR_MODEL = (
    "(SELECT model_id FROM online_metrics WHERE metric = 'ctr' ORDER BY date DESC LIMIT 1)"
)


def stored(settings: StoreSettings, sql: str) -> None:
    """Change stored rows straight in the table, as a load of such rows would leave them."""
    with duckdb.connect(str(settings.path)) as con:
        con.execute(sql)


def refusal(settings: StoreSettings, kpi_id: str) -> YardstickError:
    with pytest.raises(YardstickError) as raised:
        kpis.kpi_detail(settings, kpi_id, clock=CLOCK)
    return raised.value


def test_a_cost_matrix_day_without_predictions_names_the_model_and_day(
    demo_settings: StoreSettings, capsys: pytest.CaptureFixture[str]
) -> None:
    with duckdb.connect(str(demo_settings.path)) as con:
        last_counted = con.execute("SELECT max(date) FROM online_metrics WHERE metric = 'tp'")
        day = last_counted.fetchone()[0].isoformat()
    stored(demo_settings, f"UPDATE online_metrics SET value = 0, n = 0 WHERE {LIVE_FRAUD_LAST_DAY}")
    error = refusal(demo_settings, "fraud-cost")
    assert (error.code, error.values["day"]) == ("kpi.value.no_predictions", day)
    assert "予測のない日" in describe(error, "ja")

    status = cli.main(["kpi", "check", "--db", str(demo_settings.path), "--no-record"])
    err = capsys.readouterr().err
    assert status == 1
    assert err.startswith(f"error: the stored counts of {error.values['model']} on {day} are all")
    assert "Traceback" not in err


def test_a_baseline_without_units_says_there_is_nothing_to_measure_the_loss_against(
    demo_settings: StoreSettings, capsys: pytest.CaptureFixture[str]
) -> None:
    stored(
        demo_settings,
        f"UPDATE online_metrics SET n = 0 WHERE metric = 'ctr' AND model_id = {LIVE_CTR_MODEL} "
        "AND date < (SELECT min(date) + 28 FROM online_metrics WHERE metric = 'ctr' "
        f"AND model_id = {LIVE_CTR_MODEL})",
    )
    assert refusal(demo_settings, "rec-ctr").code == "kpi.value.baseline_no_units"
    status = cli.main(["kpi", "explain", "--db", str(demo_settings.path), "--id", "rec-ctr"])
    err = capsys.readouterr().err
    assert status == 1 and "so there is no baseline to measure the value lost against" in err


def test_an_offline_metric_that_never_varies_leaves_the_kpi_without_a_bridge_and_says_why(
    demo_settings: StoreSettings, capsys: pytest.CaptureFixture[str]
) -> None:
    stored(demo_settings, "UPDATE offline_metrics SET value = 0.75 WHERE metric = 'auc'")
    detail = kpis.kpi_detail(demo_settings, "rec-ctr", clock=CLOCK)
    assert detail.bridge is not None and detail.bridge.bridge is None
    assert detail.bridge.unfitted is not None
    unfitted = detail.bridge.unfitted
    assert (unfitted.code, unfitted.values["offline"], unfitted.values["family"]) == (
        "kpi.bridge.flat_offline",
        "auc",
        "recommender",
    )
    # The bridge is context beside the KPIs: their check goes on (it stopped with exit 1).
    status = cli.main(["kpi", "check", "--db", str(demo_settings.path), "--no-record"])
    assert status in (0, 10, 20, 30) and "Traceback" not in capsys.readouterr().err


def test_an_online_level_of_zero_leaves_the_bridge_without_a_relative_effect(
    demo_settings: StoreSettings,
) -> None:
    stored(demo_settings, "UPDATE online_metrics SET value = 0 WHERE metric = 'ctr'")
    detail = kpis.kpi_detail(demo_settings, "rec-ctr", clock=CLOCK)
    assert detail.bridge is not None and detail.bridge.effect is None
    assert detail.bridge.unfitted is not None
    unfitted = detail.bridge.unfitted
    assert (unfitted.code, unfitted.values["online"]) == ("kpi.bridge.zero_online", "ctr")

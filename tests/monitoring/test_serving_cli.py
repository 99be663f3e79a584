"""`monitor value`, `experiment health` and the `error_budget` of `monitor check --json` on the
small demo store: documented keys and exit statuses, and refusals worded in one line."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from data.store import StoreSettings
from i18n.catalogue import translate
from tests.monitoring.factories import run_cli


def test_monitor_value_prices_the_fallbacks_of_the_click_kpi(
    demo_settings: StoreSettings, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(demo_settings.path)
    status, out, err = run_cli(
        capsys, "monitor", "value", "--db", db, "--kpi", "rec-ctr", "--days", "90", "--json"
    )
    assert (status, err) == (0, "")
    payload = json.loads(out)
    assert set(payload) >= {
        "kpi",
        "family",
        "metric",
        "currency",
        "unit_value",
        "window",
        "status",
        "reason",
        "cost_per_day",
        "daily_cost",
        "levels",
    }
    assert (payload["status"], payload["reason"], payload["currency"]) == ("priced", None, "JPY")
    cost = payload["cost_per_day"]
    assert cost["ci"][0] < cost["value"] < cost["ci"][1]
    # the demo's story: over 90 days, incident included, the fallbacks clearly cost money
    assert cost["ci"][0] > 0
    assert cost["days"] == 90 and cost["priced_days"] == 90
    # the incident's days served many fallbacks: the popular level clicks less than the model
    assert {level["served_by"] for level in payload["levels"]} == {"model", "popular", "random"}
    assert sum(d["fallback_requests"] for d in payload["daily_cost"]) == cost["fallback_requests"]


@pytest.mark.parametrize(
    ("kpi", "status", "code"),
    [
        ("rec-latency", 40, "monitor.value.not_label_rate"),
        ("fraud-cost", 40, "monitor.value.not_per_unit"),
    ],
)
def test_monitor_value_says_why_a_kpi_does_not_qualify(
    demo_settings: StoreSettings,
    capsys: pytest.CaptureFixture[str],
    kpi: str,
    status: int,
    code: str,
) -> None:
    db = str(demo_settings.path)
    exit_status, out, _ = run_cli(capsys, "monitor", "value", "--db", db, "--kpi", kpi, "--json")
    payload = json.loads(out)
    assert exit_status == status
    assert payload["reason"]["code"] == code and payload["cost_per_day"] is None
    exit_status, out, _ = run_cli(capsys, "monitor", "value", "--db", db, "--kpi", kpi)
    assert exit_status == status and f"KPI '{kpi}'" in out
    window = payload["window"]
    assert out.splitlines()[0] == translate(
        "en",
        "cli.monitor.value_no_cost",
        kpi_id=kpi,
        family=payload["family"],
        start=window["start"],
        end=window["end"],
    )


def test_monitor_value_without_predictions_exits_30(
    demo_settings: StoreSettings, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(demo_settings.path)
    args = ("monitor", "value", "--db", db, "--kpi", "rec-ctr", "--as-of", "2020-01-01", "--json")
    status, out, _ = run_cli(capsys, *args)
    assert status == 30 and json.loads(out)["status"] == "no_predictions"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--kpi", "nope"), "No KPI"),
        (("--kpi", "rec-ctr", "--days", "0"), "--days must be a whole number"),
    ],
)
def test_monitor_value_errors_exit_1(
    demo_settings: StoreSettings,
    capsys: pytest.CaptureFixture[str],
    args: tuple[str, ...],
    message: str,
) -> None:
    status, _, err = run_cli(capsys, "monitor", "value", "--db", str(demo_settings.path), *args)
    assert status == 1 and err.startswith("error: ") and message in err
    assert "Traceback" not in err


def test_experiment_health_flags_the_slower_challenger(
    demo_settings: StoreSettings, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(demo_settings.path)
    status, out, _ = run_cli(
        capsys, "experiment", "health", "--db", db, "--id", "rec-v3-vs-v2", "--json"
    )
    payload = json.loads(out)
    assert status == 10 and payload["status"] == "flagged"
    assert [a["variant"] for a in payload["arms"]] == ["v2", "v3"]
    (v3,) = payload["comparisons"]
    assert v3["latency_flagged"] and 1.4 < v3["latency_p95_ratio"] < 2.0
    # v3 scores like v2: only its serving is flagged
    assert not v3["scores_flagged"]
    assert set(payload["arms"][0]["score"]) == {
        "n",
        "mean",
        "sd",
        "p05",
        "p25",
        "p50",
        "p75",
        "p95",
    }


def test_experiment_health_without_models_exits_30(
    demo_settings: StoreSettings, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(demo_settings.path)
    status, out, _ = run_cli(capsys, "experiment", "health", "--db", db, "--id", "aa-homepage")
    assert status == 30 and "insufficient_data" in out
    _, document, _ = run_cli(
        capsys, "experiment", "health", "--db", db, "--id", "aa-homepage", "--json"
    )
    days = json.loads(document)["days"]
    assert out.splitlines()[0] == translate(
        "en",
        "cli.experiment.health_summary",
        experiment_id="aa-homepage",
        start=days["start"],
        end=days["end"],
        status="insufficient_data",
    )


def test_monitor_check_json_has_the_error_budget(
    demo_settings: StoreSettings, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(demo_settings.path)
    _, out, _ = run_cli(capsys, "monitor", "check", "--db", db, "--id", "rec-inputs", "--json")
    (monitor,) = json.loads(out)["monitors"]
    budget = {(b["objective"], b["level"]): b for b in monitor["error_budget"]}
    assert set(budget) == {("latency_p95_ms", None), ("fallback_rate", None)}
    latency = budget[("latency_p95_ms", None)]
    assert latency["allowed"] == 0.05 and latency["limit"] == 100
    assert latency["consumed"] == pytest.approx(latency["bad"] / latency["requests"] / 0.05)


def test_monitor_value_carries_a_sample_of_the_traffic_to_the_kpis_scale(
    demo_settings: StoreSettings, capsys: pytest.CaptureFixture[str]
) -> None:
    """The demo stores a few hundred recommender predictions a day against about a million
    impressions: the cost is the sample's times impressions / predictions, and says so."""
    import duckdb

    from data import serving_store
    from data.store import connect
    from kpi.fallback_value import fallback_cost

    db = str(demo_settings.path)
    status, out, _ = run_cli(
        capsys, "monitor", "value", "--db", db, "--kpi", "rec-ctr", "--days", "14", "--json"
    )
    assert status == 0
    payload = json.loads(out)
    first, last = payload["window"]["start"], payload["window"]["end"]
    with duckdb.connect(db, read_only=True) as con:
        (requests,) = con.execute(
            "SELECT count(*) FROM predictions p JOIN models m USING (model_id) "
            "WHERE m.family = 'recommender' AND CAST(p.ts AS DATE) BETWEEN ? AND ?",
            [first, last],
        ).fetchone()
        (units,) = con.execute(
            "SELECT sum(o.n) FROM online_metrics o JOIN models m USING (model_id) "
            "WHERE m.family = 'recommender' AND o.metric = 'ctr' AND o.date BETWEEN ? AND ?",
            [first, last],
        ).fetchone()
    coverage = payload["coverage"]
    assert (coverage["predictions"], coverage["units"], coverage["basis"]) == (
        requests,
        units,
        "scaled",
    )
    assert coverage["ratio"] == pytest.approx(requests / units, rel=1e-12)
    window = (dt.date.fromisoformat(first), dt.date.fromisoformat(last))
    with connect(demo_settings, read_only=True) as con:
        levels, _ = serving_store.level_outcomes(con, "recommender", window)
    sample = fallback_cost(levels, payload["unit_value"])
    factor = units / requests
    assert payload["cost_per_day"]["value"] == pytest.approx(sample.per_day * factor, rel=1e-9)
    assert payload["cost_per_day"]["ci"] == pytest.approx(
        [sample.low * factor, sample.high * factor], rel=1e-9
    )
    status, text, _ = run_cli(capsys, "monitor", "value", "--db", db, "--kpi", "rec-ctr")
    assert status == 0 and "scaled to all traffic" in text

"""A cost-matrix KPI's estimated days (services/estimated.py) against a hand numpy computation on
the same generated rows: which days are estimated, the pooled window estimate and interval, the
status carried on by the persistence rule, the refusals, and `kpi check --json`'s keys (the exit
status stays on realised days)."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from core.clock import fixed_clock
from data import kpi_store
from data.store import StoreSettings, transaction
from kpi.spec import parse_spec
from services.estimated import NOT_ESTIMABLE, check_kpis_with_estimates, kpi_estimate
from services.kpis import all_kpi_statuses
from tests.factories import TEST_NOW
from tests.monitoring.factories import (
    add_models,
    insert_predictions,
    predictions,
    run_cli,
    spec_text,
    store,
)
from tests.services.factories import count_store_opens

FAMILY = "fraud"
MODEL = "fraud-v1"
NEW_MODEL = "fraud-v2"
TODAY = TEST_NOW.date()
REFERENCE = (TODAY - dt.timedelta(days=80), TODAY - dt.timedelta(days=53))
REALISED_THROUGH = TODAY - dt.timedelta(days=18)
LAST_PREDICTION = TODAY - dt.timedelta(days=1)
THRESHOLD = 0.15
EXIT_LINE = 0.8
CLOCK = fixed_clock(TEST_NOW)


def kpi_text(metric: str = "recall") -> str:
    """The fraud KPI: recall priced by a cost matrix; its labels are a month late."""
    return f"""\
id = "fraud-cost"
name = "Fraud screening recall"
family = "fraud"
metric = "{metric}"
source = "online"
window_days = 7
persistence = 3
direction = "increase"
target = 0.95
warning = 0.85
exit = {EXIT_LINE}
max_staleness_days = 30
owner = "Risk"
rationale = "Agreed with risk"
[value]
kind = "cost_matrix"
currency = "JPY"
tp = 48000
fp = -800
tn = 0
fn = -50000
"""


def _fraud_store(
    tmp_path: Path,
    *,
    lift: float = 1.0,
    metric: str = "recall",
    threshold: float | None = THRESHOLD,
    handover: dt.date | None = None,
) -> tuple[StoreSettings, pd.DataFrame]:
    """Predictions from the reference to yesterday (scores Beta(1, 12); reference labels drawn as
    Bernoulli(lift x score)), a realised recall of 0.95 a day until REALISED_THROUGH, the KPI and
    a monitor agreeing `threshold`. With `handover`, version NEW_MODEL (scores Beta(5, 2)) is
    deployed at noon that day and MODEL serves until then."""
    models = ((MODEL, FAMILY, REFERENCE[0]),)
    settings = store(tmp_path / "s.duckdb", models)
    rng = np.random.default_rng(11)
    rows = predictions(rng, (REFERENCE[0], LAST_PREDICTION), 400, model_id=MODEL, score=(1, 12))
    in_reference = rows["ts"] < pd.Timestamp(REFERENCE[1] + dt.timedelta(days=1))
    probability = np.minimum(1.0, lift * rows["score"].to_numpy())
    rows["label"] = np.where(in_reference, rng.random(len(rows)) < probability, np.nan)
    if handover is not None:
        noon = pd.Timestamp(handover) + pd.Timedelta(hours=12)
        add_models(settings, ((NEW_MODEL, FAMILY, handover),))
        with transaction(settings) as con:
            con.execute(
                "UPDATE models SET deployed_at = ? WHERE model_id = ?",
                [noon.to_pydatetime(), NEW_MODEL],
            )
        new = predictions(rng, (handover, LAST_PREDICTION), 400, model_id=NEW_MODEL, score=(5, 2))
        new = new[new["ts"] >= noon]
        rows = pd.concat([rows[rows["ts"] < noon], new], ignore_index=True)
        rows["label"] = rows["label"].astype(float)
    insert_predictions(settings, rows)
    days = pd.date_range(REFERENCE[0], REALISED_THROUGH, freq="D")
    cells = {"tp": 95, "fp": 200, "tn": 9_000, "fn": 5, "recall": 0.95}
    online = pd.DataFrame(
        [
            (day, MODEL, metric_name, float(value), 100)
            for day in days
            for metric_name, value in cells.items()
        ],
        columns=["date", "model_id", "metric", "value", "n"],
    )
    with transaction(settings) as con:
        con.register("new_online", online)
        con.execute(
            "INSERT INTO online_metrics (date, model_id, metric, value, n, std) "
            "SELECT CAST(date AS DATE), model_id, metric, value, n, NULL FROM new_online"
        )
        spec = parse_spec(kpi_text(metric))
        written = dt.datetime.combine(REFERENCE[0], dt.time())
        kpi_store.insert_version(con, spec, 1, "test", written, (), logged_at=written)
    monitor = tmp_path / "monitor.toml"
    monitor.write_text(
        spec_text(
            id="fraud-scores",
            family=FAMILY,
            reference={"start": REFERENCE[0], "end": REFERENCE[1]},
            min_rows=1000,
            threshold=threshold,
        ),
        encoding="utf-8",
    )
    import cli

    assert cli.main(["monitor", "define", "--db", str(settings.path), "--spec", str(monitor)]) == 0
    return settings, rows[rows["served_by"] == "model"]


def _hand_window(rows: pd.DataFrame, first: dt.date, last: dt.date) -> tuple[float, float, float]:
    """Recall over the days first..last from the scores (numpy), with its 95% interval."""
    day = rows["ts"].dt.date
    s = rows.loc[(day >= first) & (day <= last), "score"].to_numpy()
    flagged = s >= THRESHOLD
    tp, fn = s[flagged].sum(), s[~flagged].sum()
    v_pos, v_neg = (s * (1 - s))[flagged].sum(), (s * (1 - s))[~flagged].sum()
    recall = tp / (tp + fn)
    sd = math.sqrt(fn**2 * v_pos + tp**2 * v_neg) / (tp + fn) ** 2
    z = stats.norm.ppf(0.975)
    return recall, max(recall - z * sd, 0.0), min(recall + z * sd, 1.0)


def test_days_after_the_last_realised_day_are_estimated_as_a_hand_computation(
    tmp_path: Path,
) -> None:
    settings, rows = _fraud_store(tmp_path)
    detail, estimate = kpi_estimate(settings, "fraud-cost", clock=CLOCK)
    assert estimate is not None and estimate.refusal is None
    assert detail.status.last_data_date == REALISED_THROUGH == estimate.realised_through
    expected_days = pd.date_range(REALISED_THROUGH + dt.timedelta(days=1), LAST_PREDICTION).date
    assert [d.day for d in estimate.days] == list(expected_days)
    assert {d.basis for d in estimate.days} == {"estimated"}
    past_exit = []
    for day in estimate.days:
        first = max(day.day - dt.timedelta(days=6), REALISED_THROUGH + dt.timedelta(days=1))
        recall, low, high = _hand_window(rows, first, day.day)
        assert day.window is not None
        assert (day.window.value, day.window.low, day.window.high) == pytest.approx(
            (recall, low, high), rel=1e-9
        )
        past_exit.append(high < EXIT_LINE)
    # The scores say recall is far below the exit line: every window lies wholly past it, so the
    # realised "healthy" turns to exit on the third estimated day (persistence 3), not before.
    assert all(past_exit)
    assert detail.status.status == "healthy"
    assert [d.status for d in estimate.days[:4]] == ["healthy", "healthy", "exit", "exit"]
    assert estimate.status == "exit" and estimate.estimated_through == LAST_PREDICTION


def test_value_per_day_is_the_last_windows_money_over_its_days(tmp_path: Path) -> None:
    settings, _ = _fraud_store(tmp_path)
    _, estimate = kpi_estimate(settings, "fraud-cost", clock=CLOCK)
    assert estimate is not None and estimate.value_per_day is not None
    last_week = [d for d in estimate.days if d.day > LAST_PREDICTION - dt.timedelta(days=7)]
    money = [d.money for d in last_week]
    assert all(m is not None for m in money)
    mean = sum(m.value for m in money if m is not None) / len(money)
    assert estimate.value_per_day.value == pytest.approx(mean, rel=1e-12)
    # independent days: the variance of the mean is the sum of the days' variances / days^2
    sd = math.sqrt(sum(m.sd**2 for m in money if m is not None)) / len(money)
    assert estimate.value_per_day.sd == pytest.approx(sd, rel=1e-9)


def test_money_is_scaled_by_the_predictions_coverage_of_the_kpis_transactions(
    tmp_path: Path,
) -> None:
    # 400 predictions a day against the KPI's 95 + 200 + 9,000 + 5 = 9,300 transactions a day.
    settings, rows = _fraud_store(tmp_path)
    _, estimate = kpi_estimate(settings, "fraud-cost", clock=CLOCK)
    assert estimate is not None
    coverage = estimate.coverage
    assert (coverage.days, coverage.predictions, coverage.transactions) == (7, 2_800, 65_100)
    assert coverage.basis == "scaled"
    last = estimate.days[-1]
    s = rows.loc[rows["ts"].dt.date == last.day, "score"].to_numpy()
    flagged = s >= THRESHOLD
    sample = (48_000 * s[flagged] - 800 * (1 - s[flagged])).sum() - 50_000 * s[~flagged].sum()
    hand = sample * 9_300 / 400
    assert last.money is not None and last.money.value == pytest.approx(hand, rel=1e-9)


def test_demo_estimated_money_is_on_the_realised_moneys_scale(
    demo_settings: StoreSettings,
) -> None:
    status = next(s for s in all_kpi_statuses(demo_settings) if s.kpi_id == "fraud-cost")
    estimate = check_kpis_with_estimates(demo_settings, record=False).estimates["fraud-cost"]
    assert estimate.refusal is None and estimate.coverage.basis == "scaled"
    assert estimate.value_per_day is not None and status.value_per_day is not None
    ratio = estimate.value_per_day.value / status.value_per_day
    assert 1 / 1.5 < ratio < 1.5


def test_uncalibrated_scores_give_no_estimate_and_say_why(tmp_path: Path) -> None:
    settings, _ = _fraud_store(tmp_path, lift=1.6)
    _, estimate = kpi_estimate(settings, "fraud-cost", clock=CLOCK)
    assert estimate is not None
    assert estimate.refusal == "monitor.estimate.uncalibrated"
    assert estimate.status is None and estimate.value is None and estimate.value_per_day is None
    assert estimate.days and all(d.window is None and d.status is None for d in estimate.days)


def test_a_metric_scores_cannot_estimate_is_refused_by_name(tmp_path: Path) -> None:
    settings, _ = _fraud_store(tmp_path, metric="tp")
    _, estimate = kpi_estimate(settings, "fraud-cost", clock=CLOCK)
    assert estimate is not None and estimate.refusal == NOT_ESTIMABLE and estimate.status is None


def test_without_a_monitor_threshold_the_kpi_has_only_realised_days(tmp_path: Path) -> None:
    settings, _ = _fraud_store(tmp_path, threshold=None)
    assert check_kpis_with_estimates(settings, record=False, clock=CLOCK).estimates == {}


def test_kpi_check_json_adds_estimated_keys_and_keeps_the_realised_exit_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings, _ = _fraud_store(tmp_path)
    capsys.readouterr()
    status, out, _ = run_cli(
        capsys, "kpi", "check", "--db", str(settings.path), "--no-record", "--json"
    )
    record = json.loads(out)["kpis"][0]
    assert record["status"] == "healthy" and status == 0  # the estimated exit does not count
    assert record["estimated_status"] == "exit"
    assert record["estimated_from"] == (REALISED_THROUGH + dt.timedelta(days=1)).isoformat()
    assert record["estimated_through"] == LAST_PREDICTION.isoformat()
    assert record["estimated_by"] == {"monitor_id": "fraud-scores", "threshold": THRESHOLD}
    low, high = record["estimated_value"]["ci"]
    assert low <= record["estimated_value"]["value"] <= high < EXIT_LINE
    assert record["estimated_refusal"] is None
    assert record["estimated_money_basis"] == "scaled"
    assert record["estimated_coverage"] == pytest.approx(400 / 9_300)


def test_kpi_check_json_words_the_refusal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings, _ = _fraud_store(tmp_path, lift=1.6)
    capsys.readouterr()
    _, out, _ = run_cli(capsys, "kpi", "check", "--db", str(settings.path), "--no-record", "--json")
    record = json.loads(out)["kpis"][0]
    assert record["estimated_status"] is None and record["estimated_value"] is None
    refusal = record["estimated_refusal"]
    assert refusal["code"] == "monitor.estimate.uncalibrated"
    assert "not calibrated" in refusal["message"] and "{" not in refusal["message"]


@pytest.mark.parametrize("record", [False, True])
def test_kpi_check_reads_statuses_and_estimates_from_one_snapshot(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    record: bool,
) -> None:
    # One read-only connection for every read of the check (statuses and estimated statuses),
    # then, when recording, one transaction for the record: a load between two reads cannot make
    # a KPI's estimated status disagree with its realised one.
    settings, _ = _fraud_store(tmp_path)
    capsys.readouterr()
    opened = count_store_opens(monkeypatch)
    flags = () if record else ("--no-record",)
    status, out, _ = run_cli(capsys, "kpi", "check", "--db", str(settings.path), *flags)
    assert status == 0 and "estimated exit" in out
    # The first read-only connection is the command's schema check, before any use case.
    assert opened == ([True, True, False] if record else [True, True])


def test_a_hand_over_restarts_the_estimate_at_the_new_versions_first_day(tmp_path: Path) -> None:
    # fraud-v2 takes over at noon on HANDOVER; fraud-v1 serves the morning. Each estimated day is
    # read from the live version's scores alone (the newer wins on the hand-over day, as in the
    # KPI series), a window pools only its version's days, and v1's estimated exit is not carried
    # into v2, whose scores (Beta(5, 2), nearly all flagged) put its recall far above the lines.
    handover = REALISED_THROUGH + dt.timedelta(days=8)
    settings, rows = _fraud_store(tmp_path, handover=handover)
    _, estimate = kpi_estimate(settings, "fraud-cost", clock=CLOCK)
    assert estimate is not None and estimate.refusal is None
    models = [d.model_id for d in estimate.days]
    assert models == [MODEL] * 7 + [NEW_MODEL] * (len(models) - 7)
    assert estimate.days[7].day == handover
    for day in estimate.days:
        own = rows[rows["model_id"] == day.model_id]
        first = max(
            day.day - dt.timedelta(days=6),
            handover if day.model_id == NEW_MODEL else REALISED_THROUGH + dt.timedelta(days=1),
        )
        recall, low, high = _hand_window(own, first, day.day)
        assert day.window is not None
        assert (day.window.value, day.window.low, day.window.high) == pytest.approx(
            (recall, low, high), rel=1e-9
        )
        assert day.predictions == int((own["ts"].dt.date == day.day).sum())
    # v1's days turn exit on the third (persistence 3); v2 starts healthy and stays so
    statuses = [d.status for d in estimate.days]
    assert statuses[:7] == ["healthy", "healthy"] + ["exit"] * 5
    assert statuses[7:] == ["healthy"] * (len(statuses) - 7)
    assert estimate.days[7].days_past_exit == 0 and estimate.status == "healthy"
    spans = [(v.model_id, v.first, v.last) for v in estimate.versions]
    assert spans == [
        (MODEL, REALISED_THROUGH + dt.timedelta(days=1), handover - dt.timedelta(days=1)),
        (NEW_MODEL, handover, LAST_PREDICTION),
    ]


def test_kpi_check_says_which_version_each_estimated_day_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    handover = REALISED_THROUGH + dt.timedelta(days=8)
    settings, _ = _fraud_store(tmp_path, handover=handover)
    capsys.readouterr()
    args = ("kpi", "check", "--db", str(settings.path), "--no-record")
    _, out, _ = run_cli(capsys, *args, "--json")
    record = json.loads(out)["kpis"][0]
    assert record["estimated_versions"] == [
        {
            "model_id": MODEL,
            "from": (REALISED_THROUGH + dt.timedelta(days=1)).isoformat(),
            "through": (handover - dt.timedelta(days=1)).isoformat(),
        },
        {
            "model_id": NEW_MODEL,
            "from": handover.isoformat(),
            "through": LAST_PREDICTION.isoformat(),
        },
    ]
    assert record["estimated_status"] == "healthy"
    _, text, _ = run_cli(capsys, *args)
    assert f"versions: {MODEL} " in text and f"{NEW_MODEL} {handover} to" in text

"""Performance estimation read from a store: the DuckDB sums against a hand numpy computation on
the same generated rows (late labels, fallbacks and another family included), and
`monitor estimate` on the command line (exit statuses, JSON keys, refusals)."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from data import kpi_store
from data.store import StoreSettings, transaction
from kpi.spec import parse_spec
from services.performance import estimate_performance
from tests.monitoring.factories import (
    add_models,
    insert_predictions,
    predictions,
    run_cli,
    spec_text,
    store,
)

FAMILY = "fraud"
MODEL = "fraud-v1"
REFERENCE = (dt.date(2026, 6, 1), dt.date(2026, 6, 28))
WINDOW = (dt.date(2026, 7, 1), dt.date(2026, 7, 7))
THRESHOLD = 0.4
CELLS = {"tp": 48_000.0, "fp": -800.0, "tn": 0.0, "fn": -50_000.0}
KPI_TEXT = """\
id = "fraud-cost"
name = "Fraud screening value"
family = "fraud"
metric = "tp"
source = "online"
window_days = 7
persistence = 3
direction = "increase"
target = 40
warning = 35
exit = 30
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
Z = stats.norm.ppf(0.975)


def _fraud_store(tmp_path: Path, *, lift: float = 1.0, labelled_reference: bool = True):
    """A fraud model's predictions: a labelled reference (labels ~ Bernoulli(lift x score)), a
    window whose first three days got late labels and whose other days have none, fallback rows
    and another family's rows (both to be left out); the monitor and the cost-matrix KPI."""
    settings = store(tmp_path / "s.duckdb", ((MODEL, FAMILY, REFERENCE[0]),))
    add_models(settings, (("rec-v1", "recommender", REFERENCE[0]),))
    rng = np.random.default_rng(5)
    reference = predictions(rng, REFERENCE, 100, model_id=MODEL, score=(1.0, 4.0))
    if labelled_reference:
        probability = np.minimum(1.0, lift * reference["score"].to_numpy())
        reference["label"] = (rng.random(len(reference)) < probability).astype(float)
    window = predictions(
        rng, WINDOW, 300, model_id=MODEL, score=(1.0, 4.0), fallbacks={"rules": 0.1}
    )
    window["label"] = np.nan
    labelled_until = pd.Timestamp(WINDOW[0] + dt.timedelta(days=3))
    # no request id: such a prediction cannot get a late label (days 4 to 7 only)
    window.loc[(window["ts"] >= labelled_until) & (window.index % 97 == 0), "request_id"] = ""
    other = predictions(rng, WINDOW, 50, model_id="rec-v1")
    for frame in (reference, window, other):
        insert_predictions(settings, frame)
    late = window[window["ts"] < labelled_until]
    labels = pd.DataFrame(
        {
            "model_id": late["model_id"],
            "request_id": late["request_id"],
            "label": (rng.random(len(late)) < late["score"].to_numpy()).astype(float),
        }
    )
    with transaction(settings) as con:
        con.register("new_labels", labels)
        con.execute(
            "INSERT INTO prediction_labels (model_id, request_id, label) "
            "SELECT model_id, request_id, label FROM new_labels"
        )
        written = dt.datetime(2026, 6, 1)
        kpi_store.insert_version(
            con, parse_spec(KPI_TEXT), 1, "test", written, (), logged_at=written
        )
    spec = tmp_path / "monitor.toml"
    spec.write_text(spec_text(id="fraud-scores", family=FAMILY, min_rows=1000), encoding="utf-8")
    assert run_cli_plain("monitor", "define", "--db", str(settings.path), "--spec", str(spec)) == 0
    frame = pd.concat([reference, window])
    frame = frame.merge(labels, on=["model_id", "request_id"], how="left", suffixes=("", "_late"))
    frame["y"] = frame["label_late"].fillna(frame["label"])
    return settings, frame[frame["served_by"] == "model"]


def run_cli_plain(*args: str) -> int:
    import cli

    return cli.main(list(args))


def _hand_day(rows: pd.DataFrame) -> dict[str, float]:
    s, y = rows["score"].to_numpy(), rows["y"].to_numpy()
    flagged, labelled = s >= THRESHOLD, ~np.isnan(y)
    tp, fn = s[flagged].sum(), s[~flagged].sum()
    v_pos, v_neg = (s * (1 - s))[flagged].sum(), (s * (1 - s))[~flagged].sum()
    n_pos, n_neg = flagged.sum(), (~flagged).sum()
    value = (
        tp * CELLS["tp"]
        + (n_pos - tp) * CELLS["fp"]
        + fn * CELLS["fn"]
        + (n_neg - fn) * CELLS["tn"]
    )
    value_sd = math.sqrt(
        (CELLS["tp"] - CELLS["fp"]) ** 2 * v_pos + (CELLS["fn"] - CELLS["tn"]) ** 2 * v_neg
    )
    recall_sd = math.sqrt(fn**2 * v_pos + tp**2 * v_neg) / (tp + fn) ** 2
    out = {
        "n": len(s),
        "labelled": int(labelled.sum()),
        "precision": tp / n_pos,
        "precision_sd": math.sqrt(v_pos) / n_pos,
        "recall": tp / (tp + fn),
        "recall_sd": recall_sd,
        "value": value,
        "value_sd": value_sd,
    }
    if labelled.all():
        r_tp = (y[flagged] == 1).sum()
        r_fp, r_fn = (y[flagged] == 0).sum(), (y[~flagged] == 1).sum()
        out["realised_precision"] = r_tp / (r_tp + r_fp)
        out["realised_recall"] = r_tp / (r_tp + r_fn)
        out["realised_value"] = r_tp * 48_000 - r_fp * 800 - r_fn * 50_000
    return out


def test_daily_estimates_equal_a_hand_computation_on_the_same_rows(tmp_path: Path) -> None:
    settings, rows = _fraud_store(tmp_path)
    report = estimate_performance(
        settings, "fraud-scores", THRESHOLD, kpi_id="fraud-cost", as_of=WINDOW[1]
    )
    assert report.status == "estimated" and report.exit_code == 0
    assert [d.day for d in report.days] == [WINDOW[0] + dt.timedelta(days=k) for k in range(7)]
    for day in report.days:
        hand = _hand_day(rows[rows["ts"].dt.date == day.day])
        assert (day.n, day.labelled) == (hand["n"], hand["labelled"])
        for name in ("precision", "recall", "value"):
            estimate = getattr(day, name)
            assert estimate.value == pytest.approx(hand[name], rel=1e-9)
            assert estimate.sd == pytest.approx(hand[f"{name}_sd"], rel=1e-6)
            if name == "value":
                assert estimate.low == pytest.approx(hand[name] - Z * hand[f"{name}_sd"], rel=1e-9)
        for name in ("realised_precision", "realised_recall", "realised_value"):
            if name in hand:
                assert getattr(day, name) == pytest.approx(hand[name], rel=1e-12)
            else:
                assert getattr(day, name) is None
    # the first three days' labels are all in; the others have none
    assert [d.estimated for d in report.days] == [False] * 3 + [True] * 4
    assert report.days[0].realised_value is not None and report.days[4].labelled == 0


def test_reliability_bins_equal_deciles_of_the_sorted_reference(tmp_path: Path) -> None:
    settings, rows = _fraud_store(tmp_path)
    report = estimate_performance(settings, "fraud-scores", THRESHOLD, as_of=WINDOW[1])
    reference = rows[rows["ts"] < pd.Timestamp(REFERENCE[1] + dt.timedelta(days=1))]
    ordered = reference.sort_values(["score", "ts", "request_id"])
    chunks = np.array_split(np.arange(len(ordered)), 10)  # NTILE: the larger groups first
    s, y = ordered["score"].to_numpy(), ordered["y"].to_numpy()
    bins = report.calibration.bins
    assert [b.n for b in bins] == [len(c) for c in chunks]
    for b, chunk in zip(bins, chunks, strict=True):
        assert b.score_sum == pytest.approx(s[chunk].sum(), rel=1e-12)
        assert b.positives == y[chunk].sum()
        assert (b.score_min, b.score_max) == (s[chunk].min(), s[chunk].max())
    ece = sum(abs(s[c].sum() - y[c].sum()) for c in chunks) / len(s)
    assert report.calibration.ece == pytest.approx(ece, rel=1e-12)


def test_monitor_estimate_prints_the_documented_json_and_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings, _ = _fraud_store(tmp_path)
    capsys.readouterr()
    status, out, _ = run_cli(
        capsys, "monitor", "estimate", "--db", str(settings.path), "--id", "fraud-scores",
        "--threshold", str(THRESHOLD), "--kpi", "fraud-cost", "--as-of", "2026-07-07", "--json",
    )  # fmt: skip
    assert status == 0
    payload = json.loads(out)
    assert set(payload) == {
        "id", "family", "model_id", "as_of", "threshold", "status", "reason", "reference",
        "window", "calibration", "kpi", "currency", "days",
    }  # fmt: skip
    assert payload["status"] == "estimated" and payload["reason"] is None
    assert set(payload["calibration"]) == {
        "status", "n", "ece", "statistic", "df", "p_value", "alpha", "bins",
    }  # fmt: skip
    day = payload["days"][0]
    assert set(day) == {
        "date", "n", "labelled", "estimated", "precision", "recall", "value", "realised",
    }  # fmt: skip
    assert set(day["value"]) == {"value", "ci"} and payload["currency"] == "JPY"


def test_uncalibrated_scores_exit_40_with_the_reason_and_no_estimate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings, _ = _fraud_store(tmp_path, lift=1.6)
    capsys.readouterr()
    args = ["monitor", "estimate", "--db", str(settings.path), "--id", "fraud-scores"]
    status, out, _ = run_cli(capsys, *args, "--threshold", "0.4", "--json")
    payload = json.loads(out)
    assert status == 40 and payload["status"] == "uncalibrated"
    assert payload["reason"]["code"] == "monitor.estimate.uncalibrated"
    assert all(d["precision"] is None and d["recall"] is None for d in payload["days"])
    status, out, _ = run_cli(capsys, *args, "--threshold", "0.4")
    assert status == 40 and "not calibrated on the reference 2026-06-01 to 2026-06-28" in out


def test_a_reference_without_labels_exits_30(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings, _ = _fraud_store(tmp_path, labelled_reference=False)
    capsys.readouterr()
    status, out, _ = run_cli(
        capsys, "monitor", "estimate", "--db", str(settings.path), "--id", "fraud-scores",
        "--threshold", "0.4", "--json",
    )  # fmt: skip
    payload = json.loads(out)
    assert status == 30 and payload["calibration"]["status"] == "insufficient_data"
    assert payload["reason"]["code"] == "monitor.estimate.too_few_labels"


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (["--threshold", "0"], "--threshold must be a number above 0"),
        (["--threshold", "0.4", "--days", "0"], "--days must be a whole number"),
        (["--threshold", "0.4", "--kpi", "nope"], "No KPI with id 'nope'"),
    ],
)
def test_bad_flags_exit_1_with_one_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flags: list[str], words: str
) -> None:
    settings, _ = _fraud_store(tmp_path)
    capsys.readouterr()
    status, _, err = run_cli(
        capsys, "monitor", "estimate", "--db", str(settings.path), "--id", "fraud-scores", *flags
    )
    assert status == 1 and words in err and "Traceback" not in err


def test_an_unknown_monitor_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = StoreSettings(tmp_path / "empty.duckdb")
    store(settings.path)
    status, _, err = run_cli(
        capsys, "monitor", "estimate", "--db", str(settings.path), "--id", "x", "--threshold", "0.5"
    )
    assert status == 1 and "No monitor with id 'x'" in err

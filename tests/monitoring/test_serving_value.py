"""Serving health tied to value, against independent oracles on rows the tests generate: the error
budget counts requests as numpy does, per-level outcomes (late labels winning) and the fallback
cost equal a hand computation on the rows, and an experiment's arm health equals numpy's
quantiles and scipy's two-sample KS."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from data import serving_store
from data.store import StoreSettings, connect, transaction
from kpi.fallback_value import fallback_cost
from monitoring.arm_health import compare_arm
from monitoring.budget import BudgetReadings, error_budgets
from monitoring.spec import parse_spec
from services.monitoring import check_monitors, define_monitor
from tests.monitoring.factories import (
    FAMILY,
    REFERENCE,
    WINDOW,
    add_models,
    insert_predictions,
    predictions,
    spec_text,
    store,
)


@pytest.fixture
def clicked(tmp_path: Path) -> tuple[StoreSettings, pd.DataFrame]:
    """Four weeks of reference and a week of window; fallbacks `popular` and `random`, clicks as
    labels (model 5%, popular 2.5%, random 0.5%); some labels arrive late, overriding."""
    rng = np.random.default_rng(11)
    settings = store(tmp_path / "s.duckdb")
    frames = [
        predictions(rng, REFERENCE, 100),
        predictions(rng, WINDOW, 800, fallbacks={"popular": 0.06, "random": 0.02}),
    ]
    frame = pd.concat(frames, ignore_index=True)
    rate = frame["served_by"].map({"model": 0.05, "popular": 0.025, "random": 0.005})
    frame["label"] = (rng.random(len(frame)) < rate).astype(float)
    frame.loc[frame.index[::53], "label"] = np.nan  # no label yet
    insert_predictions(settings, frame)
    # a late label for every 7th prediction: the opposite click, which must win
    late = frame.iloc[::7][["model_id", "request_id"]].copy()
    late["label"] = 1.0 - frame.iloc[::7]["label"].fillna(0.0)
    with transaction(settings) as con:
        con.register("late", late)
        con.execute(
            "INSERT INTO prediction_labels (model_id, request_id, label) SELECT * FROM late"
        )
    frame.loc[frame.index[::7], "label"] = late["label"].to_numpy()
    return settings, frame


def test_error_budget_counts_slow_and_fallback_requests_as_numpy(clicked) -> None:
    settings, frame = clicked
    serving = {
        "latency_p95_ms": 40.0,
        "latency_p99_ms": 60.0,
        "fallback_rate": {"overall": 0.05, "random": 0.01},
    }
    spec = parse_spec(spec_text(serving=serving))
    define_monitor(settings, spec)
    check = check_monitors(settings, as_of=WINDOW[1]).checks[0]
    window = frame[frame["ts"] >= pd.Timestamp(WINDOW[0])]
    latency = window["latency_ms"].dropna().to_numpy()
    fallback = (window["served_by"] != "model").to_numpy()
    random = (window["served_by"] == "random").to_numpy()
    expected = [
        ("latency_p95_ms", None, np.sum(latency > 40.0), len(latency), 0.05),
        ("latency_p99_ms", None, np.sum(latency > 60.0), len(latency), 0.01),
        ("fallback_rate", None, fallback.sum(), len(window), 0.05),
        ("fallback_rate", "random", random.sum(), len(window), 0.01),
    ]
    assert [(b.objective, b.level) for b in check.error_budget] == [e[:2] for e in expected]
    for budget, (_, _, bad, requests, allowed) in zip(check.error_budget, expected, strict=True):
        assert (budget.bad, budget.requests, budget.allowed) == (bad, requests, allowed)
        assert budget.consumed == pytest.approx(bad / requests / allowed, rel=1e-12)
    # 8% of requests fell back against 5% allowed: the budget is spent one and a half times over
    fallback_budget = check.error_budget[2]
    assert fallback_budget.exhausted and fallback_budget.remaining < 0


def test_error_budget_lists_only_the_objectives_agreed() -> None:
    spec = parse_spec(spec_text(serving={"latency_p99_ms": 80.0}))
    readings = BudgetReadings(n=0, timed=0, slow={}, by_level={})
    (only,) = error_budgets(readings, spec)
    assert (only.objective, only.allowed, only.consumed, only.exhausted) == (
        "latency_p99_ms",
        0.01,
        None,
        False,
    )


def test_level_outcomes_and_fallback_cost_equal_a_hand_computation(clicked) -> None:
    settings, frame = clicked
    with connect(settings, read_only=True) as con:
        levels, non_binary = serving_store.level_outcomes(con, FAMILY, WINDOW)
    assert non_binary == 0
    window = frame[frame["ts"] >= pd.Timestamp(WINDOW[0])].assign(day=lambda f: f["ts"].dt.date)
    grouped = window.groupby(["day", "served_by"])["label"].agg(["size", "count", "sum"])
    assert [(r.day, r.served_by, r.n, r.labelled, r.positives) for r in levels] == [
        (day, level, int(n), int(labelled), int(positives))
        for (day, level), (n, labelled, positives) in grouped.iterrows()
    ]
    unit_value = 60.0
    cost = fallback_cost(levels, unit_value)
    # the hand formula: per day, unit_value x sum over fallback levels of n x (p_model - p_level);
    # the variance with each level's rate pooled over the window, smoothed (x + 1) / (m + 2)
    pooled = window.groupby("served_by")["label"].agg(["count", "sum"])
    smoothed = (pooled["sum"] + 1) / (pooled["count"] + 2)
    totals, variances = [], []
    for _, day in window.groupby("day"):
        stats_by_level = day.groupby("served_by")["label"].agg(["size", "count", "mean"])
        model = stats_by_level.loc["model"]
        fallbacks = stats_by_level.drop(index="model")
        totals.append(unit_value * (fallbacks["size"] * (model["mean"] - fallbacks["mean"])).sum())
        p = smoothed
        variance = fallbacks["size"].sum() ** 2 * p["model"] * (1 - p["model"]) / model["count"]
        for level, row in fallbacks.iterrows():
            variance += row["size"] ** 2 * p[level] * (1 - p[level]) / row["count"]
        variances.append(unit_value**2 * variance)
    per_day = sum(totals) / len(totals)
    half = 1.959963984540054 * math.sqrt(sum(variances)) / len(totals)
    assert cost.per_day == pytest.approx(per_day, rel=1e-12)
    assert (cost.low, cost.high) == pytest.approx((per_day - half, per_day + half), rel=1e-12)
    assert (cost.days, cost.priced_days) == (7, 7)
    assert cost.fallback_requests == int((window["served_by"] != "model").sum())


def test_a_fallback_day_without_labels_is_not_priced() -> None:
    from kpi.fallback_value import LevelOutcomes

    day = dt.date(2026, 7, 1)
    rows = [LevelOutcomes(day, "model", 100, 100, 5), LevelOutcomes(day, "random", 10, 0, 0)]
    cost = fallback_cost(rows, 60.0)
    assert (cost.per_day, cost.priced_days, cost.fallback_requests) == (None, 0, 10)


def test_non_binary_labels_are_counted(clicked) -> None:
    settings, _ = clicked
    with transaction(settings) as con:
        con.execute(
            "UPDATE predictions SET label = 3 WHERE request_id IN "
            "(SELECT request_id FROM predictions WHERE ts >= '2026-07-02' LIMIT 2)"
        )
    with connect(settings, read_only=True) as con:
        _, non_binary = serving_store.level_outcomes(con, FAMILY, WINDOW)
    assert non_binary >= 1


@pytest.fixture
def arms(tmp_path: Path) -> tuple[StoreSettings, pd.DataFrame]:
    """Two models serving an experiment's week: the challenger slower and scoring higher."""
    rng = np.random.default_rng(5)
    settings = store(tmp_path / "arms.duckdb")
    add_models(settings, [("rec-v2", FAMILY, dt.date(2026, 6, 20))])
    control = predictions(rng, WINDOW, 400, fallbacks={"popular": 0.02})
    challenger = predictions(
        rng, WINDOW, 100, model_id="rec-v2", score=(2.6, 5.0), latency=(3.5, 0.3)
    )
    frame = pd.concat([control, challenger], ignore_index=True)
    insert_predictions(settings, frame)
    return settings, frame


def _moments(days: tuple[dt.date, dt.date]) -> tuple[dt.datetime, dt.datetime]:
    """Whole days as the half-open moments the arm reads take."""
    start = dt.datetime.combine(days[0], dt.time())
    return start, dt.datetime.combine(days[1] + dt.timedelta(days=1), dt.time())


def test_arm_health_agrees_with_numpy_and_scipy(arms) -> None:
    settings, frame = arms
    days = _moments(WINDOW)
    with connect(settings, read_only=True) as con:
        rows = serving_store.arm_serving_rows(con, ["rec-v1", "rec-v2"], days)
        scores = serving_store.arm_scores(con, ["rec-v1", "rec-v2"], days)
        ks = serving_store.score_ks(con, "rec-v1", "rec-v2", days)
        edges = scores["rec-v1"][1]
        assert edges is not None
        bins = serving_store.score_bins(con, "rec-v1", "rec-v2", days, edges)
    for model_id, served_by, n, p50, p95, p99 in rows:
        mine = frame[frame["model_id"] == model_id]
        if served_by is not None:
            mine = mine[mine["served_by"] == served_by]
        latency = mine["latency_ms"].to_numpy()
        assert n == len(mine)
        assert [p50, p95, p99] == pytest.approx(np.quantile(latency, [0.5, 0.95, 0.99]), rel=1e-9)
    served = frame[frame["served_by"] == "model"]
    control = served[served["model_id"] == "rec-v1"]["score"].to_numpy()
    challenger = served[served["model_id"] == "rec-v2"]["score"].to_numpy()
    summary = scores["rec-v1"][0]
    assert summary.n == len(control)
    assert summary.mean == pytest.approx(control.mean(), rel=1e-9)
    assert summary.sd == pytest.approx(control.std(ddof=1), rel=1e-9)
    assert [summary.q05, summary.q25, summary.q50, summary.q75, summary.q95] == pytest.approx(
        np.quantile(control, [0.05, 0.25, 0.5, 0.75, 0.95]), rel=1e-9
    )
    oracle = stats.ks_2samp(control, challenger, method="asymp")
    assert ks == pytest.approx(oracle.statistic, abs=1e-9)
    # score PSI on the control's deciles, by hand: the same bins, counted by numpy
    inner = np.quantile(control, np.arange(1, 10) / 10)
    lo, hi = control.min(), control.max()

    def binned(x: np.ndarray) -> list[int]:
        index = np.where(x < lo, 0, np.where(x > hi, 11, 1 + (x[:, None] > inner).sum(axis=1)))
        return np.bincount(index, minlength=12).tolist()

    assert bins == (binned(control), binned(challenger))
    control_arm = _arm("v1", "rec-v1", rows, summary)
    challenger_arm = _arm("v2", "rec-v2", rows, scores["rec-v2"][0])
    comparison = compare_arm(control_arm, challenger_arm, ks, bins, None)
    assert comparison.ks_p_value == pytest.approx(oracle.pvalue, rel=1e-6)
    assert comparison.latency_p95_ratio == pytest.approx(
        np.quantile(frame[frame["model_id"] == "rec-v2"]["latency_ms"], 0.95)
        / np.quantile(frame[frame["model_id"] == "rec-v1"]["latency_ms"], 0.95),
        rel=1e-9,
    )
    assert comparison.latency_flagged and comparison.scores_flagged
    assert comparison.status == "flagged"


def _arm(variant, model_id, rows, summary):
    from services.serving import _arm as build

    arm = build(variant, model_id, rows, summary)
    assert arm is not None
    return arm


def test_alike_arms_are_not_flagged(arms) -> None:
    settings, _ = arms
    with connect(settings, read_only=True) as con:
        rows = serving_store.arm_serving_rows(con, ["rec-v1"], _moments(WINDOW))
        summary = serving_store.arm_scores(con, ["rec-v1"], _moments(WINDOW))["rec-v1"][0]
    control = _arm("v1", "rec-v1", rows, summary)
    same = dataclasses.replace(control, variant="v2")
    comparison = compare_arm(control, same, 0.0, ([10] * 12, [10] * 12), None)
    assert (comparison.status, comparison.latency_flagged, comparison.scores_flagged) == (
        "ok",
        False,
        False,
    )
    # over the family's latency objective, it is flagged even when as fast as the control
    over = compare_arm(control, same, 0.0, ([10] * 12, [10] * 12), 1.0)
    assert over.latency_flagged and over.status == "flagged"

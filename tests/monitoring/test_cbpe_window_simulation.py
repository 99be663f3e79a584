"""Seeded simulation: on fraud-like data (rare positives) the estimates a KPI's unlabelled days
get (services/estimated.py: each day's money, and the 7-day window's recall and money per day,
pooled by `pooled_scores`) hold the realised value in their 95% interval at the stated rate.

Labels are drawn Bernoulli(score), so the scores are calibrated; the realised values come from the
drawn labels (numpy), never from the code under test. Run with -s to print the coverage table
(docs/monitoring.md, "A KPI's estimated days").
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from monitoring.cbpe import DayScores, estimated_recall, estimated_value, pooled_scores

RUNS = 2000
CHUNK = 250
DAYS = 7
PER_DAY = 2000  # the medium demo's fraud predictions a day
THRESHOLD = 0.1
BETA = (0.4, 8.0)  # mean score 0.048: about 5% positives


class Cells:
    """The demo fraud KPI's cost matrix (JPY per prediction)."""

    tp = 48_000.0
    fp = -800.0
    tn = 0.0
    fn = -50_000.0


def _days(rng: np.random.Generator, runs: int) -> list[list[DayScores]]:
    """`runs` windows of DAYS days: per day the CBPE sums and the realised counts."""
    s = rng.beta(*BETA, size=(runs, DAYS, PER_DAY))
    y = rng.random(s.shape) < s
    flagged = s >= THRESHOLD
    variance = s * (1 - s)

    def total(values: np.ndarray, where: np.ndarray) -> np.ndarray:
        return np.where(where, values, 0.0).sum(axis=2)

    sums = {
        "n_positive": flagged.sum(axis=2),
        "expected_tp": total(s, flagged),
        "variance_positive": total(variance, flagged),
        "expected_fn": total(s, ~flagged),
        "variance_negative": total(variance, ~flagged),
        "tp": (y & flagged).sum(axis=2),
        "fp": (~y & flagged).sum(axis=2),
        "fn": (y & ~flagged).sum(axis=2),
        "tn": (~y & ~flagged).sum(axis=2),
    }
    start = dt.date(2026, 11, 1)
    return [
        [
            DayScores(
                day=start + dt.timedelta(days=d),
                n_positive=int(sums["n_positive"][r, d]),
                expected_tp=float(sums["expected_tp"][r, d]),
                variance_positive=float(sums["variance_positive"][r, d]),
                n_negative=PER_DAY - int(sums["n_positive"][r, d]),
                expected_fn=float(sums["expected_fn"][r, d]),
                variance_negative=float(sums["variance_negative"][r, d]),
                labelled=0,
                tp=float(sums["tp"][r, d]),
                fp=float(sums["fp"][r, d]),
                tn=float(sums["tn"][r, d]),
                fn=float(sums["fn"][r, d]),
            )
            for d in range(DAYS)
        ]
        for r in range(runs)
    ]


def _money(day: DayScores) -> float:
    return day.tp * Cells.tp + day.fp * Cells.fp + day.tn * Cells.tn + day.fn * Cells.fn


def test_estimated_days_and_windows_cover_the_realised_values_in_95_percent_of_runs() -> None:
    rng = np.random.default_rng(20261201)
    hits = {"day value": 0, "window recall": 0, "window value per day": 0}
    for _ in range(RUNS // CHUNK):
        for window in _days(rng, CHUNK):
            day = window[-1]
            value = estimated_value(day, Cells())
            hits["day value"] += value.low <= _money(day) <= value.high
            pooled = pooled_scores(window)
            recall = estimated_recall(pooled)
            assert recall is not None
            realised_recall = pooled.tp / (pooled.tp + pooled.fn)
            hits["window recall"] += recall.low <= realised_recall <= recall.high
            total = estimated_value(pooled, Cells())
            per_day = sum(_money(d) for d in window) / DAYS
            hits["window value per day"] += total.low / DAYS <= per_day <= total.high / DAYS
    coverage = {name: count / RUNS for name, count in hits.items()}
    print("\ncoverage of the 95% intervals on fraud-like data:", coverage)
    for name, share in coverage.items():
        assert 0.93 <= share <= 0.97, name

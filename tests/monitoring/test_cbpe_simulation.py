"""Seeded simulations of performance estimation (docs/monitoring.md, "Performance before labels").

Labels are drawn as Bernoulli(score), so the scores are calibrated by construction: the realised
precision, recall and money of a day must fall inside the estimate's 95% interval in 95% +/- 2% of
runs, and the calibration check must call such scores uncalibrated at about its level (1%). A
known miscalibration (positives 20% more frequent than the scores say) must be detected. Data are
vectorised numpy, one row per run; the sums are what the DuckDB read returns for one day.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from kpi.value import CostMatrix
from monitoring.cbpe import (
    RELIABILITY_BINS,
    DayScores,
    ReliabilityBin,
    check_calibration,
    estimated_precision,
    estimated_recall,
    estimated_value,
)

RUNS = 2000
FRAUD_CELLS = CostMatrix(tp=48_000, fp=-800, tn=0, fn=-50_000)
DAY = dt.date(2026, 7, 1)


def _days(scores: np.ndarray, labels: np.ndarray, threshold: float) -> list[DayScores]:
    """One DayScores per run (row), fully labelled."""
    flagged = scores >= threshold
    spread = scores * (1 - scores)
    columns = {
        "n_positive": flagged.sum(axis=1),
        "expected_tp": (scores * flagged).sum(axis=1),
        "variance_positive": (spread * flagged).sum(axis=1),
        "n_negative": (~flagged).sum(axis=1),
        "expected_fn": (scores * ~flagged).sum(axis=1),
        "variance_negative": (spread * ~flagged).sum(axis=1),
        "tp": (labels & flagged).sum(axis=1),
        "fp": (~labels & flagged).sum(axis=1),
        "tn": (~labels & ~flagged).sum(axis=1),
        "fn": (labels & ~flagged).sum(axis=1),
    }
    n = scores.shape[1]
    return [
        DayScores(
            day=DAY,
            n_positive=int(columns["n_positive"][r]),
            expected_tp=float(columns["expected_tp"][r]),
            variance_positive=float(columns["variance_positive"][r]),
            n_negative=int(columns["n_negative"][r]),
            expected_fn=float(columns["expected_fn"][r]),
            variance_negative=float(columns["variance_negative"][r]),
            labelled=n,
            tp=float(columns["tp"][r]),
            fp=float(columns["fp"][r]),
            tn=float(columns["tn"][r]),
            fn=float(columns["fn"][r]),
        )
        for r in range(scores.shape[0])
    ]


def _coverage(days: list[DayScores]) -> dict[str, float]:
    """Share of runs whose realised precision, recall and money lie in the 95% interval."""
    hits = {"precision": 0, "recall": 0, "value": 0}
    for day in days:
        tp, fp, fn = day.tp, day.fp, day.fn  # tn is worth 0 in the fraud matrix
        precision, recall = estimated_precision(day), estimated_recall(day)
        value = estimated_value(day, FRAUD_CELLS)
        assert precision is not None and recall is not None
        realised_value = tp * 48_000 - fp * 800 - fn * 50_000
        hits["precision"] += precision.low <= tp / (tp + fp) <= precision.high
        hits["recall"] += recall.low <= tp / (tp + fn) <= recall.high
        hits["value"] += value.low <= realised_value <= value.high
    return {name: count / len(days) for name, count in hits.items()}


@pytest.mark.parametrize(
    ("name", "beta", "n", "threshold"),
    [
        ("balanced", (2.0, 5.0), 2000, 0.5),
        ("rare positives (fraud-like)", (0.4, 8.0), 4000, 0.3),
    ],
)
def test_realised_performance_falls_in_the_95_interval_in_95_percent_of_runs(
    name: str, beta: tuple[float, float], n: int, threshold: float
) -> None:
    rng = np.random.default_rng(20261201)
    scores = rng.beta(*beta, size=(RUNS, n))
    labels = rng.random((RUNS, n)) < scores
    coverage = _coverage(_days(scores, labels, threshold))
    print(f"\n{name}: coverage of the 95% interval over {RUNS} runs: {coverage}")
    for metric, share in coverage.items():
        assert 0.93 <= share <= 0.97, (metric, share)


def _bins(scores: np.ndarray, labels: np.ndarray) -> list[list[ReliabilityBin]]:
    """Reliability bins per run: each row sorted by score and cut in equal tenths (NTILE)."""
    order = np.argsort(scores, axis=1)
    s = np.take_along_axis(scores, order, axis=1).reshape(scores.shape[0], RELIABILITY_BINS, -1)
    y = np.take_along_axis(labels, order, axis=1).reshape(s.shape)
    sums, spreads, positives = s.sum(axis=2), (s * (1 - s)).sum(axis=2), y.sum(axis=2)
    lows, highs = s.min(axis=2), s.max(axis=2)
    return [
        [
            ReliabilityBin(
                k + 1,
                s.shape[2],
                float(sums[r, k]),
                float(spreads[r, k]),
                float(positives[r, k]),
                float(lows[r, k]),
                float(highs[r, k]),
            )
            for k in range(RELIABILITY_BINS)
        ]
        for r in range(s.shape[0])
    ]


def _uncalibrated_share(
    beta: tuple[float, float], n: int, lift: float, seed: int
) -> tuple[float, float]:
    """Share of runs judged uncalibrated, and the mean ECE, when positives occur with
    probability min(1, lift x score)."""
    rng = np.random.default_rng(seed)
    scores = rng.beta(*beta, size=(RUNS, n))
    labels = rng.random((RUNS, n)) < np.minimum(1.0, lift * scores)
    checks = [check_calibration(bins, min_rows=1000) for bins in _bins(scores, labels)]
    share = sum(c.status == "uncalibrated" for c in checks) / RUNS
    return share, float(np.mean([c.ece for c in checks]))


@pytest.mark.parametrize(
    ("name", "beta", "n"),
    [("balanced", (2.0, 5.0), 5000), ("rare positives (fraud-like)", (0.4, 8.0), 5000)],
)
def test_calibrated_scores_are_called_uncalibrated_at_about_the_test_level(
    name: str, beta: tuple[float, float], n: int
) -> None:
    share, ece = _uncalibrated_share(beta, n, 1.0, seed=7)
    print(f"\n{name}, calibrated, reference {n}: uncalibrated in {share:.2%}, mean ECE {ece:.4f}")
    # alpha = 1%; three binomial standard errors over 2000 runs either side
    assert 0.0033 <= share <= 0.0167


@pytest.mark.parametrize(
    ("name", "beta", "n", "lift", "power"),
    [
        ("balanced", (2.0, 5.0), 5000, 1.2, 0.99),
        ("rare positives (fraud-like)", (0.4, 8.0), 5000, 1.2, 0.4),
        ("rare positives (fraud-like)", (0.4, 8.0), 5000, 1.5, 0.99),
    ],
)
def test_scores_that_understate_positives_are_called_uncalibrated(
    name: str, beta: tuple[float, float], n: int, lift: float, power: float
) -> None:
    share, ece = _uncalibrated_share(beta, n, lift, seed=11)
    print(f"\n{name}, positives x{lift}, reference {n}: uncalibrated in {share:.2%}, ECE {ece:.4f}")
    assert share >= power

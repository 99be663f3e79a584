"""Seeded simulations of the default lines: how often a monitor warns or alerts when nothing
drifted, and how often it catches a known shift. The numbers are documented in docs/monitoring.md
(the test prints them with -s).

Windows are the smallest a monitor judges at its default min_rows (1000 in the window) against a
four-times longer reference (4000), which is where false alerts are likeliest. The numeric bins
are the documented ones (checked against the SQL by test_oracles.py); PSI and JS come from the
domain functions, KS and Wasserstein / sd from the sorted samples, all vectorised over runs.
"""

from __future__ import annotations

import numpy as np
import pytest

from monitoring.drift import js_distance, judge, psi
from monitoring.spec import DEFAULT_THRESHOLDS

RUNS = 1000
N_REFERENCE, N_WINDOW = 4000, 1000
CATEGORIES = np.array([0.3, 0.2, 0.15, 0.1, 0.08, 0.06, 0.05, 0.03, 0.02, 0.01])


def _numeric(rng: np.random.Generator, shift: float, scale: float = 1.0) -> dict[str, np.ndarray]:
    """PSI, Wasserstein / reference sd and KS of RUNS reference/window pairs of normal values."""
    reference = rng.normal(0.0, 1.0, (RUNS, N_REFERENCE))
    window = rng.normal(shift, scale, (RUNS, N_WINDOW))
    inner = np.quantile(reference, np.arange(1, 10) / 10, axis=1).T  # (RUNS, 9), linear
    low, high = reference.min(axis=1, keepdims=True), reference.max(axis=1, keepdims=True)

    def bins(x: np.ndarray) -> np.ndarray:
        inside = 1 + (x[:, :, None] > inner[:, None, :]).sum(axis=2)
        index = np.where(x < low, 0, np.where(x > high, 11, inside))
        offsets = index + 12 * np.arange(RUNS)[:, None]
        return np.bincount(offsets.ravel(), minlength=12 * RUNS).reshape(RUNS, 12)

    reference_bins, window_bins = bins(reference), bins(window)
    combined = np.concatenate([reference, window], axis=1)
    order = np.argsort(combined, axis=1)
    from_reference = order < N_REFERENCE
    f_reference = np.cumsum(from_reference, axis=1) / N_REFERENCE
    f_window = np.cumsum(~from_reference, axis=1) / N_WINDOW
    gaps = np.abs(f_reference - f_window)
    steps = np.diff(np.take_along_axis(combined, order, axis=1), axis=1)
    return {
        "psi": np.array([psi(r, w) for r, w in zip(reference_bins, window_bins, strict=True)]),
        "wasserstein": (gaps[:, :-1] * steps).sum(axis=1) / reference.std(axis=1, ddof=1),
        "ks": gaps.max(axis=1),
    }


def _categorical(rng: np.random.Generator, shares: np.ndarray) -> dict[str, np.ndarray]:
    """PSI and JS of RUNS reference/window pairs of category counts (10 categories)."""
    reference = rng.multinomial(N_REFERENCE, CATEGORIES, RUNS)
    window = rng.multinomial(N_WINDOW, shares, RUNS)
    pairs = list(zip(reference, window, strict=True))
    return {
        "psi": np.array([psi(r, w) for r, w in pairs]),
        "js": np.array([js_distance(r, w) for r, w in pairs]),
    }


def _rates(values: dict[str, np.ndarray]) -> dict[str, tuple[float, float]]:
    """Per method: the share of runs at warning or above, and at alert."""
    rates = {}
    for method, found in values.items():
        warning, alert = DEFAULT_THRESHOLDS[method]
        statuses = [judge(float(v), warning, alert, enough=True) for v in found]
        rates[method] = (
            float(np.mean([s in ("warning", "alert") for s in statuses])),
            float(np.mean([s == "alert" for s in statuses])),
        )
    return rates


def test_no_drift_rarely_warns_and_never_alerts_at_the_default_lines() -> None:
    numeric = _rates(_numeric(np.random.default_rng(20261201), shift=0.0))
    categorical = _rates(_categorical(np.random.default_rng(20261202), CATEGORIES))
    print("no drift (share warning+, share alert):", numeric, categorical)
    for method, (warned, alerted) in {**numeric, **categorical}.items():
        assert warned <= 0.01, method
        assert alerted == 0.0, method


@pytest.mark.parametrize(
    ("shift", "bounds"),
    [
        # A quarter sd: Wasserstein / sd always warns, KS mostly, PSI on deciles seldom.
        (0.25, {"wasserstein": (0.99, 0.3), "ks": (0.6, 0.0), "psi": (0.0, 0.0)}),
        # Half an sd: every statistic warns; about half the PSI runs alert.
        (0.5, {"psi": (0.99, 0.35), "wasserstein": (0.99, 0.99), "ks": (0.99, 0.5)}),
        (1.0, {"psi": (0.99, 0.99), "wasserstein": (0.99, 0.99), "ks": (0.99, 0.99)}),
    ],
)
def test_a_known_mean_shift_is_caught(shift: float, bounds: dict[str, tuple[float, float]]) -> None:
    rates = _rates(_numeric(np.random.default_rng(7), shift=shift))
    print(f"shift {shift} sd:", rates)
    for method, (at_least_warned, at_least_alerted) in bounds.items():
        warned, alerted = rates[method]
        assert warned >= at_least_warned, method
        assert alerted >= at_least_alerted, method
    if shift == 0.25:
        assert rates["psi"][0] <= 0.2  # PSI on deciles is the least sensitive to small shifts


def test_a_category_share_moving_from_30_to_45_percent_is_caught() -> None:
    shifted = CATEGORIES.copy()
    shifted[0], shifted[1] = 0.45, 0.05
    rates = _rates(_categorical(np.random.default_rng(8), shifted))
    print("category shift:", rates)
    assert rates["psi"][0] >= 0.99 and rates["js"][0] >= 0.99

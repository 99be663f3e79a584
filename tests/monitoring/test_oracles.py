"""Drift numbers computed inside DuckDB agree with independent implementations on the same data:
scipy's `ks_2samp` statistic and `wasserstein_distance` on the unbinned values (to 1e-9), and a
numpy hand computation of PSI and Jensen-Shannon on the documented bins."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import jensenshannon
from scipy.stats import ks_2samp, wasserstein_distance

from data import monitor_store
from data.store import connect
from monitoring.drift import EPSILON, category_bins, js_distance, psi
from tests.monitoring.factories import (
    FAMILY,
    REFERENCE,
    WINDOW,
    insert_predictions,
    predictions,
    rows,
    store,
)


def _values(settings, column: str, days) -> np.ndarray:
    """The column's non-empty values in a window, read back for the oracle."""
    start, end = days
    found = rows(
        settings,
        f"SELECT {column} FROM predictions WHERE CAST(ts AS DATE) BETWEEN '{start}' AND '{end}' "
        f"AND {column} IS NOT NULL",
    )
    return np.array([r[0] for r in found])


def _hand_psi(reference: np.ndarray, current: np.ndarray) -> float:
    """PSI on the documented bins: below the minimum, the ten decile bins (right-closed, the
    minimum in the first), above the maximum; shares floored at EPSILON."""
    inner = np.quantile(reference, np.arange(1, 10) / 10)  # linear, as quantile_cont

    def bins(x: np.ndarray) -> np.ndarray:
        inside = 1 + np.searchsorted(inner, x, side="left")
        index = np.where(x < reference.min(), 0, np.where(x > reference.max(), 11, inside))
        return np.bincount(index, minlength=12) / len(x)

    r, c = np.maximum(bins(reference), EPSILON), np.maximum(bins(current), EPSILON)
    return float(np.sum((c - r) * np.log(c / r)))


@pytest.fixture
def drifted(tmp_path: Path):
    rng = np.random.default_rng(20261128)
    settings = store(tmp_path / "s.duckdb")
    insert_predictions(
        settings,
        predictions(
            rng,
            REFERENCE,
            150,
            numeric={"price": (100.0, 12.0)},
            categorical={"category_id": (["a", "b", "c", "d"], [0.4, 0.3, 0.2, 0.1])},
        ),
    )
    window = predictions(
        rng,
        WINDOW,
        200,
        numeric={"price": (106.0, 15.0)},
        categorical={"category_id": (["a", "b", "c", "e"], [0.25, 0.3, 0.25, 0.2])},
    )
    # Values beyond the reference's range on both sides, so the out-of-range bins are used.
    window.loc[:4, "price"] = [0.0, 1.0, 500.0, 600.0, 700.0]
    insert_predictions(settings, window)
    return settings


def test_ks_and_wasserstein_agree_with_scipy_on_the_unbinned_values(drifted) -> None:
    with connect(drifted, read_only=True) as con:
        readings = monitor_store.numeric_readings(con, FAMILY, "price", REFERENCE, WINDOW)
    reference, current = _values(drifted, "price", REFERENCE), _values(drifted, "price", WINDOW)
    assert readings.ks == pytest.approx(ks_2samp(reference, current).statistic, abs=1e-9)
    assert readings.wasserstein == pytest.approx(wasserstein_distance(reference, current), abs=1e-9)
    assert readings.reference_sd == pytest.approx(np.std(reference, ddof=1), rel=1e-12)
    assert (readings.reference_n, readings.window_n) == (len(reference), len(current))


def test_ks_and_wasserstein_agree_with_scipy_on_tied_values(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    settings = store(tmp_path / "s.duckdb")
    frame = predictions(rng, REFERENCE, 40, numeric={"items": (0.0, 1.0)})
    frame["items"] = rng.poisson(3, len(frame)).astype(float)
    insert_predictions(settings, frame)
    window = predictions(rng, WINDOW, 60, numeric={"items": (0.0, 1.0)})
    window["items"] = rng.poisson(4, len(window)).astype(float)
    insert_predictions(settings, window)
    with connect(settings, read_only=True) as con:
        readings = monitor_store.numeric_readings(con, FAMILY, "items", REFERENCE, WINDOW)
    reference, current = _values(settings, "items", REFERENCE), _values(settings, "items", WINDOW)
    assert readings.ks == pytest.approx(ks_2samp(reference, current).statistic, abs=1e-9)
    assert readings.wasserstein == pytest.approx(wasserstein_distance(reference, current), abs=1e-9)
    assert psi(readings.reference_bins, readings.window_bins) == pytest.approx(
        _hand_psi(reference, current), abs=1e-12
    )


def test_numeric_psi_agrees_with_a_hand_computation_on_the_documented_bins(drifted) -> None:
    with connect(drifted, read_only=True) as con:
        readings = monitor_store.numeric_readings(con, FAMILY, "price", REFERENCE, WINDOW)
    reference, current = _values(drifted, "price", REFERENCE), _values(drifted, "price", WINDOW)
    assert readings.window_bins[0] >= 2 and readings.window_bins[11] >= 3
    assert readings.reference_bins[0] == readings.reference_bins[11] == 0
    assert psi(readings.reference_bins, readings.window_bins) == pytest.approx(
        _hand_psi(reference, current), abs=1e-12
    )


def test_categorical_psi_and_js_agree_with_a_hand_computation(drifted) -> None:
    with connect(drifted, read_only=True) as con:
        readings = monitor_store.categorical_readings(con, FAMILY, "category_id", REFERENCE, WINDOW)
    reference = pd.Series(_values(drifted, "category_id", REFERENCE))
    current = pd.Series(_values(drifted, "category_id", WINDOW))
    categories = sorted(reference.unique())
    # The reference's categories, then "other" (here: "e", never seen in the reference).
    r = np.array([(reference == k).mean() for k in categories] + [0.0])
    c = np.array([(current == k).mean() for k in categories] + [(~current.isin(categories)).mean()])
    floored_r, floored_c = np.maximum(r, EPSILON), np.maximum(c, EPSILON)
    hand_psi = float(np.sum((floored_c - floored_r) * np.log(floored_c / floored_r)))
    ref_counts, cur_counts = category_bins(readings.reference, readings.window)
    assert psi(ref_counts, cur_counts) == pytest.approx(hand_psi, abs=1e-12)
    assert js_distance(ref_counts, cur_counts) == pytest.approx(
        jensenshannon(r, c, base=2), abs=1e-12
    )
    middle = (r + c) / 2

    def divergence(p: np.ndarray) -> float:
        present = p > 0
        return float(np.sum(p[present] * np.log2(p[present] / middle[present])))

    assert js_distance(ref_counts, cur_counts) == pytest.approx(
        np.sqrt((divergence(r) + divergence(c)) / 2), abs=1e-12
    )

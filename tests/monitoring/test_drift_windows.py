"""The Monitoring page's drift per window (services.monitoring_views.drift_map, one scan per
feature) against a hand computation with numpy on the generated rows: the reference's deciles as
DuckDB's quantile_cont (linear), two open-ended bins, shares floored at 1e-4, and PSI."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.clock import fixed_clock
from data.store import StoreSettings
from monitoring.spec import parse_spec
from services.monitoring import define_monitor
from services.monitoring_views import drift_map
from tests.monitoring.factories import REFERENCE, insert_predictions, predictions, spec_text, store

EPSILON = 1e-4
CLOCK = fixed_clock(dt.datetime(2026, 8, 1, 9, 0))
WINDOWS = [(dt.date(2026, 7, 1 + 7 * k), dt.date(2026, 7, 7 + 7 * k)) for k in range(4)]


def hand_psi(reference: np.ndarray, current: np.ndarray) -> float:
    r = np.maximum(reference / reference.sum(), EPSILON)
    c = np.maximum(current / current.sum(), EPSILON)
    return float(np.sum((c - r) * np.log(c / r)))


def numeric_bins(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    minimum, inner, maximum = edges[0], edges[1:-1], edges[-1]
    index = 1 + (values[:, None] > inner[None, :]).sum(axis=1)
    index = np.where(values < minimum, 0, np.where(values > maximum, 11, index))
    return np.bincount(index, minlength=12).astype(float)


@pytest.fixture
def frames(tmp_path: Path) -> tuple[StoreSettings, pd.DataFrame]:
    rng = np.random.default_rng(11)
    settings = store(tmp_path / "drift.duckdb")
    parts = [
        predictions(
            rng,
            REFERENCE,
            60,
            numeric={"x": (10.0, 2.0)},
            categorical={"cat": (("a", "b", "c"), (0.5, 0.3, 0.2))},
        )
    ]
    for k, window in enumerate(WINDOWS):
        parts.append(
            predictions(
                rng,
                window,
                40,
                numeric={"x": (10.0 + 0.5 * k, 2.0 + 0.3 * k)},
                categorical={"cat": (("a", "b", "c", "d"), (0.5 - 0.1 * k, 0.3, 0.2, 0.1 * k))},
            )
        )
    frame = pd.concat(parts, ignore_index=True)
    insert_predictions(settings, frame)
    spec = parse_spec(spec_text(features=["x", "cat"]))
    define_monitor(settings, spec, "test", clock=CLOCK)
    return settings, frame


def test_psi_per_window_matches_a_hand_computation(
    frames: tuple[StoreSettings, pd.DataFrame],
) -> None:
    settings, frame = frames
    drift = drift_map(settings, "rec-inputs", windows=4, as_of=WINDOWS[-1][1], clock=CLOCK)
    day = frame["ts"].dt.date
    in_reference = frame[(day >= REFERENCE[0]) & (day <= REFERENCE[1])]
    reference_x = in_reference["x"].to_numpy()
    edges = np.quantile(reference_x, [0, *np.arange(1, 10) / 10, 1], method="linear")
    categories = sorted(in_reference["cat"].unique())
    reference_cat = np.array([(in_reference["cat"] == c).sum() for c in categories] + [0.0])
    cells = {(c.feature, c.window): c for c in drift.cells}
    assert [c.window for c in drift.cells if c.feature == "x"] == WINDOWS
    for window in WINDOWS:
        current = frame[(day >= window[0]) & (day <= window[1])]
        expected_x = hand_psi(
            numeric_bins(reference_x, edges), numeric_bins(current["x"].to_numpy(), edges)
        )
        current_cat = np.array(
            [(current["cat"] == c).sum() for c in categories]
            + [(~current["cat"].isin(categories)).sum()]
        )
        expected_cat = hand_psi(reference_cat, current_cat.astype(float))
        assert cells[("x", window)].psi == pytest.approx(expected_x, abs=1e-9)
        assert cells[("cat", window)].psi == pytest.approx(expected_cat, abs=1e-9)
    # the shift grows week by week, and the categorical one crosses the alert line
    psis = [cells[("cat", w)].psi or 0.0 for w in WINDOWS]
    assert psis == sorted(psis)
    assert cells[("cat", WINDOWS[-1])].status == "alert"


def test_a_feature_without_reference_values_is_insufficient_in_every_window(
    frames: tuple[StoreSettings, pd.DataFrame],
) -> None:
    settings, _ = frames
    late = parse_spec(
        spec_text(
            id="late",
            features=["x"],
            reference={"start": dt.date(2026, 5, 1), "end": dt.date(2026, 5, 28)},
        )
    )
    define_monitor(settings, late, "test", clock=CLOCK)
    drift = drift_map(settings, "late", windows=2, as_of=WINDOWS[-1][1], clock=CLOCK)
    assert [(c.psi, c.status) for c in drift.cells] == [(None, "insufficient_data")] * 2

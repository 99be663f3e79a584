"""The arms' score check by SEEDED simulation: identical arms are almost never flagged (the KS
test's 0.001 level bounds it), whatever their sizes, and a material shift of the challenger's
scores is found. The KS statistic and the decile counts are computed here with scipy and numpy
(the store computes the same numbers: tests/monitoring/test_serving_value.py); what is simulated
is the rule of monitoring/arm_health.py. 300 runs per case, about 5 s in all."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from monitoring.arm_health import ArmServing, ScoreSummary, compare_arm

RUNS = 300


def arm(variant: str, n: int) -> ArmServing:
    scores = ScoreSummary(n, None, None, None, None, None, None, None)
    return ArmServing(variant, variant, n, 40.0, 80.0, 100.0, {}, scores)


def decile_counts(control: np.ndarray, treatment: np.ndarray) -> tuple[list[int], list[int]]:
    """Both arms on the control's bins: below its minimum, ten deciles, above its maximum."""
    inner = np.quantile(control, np.arange(1, 10) / 10)
    low, high = control.min(), control.max()

    def counts(x: np.ndarray) -> list[int]:
        index = np.where(x < low, 0, np.where(x > high, 11, 1 + (x[:, None] > inner).sum(axis=1)))
        return np.bincount(index, minlength=12).tolist()

    return counts(control), counts(treatment)


def flagged_share(n_control: int, n_treatment: int, shift: tuple[float, float], seed: int) -> float:
    rng = np.random.default_rng(seed)
    flagged = 0
    for _ in range(RUNS):
        control = rng.beta(2.0, 5.0, n_control)
        treatment = rng.beta(*shift, n_treatment)
        ks = stats.ks_2samp(control, treatment, method="asymp").statistic
        bins = decile_counts(control, treatment)
        result = compare_arm(arm("a", n_control), arm("b", n_treatment), ks, bins, None)
        flagged += result.scores_flagged
    return flagged / RUNS


@pytest.mark.parametrize(("n_control", "n_treatment"), [(200, 200), (1000, 100), (7500, 850)])
def test_identical_arms_are_almost_never_flagged(n_control: int, n_treatment: int) -> None:
    assert flagged_share(n_control, n_treatment, (2.0, 5.0), seed=n_treatment) <= 0.01


def test_a_material_score_shift_is_found() -> None:
    # the challenger's mean score 0.34 against 0.29 (KS about 0.13) on the demo's arm sizes
    assert flagged_share(7500, 850, (2.6, 5.0), seed=3) >= 0.95

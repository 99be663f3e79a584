"""The offline-to-online bridge against independent regressions, and its money sentence."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from kpi.bridge import describe_bridge, fit_bridge, predict_online, weekly_bridge_pairs

RNG_SEED = 11


def simulated_pairs(models: int = 8, weeks: int = 10, seed: int = RNG_SEED) -> pd.DataFrame:
    """Versions with different AUCs; weekly CTR = 0.005 + 0.06 x AUC plus a version effect."""
    rng = np.random.default_rng(seed)
    rows = []
    for version in range(models):
        auc = 0.68 + 0.01 * version + rng.normal(0, 0.002)
        version_effect = rng.normal(0, 0.0003)
        for week in range(weeks):
            rows.append(
                {
                    "model_id": f"rec-v{version}",
                    "week": pd.Timestamp("2026-01-05") + pd.Timedelta(weeks=week),
                    "offline_value": auc,
                    "online_value": 0.005 + 0.06 * auc + version_effect + rng.normal(0, 0.0004),
                }
            )
    return pd.DataFrame(rows)


def test_bridge_slope_matches_scipy_linregress_and_numpy_lstsq() -> None:
    pairs = simulated_pairs()
    bridge = fit_bridge(pairs)
    reference = stats.linregress(pairs["offline_value"], pairs["online_value"])
    design = np.column_stack([np.ones(len(pairs)), pairs["offline_value"]])
    (intercept, slope), *_ = np.linalg.lstsq(design, pairs["online_value"], rcond=None)
    assert bridge.slope == pytest.approx(reference.slope, rel=1e-10)
    assert bridge.slope == pytest.approx(slope, rel=1e-10)
    assert bridge.intercept == pytest.approx(intercept, rel=1e-8)
    assert bridge.r_squared == pytest.approx(reference.rvalue**2, rel=1e-10)
    assert (bridge.n_pairs, bridge.n_models) == (80, 8)


def test_with_one_offline_value_per_version_the_interval_is_that_of_the_version_means() -> None:
    pairs = simulated_pairs()
    bridge = fit_bridge(pairs, confidence=0.9)
    means = pairs.groupby("model_id")[["offline_value", "online_value"]].mean()
    reference = stats.linregress(means["offline_value"], means["online_value"])
    critical = stats.t.ppf(0.95, 8 - 2)
    assert bridge.interval_kind == "versions"
    assert bridge.slope == pytest.approx(reference.slope, rel=1e-10)
    assert bridge.slope_ci == pytest.approx(
        (
            reference.slope - critical * reference.stderr,
            reference.slope + critical * reference.stderr,
        ),
        rel=1e-10,
    )


def test_when_the_offline_value_moves_within_versions_errors_are_clustered_by_version() -> None:
    pairs = simulated_pairs()
    pairs["offline_value"] += np.random.default_rng(3).normal(0, 0.003, len(pairs))
    bridge = fit_bridge(pairs, confidence=0.9)
    groups = pd.factorize(pairs["model_id"])[0]
    reference = sm.OLS(pairs["online_value"], sm.add_constant(pairs["offline_value"])).fit(
        cov_type="cluster", cov_kwds={"groups": groups}, use_t=True
    )
    slope_se = float(np.sqrt(reference.cov_params().iloc[1, 1]))
    critical = stats.t.ppf(0.95, 8 - 1)
    assert bridge.interval_kind == "cluster"
    assert bridge.slope == pytest.approx(float(reference.params.iloc[1]), rel=1e-10)
    ref_slope = float(reference.params.iloc[1])
    assert bridge.slope_ci == pytest.approx(
        (ref_slope - critical * slope_se, ref_slope + critical * slope_se), rel=1e-10
    )


def test_bridge_interval_covers_the_true_slope_in_most_simulations() -> None:
    covered = 0
    for seed in range(200):
        low, high = fit_bridge(simulated_pairs(seed=seed), confidence=0.9).slope_ci
        covered += low <= 0.06 <= high
    # Nominal 90%: 200 seeds put the observed rate within about +-4 points of it.
    assert covered / 200 >= 0.85


def test_describe_bridge_carries_the_slope_interval_into_money() -> None:
    pairs = simulated_pairs()
    effect = describe_bridge(
        fit_bridge(pairs), delta_offline=0.01, unit_value=1_200, units_per_month=60_000_000
    )
    # Independent oracle: numpy's fit on the same pairs for the slope; the interval from the
    # regression over version means (one offline value per version), as statsmodels gives it.
    slope = float(np.polyfit(pairs["offline_value"], pairs["online_value"], 1)[0])
    means = pairs.groupby("model_id")[["offline_value", "online_value"]].mean()
    by_version = sm.OLS(means["online_value"], sm.add_constant(means["offline_value"])).fit()
    slope_low, slope_high = by_version.conf_int(alpha=0.1).iloc[1]
    mean_online = float(pairs["online_value"].mean())
    assert effect.delta_online == pytest.approx(slope * 0.01, rel=1e-9)
    assert effect.relative_change == pytest.approx(slope * 0.01 / mean_online, rel=1e-9)
    assert effect.value_per_month == pytest.approx(slope * 0.01 * 60_000_000 * 1_200, rel=1e-9)
    low, high = effect.value_per_month_ci
    assert low == pytest.approx(slope_low * 0.01 * 60_000_000 * 1_200, rel=1e-9)
    assert high == pytest.approx(slope_high * 0.01 * 60_000_000 * 1_200, rel=1e-9)
    assert effect.relative_change_ci[0] < effect.relative_change < effect.relative_change_ci[1]


def test_a_negative_offline_change_gives_an_ordered_interval() -> None:
    effect = describe_bridge(fit_bridge(simulated_pairs()), -0.01, 1_200, 60_000_000)
    assert effect.value_per_month < 0
    assert effect.value_per_month_ci[0] < effect.value_per_month < effect.value_per_month_ci[1]


def test_predicted_online_band_is_narrowest_at_the_mean_offline_value() -> None:
    bridge = fit_bridge(simulated_pairs())
    at_mean = predict_online(bridge, bridge.mean_offline)
    away = predict_online(bridge, bridge.mean_offline + 0.05)
    assert at_mean.ci_high - at_mean.ci_low < away.ci_high - away.ci_low


def test_bridge_refuses_an_offline_metric_that_never_varies() -> None:
    pairs = simulated_pairs().assign(offline_value=0.7)
    with pytest.raises(ValueError, match="offline_value"):
        fit_bridge(pairs)


def test_weekly_pairs_use_the_latest_offline_evaluation_before_the_week_ends() -> None:
    offline = pd.DataFrame(
        {
            "model_id": ["v1", "v1", "v2"],
            "value": [0.70, 0.71, 0.75],
            "evaluated_at": pd.to_datetime(
                ["2026-01-01 00:00", "2026-01-14 09:00", "2026-01-20 00:00"]
            ),
        }
    )
    days = pd.date_range("2026-01-05", "2026-01-25")
    online = pd.DataFrame(
        {
            "date": list(days) * 2,
            "model_id": ["v1"] * len(days) + ["v2"] * len(days),
            "value": [0.04] * len(days) + [0.05] * len(days),
            "n": [100] * (2 * len(days)),
        }
    )
    online.loc[0, ["value", "n"]] = [0.10, 300]
    pairs = weekly_bridge_pairs(offline, online)
    v1 = pairs[pairs["model_id"] == "v1"]
    assert list(v1["offline_value"]) == [0.70, 0.71, 0.71]
    # Monday 5 Jan weighs 300 units at 0.10 against six days of 100 units at 0.04.
    assert v1["online_value"].iloc[0] == pytest.approx((0.10 * 300 + 0.04 * 600) / 900)
    v2 = pairs[pairs["model_id"] == "v2"]
    assert list(v2["week"].dt.date.astype(str)) == ["2026-01-19"]

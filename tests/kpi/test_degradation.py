"""Degradation on synthetic series with a known truth: trend, forecast, steps, value lost."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from kpi.degradation import (
    MIN_TREND_DAYS,
    StepChange,
    TrendFit,
    detect_steps,
    fit_trend,
    forecast_crossing,
    trend_band,
    value_lost_to_date,
)

START = dt.date(2026, 1, 5)
SEEDS = range(200)
# A CTR of 0.050 at deployment losing 0.0005 every 30 days, measured on about a million impressions
# a day (binomial noise about 0.0002), with a weekly swing of +-0.002.
LEVEL = 0.050
DECAY_PER_30_DAYS = -0.0005
NOISE = 0.0003
WEEKLY_SWING = 0.002
HISTORY_DAYS = 240
EXIT_LINE = 0.042
TRUE_EXIT_DAY = round((EXIT_LINE - LEVEL) / (DECAY_PER_30_DAYS / 30))  # day 480


def synthetic_series(
    seed: int,
    days: int = HISTORY_DAYS,
    level: float = LEVEL,
    per_30_days: float = DECAY_PER_30_DAYS,
    noise: float = NOISE,
    step_day: int | None = None,
    step_size: float = 0.0,
) -> pd.DataFrame:
    """Linear decay + weekly seasonality + Gaussian noise (+ an optional step), one row per day."""
    rng = np.random.default_rng(seed)
    day = np.arange(days)
    values = (
        level
        + per_30_days / 30 * day
        + WEEKLY_SWING * np.sin(2 * np.pi * day / 7)
        + rng.normal(0, noise, days)
    )
    if step_day is not None:
        values[step_day:] += step_size
    return pd.DataFrame({"date": pd.date_range(START, periods=days), "value": values})


def last_day(days: int = HISTORY_DAYS) -> dt.date:
    return START + dt.timedelta(days=days - 1)


@pytest.fixture(scope="module")
def seeded_fits() -> list[TrendFit]:
    """The trend of the reference series for every seed, fitted once for the seed tests."""
    return [fit_trend(synthetic_series(seed)) for seed in SEEDS]


def test_fitted_decay_rate_lies_within_its_interval_of_the_truth_in_most_seeds(
    seeded_fits: list[TrendFit],
) -> None:
    fits = seeded_fits
    covered = [fit.per_30_days_ci[0] <= DECAY_PER_30_DAYS <= fit.per_30_days_ci[1] for fit in fits]
    # A 95% interval: 200 seeds put the observed coverage within about +-3 points of it.
    assert np.mean(covered) >= 0.90
    assert np.median([fit.per_30_days for fit in fits]) == pytest.approx(
        DECAY_PER_30_DAYS, rel=0.02
    )


def test_rate_interval_keeps_its_coverage_when_days_are_autocorrelated() -> None:
    covered = []
    for seed in range(100):
        rng = np.random.default_rng(1_000 + seed)
        shocks = rng.normal(0, NOISE, HISTORY_DAYS)
        noise = np.empty(HISTORY_DAYS)
        noise[0] = shocks[0]
        for day in range(1, HISTORY_DAYS):
            # AR(1) with rho 0.5: yesterday's surprise half carries over into today.
            noise[day] = 0.5 * noise[day - 1] + np.sqrt(1 - 0.25) * shocks[day]
        series = synthetic_series(seed, noise=0.0)
        series["value"] += noise
        low, high = fit_trend(series).per_30_days_ci
        covered.append(low <= DECAY_PER_30_DAYS <= high)
    assert np.mean(covered) >= 0.88


def test_forecast_exit_date_is_within_ten_percent_of_the_true_remaining_time(
    seeded_fits: list[TrendFit],
) -> None:
    as_of = last_day()
    true_date = START + dt.timedelta(days=TRUE_EXIT_DAY)
    remaining = (true_date - as_of).days
    for seed, trend in zip(SEEDS, seeded_fits, strict=True):
        crossing = forecast_crossing(trend, EXIT_LINE, as_of, "increase")
        assert crossing is not None
        assert abs((crossing.date - true_date).days) <= 0.1 * remaining, f"seed {seed}"


def test_forecast_interval_holds_the_true_date_in_at_least_90_percent_of_seeds(
    seeded_fits: list[TrendFit],
) -> None:
    as_of = last_day()
    true_date = START + dt.timedelta(days=TRUE_EXIT_DAY)
    held = []
    for trend in seeded_fits:
        crossing = forecast_crossing(trend, EXIT_LINE, as_of, "increase")
        assert crossing is not None and crossing.latest is not None
        assert crossing.earliest <= crossing.date <= crossing.latest
        held.append(crossing.earliest <= true_date <= crossing.latest)
    assert np.mean(held) >= 0.90


def test_forecast_is_none_when_the_line_is_already_passed_or_out_of_reach() -> None:
    trend = fit_trend(synthetic_series(0))
    as_of = last_day()
    assert forecast_crossing(trend, 0.049, as_of, "increase") is None
    assert forecast_crossing(trend, 0.030, as_of, "increase") is None
    assert forecast_crossing(trend, 0.030, as_of, "increase", horizon_days=1000) is not None
    rising = fit_trend(synthetic_series(0, per_30_days=+0.0005))
    assert forecast_crossing(rising, EXIT_LINE, as_of, "increase") is None


def test_forecast_for_a_lower_is_better_kpi_waits_for_the_rise() -> None:
    # Latency of 200 ms rising by 5 ms every 30 days crosses 300 ms after 600 days.
    latency = synthetic_series(1, level=200.0, per_30_days=5.0, noise=2.0)
    crossing = forecast_crossing(fit_trend(latency), 300.0, last_day(), "decrease", 730)
    true_date = START + dt.timedelta(days=600)
    assert crossing is not None
    assert abs((crossing.date - true_date).days) <= 0.1 * (true_date - last_day()).days
    assert crossing.earliest <= true_date <= crossing.latest


def test_band_is_narrowest_inside_the_data_and_widens_into_the_future() -> None:
    trend = fit_trend(synthetic_series(2))
    band = trend_band(trend, last_day() + dt.timedelta(days=180)).set_index("date")
    inside = band.loc[pd.Timestamp(START + dt.timedelta(days=120))]
    ahead = band.loc[pd.Timestamp(last_day() + dt.timedelta(days=180))]
    assert inside["high"] - inside["low"] < ahead["high"] - ahead["low"]
    day = START + dt.timedelta(days=120)
    level = trend.level_at_end + trend.slope_per_day * (day - trend.end).days
    assert inside["low"] < level < inside["high"]
    assert band.index[0] == pd.Timestamp(trend.start)


def test_an_injected_step_is_found_within_a_few_days_with_its_size() -> None:
    step_day = 300
    for seed in range(50):
        series = synthetic_series(
            seed, days=550, per_30_days=-0.0002, step_day=step_day, step_size=-0.004
        )
        steps = detect_steps(series)
        assert len(steps) == 1, f"seed {seed}: {steps}"
        assert abs((steps[0].date - (START + dt.timedelta(days=step_day))).days) <= 3
        assert steps[0].relative_size == pytest.approx(-0.08, abs=0.01)


def test_a_slow_decay_of_a_few_percent_a_quarter_is_never_cut_into_steps() -> None:
    # 5% of the level every quarter, 550 days, noisier than the step test.
    for seed in range(50):
        series = synthetic_series(seed, days=550, per_30_days=-LEVEL * 0.05 / 3, noise=0.001)
        assert detect_steps(series) == [], f"seed {seed}"


def test_an_outage_of_a_few_days_is_neither_a_step_nor_a_drag_on_the_trend() -> None:
    series = synthetic_series(4)
    series.loc[100:102, "value"] = 0.005
    assert detect_steps(series) == []
    trend = fit_trend(series)
    assert trend.per_30_days_ci[0] <= DECAY_PER_30_DAYS <= trend.per_30_days_ci[1]


def test_a_step_is_not_mistaken_for_a_slow_decay() -> None:
    zero_in_interval = []
    for seed in range(50):
        flat_with_step = synthetic_series(seed, per_30_days=0.0, step_day=150, step_size=-0.004)
        trend = fit_trend(flat_with_step)
        assert [step.date for step in trend.steps] == [START + dt.timedelta(days=150)]
        assert trend.level_at_end == pytest.approx(LEVEL - 0.004, abs=0.0003)
        zero_in_interval.append(trend.per_30_days_ci[0] <= 0.0 <= trend.per_30_days_ci[1])
        ignoring_the_step = fit_trend(flat_with_step, steps=[])
        assert ignoring_the_step.per_30_days_ci[1] < 0
    assert np.mean(zero_in_interval) >= 0.9


def test_given_steps_are_used_as_they_are() -> None:
    step = StepChange(START + dt.timedelta(days=100), -0.004, -0.08, 0.05, 0.046)
    trend = fit_trend(synthetic_series(6, step_day=100, step_size=-0.004), steps=[step])
    assert trend.steps == (step,)


def test_a_trend_needs_two_weeks_of_data() -> None:
    with pytest.raises(ValueError, match=f"at least {MIN_TREND_DAYS} days"):
        fit_trend(synthetic_series(0, days=MIN_TREND_DAYS - 1))


def test_value_lost_matches_a_hand_computation() -> None:
    # Baseline over the first two days: (0.05 x 100 + 0.07 x 100) / 200 = 0.06.
    daily = pd.DataFrame(
        {
            "date": pd.date_range(START, periods=4),
            "value": [0.05, 0.07, 0.05, 0.04],
            "n": [100, 100, 200, 300],
        }
    )
    lost = value_lost_to_date(daily, unit_value=1_000, baseline_days=2)
    # (0.06 - 0.05) x 200 + (0.06 - 0.04) x 300 = 2 + 6 = 8 units, the baseline days adding 0.
    assert lost.baseline == pytest.approx(0.06)
    assert lost.amount == pytest.approx(8_000)
    assert (lost.baseline_start, lost.baseline_end, lost.days) == (
        START,
        START + dt.timedelta(days=1),
        4,
    )


def test_value_lost_is_positive_when_a_lower_is_better_kpi_rises() -> None:
    daily = pd.DataFrame(
        {"date": pd.date_range(START, periods=3), "value": [200.0, 200.0, 260.0], "n": 10}
    )
    # Latency is priced with a negative unit value: each ms costs money, as in the value per day.
    lost = value_lost_to_date(daily, unit_value=-2.0, baseline_days=2)
    assert lost.amount == pytest.approx((260 - 200) * 10 * 2.0)


def test_value_lost_on_a_decaying_series_grows_with_the_decay() -> None:
    series = synthetic_series(8).assign(n=1_000_000)
    lost = value_lost_to_date(series, unit_value=1_200)
    decay_per_day = -DECAY_PER_30_DAYS / 30
    # Against the first 28 days' level (its day 13.5), day d lags by (d - 13.5) x the daily decay.
    expected = sum((d - 13.5) * decay_per_day for d in range(HISTORY_DAYS)) * 1_000_000 * 1_200
    assert lost.amount == pytest.approx(expected, rel=0.05)


def test_value_lost_needs_units() -> None:
    with pytest.raises(ValueError, match="'n'"):
        value_lost_to_date(synthetic_series(0), unit_value=1.0)

"""Daily KPI evaluation: the window interval, and a status that moves only after persistence."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from core.errors import YardstickError
from kpi.evaluation import Thresholds, evaluate_days, window_estimate

START = dt.date(2026, 3, 2)
CTR_LINES = Thresholds(target=0.050, warning=0.046, exit=0.042, direction="increase")
# One million impressions a day: a day's binomial interval is about +-0.0004 around a CTR of 0.05,
# so a one-day window is clearly on one side of each line.
IMPRESSIONS = 1_000_000


def ctr_days(values: list[float], n: int = IMPRESSIONS, start: dt.date = START) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "date": pd.date_range(start, periods=len(values), freq="D"),
            "value": values,
            "n": n,
        }
    )


def statuses(values: list[float], persistence: int = 3, window_days: int = 1) -> list[str]:
    evaluations = evaluate_days(
        ctr_days(values), CTR_LINES, window_days, persistence, 0.95, is_rate=True
    )
    return [e.status for e in evaluations]


def test_thresholds_refuse_a_warning_outside_target_and_exit() -> None:
    with pytest.raises(YardstickError) as between:
        Thresholds(target=0.05, warning=0.04, exit=0.042, direction="increase")
    assert (between.value.code, between.value.field) == ("kpi.spec.warning_not_between", "warning")
    with pytest.raises(YardstickError) as wrong_side:
        Thresholds(target=0.05, warning=0.046, exit=0.042, direction="decrease")
    assert wrong_side.value.code == "kpi.spec.exit_not_above_target"
    Thresholds(target=200.0, warning=250.0, exit=300.0, direction="decrease")


def test_status_turns_warning_exactly_on_the_persistence_th_day_past_the_line() -> None:
    result = statuses([0.050] * 5 + [0.044] * 5, persistence=3)
    assert result == ["healthy"] * 7 + ["warning"] * 3


def test_status_turns_exit_only_after_persistence_days_past_exit() -> None:
    result = statuses([0.050] * 3 + [0.040] * 6, persistence=4)
    assert result == ["healthy"] * 6 + ["exit"] * 3


def test_days_past_each_line_count_consecutive_days_ending_today() -> None:
    evaluations = evaluate_days(
        ctr_days([0.050, 0.044, 0.044, 0.040, 0.040, 0.050]), CTR_LINES, 1, 3, 0.95, True
    )
    assert [e.days_past_warning for e in evaluations] == [0, 1, 2, 3, 4, 0]
    assert [e.days_past_exit for e in evaluations] == [0, 0, 0, 1, 2, 0]
    assert [e.status for e in evaluations] == [
        "healthy",
        "healthy",
        "healthy",
        "warning",
        "warning",
        "warning",
    ]


def test_a_single_noisy_day_never_changes_the_status() -> None:
    healthy_with_one_bad_day = statuses([0.050] * 5 + [0.030] + [0.050] * 5, persistence=2)
    assert set(healthy_with_one_bad_day) == {"healthy"}
    warning_with_one_good_day = statuses([0.044] * 5 + [0.060] + [0.044] * 5, persistence=2)
    assert warning_with_one_good_day == ["healthy"] + ["warning"] * 10


def test_status_returns_to_healthy_only_after_persistence_days_back_within() -> None:
    result = statuses([0.044] * 4 + [0.050] * 4, persistence=3)
    assert result == ["healthy"] * 2 + ["warning"] * 4 + ["healthy"] * 2


def test_exit_steps_down_to_warning_when_the_kpi_recovers_above_exit_only() -> None:
    result = statuses([0.040] * 3 + [0.044] * 4, persistence=2)
    assert result == ["healthy", "exit", "exit", "exit", "warning", "warning", "warning"]


def test_a_line_counts_as_crossed_only_when_the_whole_interval_is_past_it() -> None:
    # 10,000 impressions at CTR 0.045: the 95% interval (about +-0.004) still reaches 0.046.
    evaluations = evaluate_days(ctr_days([0.045] * 10, n=10_000), CTR_LINES, 1, 1, 0.95, True)
    assert all(e.ci_high > CTR_LINES.warning for e in evaluations)
    assert {e.status for e in evaluations} == {"healthy"}
    assert {e.days_past_warning for e in evaluations} == {0}


def test_decrease_direction_crosses_upwards() -> None:
    latency_lines = Thresholds(target=200.0, warning=250.0, exit=300.0, direction="decrease")
    days = pd.DataFrame(
        {
            "date": pd.date_range(START, periods=6),
            "value": [190.0, 195.0, 260.0, 262.0, 261.0, 263.0],
            "n": 100_000,
            "std": 40.0,
        }
    )
    result = evaluate_days(days, latency_lines, 1, 2, 0.95, is_rate=False)
    assert [e.status for e in result] == ["healthy"] * 3 + ["warning"] * 3
    assert {e.interval_method for e in result} == {"unit_std"}


def test_an_empty_window_is_no_data_and_the_status_starts_afresh_after_it() -> None:
    days = pd.concat(
        [ctr_days([0.044] * 4), ctr_days([0.044] * 2, start=START + dt.timedelta(days=10))]
    )
    evaluations = evaluate_days(days, CTR_LINES, 3, 2, 0.95, True)
    by_day = {e.date: e for e in evaluations}
    assert [e.status for e in evaluations[:4]] == ["healthy", "warning", "warning", "warning"]
    gap = [by_day[START + dt.timedelta(days=k)] for k in range(7, 10)]
    assert {e.status for e in gap} == {"no_data"}
    assert all(e.estimate is None and e.n is None for e in gap)
    assert by_day[START + dt.timedelta(days=10)].status == "healthy"
    assert by_day[START + dt.timedelta(days=11)].status == "warning"


def test_days_argument_extends_the_evaluation_beyond_the_data() -> None:
    wanted = pd.date_range(START, periods=12).date
    evaluations = evaluate_days(ctr_days([0.05] * 5), CTR_LINES, 7, 3, 0.95, True, wanted)
    assert len(evaluations) == 12
    assert evaluations[10].status == "healthy" and evaluations[10].days_in_window == 1
    assert evaluations[11].status == "no_data"


def test_each_day_is_judged_on_its_live_version_only() -> None:
    days = ctr_days([0.040] * 5 + [0.050] * 3).assign(model_id=["v1"] * 5 + ["v2"] * 3)
    evaluations = evaluate_days(days, CTR_LINES, 7, 2, 0.95, True)
    assert [e.model_id for e in evaluations] == ["v1"] * 5 + ["v2"] * 3
    assert evaluations[4].status == "exit"
    # The window of the new version holds none of the old version's days.
    assert [e.days_in_window for e in evaluations[5:]] == [1, 2, 3]
    assert evaluations[5].estimate == pytest.approx(0.050)
    assert {e.status for e in evaluations[5:]} == {"healthy"}


def test_window_estimate_is_weighted_by_n() -> None:
    window = window_estimate(
        np.array([0.04, 0.06]), np.array([3_000.0, 1_000.0]), None, 0.95, is_rate=True
    )
    assert window.estimate == pytest.approx((0.04 * 3_000 + 0.06 * 1_000) / 4_000)
    assert window.n == 4_000


def test_rate_interval_matches_statsmodels_normal_proportion_interval() -> None:
    clicks = np.array([480.0, 530.0, 505.0])
    impressions = np.array([10_000.0, 10_500.0, 9_800.0])
    window = window_estimate(clicks / impressions, impressions, None, 0.9, is_rate=True)
    low, high = proportion_confint(clicks.sum(), impressions.sum(), alpha=0.1, method="normal")
    assert window.method == "binomial"
    assert (window.ci_low, window.ci_high) == pytest.approx((low, high), rel=1e-12)


def test_std_interval_equals_the_interval_of_the_pooled_unit_values() -> None:
    rng = np.random.default_rng(7)
    units_per_day = [rng.normal(300 + 20 * day, 50, size) for day, size in enumerate([80, 120, 95])]
    window = window_estimate(
        np.array([u.mean() for u in units_per_day]),
        np.array([len(u) for u in units_per_day], dtype=float),
        np.array([u.std(ddof=1) for u in units_per_day]),
        0.95,
        is_rate=False,
    )
    pooled = np.concatenate(units_per_day)
    half_width = stats.norm.ppf(0.975) * pooled.std(ddof=1) / np.sqrt(len(pooled))
    assert window.method == "unit_std"
    assert window.estimate == pytest.approx(pooled.mean(), rel=1e-12)
    assert window.ci_high - window.estimate == pytest.approx(half_width, rel=1e-10)


def test_without_n_or_std_the_interval_is_the_t_interval_of_the_day_values() -> None:
    values = np.array([210.0, 190.0, 205.0, 230.0, 198.0])
    window = window_estimate(values, None, None, 0.95, is_rate=False)
    low, high = stats.t.interval(0.95, len(values) - 1, values.mean(), stats.sem(values))
    assert window.method == "day_spread"
    assert (window.ci_low, window.ci_high) == pytest.approx((low, high), rel=1e-12)


def test_a_single_day_without_n_or_std_has_no_interval_and_crosses_nothing() -> None:
    days = pd.DataFrame({"date": [START], "value": [0.01]})
    (evaluation,) = evaluate_days(days, CTR_LINES, 7, 1, 0.95, is_rate=True)
    assert evaluation.interval_method == "none"
    assert evaluation.ci_low is None and evaluation.ci_high is None
    assert evaluation.status == "healthy"


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pd.DataFrame({"date": [START]}), "lacks column"),
        (pd.DataFrame({"date": [START, START], "value": [0.1, 0.2]}), "more than one row"),
        (pd.DataFrame({"date": [START], "value": [1.5], "n": [10]}), r"in \[0, 1\]"),
        (pd.DataFrame({"date": [START], "value": [0.1], "n": [-1]}), "negative count"),
        (pd.DataFrame({"date": [START], "value": [np.nan]}), "'value'"),
    ],
)
def test_bad_daily_series_is_refused_with_the_column_named(
    frame: pd.DataFrame, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        evaluate_days(frame, CTR_LINES, 7, 3, 0.95, is_rate=True)


def test_a_realised_status_moves_back_only_on_intervals_wholly_within_its_line() -> None:
    """Warning on two days wholly past the warning line (0.85); three days AT the line, whose
    interval straddles it, keep the warning (no evidence it is regained: the old rule released
    it to healthy on the second); two days wholly within release it. One rule with the estimated
    days (`continue_statuses`)."""
    values = [0.82, 0.82, 0.85, 0.85, 0.85, 0.90, 0.90]
    n = 10_000
    daily = pd.DataFrame(
        {"date": pd.date_range("2026-03-01", periods=len(values)), "value": values, "n": n}
    )
    # the independent interval of each one-day window (normal approximation, as statsmodels)
    low, high = proportion_confint(np.round(np.array(values) * n), n, alpha=0.05, method="normal")
    assert all(high[:2] < 0.85) and all((low[2:5] < 0.85) & (high[2:5] > 0.85))
    assert all(low[5:] >= 0.85)
    lines = Thresholds(target=0.95, warning=0.85, exit=0.8, direction="increase")
    days = evaluate_days(daily, lines, window_days=1, persistence=2, confidence=0.95, is_rate=True)
    assert [d.status for d in days] == ["healthy"] + ["warning"] * 5 + ["healthy"]
    assert [d.ci_low for d in days] == pytest.approx(list(low), rel=1e-9)
    assert [d.ci_high for d in days] == pytest.approx(list(high), rel=1e-9)


def test_a_window_without_an_interval_keeps_the_status() -> None:
    """A one-day window of a mean without n or std has no interval: it is no evidence either way,
    so a warning stays (it used to count as back within)."""
    daily = pd.DataFrame(
        {
            "date": pd.date_range("2026-03-01", periods=5),
            "value": [0.82, 0.82, 0.9, 0.9, 0.9],
            "n": [10_000, 10_000, np.nan, np.nan, np.nan],
        }
    )
    lines = Thresholds(target=0.95, warning=0.85, exit=0.8, direction="increase")
    days = evaluate_days(daily, lines, window_days=1, persistence=2, confidence=0.95, is_rate=True)
    assert [d.interval_method for d in days[2:]] == ["none"] * 3
    assert [d.status for d in days] == ["healthy"] + ["warning"] * 4

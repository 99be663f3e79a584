"""How fast a KPI is losing value: step changes, the robust trend, crossing forecasts, value lost.

All functions take the daily series of the live version since its deployment (one row per day,
columns date and value, plus n where money is involved) and remove weekly seasonality themselves.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

# The estimator modules, not statsmodels.api (which imports every model and seconds of start-up).
from statsmodels.robust.norms import HuberT
from statsmodels.robust.robust_linear_model import RLM

from core.errors import YardstickError
from core.vocab import Direction

MIN_TREND_DAYS = 14
DAYS_PER_MONTH = 30


@dataclass(frozen=True)
class StepChange:
    """A sudden shift of the KPI's level (a catalogue change, an outage that did not recover).

    Attributes:
        date: the first day at the new level.
        size: level after minus level before, deseasonalised (metric unit).
        relative_size: size / level_before (-0.08 means an 8% drop).
        level_before: the deseasonalised trend level on the day before the step (metric unit).
        level_after: the deseasonalised trend level on the day of the step (metric unit).
    """

    date: dt.date
    size: float
    relative_size: float
    level_before: float
    level_after: float


@dataclass(frozen=True)
class _Series:
    """A validated daily series: days since the first day, weekly phase and values."""

    dates: pd.DatetimeIndex
    days: np.ndarray
    phase: np.ndarray
    values: np.ndarray


def _series(daily: pd.DataFrame, period: int) -> _Series:
    missing = [column for column in ("date", "value") if column not in daily.columns]
    if missing:
        raise ValueError(f"daily series lacks column(s) {missing}; needs date and value")
    frame = daily.assign(date=pd.to_datetime(daily["date"]).dt.normalize()).sort_values("date")
    if frame["date"].duplicated().any():
        first = frame.loc[frame["date"].duplicated(), "date"].iloc[0].date()
        raise ValueError(f"daily series has more than one row for {first}; one row per day")
    values = pd.to_numeric(frame["value"], errors="raise").to_numpy(dtype=float)
    if not np.isfinite(values).all():
        raise ValueError("daily series has a missing or infinite value in column 'value'")
    dates = pd.DatetimeIndex(frame["date"])
    days = ((dates - dates[0]) / pd.Timedelta(days=1)).to_numpy(dtype=float)
    return _Series(dates, days, days.astype(np.int64) % period, values)


def _seasonal_columns(phase: np.ndarray) -> np.ndarray:
    """Sum-to-zero coded phase columns, so the intercept stays the average level over a week."""
    levels = np.unique(phase)
    reference = levels[-1]
    columns = [
        (phase == level).astype(float) - (phase == reference).astype(float) for level in levels[:-1]
    ]
    return np.column_stack(columns) if columns else np.empty((len(phase), 0))


def _deseasonalised(series: _Series) -> np.ndarray:
    design = np.column_stack([np.ones_like(series.days), series.days])
    coefficients, *_ = np.linalg.lstsq(design, series.values, rcond=None)
    residuals = series.values - design @ coefficients
    effects = {
        level: float(np.median(residuals[series.phase == level]))
        for level in np.unique(series.phase)
    }
    centre = float(np.mean(list(effects.values())))
    seasonal = np.array([effects[level] - centre for level in series.phase], dtype=np.float64)
    return series.values - seasonal


def _clipped(values: np.ndarray, scale: float, limit: float = 3.0) -> np.ndarray:
    """Pull isolated outliers (an outage day) back to `limit` scales from a running median."""
    medians = pd.Series(values).rolling(7, center=True, min_periods=1).median()
    running: npt.NDArray[np.float64] = medians.to_numpy(dtype=np.float64)
    return running + np.clip(values - running, -limit * scale, limit * scale)


def _robust_scale(values: np.ndarray) -> float:
    differences = np.diff(values)
    if len(differences) == 0:
        return 0.0
    spread = np.median(np.abs(differences - np.median(differences)))
    return float(1.4826 * spread / math.sqrt(2))


@dataclass(frozen=True)
class _Split:
    index: int
    statistic: float
    size: float
    level: float


def _lag_one_autocorrelation(residuals: np.ndarray) -> float:
    centred = residuals - residuals.mean()
    denominator = float(np.dot(centred, centred))
    if denominator == 0 or len(centred) < 3:
        return 0.0
    return float(np.dot(centred[1:], centred[:-1]) / denominator)


def _best_split(days: np.ndarray, values: np.ndarray, min_segment: int) -> _Split | None:
    """The best single step on top of a straight line, found for every split point at once.

    By Frisch-Waugh-Lovell, adding a step indicator s to the line X reduces the residual sum of
    squares by (r's)^2 / (s'Ms), with r the line's residuals and M the projection off X; both
    terms are suffix sums, so every candidate costs O(1).
    """
    size = len(values)
    if size < 2 * min_segment:
        return None
    centred_days = days - days.mean()
    design = np.column_stack([np.ones(size), centred_days])
    gram_inverse = np.linalg.inv(design.T @ design)
    residuals = values - design @ (gram_inverse @ (design.T @ values))
    suffix_residual = np.cumsum(residuals[::-1])[::-1]
    suffix_count = np.arange(size, 0, -1, dtype=float)
    suffix_days = np.cumsum(centred_days[::-1])[::-1]
    candidates = np.arange(min_segment, size - min_segment + 1)
    count, day_sum = suffix_count[candidates], suffix_days[candidates]
    projected = (
        count * count * gram_inverse[0, 0]
        + 2 * count * day_sum * gram_inverse[0, 1]
        + day_sum * day_sum * gram_inverse[1, 1]
    )
    residual_norm = np.maximum(count - projected, 1e-12)
    gains = suffix_residual[candidates] ** 2 / residual_norm
    best = int(np.argmax(gains))
    index = int(candidates[best])
    step = float(suffix_residual[index] / residual_norm[best])

    with_step = np.column_stack([design, (np.arange(size) >= index).astype(float)])
    coefficients, *_ = np.linalg.lstsq(with_step, values, rcond=None)
    step_residuals = values - with_step @ coefficients
    variance = float(np.dot(step_residuals, step_residuals)) / max(size - 3, 1)
    # Autocorrelated days make a shift look more certain than it is; widen by the AR(1) long-run
    # variance factor so a wandering series is not cut into steps.
    rho = min(max(_lag_one_autocorrelation(step_residuals), 0.0), 0.9)
    long_run_variance = variance * (1 + rho) / (1 - rho)
    if long_run_variance <= 0:
        return None
    level_before = float(coefficients[0] + coefficients[1] * centred_days[index - 1])
    return _Split(index, float(gains[best]) / long_run_variance, step, level_before)


def detect_steps(
    daily: pd.DataFrame,
    period: int = 7,
    min_segment_days: int = 14,
    min_relative_size: float = 0.03,
    penalty: float | None = None,
    max_steps: int = 5,
) -> list[StepChange]:
    """Sudden level shifts in a daily KPI, by binary segmentation of the deseasonalised series.

    Each segment is tested for one step on top of its own straight line, so a slow decay is the
    null model and never reads as a staircase. A step is kept when its statistic (the drop in the
    residual sum of squares over the long-run noise variance) exceeds `penalty` and it moves the
    level by at least `min_relative_size`; the segment is then split and both sides searched again.

    Args:
        daily: one row per day with columns date and value.
        period: the seasonal period in days.
        min_segment_days: fewest days on either side of a step (so a short outage is no step).
        min_relative_size: smallest shift worth reporting, as a fraction of the level (0.03 = 3%).
        penalty: threshold for the statistic; defaults to 3 log(days), a conservative BIC.
        max_steps: most steps reported.
    """
    return _detect_steps(
        _series(daily, period), min_segment_days, min_relative_size, penalty, max_steps
    )


def _detect_steps(
    series: _Series,
    min_segment_days: int = 14,
    min_relative_size: float = 0.03,
    penalty: float | None = None,
    max_steps: int = 5,
) -> list[StepChange]:
    size = len(series.values)
    if size < 2 * min_segment_days:
        return []
    deseasonalised = _deseasonalised(series)
    scale = _robust_scale(deseasonalised)
    values = _clipped(deseasonalised, scale) if scale > 0 else deseasonalised
    threshold = 3 * math.log(size) if penalty is None else penalty

    found: list[int] = []
    segments = [(0, size)]
    while segments and len(found) < max_steps:
        start, stop = segments.pop()
        split = _best_split(series.days[start:stop], values[start:stop], min_segment_days)
        if split is None or split.statistic <= threshold:
            continue
        if abs(split.size) < min_relative_size * abs(split.level):
            continue
        found.append(start + split.index)
        segments.extend([(start, start + split.index), (start + split.index, stop)])
    return _step_changes(series, values, sorted(found))


def _step_changes(series: _Series, values: np.ndarray, indices: list[int]) -> list[StepChange]:
    """Sizes of the found steps from one joint fit: a common line plus a shift at each step."""
    if not indices:
        return []
    positions = np.arange(len(values))
    design = np.column_stack(
        [np.ones(len(values)), series.days]
        + [(positions >= index).astype(float) for index in indices]
    )
    coefficients, *_ = np.linalg.lstsq(design, values, rcond=None)
    fitted = design @ coefficients
    steps = []
    for column, index in enumerate(indices, start=2):
        shift = float(coefficients[column])
        level_after = float(fitted[index])
        level_before = (
            level_after
            - shift
            - float(coefficients[1]) * (series.days[index] - series.days[index - 1])
        )
        steps.append(
            StepChange(
                date=series.dates[index].date(),
                size=shift,
                relative_size=shift / level_before if level_before else math.nan,
                level_before=level_before,
                level_after=level_after,
            )
        )
    return steps


# The largest lag-one autocorrelation the trend interval allows for (a random walk has 1).
MAX_AUTOCORRELATION = 0.95


@dataclass(frozen=True)
class AutocorrelationCorrection:
    """How much autocorrelated residuals widen a trend's interval (arrays: one per series).

    Attributes:
        autocorrelation: lag-one autocorrelation of the residuals, bias-corrected and clipped to
            [0, MAX_AUTOCORRELATION].
        variance_factor: (1 + rho) / (1 - rho), the AR(1) long-run variance over the variance.
        degrees: degrees of freedom of the t quantile: the effective sample size (days over the
            factor) less the level and the slope, at most the residual degrees of freedom.
    """

    autocorrelation: npt.NDArray[np.float64]
    variance_factor: npt.NDArray[np.float64]
    degrees: npt.NDArray[np.float64]


def autocorrelation_correction(
    residuals: npt.NDArray[np.float64], parameters: int
) -> AutocorrelationCorrection:
    """The AR(1) correction of a regression's covariance from its residuals (last axis: days).

    The lag-one autocorrelation r of regression residuals is biased towards zero, by about
    (1 + 3 rho) / n for the mean alone (Marriott and Pope) and by about 2 (1 + rho) / n more for a
    line and weekday effects; without correction a short or strongly autocorrelated series gets an
    interval that covers the slope in 78-89% of cases instead of 95% (seeded simulations in
    tests/kpi/test_interval_coverage.py). The corrected rho = r + (3 + 5 r) / n widens the
    variance by (1 + rho) / (1 - rho), and the quantile is Student's t on the effective sample size.

    Args:
        residuals: residuals of one series (shape (days,)) or of many (shape (runs, days)).
        parameters: coefficients of the regression (for the residual degrees of freedom).
    """
    days = residuals.shape[-1]
    centred = residuals - residuals.mean(axis=-1, keepdims=True)
    denominator = np.sum(centred * centred, axis=-1)
    numerator = np.sum(centred[..., 1:] * centred[..., :-1], axis=-1)
    raw = np.divide(numerator, denominator, out=np.zeros_like(denominator), where=denominator > 0)
    rho = np.clip(raw + (3 + 5 * raw) / days, 0.0, MAX_AUTOCORRELATION)
    factor = (1 + rho) / (1 - rho)
    degrees = np.maximum(np.minimum(days - parameters, days / factor - 2), 2.0)
    return AutocorrelationCorrection(rho, factor, degrees)


@dataclass(frozen=True)
class TrendFit:
    """The KPI's deseasonalised linear trend for the live version, robust to outlier days.

    The level is parametrised at `end`: level(day) = level_at_end + slope_per_day x (day - end).

    Attributes:
        start: first day of the fit.
        end: last day of the fit, where `level_at_end` is measured.
        days: days with data behind the fit.
        level_at_end: weekly-average level on `end` after all steps (metric unit).
        slope_per_day: change of the level per day (metric unit per day).
        per_30_days: change per 30 days (metric unit per 30 days).
        per_30_days_ci: its two-sided interval at `confidence`.
        level_variance: variance of `level_at_end`.
        slope_variance: variance of `slope_per_day`.
        level_slope_covariance: covariance of the two.
        confidence: confidence of the intervals and of the trend's band.
        critical_value: Student's t quantile for `confidence` on `degrees` (the effective sample
            size after autocorrelation).
        residual_scale: robust scale of the daily residuals around the trend (metric unit).
        autocorrelation: bias-corrected lag-one autocorrelation of the residuals
            (`autocorrelation_correction`); when positive the variances are widened by
            (1 + rho) / (1 - rho).
        steps: the step changes the fit allowed for (a level shift each, common slope).
    """

    start: dt.date
    end: dt.date
    days: int
    level_at_end: float
    slope_per_day: float
    per_30_days: float
    per_30_days_ci: tuple[float, float]
    level_variance: float
    slope_variance: float
    level_slope_covariance: float
    confidence: float
    critical_value: float
    residual_scale: float
    autocorrelation: float
    steps: tuple[StepChange, ...]
    degrees: float = math.inf

    def level_variance_at(self, offsets: np.ndarray) -> np.ndarray:
        """Variance of the trend level at `offsets` days after `end`."""
        variance = (
            self.level_variance
            + 2 * offsets * self.level_slope_covariance
            + offsets**2 * self.slope_variance
        )
        return np.maximum(variance, 0.0)


def fit_trend(
    daily: pd.DataFrame,
    *,
    steps: Sequence[StepChange] | None = None,
    period: int = 7,
    confidence: float = 0.95,
) -> TrendFit:
    """Fit level + slope to the live version's daily series, with weekly effects and steps.

    One robust regression (statsmodels RLM with Huber's norm) of the value on a straight line,
    sum-to-zero weekday effects, and a level shift at each step, so a catalogue change is not read
    as decay and an outage day does not drag the line.

    Args:
        daily: one row per day since deployment, columns date and value.
        steps: step changes to allow for; None detects them with `detect_steps`.
        period: the seasonal period in days.
        confidence: confidence of the slope interval and of the trend's band.
    """
    series = _series(daily, period)
    if len(series.values) < MIN_TREND_DAYS:
        raise ValueError(
            f"a trend needs at least {MIN_TREND_DAYS} days of data, got {len(series.values)}"
        )
    if steps is None:
        steps = _detect_steps(series)
    first, last = series.dates[0].date(), series.dates[-1].date()
    used_steps = tuple(step for step in steps if first < step.date <= last)
    offsets = series.days - series.days[-1]
    # Indicators of the days before each step: zero on the last day, so the intercept is the
    # level at the end and its variance is read straight off the covariance matrix.
    before_step = [(series.dates < pd.Timestamp(step.date)).astype(float) for step in used_steps]
    design = np.column_stack(
        [np.ones(len(offsets)), offsets, _seasonal_columns(series.phase), *before_step]
    )
    fit = RLM(series.values, design, M=HuberT()).fit()
    correction = autocorrelation_correction(
        np.asarray(fit.resid, dtype=np.float64), design.shape[1]
    )
    covariance = np.asarray(fit.cov_params()) * float(correction.variance_factor)
    degrees = float(correction.degrees)
    critical = float(stats.t.ppf(0.5 + confidence / 2, degrees))
    slope = float(fit.params[1])
    slope_half_width = critical * math.sqrt(covariance[1, 1])
    return TrendFit(
        start=first,
        end=last,
        days=len(series.values),
        level_at_end=float(fit.params[0]),
        slope_per_day=slope,
        per_30_days=slope * DAYS_PER_MONTH,
        per_30_days_ci=(
            (slope - slope_half_width) * DAYS_PER_MONTH,
            (slope + slope_half_width) * DAYS_PER_MONTH,
        ),
        level_variance=float(covariance[0, 0]),
        slope_variance=float(covariance[1, 1]),
        level_slope_covariance=float(covariance[0, 1]),
        confidence=confidence,
        critical_value=critical,
        residual_scale=float(fit.scale),
        autocorrelation=float(correction.autocorrelation),
        steps=used_steps,
        degrees=degrees,
    )


@dataclass(frozen=True)
class Crossing:
    """When the trend is expected to cross an agreed line.

    The interval is where the edges of the trend's confidence band (the band of the mean level,
    at the trend's confidence) cross the line: the worse edge first, the better edge last. This is
    the inverse-regression (Fieller) interval for the crossing day.

    Attributes:
        line: the line (metric unit).
        date: the day the fitted trend is first past the line.
        earliest: the day the band's worse edge is first past the line.
        latest: the day the band's better edge is first past the line; None when that edge does
            not cross within the horizon (the slope might be flat).
        days_from_as_of: date minus as_of, in days.
    """

    line: float
    date: dt.date
    earliest: dt.date
    latest: dt.date | None
    days_from_as_of: int


def _first_past(levels: np.ndarray, line: float, direction: Direction) -> int | None:
    past = levels < line if direction == "increase" else levels > line
    hits = np.flatnonzero(past)
    return int(hits[0]) if len(hits) else None


def forecast_crossing(
    trend: TrendFit,
    line: float,
    as_of: dt.date,
    direction: Direction,
    horizon_days: int = 365,
) -> Crossing | None:
    """The day the trend crosses `line`, with an interval; None if already past or not in reach.

    Args:
        trend: the fitted trend.
        line: the warning or exit line (metric unit).
        as_of: the day the forecast is made; the search runs from it for `horizon_days` days.
        direction: "increase" (higher is better: crossing means falling below) or "decrease".
        horizon_days: how far ahead to look.
    """
    offsets = (as_of - trend.end).days + np.arange(horizon_days + 1)
    levels = trend.level_at_end + trend.slope_per_day * offsets
    half_widths = trend.critical_value * np.sqrt(trend.level_variance_at(offsets.astype(float)))
    worse_edge = levels - half_widths if direction == "increase" else levels + half_widths
    better_edge = levels + half_widths if direction == "increase" else levels - half_widths
    point = _first_past(levels, line, direction)
    if point is None or point == 0:
        return None
    earliest = _first_past(worse_edge, line, direction)
    latest = _first_past(better_edge, line, direction)
    return Crossing(
        line=line,
        date=as_of + dt.timedelta(days=point),
        earliest=as_of + dt.timedelta(days=earliest if earliest is not None else point),
        latest=None if latest is None else as_of + dt.timedelta(days=latest),
        days_from_as_of=point,
    )


@dataclass(frozen=True)
class ValueLost:
    """Money lost since deployment against the version's own early level.

    Attributes:
        amount: sum over days of (baseline - actual) x n x unit value (money): positive when the
            day's value (metric x n x unit value) fell short of the baseline's. A lower-is-better
            KPI is priced with a negative unit value, so its rise is a positive loss.
        baseline: the n-weighted level over the baseline days (metric unit).
        baseline_start: first day of the baseline.
        baseline_end: last day of the baseline.
        days: days summed over (all days of the series).
    """

    amount: float
    baseline: float
    baseline_start: dt.date
    baseline_end: dt.date
    days: int


def value_lost_to_date(
    daily: pd.DataFrame,
    unit_value: float,
    baseline_days: int = 28,
) -> ValueLost:
    """Money the live version has lost since deployment, against its own first weeks.

    Args:
        daily: the live version's days since deployment (date, value, n), up to the as-of day.
        unit_value: money per unit of metric x n; negative for a lower-is-better KPI (latency),
            as in the value per day.
        baseline_days: calendar days from the first day that define the baseline (28 = four whole
            weeks, so the weekly pattern averages out).
    """
    if "n" not in daily.columns:
        raise ValueError("value lost needs column 'n' (units per day)")
    frame = daily.assign(date=pd.to_datetime(daily["date"]).dt.normalize()).sort_values("date")
    frame = frame.dropna(subset=["value", "n"])
    if frame.empty:
        raise ValueError("value lost needs at least one day with value and n")
    first = frame["date"].iloc[0]
    in_baseline = frame["date"] < first + pd.Timedelta(days=baseline_days)
    baseline_frame = frame[in_baseline]
    baseline_units = float(baseline_frame["n"].sum())
    if baseline_units <= 0:
        # Stored rows can say n = 0 (ingest takes counts of zero or more).
        raise YardstickError(
            "kpi.value.baseline_no_units",
            start=first.date().isoformat(),
            end=baseline_frame["date"].iloc[-1].date().isoformat(),
        )
    baseline = float((baseline_frame["value"] * baseline_frame["n"]).sum()) / baseline_units
    shortfall = (baseline - frame["value"].to_numpy(dtype=float)) * frame["n"].to_numpy(dtype=float)
    return ValueLost(
        amount=float(shortfall.sum()) * unit_value,
        baseline=baseline,
        baseline_start=first.date(),
        baseline_end=baseline_frame["date"].iloc[-1].date(),
        days=len(frame),
    )


def trend_band(trend: TrendFit, last_day: dt.date) -> pd.DataFrame:
    """The fitted trend from its first day to `last_day` with its confidence band (the cone).

    Columns date, level, low, high: where the mean level lies (not a single day's value); the band
    is narrowest inside the data and widens into the future. The one computation of the band, for
    the status record's chart and any report.
    """
    dates = pd.date_range(trend.start, last_day)
    offsets = np.array([(d.date() - trend.end).days for d in dates], dtype=float)
    level = trend.level_at_end + trend.slope_per_day * offsets
    half = trend.critical_value * np.sqrt(trend.level_variance_at(offsets))
    return pd.DataFrame({"date": dates, "level": level, "low": level - half, "high": level + half})

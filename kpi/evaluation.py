"""Daily evaluation of a KPI against its agreed lines: window estimate, interval and status.

Which version was live on each day is the store's query (`kpi.sql.live_daily_series_query`: on a
hand-over day the newer deployment wins); a series arrives here already one row per day.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from core.errors import YardstickError
from core.vocab import DIRECTIONS, Direction
from core.vocab import KpiStatusCode as Status

IntervalMethod = Literal["binomial", "unit_std", "day_spread", "none"]

# The day-to-day spread is measured over the live version's 8 weeks before the window (whole
# weeks, so each weekday counts alike) and needs two weeks at least, so that weekday effects can be
# removed.
DISPERSION_HISTORY_DAYS = 56
MIN_DISPERSION_DAYS = 14
# The day-to-day variance replaces the sampling variance only when a one-sided chi-square test
# finds it larger at this level: without overdispersion the interval keeps its width.
DISPERSION_TEST_LEVEL = 0.05
WEEK_DAYS = 7


def line_order_problem(
    direction: Direction, target: float, warning: float, exit_line: float
) -> tuple[str, str] | None:
    """The one rule for agreed lines: warning strictly between target and exit, exit past target.

    Returns None when the lines are in order, else (problem, line at fault): problem is
    `exit_not_below_target` / `exit_not_above_target` (exit on the wrong side of target) or
    `warning_not_between`; the line is `exit` or `warning`. Worded in i18n (`error.kpi.spec.*`).
    """
    if direction == "increase":
        if not target > exit_line:
            return "exit_not_below_target", "exit"
        ordered = target > warning > exit_line
    else:
        if not target < exit_line:
            return "exit_not_above_target", "exit"
        ordered = target < warning < exit_line
    return None if ordered else ("warning_not_between", "warning")


@dataclass(frozen=True)
class Thresholds:
    """The lines agreed for a KPI, in the metric's own unit.

    Attributes:
        target: the level the model is expected to hold.
        warning: crossing it (for `persistence` days) turns the status to warning.
        exit: the withdrawal line; crossing it (for `persistence` days) meets the exit criterion.
        direction: "increase" when higher is better, "decrease" when lower is better.
    """

    target: float
    warning: float
    exit: float
    direction: Direction

    def __post_init__(self) -> None:
        if self.direction not in DIRECTIONS:
            raise YardstickError(
                "kpi.spec.not_choice",
                field="direction",
                value=self.direction,
                options=", ".join(DIRECTIONS),
            )
        problem = line_order_problem(self.direction, self.target, self.warning, self.exit)
        if problem is not None:
            raise YardstickError(
                f"kpi.spec.{problem[0]}",
                field=problem[1],
                target=self.target,
                warning=self.warning,
                exit=self.exit,
                direction=self.direction,
            )


@lru_cache(maxsize=64)
def _normal_quantile(confidence: float) -> float:
    # scipy's ppf costs ~0.3 ms a call, which dominated a 550-day evaluation.
    return float(stats.norm.ppf(0.5 + confidence / 2))


@lru_cache(maxsize=256)
def _t_quantile(confidence: float, degrees: int) -> float:
    return float(stats.t.ppf(0.5 + confidence / 2, degrees))


def interval_is_past(ci_low: float, ci_high: float, line: float, direction: Direction) -> bool:
    """Whether the whole interval lies on the bad side of `line` (a line touched is not crossed)."""
    if direction == "increase":
        return ci_high < line
    return ci_low > line


def interval_is_within(ci_low: float, ci_high: float, line: float, direction: Direction) -> bool:
    """Whether the whole interval lies on the good side of `line` (touching it counts as within,
    as a line touched is not crossed)."""
    if direction == "increase":
        return ci_low >= line
    return ci_high <= line


@dataclass(frozen=True)
class Dispersion:
    """How much more the days vary than their sampling error says (Laney's sigma-z squared).

    Attributes:
        factor: the variance multiplier for the window's sampling variance: the squared spread
            of the days' z-scores after weekday effects and a straight line are removed, when it
            is significantly above 1; exactly 1 otherwise.
        degrees: degrees of freedom of that estimate, so the interval uses a t quantile; None
            when the factor is 1 (the sampling variance is known: normal quantile).
    """

    factor: float
    degrees: int | None


NO_DISPERSION = Dispersion(1.0, None)


def overdispersion(
    values: np.ndarray, sampling_variance: np.ndarray, ordinals: np.ndarray
) -> Dispersion:
    """Laney's sigma-z: whether the days vary more than their sampling variance allows.

    Each day becomes a z-score z_i = (v_i - mean) / sqrt(sampling variance of day i); a
    regression of z on weekday effects and a straight line (so weekly seasonality and a slow decay
    are not counted as noise; outlier days winsorised) leaves residuals whose mean square,
    sigma_z^2, is 1 when the days
    differ only by sampling error. Large-n proportions are overdispersed in practice (a CTR moves
    with the traffic mix), and their binomial interval then covers the true level far less often
    than claimed.

    Args:
        values: the days' values, oldest first.
        sampling_variance: each day's sampling variance of its value (p(1-p)/n for a rate,
            std^2/n for a mean).
        ordinals: each day as a day number (for the weekday and the line).
    """
    days = len(values)
    if days < MIN_DISPERSION_DAYS or not bool(np.all(sampling_variance > 0)):
        return NO_DISPERSION
    weights = 1 / sampling_variance
    centre = float(np.dot(weights, values) / weights.sum())
    scores = (values - centre) / np.sqrt(sampling_variance)
    phase = ordinals % WEEK_DAYS
    # The regression on weekday dummies and a line, solved in closed form (Frisch-Waugh-Lovell):
    # removing each weekday's mean absorbs the dummies, and the line's slope is then a ratio of
    # two sums. Same residuals as a least-squares fit on the full design (to ~1e-15), at a small
    # fraction of its cost: this runs once per evaluated day.
    weekday_days = np.bincount(phase, minlength=WEEK_DAYS).astype(float)
    present = weekday_days > 0
    divisors = np.where(present, weekday_days, 1.0)

    def within_weekday(column: np.ndarray) -> np.ndarray:
        weekday_means = np.bincount(phase, column, minlength=WEEK_DAYS) / divisors
        centred: np.ndarray = column - weekday_means[phase]
        return centred

    trend = within_weekday((ordinals - ordinals.mean()).astype(float))
    trend_square = float(np.dot(trend, trend))
    # A line the weekdays already explain (every weekday seen once) adds no rank and no slope.
    has_line = trend_square > 0
    degrees = days - int(np.count_nonzero(present)) - int(has_line)

    def residuals_of(column: np.ndarray) -> np.ndarray:
        centred = within_weekday(column)
        if not has_line:
            return centred
        return centred - (float(np.dot(trend, centred)) / trend_square) * trend

    residuals = residuals_of(scores)
    # One outage day must not widen eight weeks of intervals: residuals beyond 3 robust scales
    # (MAD) are pulled in and the fit repeated once (a winsorised fit; on normal days it changes
    # the mean square by well under 1%).
    scale = 1.4826 * _median(np.abs(residuals - _median(residuals)))
    clipped = scores - residuals + np.clip(residuals, -3 * scale, 3 * scale)
    residuals = residuals_of(clipped)
    sigma_squared = float(np.dot(residuals, residuals)) / degrees
    if sigma_squared * degrees <= _chi2_quantile(1 - DISPERSION_TEST_LEVEL, degrees):
        return NO_DISPERSION
    return Dispersion(sigma_squared, degrees)


def _median(values: np.ndarray) -> float:
    """`numpy.median` of a non-empty 1-d array without its generic machinery (the same value:
    the middle element, or the mean of the two middle ones)."""
    middle = len(values) // 2
    if len(values) % 2:
        return float(np.partition(values, middle)[middle])
    pair = np.partition(values, (middle - 1, middle))
    return float((pair[middle - 1] + pair[middle]) / 2)


@lru_cache(maxsize=256)
def _chi2_quantile(probability: float, degrees: int) -> float:
    return float(stats.chi2.ppf(probability, degrees))


@dataclass(frozen=True)
class WindowEstimate:
    """The KPI over one evaluation window.

    Attributes:
        estimate: the window's value, the days weighted by their units n (equal weights when a day
            lacks n); in the metric's unit.
        ci_low: lower end of the two-sided interval at the requested confidence; None when the
            window holds too little to measure its spread (a single day without n or std).
        ci_high: upper end of that interval; None likewise.
        n: units behind the window (sum of the days' n); None when a day lacks n.
        days: days with data in the window.
        method: where the interval comes from: "binomial" (a rate in [0, 1] with n), "unit_std"
            (the days' std of the unit values), "day_spread" (the weighted day-to-day spread),
            or "none".
        dispersion: the overdispersion factor applied (1 when the days vary no more than their
            sampling error).
    """

    estimate: float
    ci_low: float | None
    ci_high: float | None
    n: int | None
    days: int
    method: IntervalMethod
    dispersion: float = 1.0


def window_estimate(
    values: np.ndarray,
    n: np.ndarray | None,
    std: np.ndarray | None,
    confidence: float,
    is_rate: bool,
    dispersion: Dispersion = NO_DISPERSION,
) -> WindowEstimate:
    """The weighted estimate of one window and its interval.

    With n known, the interval's variance is the larger of the sampling variance and the
    day-to-day variance: the sampling variance times `dispersion.factor` (Laney's sigma-z
    squared, from `overdispersion` over the recent days), with a t quantile on its degrees of
    freedom.

    Args:
        values: each day's metric value.
        n: each day's units (NaN where unknown), or None.
        std: each day's standard deviation of the unit values (ddof=1; NaN where unknown), or None.
        confidence: two-sided confidence of the interval, in (0, 1).
        is_rate: the metric is a proportion in [0, 1] (a click-through rate, a conversion rate).
        dispersion: how much more the days vary than their sampling error (default: no more).
    """
    values = np.asarray(values, dtype=float)
    days = len(values)
    if days == 0:
        raise ValueError("a window needs at least one day with data")
    has_n = n is not None and bool(np.all(np.isfinite(n))) and bool(np.all(np.asarray(n) > 0))
    weights = np.asarray(n, dtype=float) if has_n else np.ones(days)
    total_weight = float(weights.sum())
    estimate = float(np.dot(weights, values) / total_weight)
    units = round(total_weight) if has_n else None
    z = (
        _normal_quantile(confidence)
        if dispersion.degrees is None
        else _t_quantile(confidence, dispersion.degrees)
    )

    if has_n and is_rate:
        sampling = max(estimate * (1 - estimate), 0.0) / total_weight
        half_width = z * math.sqrt(sampling * dispersion.factor)
        return WindowEstimate(
            estimate,
            estimate - half_width,
            estimate + half_width,
            units,
            days,
            "binomial",
            dispersion.factor,
        )
    if has_n and std is not None and bool(np.all(np.isfinite(std))) and total_weight > 1:
        # Pooled variance of the unit values behind the whole window: within-day spread plus the
        # spread of the day means, exactly as if the units had been pooled into one sample.
        within = float(np.dot(weights - 1, np.square(std)))
        between = float(np.dot(weights, np.square(values - estimate)))
        unit_variance = (within + between) / (total_weight - 1)
        # The days' own sampling variances (std^2 / n each, weighted by n) scaled by sigma-z^2.
        day_to_day = float(np.dot(weights, np.square(std))) / total_weight**2 * dispersion.factor
        half_width = z * math.sqrt(max(unit_variance / total_weight, day_to_day))
        return WindowEstimate(
            estimate,
            estimate - half_width,
            estimate + half_width,
            units,
            days,
            "unit_std",
            dispersion.factor,
        )
    if days >= 2:
        squared_weights = float(np.dot(weights, weights))
        spread = float(np.dot(weights, np.square(values - estimate))) / (
            total_weight - squared_weights / total_weight
        )
        standard_error = math.sqrt(spread * squared_weights) / total_weight
        half_width = _t_quantile(confidence, days - 1) * standard_error
        return WindowEstimate(
            estimate, estimate - half_width, estimate + half_width, units, days, "day_spread"
        )
    return WindowEstimate(estimate, None, None, units, days, "none")


@dataclass(frozen=True)
class DayEvaluation:
    """One day's judgement of a KPI.

    Attributes:
        date: the evaluated day; the window is the `window_days` days ending on it.
        model_id: the version live that day (the window holds only its days); None when the input
            carries no model_id column.
        estimate: the window estimate (metric unit); None when the window is empty.
        ci_low: lower end of the window's interval; None when empty or not measurable.
        ci_high: upper end of the window's interval; None when empty or not measurable.
        n: units behind the window; None when unknown.
        days_in_window: days with data in the window.
        interval_method: see `WindowEstimate.method`.
        dispersion: see `WindowEstimate.dispersion`.
        status: "healthy", "warning", "exit" or "no_data" (empty window).
        days_past_warning: consecutive days, ending on this one, whose interval lay wholly past
            the warning line.
        days_past_exit: the same for the exit line.
    """

    date: dt.date
    model_id: str | None
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    n: int | None
    days_in_window: int
    interval_method: IntervalMethod
    status: Status
    days_past_warning: int
    days_past_exit: int
    dispersion: float = 1.0


@dataclass
class _StatusMachine:
    """Moves the status only after `persistence` consecutive days agree, in both directions: past
    a line on intervals wholly past it, back on intervals wholly within it (`judge`)."""

    persistence: int
    status: Status = "healthy"
    past_warning: int = 0
    past_exit: int = 0
    within_warning: int = 0
    within_exit: int = 0

    def _next_status(self) -> Status:
        persistence = self.persistence
        if self.past_exit >= persistence:
            return "exit"
        if self.status == "exit" and self.within_exit < persistence:
            return "exit"
        if self.past_warning >= persistence:
            return "warning"
        if self.status in ("warning", "exit") and self.within_warning < persistence:
            return "warning"
        return "healthy"

    def reset(self) -> None:
        self.status = "healthy"
        self.past_warning = self.past_exit = self.within_warning = self.within_exit = 0

    def judge(self, interval: tuple[float, float] | None, thresholds: Thresholds) -> Status:
        """One day's window judged on evidence both ways, the one rule of realised and estimated
        days: a run past a line grows only while the interval is wholly past it, a run back
        within only while it is wholly within; an interval across a line breaks both runs of
        that line, and a window without an interval breaks every run, so the status stays."""
        if interval is None:
            past_warning = within_warning = past_exit = within_exit = False
        else:
            low, high = interval
            direction = thresholds.direction
            past_warning = interval_is_past(low, high, thresholds.warning, direction)
            within_warning = interval_is_within(low, high, thresholds.warning, direction)
            past_exit = interval_is_past(low, high, thresholds.exit, direction)
            within_exit = interval_is_within(low, high, thresholds.exit, direction)
        self.past_warning = self.past_warning + 1 if past_warning else 0
        self.within_warning = self.within_warning + 1 if within_warning else 0
        self.past_exit = self.past_exit + 1 if past_exit else 0
        self.within_exit = self.within_exit + 1 if within_exit else 0
        self.status = self._next_status()
        return self.status


@dataclass(frozen=True)
class StatusStep:
    """The status after one more judged window (see `continue_statuses`).

    Attributes:
        status: healthy, warning or exit (no_data when the window had no interval).
        days_past_warning, days_past_exit: consecutive days, ending on this one, whose interval
            lay wholly past the line (counted on from the day the run continues).
    """

    status: Status
    days_past_warning: int
    days_past_exit: int


def continue_statuses(
    last: DayEvaluation | None,
    intervals: Sequence[tuple[float, float] | None],
    thresholds: Thresholds,
    persistence: int,
    models: Sequence[str] | None = None,
) -> list[StatusStep]:
    """Carry a status on over more days, one window interval per day, by the same persistence
    rule as `evaluate_days` (a KPI's estimated days after its last realised one).

    The run starts from `last` (its status and its days past each line); the days it had spent
    back within a line are not kept in a `DayEvaluation`, so they start at 0: a status moves back
    only after `persistence` further days within, never earlier than `evaluate_days` would. A
    day without an interval cannot be judged: it keeps the status and breaks the runs.

    The rule is `evaluate_days`' own (`_StatusMachine.judge`): a status moves only on evidence,
    back within a line only after `persistence` days whose interval is wholly within it, past it
    only after as many wholly past it. An interval across a line says neither, and keeps the
    status: an exit is not released because the estimate is too uncertain to confirm it.

    `models` (one per interval) names the version live each day. A status is a version's: at a
    hand-over (a day whose version differs from the day before, or from `last`'s) the status
    restarts healthy with no runs, as `evaluate_days` starts a new version, and is never carried
    across.
    """
    if models is not None and len(models) != len(intervals):
        raise ValueError(f"{len(models)} model ids for {len(intervals)} intervals; one per day")
    machine = _StatusMachine(persistence)
    if last is not None and last.status != "no_data":
        machine.status = last.status
        machine.past_warning = last.days_past_warning
        machine.past_exit = last.days_past_exit
    live = last.model_id if last is not None else None
    steps = []
    for index, interval in enumerate(intervals):
        if models is not None:
            if live is not None and models[index] != live:
                machine.reset()
            live = models[index]
        status = machine.judge(interval, thresholds)
        steps.append(StatusStep(status, machine.past_warning, machine.past_exit))
    return steps


def _validated_daily(daily: pd.DataFrame, is_rate: bool) -> pd.DataFrame:
    missing = [column for column in ("date", "value") if column not in daily.columns]
    if missing:
        raise ValueError(f"daily series lacks column(s) {missing}; needs date, value[, n, std]")
    frame = daily.copy()
    frame["date"] = pd.to_datetime(frame["date"]).dt.normalize()
    for column in ("n", "std"):
        frame[column] = (
            pd.to_numeric(frame[column], errors="raise").astype(float)
            if column in frame.columns
            else np.nan
        )
    frame["value"] = pd.to_numeric(frame["value"], errors="raise").astype(float)
    duplicated = frame["date"].duplicated()
    if duplicated.any():
        first = frame.loc[duplicated, "date"].iloc[0].date()
        raise ValueError(f"daily series has more than one row for {first}; one row per day")
    if not np.isfinite(frame["value"]).all():
        raise ValueError("daily series has a missing or infinite value in column 'value'")
    if (frame["n"] < 0).any():
        raise ValueError("daily series has a negative count in column 'n'")
    if (frame["std"] < 0).any():
        raise ValueError("daily series has a negative standard deviation in column 'std'")
    if is_rate and ((frame["value"] < 0) | (frame["value"] > 1)).any():
        raise ValueError("a rate metric needs every value in [0, 1] (column 'value')")
    # Days with zero units carry no measurement.
    frame = frame[~(frame["n"] == 0)]
    return frame.sort_values("date").reset_index(drop=True)


def evaluate_days(
    daily: pd.DataFrame,
    thresholds: Thresholds,
    window_days: int,
    persistence: int,
    confidence: float,
    is_rate: bool,
    days: Iterable[dt.date] | None = None,
) -> list[DayEvaluation]:
    """Evaluate a KPI on each day: window estimate, interval and status.

    Args:
        daily: one row per day with columns date, value and optionally n (units behind the value),
            std (standard deviation of those unit values) and model_id (the version live that day).
            When model_id is given, a window only holds days of the version live on the evaluated
            day, and a new version starts healthy.
        thresholds: the agreed lines and the direction.
        window_days: length of the evaluation window in calendar days, ending on the evaluated day.
        persistence: consecutive days past a line before the status moves to it; the same number
            of days back within a line before it moves back.
        confidence: two-sided confidence of the window interval; a line counts as crossed only
            when the whole interval is past it, and as regained only when the whole interval is
            within it: a window across a line (or without an interval) keeps the status, so a KPI
            hovering at a line does not flap (on the medium demo, fraud-cost's 17 status changes
            over 518 days became 5).
        is_rate: the metric is a proportion in [0, 1], so its variance is binomial with n.
        days: the days to evaluate; defaults to every calendar day from the first to the last
            row. A day without a row keeps the version of the latest earlier row.
    """
    if window_days < 1:
        raise ValueError(f"window_days must be at least 1, got {window_days}")
    if persistence < 1:
        raise ValueError(f"persistence must be at least 1, got {persistence}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence}")
    frame = _validated_daily(daily, is_rate)
    if days is None:
        if frame.empty:
            return []
        evaluated = pd.date_range(frame["date"].iloc[0], frame["date"].iloc[-1], freq="D")
    else:
        evaluated = pd.DatetimeIndex(pd.to_datetime(list(days))).normalize().sort_values()

    ordinals = frame["date"].to_numpy(dtype="datetime64[D]").astype(np.int64)
    values = frame["value"].to_numpy()
    counts = frame["n"].to_numpy()
    stds = frame["std"].to_numpy()
    has_models = "model_id" in frame.columns
    models = frame["model_id"].astype(str).to_numpy() if has_models else None

    # Every day's window and history bounds at once; the loop only slices.
    day_ordinals = evaluated.to_numpy(dtype="datetime64[D]").astype(np.int64)
    window_starts = np.searchsorted(ordinals, day_ordinals - window_days + 1, side="left")
    window_stops = np.searchsorted(ordinals, day_ordinals, side="right")
    history_starts = np.searchsorted(
        ordinals, day_ordinals - window_days - DISPERSION_HISTORY_DAYS + 1, side="left"
    )
    # Days that share their history (no new row since the day before) share its dispersion.
    dispersions: dict[tuple[int, int, str | None], Dispersion] = {}

    machine = _StatusMachine(persistence)
    live_model: str | None = None
    evaluations = []
    for index, day in enumerate(evaluated):
        start = int(window_starts[index])
        stop = int(window_stops[index])
        if models is not None:
            model_today = str(models[stop - 1]) if stop > 0 else None
            if model_today != live_model:
                machine.reset()
                live_model = model_today
        in_window = _rows_of(start, stop, models, live_model)
        if _row_count(in_window) == 0:
            machine.reset()
            evaluations.append(
                DayEvaluation(
                    day.date(), live_model, None, None, None, None, 0, "none", "no_data", 0, 0
                )
            )
            continue
        # The spread is measured on the days BEFORE the window, so a real drop inside the window
        # is not read as noise (and the estimate is independent of the window it scales).
        history_start = int(history_starts[index])
        key = (history_start, start, live_model)
        if key not in dispersions:
            history = _rows_of(history_start, start, models, live_model)
            dispersions[key] = _dispersion_of(
                values[history], counts[history], stds[history], ordinals[history], is_rate
            )
        window = window_estimate(
            values[in_window],
            counts[in_window],
            stds[in_window],
            confidence,
            is_rate,
            dispersions[key],
        )
        interval = (
            (window.ci_low, window.ci_high)
            if window.ci_low is not None and window.ci_high is not None
            else None
        )
        status = machine.judge(interval, thresholds)
        evaluations.append(
            DayEvaluation(
                date=day.date(),
                model_id=live_model,
                estimate=window.estimate,
                ci_low=window.ci_low,
                ci_high=window.ci_high,
                n=window.n,
                days_in_window=window.days,
                interval_method=window.method,
                status=status,
                days_past_warning=machine.past_warning,
                days_past_exit=machine.past_exit,
                dispersion=window.dispersion,
            )
        )
    return evaluations


def _rows_of(
    start: int, stop: int, models: np.ndarray | None, live_model: str | None
) -> slice | np.ndarray:
    """The rows start..stop-1 of the live version: a slice when they all are (the usual case, and
    a view, not a copy), else their positions."""
    if models is None:
        return slice(start, stop)
    own = models[start:stop] == live_model
    if bool(own.all()):
        return slice(start, stop)
    return np.flatnonzero(own) + start


def _row_count(rows: slice | np.ndarray) -> int:
    if isinstance(rows, slice):
        return max(int(rows.stop) - int(rows.start), 0)
    return len(rows)


def _dispersion_of(
    values: np.ndarray, n: np.ndarray, std: np.ndarray, ordinals: np.ndarray, is_rate: bool
) -> Dispersion:
    """`overdispersion` over the recent days of the live version, when their sampling variance
    is known (a rate with n, or a mean with n and std)."""
    if len(values) < MIN_DISPERSION_DAYS or not bool(np.all(np.isfinite(n) & (n > 0))):
        return NO_DISPERSION
    if is_rate:
        level = float(np.dot(n, values) / n.sum())
        sampling = np.full(len(values), level * (1 - level)) / n
    elif bool(np.all(np.isfinite(std))):
        sampling = np.square(std) / n
    else:
        return NO_DISPERSION
    return overdispersion(values, sampling, ordinals)

"""A KPI's status as of a day, from the series the store read (pure: no I/O).

`evaluate_kpi` takes a definition version and the rows read for it (`KpiReadings`: one snapshot,
read by `services.kpis`) and returns one typed record per KPI (what `kpi check --json` prints and
what the pages and the retraining economics read: value per day, decay and forecasts). The
statistics live in `kpi.evaluation` (window estimate and status), `kpi.degradation` (steps, trend,
forecasts, value lost), `kpi.value` and `kpi.bridge`; this module is the glue: which series, the
window's money, and the cost-matrix value lost, which has no per-unit form.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.errors import Unavailable, YardstickError
from core.vocab import COST_CELLS, Direction, KpiStatusCode
from kpi.bridge import Bridge, BridgeEffect, describe_bridge, fit_bridge, weekly_bridge_pairs
from kpi.degradation import (
    MIN_TREND_DAYS,
    Crossing,
    StepChange,
    TrendFit,
    detect_steps,
    fit_trend,
    forecast_crossing,
    trend_band,
    value_lost_to_date,
)
from kpi.economics import decay_value_per_day
from kpi.evaluation import DayEvaluation, Thresholds, evaluate_days
from kpi.spec import DEFAULT_MAX_STALENESS_DAYS, KpiSpec
from kpi.value import (
    ConfusionCounts,
    CostMatrix,
    CostMatrixValue,
    value_cost_matrix,
    value_per_day_bridge,
    value_per_day_per_unit,
)
from kpi.versions import KpiVersion

BASELINE_DAYS = 28
FORECAST_HORIZON_DAYS = 365
BRIDGE_CONFIDENCE = 0.9
BRIDGE_STEP = 0.01
STATUS_EXIT_CODES: dict[KpiStatusCode, int] = {
    "healthy": 0,
    "no_data": 0,
    "warning": 10,
    "exit": 20,
}
# A KPI without data, or whose data stopped longer ago than its `max_staleness_days`: the other
# statuses were judged on old data (or none), so this one outranks them (30 > 20 > 10 > 0).
STALE_EXIT_CODE = 30


@dataclass(frozen=True)
class KpiStatus:
    """Everything known about one KPI as of a day (the record `kpi check --json` prints).

    Attributes:
        kpi_id: the KPI.
        version: the definition version used.
        defined_after_as_of: the day the version used was defined, when that is after `as_of`
            (the KPI did not exist yet on `as_of`, so its first version judges it).
        name: human-readable name.
        family: model family.
        metric: evaluated metric.
        direction: increase (higher is better) or decrease.
        owner: business owner.
        as_of: the evaluation day (the `evaluated_on` of the JSON): the day asked for, else the
            last day the KPI's own metric has data for its family's live model.
        status: healthy, warning, exit or no_data.
        model_id: the version live on `as_of`.
        value: the window estimate (metric unit); None without data.
        ci: the window interval (low, high); None when not measurable.
        target: agreed target.
        warning: agreed warning line.
        exit: agreed exit line.
        days_past_warning: consecutive days (to `as_of`) with the interval wholly past warning.
        days_past_exit: the same for exit.
        trend: the live version's deseasonalised trend (`per_30_days`, its interval, level on
            `as_of`, steps allowed for); None for an offline KPI or fewer than 14 days.
        forecast_warning: expected warning crossing, None if passed or beyond 365 days.
        forecast_exit: expected exit crossing, None likewise.
        currency: currency of the money fields.
        value_per_day: business value per day over the window (currency per day).
        value_lost_to_date: value lost since deployment against the live version's own first
            28 days (currency); negative when it gained; None with 28 days or fewer.
        decay_per_day: value per day lost each day by the trend (currency per day per day);
            positive when the KPI worsens; None without a trend.
        last_data_date: the last day, up to `as_of`, the KPI's own metric has data; None when
            it has none.
        stale_days: days from `last_data_date` to the reference day (today by the clock, or the
            day asked for); None without data.
        max_staleness_days: the spec's allowance for `stale_days`.
        ignored_future_rows: rows of the KPI's metrics dated after tomorrow (a far-future date,
            `infinity`), left out of the evaluation.
        status_since: the first day of the current run of `status` (at exit since...); None
            without data.
    """

    kpi_id: str
    version: int
    defined_after_as_of: dt.date | None
    name: str
    family: str
    metric: str
    direction: Direction
    owner: str
    as_of: dt.date
    status: KpiStatusCode
    model_id: str | None
    value: float | None
    ci: tuple[float, float] | None
    target: float
    warning: float
    exit: float
    days_past_warning: int
    days_past_exit: int
    trend: TrendFit | None
    forecast_warning: Crossing | None
    forecast_exit: Crossing | None
    currency: str
    value_per_day: float | None
    value_lost_to_date: float | None
    decay_per_day: float | None
    last_data_date: dt.date | None = None
    stale_days: int | None = None
    max_staleness_days: int = DEFAULT_MAX_STALENESS_DAYS
    ignored_future_rows: int = 0
    status_since: dt.date | None = None

    @property
    def is_stale(self) -> bool:
        """No data in the window, or data older than the spec allows: the status cannot be
        trusted today (exit status 30)."""
        if self.status == "no_data" or self.stale_days is None:
            return True
        return self.stale_days > self.max_staleness_days


def is_rate_series(series: pd.DataFrame) -> bool:
    """A proportion of its n units: every value in [0, 1], n known and no std given.

    The store has no metric-kind column; a metric whose n counts trials and whose value stays in
    [0, 1] without a per-unit std (ctr, conversion_rate, recall, fallback_rate) is binomial.
    Offline metrics are never treated so: an AUC is not a share of its n labelled rows.
    """
    if series.empty or "n" not in series or series["n"].isna().any():
        return False
    if "std" in series and series["std"].notna().any():
        return False
    return bool(series["value"].between(0, 1).all())


def _window(frame: pd.DataFrame, as_of: dt.date, window_days: int) -> pd.DataFrame:
    start = pd.Timestamp(as_of - dt.timedelta(days=window_days - 1))
    dates = pd.to_datetime(frame["date"])
    return frame[(dates >= start) & (dates <= pd.Timestamp(as_of))]


def per_unit_value_per_day(window: pd.DataFrame, unit_value: float) -> float | None:
    """Mean over the window's days of metric x n x unit_value (currency per day)."""
    if window.empty or window["n"].isna().any():
        return None
    values = window["value"].to_numpy(dtype=np.float64)
    units = window["n"].to_numpy(dtype=np.float64)
    days = [
        value_per_day_per_unit(float(value), float(n), unit_value)
        for value, n in zip(values, units, strict=True)
    ]
    return float(np.mean(days))


def _cost_matrix_days(counts: pd.DataFrame, cells: CostMatrix) -> list[CostMatrixValue]:
    """Each day's value under the cost matrix; `kpi.value.no_predictions` for a stored day whose
    four counts are all zero (loaded that way, it cannot be priced per prediction)."""
    rows = counts[["tp", "fp", "tn", "fn"]].to_numpy(dtype=np.int64)
    empty = rows.sum(axis=1) == 0
    if empty.any():
        first = counts[empty].iloc[0]
        raise YardstickError(
            "kpi.value.no_predictions",
            model=str(first["model_id"]),
            day=pd.Timestamp(first["date"]).date().isoformat(),
        )
    return [
        value_cost_matrix(ConfusionCounts(int(tp), int(fp), int(tn), int(fn)), cells)
        for tp, fp, tn, fn in rows
    ]


def cost_matrix_value_lost(counts: pd.DataFrame, cells: CostMatrix) -> float | None:
    """Sum over days of (baseline - actual value per prediction) x predictions (currency).

    The baseline is the value per prediction over the first 28 days; None with fewer days.
    """
    days = _cost_matrix_days(counts, cells)
    if len(days) <= BASELINE_DAYS:
        return None
    first = days[:BASELINE_DAYS]
    baseline = sum(d.total for d in first) / sum(d.predictions for d in first)
    return float(sum(baseline * d.predictions - d.total for d in days))


def _counts_by_day(long: pd.DataFrame) -> pd.DataFrame:
    if long.empty:
        return pd.DataFrame(columns=["date", "model_id", *COST_CELLS])
    wide = long.pivot_table(index=["date", "model_id"], columns="metric", values="value")
    return wide.reset_index().dropna(subset=list(COST_CELLS)).sort_values("date")


@dataclass(frozen=True)
class BridgeView:
    """The offline-to-online relation of a KPI's family.

    Attributes:
        offline_metric: offline metric on the x axis.
        online_metric: online metric on the y axis.
        pairs: (model_id, week, offline_value, online_value) pairs behind the fit.
        bridge: the fitted relation; None with too few pairs, or pairs it cannot be fitted to.
        effect: what +0.01 of the offline metric is worth, per month; None without a unit value
            (or when `unfitted` says why not).
        unfitted: why the stored pairs carry no bridge, or no effect (`kpi.bridge.flat_offline`,
            `kpi.bridge.zero_online`), for the faces to word; None otherwise. The bridge is
            context beside the KPI, so such pairs do not stop its evaluation.
    """

    offline_metric: str
    online_metric: str
    pairs: pd.DataFrame
    bridge: Bridge | None
    effect: BridgeEffect | None
    unfitted: Unavailable | None = None


@dataclass(frozen=True)
class KpiDetail:
    """A KPI's status with the series behind it (for the Degradation page).

    Attributes:
        status: the status record.
        spec: the definition version used.
        series: the daily series of the live versions (date, model_id, value, n, std).
        evaluations: one evaluation per day up to `as_of`.
        steps: step changes detected in the live version's series.
        trend_line: the fitted trend of the live version (date, level, low, high) from its first
            day to the forecast horizon; empty without a trend.
        offline: offline evaluations of the family's models (evaluated_at, model_id, metric, value).
        bridge: the offline-to-online bridge; None for a family without offline metrics.
    """

    status: KpiStatus
    spec: KpiSpec
    series: pd.DataFrame
    evaluations: list[DayEvaluation]
    steps: tuple[StepChange, ...]
    trend_line: pd.DataFrame
    offline: pd.DataFrame
    bridge: BridgeView | None


@dataclass(frozen=True)
class KpiReadings:
    """The rows a KPI's evaluation needs, read from one snapshot of the store up to `as_of`.

    Attributes:
        online: daily values of `online_metrics_needed(spec)` for the version live each day
            (date, model_id, metric, value, n, std), ordered by metric then date.
        offline: offline evaluations of every offline metric of the family (evaluated_at,
            model_id, metric, value, n, dataset, live: of the version live that day), ordered by
            metric, evaluated_at, model_id.
        offline_metrics: the family's offline metric names, in name order.
    """

    online: pd.DataFrame
    offline: pd.DataFrame
    offline_metrics: tuple[str, ...]

    def online_of(self, metrics: Sequence[str]) -> pd.DataFrame:
        """The online rows of `metrics` (same columns and order as read)."""
        rows = self.online[self.online["metric"].isin(list(metrics))]
        return rows.reset_index(drop=True)

    def offline_of(self, metrics: Sequence[str]) -> pd.DataFrame:
        """The offline rows of `metrics` (same columns and order as read)."""
        rows = self.offline[self.offline["metric"].isin(list(metrics))]
        return rows.reset_index(drop=True)

    def until(self, day: dt.date) -> KpiReadings:
        """The readings up to the end of `day` (the evaluation day of one KPI)."""
        end = pd.Timestamp(day) + pd.Timedelta(days=1)
        online = self.online[pd.to_datetime(self.online["date"]) < end]
        offline = self.offline[pd.to_datetime(self.offline["evaluated_at"]) < end]
        return KpiReadings(
            online.reset_index(drop=True), offline.reset_index(drop=True), self.offline_metrics
        )


def online_metrics_needed(spec: KpiSpec) -> tuple[str, ...]:
    """The online metrics a KPI's evaluation reads: its own, the one carrying its money (n and
    level), and the confusion-matrix counts for a cost-matrix KPI."""
    metrics = [spec.metric, spec.online_value_metric]
    if spec.value.kind == "cost_matrix":
        metrics += COST_CELLS
    return tuple(dict.fromkeys(metrics))


def _series(spec: KpiSpec, readings: KpiReadings) -> pd.DataFrame:
    if spec.source == "online":
        return readings.online_of([spec.metric]).drop(columns="metric")
    offline = readings.offline_of([spec.metric])
    # The evaluations of the version live on their day (`live`, the same rule as the online
    # series): an older version evaluated beside it, or a version evaluated before its launch,
    # is not the production model's value that day.
    offline = offline[offline["live"].astype(bool)]
    offline = offline.assign(date=pd.to_datetime(offline["evaluated_at"]).dt.normalize())
    # One row per evaluation day of the production model (the day's mean over datasets).
    return (
        offline.groupby(["date", "model_id"], as_index=False)
        .agg(value=("value", "mean"), n=("n", "sum"))
        .assign(std=np.nan)
        .sort_values("date")
        .reset_index(drop=True)
    )


def _trend(live: pd.DataFrame, spec: KpiSpec) -> tuple[TrendFit | None, tuple[StepChange, ...]]:
    if spec.source != "online" or len(live) < MIN_TREND_DAYS:
        return None, ()
    daily = live[["date", "value"]]
    steps = tuple(detect_steps(daily))
    return fit_trend(daily, steps=steps), steps


def last_data_date(spec: KpiSpec, readings: KpiReadings) -> dt.date | None:
    """The last day the KPI's own series (its metric, its family's live model) has data."""
    series = _series(spec, readings)
    return None if series.empty else pd.Timestamp(series["date"].max()).date()


def status_since(evaluations: Sequence[DayEvaluation]) -> dt.date | None:
    """The first day of the last run of equal statuses (the day it turned to today's status)."""
    if not evaluations:
        return None
    current = evaluations[-1].status
    since = evaluations[-1].date
    for evaluation in reversed(evaluations):
        if evaluation.status != current:
            break
        since = evaluation.date
    return since


@dataclass(frozen=True)
class EvaluationDay:
    """Which day a KPI is judged on, and against which day its staleness is measured.

    Attributes:
        evaluated_on: the day the status is for (the window ends on it).
        reference_day: today by the clock, or the day asked for (`--as-of`).
        last_data_date: the last day, up to the evaluated day, of the KPI's own data.
        ignored_future_rows: rows dated after tomorrow, left out.
    """

    evaluated_on: dt.date
    reference_day: dt.date
    last_data_date: dt.date | None
    ignored_future_rows: int


def evaluation_day(
    spec: KpiSpec,
    readings: KpiReadings,
    asked: dt.date | None,
    today: dt.date,
    ignored_future_rows: int = 0,
) -> EvaluationDay:
    """The day asked for; otherwise the last day the KPI's OWN metric has data (never another
    metric's or family's latest day), else today. Readings must stop at tomorrow at the latest.
    """
    reference = asked or today
    last = last_data_date(spec, readings.until(reference))
    evaluated_on = asked or last or today
    return EvaluationDay(evaluated_on, reference, last, ignored_future_rows)


def evaluate_kpi(
    version: KpiVersion,
    day: EvaluationDay | dt.date,
    defined_later: bool,
    readings: KpiReadings,
    with_context: bool,
) -> KpiDetail:
    """A KPI's status and the series behind it on the evaluation day, under `version`.

    `day` says which day and how stale the data is (a bare date: that day, measured against
    itself); `defined_later` says the KPI was defined only after that day (its first version is
    used); `with_context` adds the family's offline metrics and the bridge (pages only).
    """
    if not isinstance(day, EvaluationDay):
        day = EvaluationDay(day, day, last_data_date(version.spec, readings.until(day)), 0)
    as_of = day.evaluated_on
    readings = readings.until(as_of)
    spec = version.spec
    series = _series(spec, readings)
    direction = spec.direction
    thresholds = Thresholds(spec.target, spec.warning, spec.exit_threshold, direction)
    evaluations: list[DayEvaluation] = []
    if not series.empty:
        first_day = pd.Timestamp(series["date"].min()).date()
        evaluations = evaluate_days(
            series,
            thresholds,
            spec.window_days,
            spec.persistence,
            spec.confidence,
            spec.source == "online" and is_rate_series(series),
            pd.date_range(first_day, as_of, freq="D").date,
        )
    latest = evaluations[-1] if evaluations else None
    model_id = latest.model_id if latest else None
    live = series[series["model_id"] == model_id] if model_id else series.iloc[0:0]
    trend, steps = _trend(live, spec)
    value_per_day, value_lost = _money(spec, live, as_of, readings)
    decay = None
    if trend is not None and value_per_day is not None and trend.level_at_end:
        # The trend's change per day, priced at today's value per day (the one pricing).
        decay = decay_value_per_day(
            trend.slope_per_day, trend.level_at_end, value_per_day, spec.direction
        )
    status = KpiStatus(
        kpi_id=spec.kpi_id,
        version=version.version,
        defined_after_as_of=version.created_at.date() if defined_later else None,
        name=spec.name,
        family=spec.family,
        metric=spec.metric,
        direction=spec.direction,
        owner=spec.owner,
        as_of=as_of,
        status=latest.status if latest else "no_data",
        model_id=model_id,
        value=latest.estimate if latest else None,
        ci=(latest.ci_low, latest.ci_high)
        if latest and latest.ci_low is not None and latest.ci_high is not None
        else None,
        target=spec.target,
        warning=spec.warning,
        exit=spec.exit_threshold,
        days_past_warning=latest.days_past_warning if latest else 0,
        days_past_exit=latest.days_past_exit if latest else 0,
        trend=trend,
        forecast_warning=forecast_crossing(trend, spec.warning, as_of, direction)
        if trend
        else None,
        forecast_exit=forecast_crossing(trend, spec.exit_threshold, as_of, direction)
        if trend
        else None,
        currency=spec.value.currency,
        value_per_day=value_per_day,
        value_lost_to_date=value_lost,
        decay_per_day=decay,
        last_data_date=day.last_data_date,
        stale_days=(
            max((day.reference_day - day.last_data_date).days, 0)
            if day.last_data_date is not None
            else None
        ),
        max_staleness_days=spec.max_staleness_days,
        ignored_future_rows=day.ignored_future_rows,
        status_since=status_since(evaluations) if latest and latest.status != "no_data" else None,
    )
    return KpiDetail(
        status=status,
        spec=spec,
        series=series,
        evaluations=evaluations,
        steps=steps,
        trend_line=_trend_line(trend, as_of),
        offline=readings.offline_of(readings.offline_metrics) if with_context else pd.DataFrame(),
        bridge=bridge_view(spec, readings) if with_context else None,
    )


def bridge_view(spec: KpiSpec, readings: KpiReadings) -> BridgeView | None:
    """The bridge from the spec's offline metric (else the family's first) to its online metric."""
    if not readings.offline_metrics:
        return None
    offline_metric = spec.value.offline_metric or readings.offline_metrics[0]
    online_metric = spec.online_value_metric if spec.value.kind != "cost_matrix" else spec.metric
    offline = readings.offline_of([offline_metric])
    online = readings.online_of([online_metric])
    pairs = weekly_bridge_pairs(offline, online)
    if len(pairs) < 3:
        return BridgeView(offline_metric, online_metric, pairs, None, None)
    # The stored pairs meet the bridge's own preconditions here, where they can be named.
    if pairs["offline_value"].nunique() < 2:
        flat = YardstickError(
            "kpi.bridge.flat_offline", offline=offline_metric, family=spec.family, pairs=len(pairs)
        )
        return BridgeView(offline_metric, online_metric, pairs, None, None, Unavailable.of(flat))
    bridge = fit_bridge(pairs, BRIDGE_CONFIDENCE)
    if spec.value.unit_value is None or online.empty or online["n"].isna().any():
        return BridgeView(offline_metric, online_metric, pairs, bridge, None)
    if bridge.mean_online == 0:
        zero = YardstickError("kpi.bridge.zero_online", online=online_metric, family=spec.family)
        return BridgeView(offline_metric, online_metric, pairs, bridge, None, Unavailable.of(zero))
    units_per_month = float(online["n"].tail(28).mean()) * 30
    effect = describe_bridge(bridge, BRIDGE_STEP, spec.value.unit_value, units_per_month)
    return BridgeView(offline_metric, online_metric, pairs, bridge, effect)


def _money(
    spec: KpiSpec, live: pd.DataFrame, as_of: dt.date, readings: KpiReadings
) -> tuple[float | None, float | None]:
    """Value per day over the window and value lost since the live version's baseline."""
    model = spec.value
    if model.kind == "cost_matrix" and model.cost_matrix is not None:
        counts = _counts_by_day(readings.online_of(COST_CELLS))
        model_id = live["model_id"].iloc[-1] if not live.empty else None
        counts = counts[counts["model_id"] == model_id]
        days = _cost_matrix_days(_window(counts, as_of, spec.window_days), model.cost_matrix)
        per_day = float(np.mean([d.total for d in days])) if days else None
        return per_day, cost_matrix_value_lost(counts, model.cost_matrix)
    if model.unit_value is None:
        return None, None
    priced = live
    if model.kind == "bridge" or spec.source == "offline":
        priced = readings.online_of([spec.online_value_metric])
        priced = priced[priced["model_id"].isin(set(live["model_id"]))]
    window = _window(priced, as_of, spec.window_days)
    if model.kind == "bridge":
        per_day = _bridge_value_per_day(spec, window, readings)
    else:
        per_day = per_unit_value_per_day(window, model.unit_value)
    lost = None
    if len(priced) > BASELINE_DAYS and priced["n"].notna().all():
        lost = value_lost_to_date(priced, model.unit_value).amount
    return per_day, lost


def _bridge_value_per_day(
    spec: KpiSpec, window: pd.DataFrame, readings: KpiReadings
) -> float | None:
    """The online metric read off the bridge at the live model's latest offline value, priced."""
    view = bridge_view(spec, readings)
    if view is None or view.bridge is None or window.empty or window["n"].isna().any():
        return None
    model_id = window["model_id"].iloc[-1]
    offline = readings.offline_of([view.offline_metric])
    latest = offline[offline["model_id"] == model_id]
    if latest.empty:
        return None
    value = value_per_day_bridge(
        view.bridge,
        float(latest["value"].iloc[-1]),
        float(window["n"].mean()),
        spec.value.unit_value or 0.0,
    )
    return value.value_per_day


def _trend_line(trend: TrendFit | None, as_of: dt.date) -> pd.DataFrame:
    """The fitted trend from its first day to the forecast horizon, with its band (the cone)."""
    if trend is None:
        return pd.DataFrame(columns=["date", "level", "low", "high"])
    return trend_band(trend, as_of + dt.timedelta(days=FORECAST_HORIZON_DAYS))


def exit_code(statuses: Sequence[KpiStatus]) -> int:
    """30 any KPI without data or stale beyond its `max_staleness_days`; else 20 any exit met;
    else 10 any warning; else 0 (also when no KPI is defined)."""
    if any(s.is_stale for s in statuses):
        return STALE_EXIT_CODE
    return max((STATUS_EXIT_CODES[s.status] for s in statuses), default=0)

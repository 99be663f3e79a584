"""Orchestration of KPIs: read the store, evaluate each KPI under the version in force, and return
one typed status record per KPI (what `kpi check --json` prints and what the pages and the
retraining economics read: value per day, decay and forecasts).

The statistics live in `kpi.evaluation` (window estimate and status); the money and the decay
glue that the analytics modules do not (yet) provide is kept here, small and pure.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from data import kpi_store
from data.store import StoreSettings
from kpi.evaluation import DayEvaluation, Thresholds, evaluate_days
from kpi.spec import COST_CELLS, KpiSpec

BASELINE_DAYS = 28
FORECAST_HORIZON_DAYS = 365
TREND_CONFIDENCE = 0.95
STATUS_EXIT_CODES = {"healthy": 0, "no_data": 0, "warning": 10, "exit": 20}


@dataclass(frozen=True)
class Trend:
    """The KPI's drift for the live version after removing weekly seasonality.

    Attributes:
        per_30_days: change of the metric per 30 days (metric unit); negative means falling.
        ci_low: lower end of its 95% interval.
        ci_high: upper end of its 95% interval.
        level: the fitted de-seasonalised level on the as-of day (metric unit).
        days_fitted: days of the live version used in the fit.
    """

    per_30_days: float
    ci_low: float
    ci_high: float
    level: float
    days_fitted: int


@dataclass(frozen=True)
class Crossing:
    """When the trend is expected to cross a line.

    Attributes:
        date: the day the fitted trend crosses the line.
        interval_low: the earliest day (the steeper edge of the trend's band crosses).
        interval_high: the latest day, None when that edge does not cross within the horizon.
    """

    date: dt.date
    interval_low: dt.date
    interval_high: dt.date | None


@dataclass(frozen=True)
class KpiStatus:
    """Everything known about one KPI as of a day (the record `kpi check --json` prints).

    Attributes:
        kpi_id: the KPI.
        version: the definition version used.
        version_note: set when the KPI was defined after `as_of` and its first version was used.
        name: human-readable name.
        family: model family.
        metric: evaluated metric.
        direction: increase (higher is better) or decrease.
        owner: business owner.
        as_of: last day of data used.
        status: healthy, warning, exit or no_data.
        model_id: the version live on `as_of`.
        value: the window estimate (metric unit); None without data.
        ci: the window interval (low, high); None when not measurable.
        target: agreed target.
        warning: agreed warning line.
        exit: agreed exit line.
        days_past_warning: consecutive days (to `as_of`) with the interval wholly past warning.
        days_past_exit: the same for exit.
        trend: drift per 30 days, None when the live version has too few days.
        forecast_warning: expected warning crossing, None if passed or beyond 365 days.
        forecast_exit: expected exit crossing, None likewise.
        currency: currency of the money fields.
        value_per_day: business value per day over the window (currency per day).
        value_lost_to_date: value lost since the live version's first 28 days (currency);
            negative when it gained.
        decay_per_day: value per day lost each day by the trend (currency per day per day);
            positive when the KPI worsens; None without a trend.
    """

    kpi_id: str
    version: int
    version_note: str | None
    name: str
    family: str
    metric: str
    direction: str
    owner: str
    as_of: dt.date
    status: str
    model_id: str | None
    value: float | None
    ci: tuple[float, float] | None
    target: float
    warning: float
    exit: float
    days_past_warning: int
    days_past_exit: int
    trend: Trend | None
    forecast_warning: Crossing | None
    forecast_exit: Crossing | None
    currency: str
    value_per_day: float | None
    value_lost_to_date: float | None
    decay_per_day: float | None

    def to_json(self) -> dict[str, object]:
        """The JSON shape of `kpi check --json` (ISO dates, nulls for what is unknown)."""

        def crossing(item: Crossing | None) -> dict[str, object] | None:
            if item is None:
                return None
            high = item.interval_high.isoformat() if item.interval_high else None
            return {
                "date": item.date.isoformat(),
                "interval": [item.interval_low.isoformat(), high],
            }

        return {
            "id": self.kpi_id,
            "version": self.version,
            "version_note": self.version_note,
            "name": self.name,
            "family": self.family,
            "metric": self.metric,
            "direction": self.direction,
            "owner": self.owner,
            "status": self.status,
            "model_id": self.model_id,
            "value": self.value,
            "ci": list(self.ci) if self.ci else None,
            "target": self.target,
            "warning": self.warning,
            "exit": self.exit,
            "days_past_warning": self.days_past_warning,
            "days_past_exit": self.days_past_exit,
            "trend": (
                {
                    "per_30_days": self.trend.per_30_days,
                    "ci": [self.trend.ci_low, self.trend.ci_high],
                }
                if self.trend
                else None
            ),
            "forecast": {
                "warning": crossing(self.forecast_warning),
                "exit": crossing(self.forecast_exit),
            },
            "currency": self.currency,
            "value_per_day": self.value_per_day,
            "value_lost_to_date": self.value_lost_to_date,
        }


@dataclass(frozen=True)
class KpiDetail:
    """A KPI's status with the series behind it (for the Degradation page).

    Attributes:
        status: the status record.
        spec: the definition version used.
        series: the daily series of the live versions (date, model_id, value, n, std).
        evaluations: one evaluation per day up to `as_of`.
        trend_line: fitted de-seasonalised trend of the live version (date, level, low, high),
            extended to the forecast horizon; empty without a trend.
    """

    status: KpiStatus
    spec: KpiSpec
    series: pd.DataFrame
    evaluations: list[DayEvaluation]
    trend_line: pd.DataFrame


def is_rate_series(series: pd.DataFrame) -> bool:
    """A proportion of its n units: every value in [0, 1], n known and no std given.

    The store has no metric-kind column; a metric whose n counts trials and whose value stays in
    [0, 1] without a per-unit std (ctr, conversion_rate, recall, fallback_rate) is binomial.
    """
    if series.empty or "n" not in series or series["n"].isna().any():
        return False
    if "std" in series and series["std"].notna().any():
        return False
    return bool(series["value"].between(0, 1).all())


def fit_trend(series: pd.DataFrame, as_of: dt.date) -> Trend | None:
    """Robust linear trend with day-of-week effects (Huber M-estimate), per 30 days.

    Weekly seasonality is removed by weekday dummies in the same regression, so the slope is not
    biased by which weekday the series starts or ends on. Needs at least 21 days.
    """
    if len(series) < 21:
        return None
    dates = pd.to_datetime(series["date"])
    days = ((dates - pd.Timestamp(as_of)).dt.days).to_numpy(dtype=float)
    weekdays = pd.get_dummies(dates.dt.weekday, prefix="wd", drop_first=True, dtype=float)
    design = np.column_stack([np.ones(len(days)), days, weekdays.to_numpy()])
    model = sm.RLM(series["value"].to_numpy(dtype=float), design, M=sm.robust.norms.HuberT())
    fit = model.fit()
    slope, slope_se = float(fit.params[1]), float(fit.bse[1])
    # The level on the as-of day averaged over weekdays (day = 0 at as_of).
    level = float(fit.params[0] + weekdays.to_numpy().mean(axis=0) @ fit.params[2:])
    z = float(stats.norm.ppf(0.5 + TREND_CONFIDENCE / 2))
    return Trend(
        per_30_days=30 * slope,
        ci_low=30 * (slope - z * slope_se),
        ci_high=30 * (slope + z * slope_se),
        level=level,
        days_fitted=len(series),
    )


def _days_to_cross(level: float, per_day: float, line: float, direction: str) -> float | None:
    """Days until a line moving at `per_day` from `level` reaches `line`; None if it never does."""
    gap = line - level
    worsening = per_day < 0 if direction == "increase" else per_day > 0
    already_past = gap >= 0 if direction == "increase" else gap <= 0
    if already_past or not worsening:
        return None
    return gap / per_day


def forecast_crossing(trend: Trend, line: float, direction: str, as_of: dt.date) -> Crossing | None:
    """When the trend and its band edges reach `line`; None if passed or beyond 365 days."""
    central = _days_to_cross(trend.level, trend.per_30_days / 30, line, direction)
    if central is None or central > FORECAST_HORIZON_DAYS:
        return None
    edges = [
        _days_to_cross(trend.level, edge / 30, line, direction)
        for edge in (trend.ci_low, trend.ci_high)
    ]
    crossing_edges = [days for days in edges if days is not None]
    earliest = min(crossing_edges, default=central)
    latest = max(crossing_edges) if len(crossing_edges) == 2 else None
    if latest is not None and latest > FORECAST_HORIZON_DAYS:
        latest = None

    def day(offset: float) -> dt.date:
        return as_of + dt.timedelta(days=math.ceil(offset))

    return Crossing(day(central), day(earliest), day(latest) if latest is not None else None)


def _window(frame: pd.DataFrame, as_of: dt.date, window_days: int) -> pd.DataFrame:
    start = pd.Timestamp(as_of - dt.timedelta(days=window_days - 1))
    dates = pd.to_datetime(frame["date"])
    return frame[(dates >= start) & (dates <= pd.Timestamp(as_of))]


def per_unit_value_per_day(window: pd.DataFrame, unit_value: float) -> float | None:
    """Mean over the window's days of metric x n x unit_value (currency per day)."""
    if window.empty or window["n"].isna().any():
        return None
    return float((window["value"] * window["n"]).mean() * unit_value)


def cost_matrix_value_per_day(counts: pd.DataFrame, cells: dict[str, float]) -> float | None:
    """Mean over days of the four counts times their cell values (currency per day).

    `counts` has one row per day and one column per cell (tp, fp, tn, fn).
    """
    if counts.empty:
        return None
    return float(sum(counts[cell] * value for cell, value in cells.items()).mean())


def cost_matrix_value_per_prediction(counts: pd.DataFrame, cells: dict[str, float]) -> float | None:
    """Value of one prediction: total value over total predictions (between the extreme cells)."""
    predictions = float(counts[list(cells)].to_numpy().sum()) if not counts.empty else 0.0
    if predictions == 0:
        return None
    total = float(sum(counts[cell].sum() * value for cell, value in cells.items()))
    return total / predictions


def value_lost_per_unit(
    series: pd.DataFrame, unit_value: float, direction: str, baseline_days: int = BASELINE_DAYS
) -> float | None:
    """Sum over the live version's days of (baseline - actual) x n x unit_value.

    The baseline is the version's own n-weighted level over its first `baseline_days` days; for a
    lower-is-better KPI a rise is a loss. None when the version has no more than the baseline days.
    """
    if len(series) <= baseline_days or series["n"].isna().any():
        return None
    ordered = series.sort_values("date")
    first = ordered.iloc[:baseline_days]
    baseline = float((first["value"] * first["n"]).sum() / first["n"].sum())
    shortfall = (
        baseline - ordered["value"] if direction == "increase" else ordered["value"] - baseline
    )
    return float((shortfall * ordered["n"] * unit_value).sum())


def _counts_by_day(long: pd.DataFrame) -> pd.DataFrame:
    wide = long.pivot_table(index=["date", "model_id"], columns="metric", values="value")
    return wide.reset_index().dropna(subset=list(COST_CELLS))


def _live_version_rows(series: pd.DataFrame, model_id: str | None) -> pd.DataFrame:
    return series[series["model_id"] == model_id] if model_id else series.iloc[0:0]


def _version_note(spec_created: dt.datetime, as_of: dt.date) -> str:
    return (
        f"defined on {spec_created.date().isoformat()}, after as_of; "
        "evaluated with its first version"
    )


def kpi_detail(settings: StoreSettings, kpi_id: str, as_of: dt.date | None = None) -> KpiDetail:
    """Evaluate one KPI as of a day (default: the last day with online data)."""
    versions = kpi_store.kpi_history(settings, kpi_id)
    as_of = as_of or kpi_store.last_online_date(settings) or dt.date.today()
    version, defined_later = kpi_store.version_in_force(versions, as_of)
    return _detail(settings, version, as_of, defined_later)


def _read_series(settings: StoreSettings, spec: KpiSpec, as_of: dt.date) -> pd.DataFrame:
    if spec.source == "online":
        frame = kpi_store.live_daily_series(settings, spec.family, [spec.metric], as_of)
        return frame.drop(columns="metric")
    offline = kpi_store.offline_series(settings, spec.family, [spec.metric], as_of)
    # Offline evaluations of the production model, one per day (the day's mean).
    live = kpi_store.live_daily_series(settings, spec.family, [spec.online_value_metric], as_of)
    offline = offline.assign(date=pd.to_datetime(offline["evaluated_at"]).dt.normalize())
    live_models = set(live["model_id"])
    offline = offline[offline["model_id"].isin(live_models)]
    return (
        offline.groupby(["date", "model_id"], as_index=False)
        .agg(value=("value", "mean"), n=("n", "sum"))
        .assign(std=np.nan)
        .sort_values("date")
        .reset_index(drop=True)
    )


def _detail(
    settings: StoreSettings, version: kpi_store.KpiVersion, as_of: dt.date, defined_later: bool
) -> KpiDetail:
    spec = version.spec
    series = _read_series(settings, spec, as_of)
    thresholds = Thresholds(spec.target, spec.warning, spec.exit_threshold, spec.direction)  # type: ignore[arg-type]
    evaluations: list[DayEvaluation] = []
    if not series.empty:
        first_day = pd.Timestamp(series["date"].min()).date()
        days = pd.date_range(first_day, as_of, freq="D").date
        evaluations = evaluate_days(
            series,
            thresholds,
            spec.window_days,
            spec.persistence,
            spec.confidence,
            is_rate_series(series),
            days,
        )
    today = evaluations[-1] if evaluations else None
    model_id = today.model_id if today else None
    live = _live_version_rows(series, model_id)
    trend = fit_trend(live, as_of) if spec.source == "online" else None
    value_per_day, value_lost = _money(settings, spec, series, live, as_of)
    decay = None
    if trend is not None and value_per_day is not None and trend.level:
        # The trend's share of the level lost per day, priced at today's value per day.
        sign = -1.0 if spec.direction == "increase" else 1.0
        decay = sign * (trend.per_30_days / 30) / trend.level * value_per_day
    status = KpiStatus(
        kpi_id=spec.kpi_id,
        version=version.version,
        version_note=_version_note(version.created_at, as_of) if defined_later else None,
        name=spec.name,
        family=spec.family,
        metric=spec.metric,
        direction=spec.direction,
        owner=spec.owner,
        as_of=as_of,
        status=today.status if today else "no_data",
        model_id=model_id,
        value=today.estimate if today else None,
        ci=(today.ci_low, today.ci_high)
        if today and today.ci_low is not None and today.ci_high is not None
        else None,
        target=spec.target,
        warning=spec.warning,
        exit=spec.exit_threshold,
        days_past_warning=today.days_past_warning if today else 0,
        days_past_exit=today.days_past_exit if today else 0,
        trend=trend,
        forecast_warning=forecast_crossing(trend, spec.warning, spec.direction, as_of)
        if trend
        else None,
        forecast_exit=forecast_crossing(trend, spec.exit_threshold, spec.direction, as_of)
        if trend
        else None,
        currency=spec.value.currency,
        value_per_day=value_per_day,
        value_lost_to_date=value_lost,
        decay_per_day=decay,
    )
    return KpiDetail(status, spec, series, evaluations, _trend_line(trend, live, as_of))


def _money(
    settings: StoreSettings,
    spec: KpiSpec,
    series: pd.DataFrame,
    live: pd.DataFrame,
    as_of: dt.date,
) -> tuple[float | None, float | None]:
    """Value per day over the window and value lost since the live version's baseline."""
    model = spec.value
    if model.kind == "per_unit" and model.unit_value is not None:
        window = _window(live, as_of, spec.window_days)
        return (
            per_unit_value_per_day(window, model.unit_value),
            value_lost_per_unit(live, model.unit_value, spec.direction),
        )
    if model.kind == "cost_matrix" and model.cost_matrix is not None:
        cells = {cell: getattr(model.cost_matrix, cell) for cell in COST_CELLS}
        counts = _counts_by_day(
            kpi_store.live_daily_series(settings, spec.family, COST_CELLS, as_of)
        )
        model_id = live["model_id"].iloc[-1] if not live.empty else None
        live_counts = counts[counts["model_id"] == model_id].sort_values("date")
        per_day = cost_matrix_value_per_day(_window(live_counts, as_of, spec.window_days), cells)
        return per_day, _cost_matrix_value_lost(live_counts, cells)
    return None, None


def _cost_matrix_value_lost(counts: pd.DataFrame, cells: dict[str, float]) -> float | None:
    """(baseline value per prediction - actual) x predictions, summed over the version's days."""
    if len(counts) <= BASELINE_DAYS:
        return None
    baseline = cost_matrix_value_per_prediction(counts.iloc[:BASELINE_DAYS], cells)
    if baseline is None:
        return None
    predictions = counts[list(cells)].sum(axis=1)
    actual = sum(counts[cell] * value for cell, value in cells.items())
    return float((baseline * predictions - actual).sum())


def _trend_line(trend: Trend | None, live: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """The fitted trend from the version's first day to the forecast horizon, with its cone."""
    if trend is None or live.empty:
        return pd.DataFrame(columns=["date", "level", "low", "high"])
    start = pd.Timestamp(live["date"].min())
    dates = pd.date_range(start, pd.Timestamp(as_of) + pd.Timedelta(days=FORECAST_HORIZON_DAYS))
    offset = (dates - pd.Timestamp(as_of)).days.to_numpy(dtype=float)
    ahead = np.clip(offset, 0, None)
    level = trend.level + offset * trend.per_30_days / 30
    low = level + ahead * (trend.ci_low - trend.per_30_days) / 30
    high = level + ahead * (trend.ci_high - trend.per_30_days) / 30
    return pd.DataFrame({"date": dates, "level": level, "low": low, "high": high})


def kpi_status(settings: StoreSettings, kpi_id: str, as_of: dt.date | None = None) -> KpiStatus:
    """The status record of one KPI as of a day (default: the last day with online data)."""
    return kpi_detail(settings, kpi_id, as_of).status


def all_kpi_statuses(settings: StoreSettings, as_of: dt.date | None = None) -> list[KpiStatus]:
    """The status record of every defined KPI, ordered by id."""
    as_of = as_of or kpi_store.last_online_date(settings) or dt.date.today()
    return [kpi_status(settings, v.spec.kpi_id, as_of) for v in kpi_store.latest_versions(settings)]


def exit_code(statuses: list[KpiStatus]) -> int:
    """0 all healthy or without data, 10 at least one warning and no exit, 20 any exit met."""
    return max((STATUS_EXIT_CODES[s.status] for s in statuses), default=0)


def recorded(statuses: list[KpiStatus], evaluated_by: str) -> list[kpi_store.RecordedEvaluation]:
    """The evaluations to store for a check run, each with the version it used."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    return [
        kpi_store.RecordedEvaluation(
            kpi_id=s.kpi_id,
            version=s.version,
            as_of=s.as_of,
            status=s.status,
            model_id=s.model_id,
            value=s.value,
            ci_low=s.ci[0] if s.ci else None,
            ci_high=s.ci[1] if s.ci else None,
            evaluated_at=now,
            evaluated_by=evaluated_by,
        )
        for s in statuses
    ]

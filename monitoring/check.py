"""A monitor's check as of a day: the windows it compares, and the statuses from the readings.

Pure: the store returns the readings (counts per bin and category, two ECDF distances, latency
quantiles, counts per fallback level); this module turns them into drift values and statuses by
the rules of monitoring/drift.py and the lines of the spec.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from core.vocab import DriftMethod, FeatureType, MonitorStatus, ServingObjective
from monitoring.budget import ErrorBudget
from monitoring.drift import (
    FeatureDrift,
    ScoreDrift,
    ServingCheck,
    category_bins,
    js_distance,
    judge,
    judge_limit,
    psi,
    worst,
)
from monitoring.spec import MonitorSpec

Days = tuple[dt.date, dt.date]
FALLBACK_RATE: ServingObjective = "fallback_rate"


def window_days(spec: MonitorSpec, as_of: dt.date) -> Days:
    """The current window: `window_days` days ending on `as_of`."""
    return as_of - dt.timedelta(days=spec.window_days - 1), as_of


@dataclass(frozen=True)
class NumericReadings:
    """What the store measured of one numeric feature.

    Attributes:
        reference_n: non-empty values in the reference.
        window_n: non-empty values in the window.
        reference_bins: reference counts per bin (below minimum, ten decile bins, above maximum).
        window_bins: window counts per bin.
        ks: Kolmogorov-Smirnov statistic.
        wasserstein: 1-Wasserstein distance, in the feature's unit.
        reference_sd: the reference's sample standard deviation.
    """

    reference_n: int
    window_n: int
    reference_bins: Sequence[int]
    window_bins: Sequence[int]
    ks: float | None
    wasserstein: float | None
    reference_sd: float | None


@dataclass(frozen=True)
class CategoricalReadings:
    """Counts per category of one categorical feature in each window."""

    reference: Mapping[str | None, int]
    window: Mapping[str | None, int]


@dataclass(frozen=True)
class ServingReadings:
    """The window's requests: n, latency quantiles over all of them, and n per served_by."""

    n: int
    latency_p95_ms: float | None
    latency_p99_ms: float | None
    by_level: Mapping[str, int]


@dataclass(frozen=True)
class ServingRow:
    """One row of the daily serving read: a day, a model, a level (None: all its requests), the
    requests and their latency quantiles."""

    day: dt.date
    model_id: str
    served_by: str | None
    n: int
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    latency_p99_ms: float | None


@dataclass(frozen=True)
class DailyServing:
    """Serving health of one model on one day of the window.

    Attributes:
        day, model_id: the day and the model version.
        n: its requests that day.
        latency_p50_ms, latency_p95_ms, latency_p99_ms: latency quantiles (quantile_cont) over
            the day's requests with a latency; None without any.
        fallback_rate: share of the day's requests answered by any fallback.
        fallback_by_level: share answered by each fallback level seen that day.
        breached: the objectives of the spec the day broke (latency_p95_ms, latency_p99_ms,
            fallback_rate; a per-level limit as `fallback_rate.<level>`), in that order.
    """

    day: dt.date
    model_id: str
    n: int
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    latency_p99_ms: float | None
    fallback_rate: float
    fallback_by_level: Mapping[str, float]
    breached: tuple[str, ...]


def _breached(day: DailyServing, spec: MonitorSpec) -> tuple[str, ...]:
    serving = spec.serving
    found = [
        name
        for name, value, limit in (
            ("latency_p95_ms", day.latency_p95_ms, serving.latency_p95_ms),
            ("latency_p99_ms", day.latency_p99_ms, serving.latency_p99_ms),
            (FALLBACK_RATE, day.fallback_rate, serving.fallback_rate),
        )
        if judge_limit(value, limit, enough=True) == "alert"
    ]
    for level, limit in sorted(serving.fallback_levels.items()):
        if day.fallback_by_level.get(level, 0.0) > limit:
            found.append(f"{FALLBACK_RATE}.{level}")
    return tuple(found)


def daily_serving(rows: Sequence[ServingRow], spec: MonitorSpec) -> list[DailyServing]:
    """Per day and model: latency quantiles, fallback rates and the objectives broken that day."""
    days = []
    for total in (r for r in rows if r.served_by is None):
        levels = {
            r.served_by: r.n / total.n
            for r in rows
            if r.served_by not in (None, "model")
            and (r.day, r.model_id) == (total.day, total.model_id)
        }
        day = DailyServing(
            day=total.day,
            model_id=total.model_id,
            n=total.n,
            latency_p50_ms=total.latency_p50_ms,
            latency_p95_ms=total.latency_p95_ms,
            latency_p99_ms=total.latency_p99_ms,
            fallback_rate=sum(levels.values()),
            fallback_by_level={str(k): v for k, v in sorted(levels.items())},
            breached=(),
        )
        days.append(dataclasses.replace(day, breached=_breached(day, spec)))
    return days


@dataclass(frozen=True)
class MonitorCheck:
    """A monitor checked as of a day.

    Attributes:
        monitor_id, version, family: the monitor and the version in force.
        model_id: the production version live on the day (None when none is).
        as_of: the day checked (the window's last day).
        reference: first and last day of the reference; None when it follows a deployment that
            did not happen.
        reference_n: the family's predictions in the reference.
        window: first and last day of the current window.
        window_n: the family's predictions in the window.
        status: the worst status of its features, objectives and score; insufficient_data when a
            window has fewer than min_rows predictions.
        features: one entry per feature and statistic.
        serving: one entry per objective (and per fallback level).
        score: the score's PSI.
        serving_daily: serving health per day and model over the window.
        error_budget: per objective the spec sets, the budget consumed over the window
            (monitoring.budget).
    """

    monitor_id: str
    version: int
    family: str
    model_id: str | None
    as_of: dt.date
    reference: Days | None
    reference_n: int
    window: Days
    window_n: int
    status: MonitorStatus
    features: tuple[FeatureDrift, ...]
    serving: tuple[ServingCheck, ...]
    score: ScoreDrift
    serving_daily: tuple[DailyServing, ...] = ()
    error_budget: tuple[ErrorBudget, ...] = ()


def numeric_drift(name: str, readings: NumericReadings, spec: MonitorSpec) -> list[FeatureDrift]:
    """PSI, Wasserstein / reference sd and KS of one numeric feature."""
    enough = min(readings.reference_n, readings.window_n) >= spec.min_rows
    sd = readings.reference_sd
    scaled = (
        readings.wasserstein / sd
        if readings.wasserstein is not None and sd is not None and sd > 0
        else None
    )
    values: dict[DriftMethod, float | None] = {
        "psi": psi(readings.reference_bins, readings.window_bins) if enough else None,
        "wasserstein": scaled if enough else None,
        "ks": readings.ks if enough else None,
    }
    return [
        _drift(name, "numeric", method, value, spec, enough, readings)
        for method, value in values.items()
    ]


def categorical_drift(
    name: str, readings: CategoricalReadings, spec: MonitorSpec
) -> list[FeatureDrift]:
    """PSI and Jensen-Shannon distance of one categorical feature (reference categories + other)."""
    reference, window = category_bins(readings.reference, readings.window)
    sizes = NumericReadings(sum(reference), sum(window), (), (), None, None, None)
    enough = min(sizes.reference_n, sizes.window_n) >= spec.min_rows
    values: dict[DriftMethod, float | None] = {
        "psi": psi(reference, window) if enough else None,
        "js": js_distance(reference, window) if enough else None,
    }
    return [
        _drift(name, "categorical", method, value, spec, enough, sizes)
        for method, value in values.items()
    ]


def _drift(
    name: str,
    feature_type: FeatureType,
    method: DriftMethod,
    value: float | None,
    spec: MonitorSpec,
    enough: bool,
    readings: NumericReadings,
) -> FeatureDrift:
    lines = spec.thresholds[method]
    return FeatureDrift(
        name=name,
        type=feature_type,
        method=method,
        value=value,
        warning=lines.warning,
        alert=lines.alert,
        status=judge(value, lines.warning, lines.alert, enough),
        reference_n=readings.reference_n,
        window_n=readings.window_n,
    )


def score_drift(readings: NumericReadings, spec: MonitorSpec) -> ScoreDrift:
    """PSI of the model's scores on the reference's score deciles."""
    lines = spec.score_lines
    enough = min(readings.reference_n, readings.window_n) >= spec.min_rows
    value = psi(readings.reference_bins, readings.window_bins) if enough else None
    return ScoreDrift(
        value, lines.warning, lines.alert, judge(value, lines.warning, lines.alert, enough)
    )


def serving_checks(readings: ServingReadings, spec: MonitorSpec) -> list[ServingCheck]:
    """Latency quantiles and fallback rates against their objectives.

    An objective the spec leaves out is not listed, except the fallback levels seen in the
    window, which are always reported (with their limit when the spec gives one).
    """
    serving, enough = spec.serving, readings.n >= spec.min_rows
    checks = []
    latencies: tuple[tuple[ServingObjective, float | None, float | None], ...] = (
        ("latency_p95_ms", readings.latency_p95_ms, serving.latency_p95_ms),
        ("latency_p99_ms", readings.latency_p99_ms, serving.latency_p99_ms),
    )
    for objective, value, limit in latencies:
        if limit is not None:
            checks.append(
                ServingCheck(objective, None, value, limit, judge_limit(value, limit, enough))
            )
    fallbacks = {level: n for level, n in readings.by_level.items() if level != "model"}
    overall = sum(fallbacks.values()) / readings.n if readings.n else None
    checks.append(
        ServingCheck(
            FALLBACK_RATE,
            None,
            overall,
            serving.fallback_rate,
            judge_limit(overall, serving.fallback_rate, enough),
        )
    )
    for level in sorted(set(fallbacks) | set(serving.fallback_levels)):
        rate = fallbacks.get(level, 0) / readings.n if readings.n else None
        limit = serving.fallback_levels.get(level)
        checks.append(
            ServingCheck(FALLBACK_RATE, level, rate, limit, judge_limit(rate, limit, enough))
        )
    return checks


def monitor_status(
    spec: MonitorSpec,
    reference_n: int,
    window_n: int,
    features: Sequence[FeatureDrift],
    serving: Sequence[ServingCheck],
    score: ScoreDrift,
) -> MonitorStatus:
    """insufficient_data when a window is short of min_rows; else the worst finding (a feature
    or objective without enough rows of its own does not hide another's finding)."""
    if min(reference_n, window_n) < spec.min_rows:
        return "insufficient_data"
    statuses = [f.status for f in features] + [s.status for s in serving] + [score.status]
    findings = [s for s in statuses if s != "insufficient_data"]
    return worst(findings) if findings else "insufficient_data"

"""What the Monitoring page and the Overview read: drift per feature per window (the heat map), one
feature's reference and current distributions, serving health per day, and each family's monitor
status.

Each use case opens ONE read-only connection (one snapshot). Every number is aggregated inside
DuckDB by the monitoring/sql.py builders; the statuses follow the rules of `monitoring.check`, so
the page and `monitor check` never disagree.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping
from dataclasses import dataclass

from core.clock import Clock, system_clock, today
from core.vocab import FeatureType, MonitorStatus
from data import monitor_store, monitor_views
from data.monitor_store import Connection
from data.store import StoreSettings, connect
from monitoring.check import (
    CategoricalReadings,
    DailyServing,
    NumericReadings,
    categorical_drift,
    daily_serving,
    numeric_drift,
)
from monitoring.drift import OTHER, category_bins, worst
from monitoring.spec import MonitorSpec, Serving
from monitoring.sql import ABOVE
from monitoring.sql_features import Span, Watched
from monitoring.versions import UnknownMonitorError
from services.monitoring import check_on

__all__ = [
    "DriftCell",
    "DriftMap",
    "FeatureDistribution",
    "ServingHistory",
    "drift_map",
    "family_statuses",
    "feature_distribution",
    "serving_history",
]

Days = tuple[dt.date, dt.date]


@dataclass(frozen=True)
class DriftCell:
    """One feature's PSI in one window (None with too few rows) and its status."""

    feature: str
    window: Days
    psi: float | None
    status: MonitorStatus


@dataclass(frozen=True)
class DriftMap:
    """PSI per feature per window, oldest window first, against the monitor's reference.

    Attributes:
        monitor_id, family: the monitor read.
        reference: its reference days (None when it follows a deployment that did not happen).
        warning, alert: the PSI lines.
        cells: one per feature and window.
    """

    monitor_id: str
    family: str
    reference: Days | None
    warning: float
    alert: float
    cells: tuple[DriftCell, ...]


@dataclass(frozen=True)
class FeatureDistribution:
    """One feature's reference and current window over the same bins.

    Attributes:
        feature, type: the feature and whether it is numeric or categorical.
        reference, window: the days compared.
        bins: bin labels: for a numeric feature the edges (low, high] of each bin (None for an
            open end), for a categorical one the category (None: "other", unseen in the
            reference).
        reference_counts, window_counts: rows per bin in each window.
    """

    feature: str
    type: FeatureType
    reference: Days | None
    window: Days
    bins: tuple[tuple[float | None, float | None] | str | None, ...]
    reference_counts: tuple[int, ...]
    window_counts: tuple[int, ...]


@dataclass(frozen=True)
class ServingHistory:
    """Serving health per day and model of a monitor's family, and its objectives."""

    monitor_id: str
    family: str
    days: Days
    objectives: Serving
    daily: tuple[DailyServing, ...]


def _spec(con: Connection, monitor_id: str) -> MonitorSpec:
    versions = monitor_store.history(con, monitor_id)
    if not versions:
        raise UnknownMonitorError(monitor_id, monitor_store.monitor_ids(con))
    return versions[-1].spec


def _reference(con: Connection, spec: MonitorSpec, day: dt.date) -> Days | None:
    live = monitor_store.live_model(con, spec.family, day)
    return spec.reference.resolve(live[1] if live else None)


def _last_day(con: Connection, as_of: dt.date | None, clock: Clock) -> dt.date:
    return as_of or monitor_store.last_day(con) or today(clock)


def _windows(spec: MonitorSpec, last: dt.date, count: int) -> list[Days]:
    """`count` back-to-back windows of the monitor's length ending on `last`, oldest first."""
    length = dt.timedelta(days=spec.window_days)
    ends = [last - k * length for k in range(count)]
    return [(end - length + dt.timedelta(days=1), end) for end in reversed(ends)]


def _bins(counts: Mapping[str, int]) -> list[int]:
    """Counts per numeric bin (bin index as text -> n) as the full list of bins."""
    bins = [0] * (ABOVE + 1)
    for index, n in counts.items():
        bins[int(index)] = n
    return bins


def _cells(
    feature: str,
    feature_type: FeatureType,
    slots: Mapping[int, Mapping[str, int]],
    windows: list[Days],
    spec: MonitorSpec,
) -> list[DriftCell]:
    """One feature's PSI in every window (slot 0, 1, ...) against the reference (slot -1)."""
    in_reference = slots.get(-1, {})
    cells = []
    for index, window in enumerate(windows):
        counts = slots.get(index, {})
        if feature_type == "numeric":
            reference_bins, window_bins = _bins(in_reference), _bins(counts)
            readings = NumericReadings(
                sum(reference_bins), sum(window_bins), reference_bins, window_bins, None, None, None
            )
            drifts = numeric_drift(feature, readings, spec)
        else:
            reference_counts: dict[str | None, int] = {k: n for k, n in in_reference.items()}
            window_counts: dict[str | None, int] = {k: n for k, n in counts.items()}
            categories = CategoricalReadings(reference_counts, window_counts)
            drifts = categorical_drift(feature, categories, spec)
        psi = next(d for d in drifts if d.method == "psi")
        cells.append(DriftCell(feature, window, psi.value, psi.status))
    return cells


def _drift_cells(
    con: Connection, spec: MonitorSpec, reference: Days, windows: list[Days]
) -> list[DriftCell]:
    """Every watched feature's PSI in every window: the numeric features' reference deciles (two
    columns a statement), then every feature's counts in the reference and in all windows from
    ONE scan."""
    types = monitor_store.feature_types(con)
    features = spec.features or tuple(types)
    kinds: dict[str, FeatureType] = {f: types.get(f, "categorical") for f in features}
    numeric = [f for f in features if kinds[f] == "numeric"]
    summaries = monitor_store.reference_summaries(
        con, spec.family, [Watched(f) for f in numeric], reference
    )
    edges = {f: summary.edges for f, summary in zip(numeric, summaries, strict=True)}
    read = [f for f in features if kinds[f] == "categorical" or edges[f]]
    watched = [(Watched(f), edges[f] if kinds[f] == "numeric" else None) for f in read]
    reference_days = (reference[1] - reference[0]).days + 1
    spans = [
        Span(reference[0], reference[1], reference_days, -1),
        Span(windows[0][0], windows[-1][1], spec.window_days, 0),
    ]
    counts = dict(
        zip(read, monitor_store.bucket_counts(con, spec.family, watched, spans), strict=True)
    )
    cells: list[DriftCell] = []
    for feature in features:
        if feature not in counts:
            # No reference value to bin on: no window can be judged.
            cells += [DriftCell(feature, window, None, "insufficient_data") for window in windows]
        else:
            cells += _cells(feature, kinds[feature], counts[feature], windows, spec)
    return cells


def drift_map(
    settings: StoreSettings,
    monitor_id: str,
    *,
    windows: int = 26,
    as_of: dt.date | None = None,
    clock: Clock = system_clock,
) -> DriftMap:
    """PSI of each watched feature in `windows` back-to-back windows (each `window_days` long)
    ending on `as_of` (default the last day with a prediction), each against the reference, by
    the same bins and rules as `monitor check`."""
    with connect(settings, read_only=True) as con:
        spec = _spec(con, monitor_id)
        day = _last_day(con, as_of, clock)
        reference = _reference(con, spec, day)
        lines = spec.thresholds["psi"]
        cells: list[DriftCell] = []
        if reference is not None:
            cells = _drift_cells(con, spec, reference, _windows(spec, day, windows))
    return DriftMap(monitor_id, spec.family, reference, lines.warning, lines.alert, tuple(cells))


def _category_distribution(
    counts: CategoricalReadings,
) -> tuple[tuple[str | None, ...], tuple[int, ...], tuple[int, ...]]:
    reference, window = category_bins(counts.reference, counts.window)
    names = (*tuple(sorted(str(c) for c in counts.reference if c is not None)), OTHER)
    return names, tuple(int(n) for n in reference), tuple(int(n) for n in window)


def feature_distribution(
    settings: StoreSettings,
    monitor_id: str,
    feature: str,
    *,
    as_of: dt.date | None = None,
    clock: Clock = system_clock,
) -> FeatureDistribution:
    """One feature's reference and current window (the monitor's, ending on `as_of`) binned as
    `monitor check` bins them: reference deciles plus two open ends, or the reference's
    categories plus "other"."""
    with connect(settings, read_only=True) as con:
        spec = _spec(con, monitor_id)
        day = _last_day(con, as_of, clock)
        window = (day - dt.timedelta(days=spec.window_days - 1), day)
        reference = _reference(con, spec, day)
        kind = monitor_store.feature_types(con).get(feature, "categorical")
        if reference is None:
            return FeatureDistribution(feature, kind, None, window, (), (), ())
        if kind == "numeric":
            binned = monitor_views.binned_feature(con, spec.family, feature, reference, window)
            edges: list[float | None] = [None, *binned.edges, None]
            bins = tuple(itertools.pairwise(edges)) if binned.edges else ()
            return FeatureDistribution(
                feature, kind, reference, window, bins, binned.reference, binned.window
            )
        counts = monitor_store.categorical_readings(con, spec.family, feature, reference, window)
    names, reference_counts, window_counts = _category_distribution(counts)
    return FeatureDistribution(
        feature, kind, reference, window, names, reference_counts, window_counts
    )


def serving_history(
    settings: StoreSettings,
    monitor_id: str,
    *,
    days: int = 90,
    as_of: dt.date | None = None,
    clock: Clock = system_clock,
) -> ServingHistory:
    """Latency p50/p95/p99 and fallback shares per level, per day and model, over `days` days
    ending on `as_of`, with the days that broke the monitor's objectives."""
    with connect(settings, read_only=True) as con:
        spec = _spec(con, monitor_id)
        day = _last_day(con, as_of, clock)
        window = (day - dt.timedelta(days=days - 1), day)
        rows = monitor_store.daily_serving_rows(con, spec.family, window)
    return ServingHistory(
        monitor_id, spec.family, window, spec.serving, tuple(daily_serving(rows, spec))
    )


def family_statuses(
    settings: StoreSettings, *, as_of: dt.date | None = None, clock: Clock = system_clock
) -> Mapping[str, MonitorStatus]:
    """Each family's worst monitor status (families without a monitor are absent)."""
    statuses: dict[str, list[MonitorStatus]] = {}
    with connect(settings, read_only=True) as con:
        for monitor_id in monitor_store.monitor_ids(con):
            check = check_on(con, monitor_store.history(con, monitor_id)[-1], as_of, clock)
            statuses.setdefault(check.family, []).append(check.status)
    return {family: worst(found) for family, found in sorted(statuses.items())}

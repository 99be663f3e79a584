"""Explain a KPI's drop: what changed around each detected step and forecast crossing.

One use case, one read-only connection (one snapshot): the KPI's detail (steps and crossings, by
`services.kpis.detail_on`), the family's deployments and annotations, and for every monitor of the
family the windows tiled around each event: PSI (and JS for categories) on the monitor check's
bins and lines, all windows of a feature counted in one DuckDB query, and the daily serving health
with the objectives broken. KS and Wasserstein are left to `monitor check` (each needs a sort of
every window against the reference: about ten times the cost). The ranking is the domain's
(`monitoring.explain`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from core.clock import Clock, system_clock
from core.errors import YardstickError
from core.vocab import Direction, ThresholdLine
from data import explain_store, kpi_store, monitor_store
from data.kpi_store import Connection
from data.store import StoreSettings, connect
from kpi.degradation import Crossing, StepChange
from kpi.status import KpiDetail
from monitoring.check import categorical_drift, daily_serving, numeric_drift
from monitoring.drift import FeatureDrift
from monitoring.explain import (
    DEFAULT_RADIUS_DAYS,
    Change,
    ExplainedEvent,
    KpiEvent,
    WindowDrift,
    chronological,
    drift_onsets,
    drift_windows,
    explain_events,
    serving_incidents,
)
from monitoring.spec import MonitorSpec
from monitoring.versions import MonitorVersion
from services.kpis import detail_on

__all__ = ["DEFAULT_RADIUS_DAYS", "KpiExplanation", "explain_kpi", "explanation_on"]

MAX_RADIUS_DAYS = 90
Days = tuple[dt.date, dt.date]


@dataclass(frozen=True)
class KpiExplanation:
    """What changed around a KPI's steps and forecast crossings.

    Attributes:
        kpi_id, name, metric, family, direction: the KPI (version in force on `as_of`).
        as_of: the day the KPI was evaluated on.
        radius_days: changes within this many days of an event are listed.
        monitors: ids of the family's monitors whose drift and serving were read (empty: only
            deployments and annotations could be listed).
        events: the steps and crossings, oldest first, each with its ranked changes.
    """

    kpi_id: str
    name: str
    metric: str
    family: str
    direction: Direction
    as_of: dt.date
    radius_days: int
    monitors: tuple[str, ...]
    events: tuple[ExplainedEvent, ...]


def kpi_events(steps: Sequence[StepChange], crossings: Sequence[Crossing | None]) -> list[KpiEvent]:
    """Steps and the forecast crossings (warning first, then exit) as events."""
    events = [KpiEvent("step", s.date, size=s.size, relative_size=s.relative_size) for s in steps]
    lines: tuple[ThresholdLine, ...] = ("warning", "exit")
    events += [
        KpiEvent("crossing", c.date, line=line, line_value=c.line)
        for line, c in zip(lines, crossings, strict=True)
        if c is not None
    ]
    return events


def _deployment_changes(con: Connection, family: str) -> list[Change]:
    return [
        Change(
            kind="deployment",
            date=d.deployed_at.date(),
            what=d.model_id,
            detail=d.version,
            source=d.stage,
        )
        for d in kpi_store.deployments(con, family)
    ]


def _family_monitors(con: Connection, family: str) -> list[MonitorVersion]:
    latest = (monitor_store.latest_version(con, i) for i in monitor_store.monitor_ids(con))
    return [v for v in latest if v is not None and v.spec.family == family]


def _window_drifts(
    con: Connection, spec: MonitorSpec, reference: Days, windows: Sequence[Days]
) -> list[WindowDrift]:
    """The monitor's drift statistics on each window, read for all windows at once per feature
    and judged by the monitor check's rules (PSI; JS for categories)."""
    types = monitor_store.feature_types(con)
    first_start, count = windows[0][0], len(windows)
    per_window: list[list[FeatureDrift]] = [[] for _ in windows]
    for name in spec.features or tuple(types):
        if types.get(name) == "numeric":
            numeric = explain_store.windowed_numeric_readings(
                con, spec.family, name, reference, first_start, spec.window_days, count
            )
            for drifts, readings in zip(per_window, numeric, strict=True):
                drifts += numeric_drift(name, readings, spec)
        else:
            categorical = explain_store.windowed_categorical_readings(
                con, spec.family, name, reference, first_start, spec.window_days, count
            )
            for drifts, counts in zip(per_window, categorical, strict=True):
                drifts += categorical_drift(name, counts, spec)
    return [
        WindowDrift(spec.monitor_id, window, tuple(drifts))
        for window, drifts in zip(windows, per_window, strict=True)
    ]


def _monitor_changes(
    con: Connection, version: MonitorVersion, event: KpiEvent, radius_days: int
) -> list[Change]:
    """Drift onsets and serving incidents of one monitor on the windows tiled from one event.

    Each event gets its own tiling, so a drift alert is dated from the event's day and is not
    listed twice under two anchors. The reference is the one in force on the event's day (for
    `days_after_deploy`, the version live that day).
    """
    last_day = monitor_store.last_day(con)
    if last_day is None:
        return []
    spec = version.spec
    windows = drift_windows([event.date], spec.window_days, radius_days, last_day)
    if not windows:
        return []
    span = (windows[0][0], windows[-1][1])
    serving_days = daily_serving(monitor_store.daily_serving_rows(con, spec.family, span), spec)
    changes = serving_incidents(serving_days, spec)
    live = monitor_store.live_model(con, spec.family, event.date)
    reference = spec.reference.resolve(live[1] if live else None)
    if reference is not None:
        changes += drift_onsets(_window_drifts(con, spec, reference, windows))
    return changes


def _checked_radius(radius_days: int) -> int:
    if not 0 <= radius_days <= MAX_RADIUS_DAYS:
        raise YardstickError(
            "explain.radius", field="radius_days", value=radius_days, maximum=MAX_RADIUS_DAYS
        )
    return radius_days


def explanation_on(
    con: Connection,
    kpi_id: str,
    as_of: dt.date | None = None,
    radius_days: int = DEFAULT_RADIUS_DAYS,
    clock: Clock = system_clock,
    detail: KpiDetail | None = None,
) -> KpiExplanation:
    """`explain_kpi` on an open connection (for a report that reads more in the same snapshot);
    `detail`, when the caller has already evaluated the KPI as of the same day on `con`, is used
    rather than evaluated again."""
    radius_days = _checked_radius(radius_days)
    if detail is None:
        detail = detail_on(con, kpi_id, as_of, clock)
    status = detail.status
    events = kpi_events(detail.steps, (status.forecast_warning, status.forecast_exit))
    monitors = _family_monitors(con, status.family)
    declared = _deployment_changes(con, status.family) + explain_store.annotation_changes(
        con, status.family
    )
    explained: list[ExplainedEvent] = []
    for event in events:
        measured = [
            change
            for version in monitors
            for change in _monitor_changes(con, version, event, radius_days)
        ]
        explained += explain_events([event], declared + measured, radius_days)
    return KpiExplanation(
        kpi_id=status.kpi_id,
        name=status.name,
        metric=status.metric,
        family=status.family,
        direction=status.direction,
        as_of=status.as_of,
        radius_days=radius_days,
        monitors=tuple(v.spec.monitor_id for v in monitors),
        events=tuple(sorted(explained, key=lambda e: chronological(e.event))),
    )


def explain_kpi(
    settings: StoreSettings,
    kpi_id: str,
    as_of: dt.date | None = None,
    radius_days: int = DEFAULT_RADIUS_DAYS,
    *,
    clock: Clock = system_clock,
) -> KpiExplanation:
    """What changed within `radius_days` of each step and forecast crossing of a KPI, as of a day
    (default: the last day with online data), from one snapshot.

    Raises UnknownKpiError (`kpi.unknown`) for an unknown id and YardstickError `explain.radius`
    for a radius outside 0..MAX_RADIUS_DAYS.
    """
    _checked_radius(radius_days)
    with connect(settings, read_only=True) as con:
        return explanation_on(con, kpi_id, as_of, radius_days, clock)

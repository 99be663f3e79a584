"""What changed around a KPI's drop: the changes near each step or forecast crossing, ranked.

Pure: the service hands in the KPI's events (detected steps, forecast crossings) and the candidate
changes (annotations, deployments, drift onsets, serving incidents); this module keeps those within
`radius_days` of each event and ranks them. Drift onsets and serving incidents are derived here from
drift judged per window and daily serving health, so "a change" means the same thing on every
face. Codes and values only: i18n/explain.py words them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from core.vocab import ChangeKind, ExplainEventKind, ThresholdLine
from monitoring.check import FALLBACK_RATE, DailyServing
from monitoring.drift import FeatureDrift
from monitoring.spec import MonitorSpec

DEFAULT_RADIUS_DAYS = 7
# Declared changes (someone wrote them down) rank before measured ones at the same distance: they
# name a cause, while drift and serving incidents are themselves symptoms.
_DECLARED: tuple[ChangeKind, ...] = ("annotation", "deployment")


@dataclass(frozen=True)
class KpiEvent:
    """A moment a KPI moved or is expected to move.

    Attributes:
        kind: step (a detected level shift) or crossing (the trend's forecast crossing of a line).
        date: the step's first day at the new level, or the forecast crossing day.
        size: the step's size (metric unit, after minus before); None for a crossing.
        relative_size: the step's size over the level before (-0.056 = a 5.6% drop); None for a
            crossing.
        line: for a crossing, the line crossed (warning or exit); None for a step.
        line_value: for a crossing, the line's value (metric unit); None for a step.
    """

    kind: ExplainEventKind
    date: dt.date
    size: float | None = None
    relative_size: float | None = None
    line: ThresholdLine | None = None
    line_value: float | None = None


@dataclass(frozen=True)
class Change:
    """Something that changed on a day, declared or measured.

    Attributes:
        kind: annotation, deployment, drift (a feature's statistic reached its alert line) or
            serving (an objective broken).
        date: the day it happened: an annotation's date, a deployment's day, the first day of the
            first alerting drift window, the first day of a run of days breaking an objective.
        what: annotation: its kind (business, data...); deployment: the model id; drift: the
            feature; serving: the objective (latency_p95_ms, latency_p99_ms, fallback_rate,
            fallback_rate.<level>).
        value: drift: the statistic in the alerting window; serving: the objective's value on the
            first day; None for declared changes.
        before: drift: the statistic in the window before; serving: the value the day before
            (None when that day has no requests); None for declared changes.
        limit: the alert line or objective the value broke; None for declared changes.
        detail: annotation: its note (user text); deployment: the version label; drift: the
            method (psi, wasserstein, ks, js); serving: the model id.
        end: the last day of the drift window or of the run of breaking days; None otherwise.
        source: annotation: its author; drift and serving: the monitor id; deployment: the stage.
    """

    kind: ChangeKind
    date: dt.date
    what: str
    value: float | None = None
    before: float | None = None
    limit: float | None = None
    detail: str | None = None
    end: dt.date | None = None
    source: str | None = None

    @property
    def severity(self) -> float | None:
        """value / limit: how far past its line a measured change went (None when unmeasured)."""
        if self.value is None or self.limit is None or self.limit == 0:
            return None
        return abs(self.value / self.limit)


@dataclass(frozen=True)
class NearbyChange:
    """A change and its distance from an event (negative: before the event)."""

    change: Change
    days_from_event: int


@dataclass(frozen=True)
class ExplainedEvent:
    """An event and the changes within the radius around it, nearest and largest first."""

    event: KpiEvent
    changes: tuple[NearbyChange, ...]


def _rank(nearby: NearbyChange) -> tuple[int, bool, bool, float, str, str]:
    """Nearer first; at equal distance a change before the event (a cause precedes its effect),
    then declared before measured, then the larger severity, then by kind and name (stable)."""
    change = nearby.change
    return (
        abs(nearby.days_from_event),
        nearby.days_from_event > 0,
        change.kind not in _DECLARED,
        -(change.severity or 0.0),
        change.kind,
        change.what,
    )


def chronological(event: KpiEvent) -> tuple[dt.date, str]:
    """The order events are listed in: by date, a step before a crossing on the same day."""
    return event.date, event.kind


def explain_events(
    events: Sequence[KpiEvent],
    changes: Iterable[Change],
    radius_days: int = DEFAULT_RADIUS_DAYS,
) -> tuple[ExplainedEvent, ...]:
    """For each event (in date order), the changes dated within `radius_days` of it, ranked by
    time distance, then before-after, then declared-first, then severity (value / limit).

    Raises ValueError for a negative radius (the service checks user input before).
    """
    if radius_days < 0:
        raise ValueError(f"radius_days must be 0 or more, got {radius_days}")
    candidates = tuple(changes)
    explained = []
    for event in sorted(events, key=chronological):
        nearby = [
            NearbyChange(change, (change.date - event.date).days)
            for change in candidates
            if abs((change.date - event.date).days) <= radius_days
        ]
        explained.append(ExplainedEvent(event, tuple(sorted(nearby, key=_rank))))
    return tuple(explained)


@dataclass(frozen=True)
class WindowDrift:
    """A monitor's drift statistics on one window (as the monitor check judges them).

    Attributes:
        monitor_id: the monitor.
        window: first and last day of the window.
        features: one entry per feature and statistic.
    """

    monitor_id: str
    window: tuple[dt.date, dt.date]
    features: tuple[FeatureDrift, ...]


def drift_onsets(checks: Sequence[WindowDrift]) -> list[Change]:
    """Drift alerts that began: a feature's statistic at alert in a window whose preceding window
    (the one ending the day before it starts, among `checks` of the same monitor) was not.

    A statistic alerting in both windows changed earlier and is no news around the event; a window
    without its predecessor among the checks is not judged (nothing says when it began).
    """
    by_window = {(c.monitor_id, c.window[0]): c for c in checks}
    onsets = []
    for check in sorted(checks, key=lambda c: (c.monitor_id, c.window[0])):
        previous = by_window.get((check.monitor_id, check.window[0] - _window_length(check)))
        if previous is None:
            continue
        earlier = {(f.name, f.method): f for f in previous.features}
        for feature in check.features:
            if feature.status != "alert":
                continue
            before = earlier.get((feature.name, feature.method))
            if before is not None and before.status == "alert":
                continue
            onsets.append(
                Change(
                    kind="drift",
                    date=check.window[0],
                    what=feature.name,
                    value=feature.value,
                    before=None if before is None else before.value,
                    limit=feature.alert,
                    detail=feature.method,
                    end=check.window[1],
                    source=check.monitor_id,
                )
            )
    return onsets


def _window_length(check: WindowDrift) -> dt.timedelta:
    return check.window[1] - check.window[0] + dt.timedelta(days=1)


def objective_value(day: DailyServing, objective: str) -> float | None:
    """The day's value of a breached objective name (as DailyServing.breached lists them)."""
    if objective == "latency_p95_ms":
        return day.latency_p95_ms
    if objective == "latency_p99_ms":
        return day.latency_p99_ms
    if objective == FALLBACK_RATE:
        return day.fallback_rate
    level = objective.removeprefix(f"{FALLBACK_RATE}.")
    return day.fallback_by_level.get(level, 0.0)


def objective_limit(spec: MonitorSpec, objective: str) -> float | None:
    """The spec's limit of a breached objective name."""
    serving = spec.serving
    if objective == "latency_p95_ms":
        return serving.latency_p95_ms
    if objective == "latency_p99_ms":
        return serving.latency_p99_ms
    if objective == FALLBACK_RATE:
        return serving.fallback_rate
    return serving.fallback_levels.get(objective.removeprefix(f"{FALLBACK_RATE}."))


def serving_incidents(days: Iterable[DailyServing], spec: MonitorSpec) -> list[Change]:
    """Runs of consecutive days on which one model broke one objective, each as one change dated
    on its first day, with the value that day, the value the day before, and the run's last day."""
    by_model_day = {(d.model_id, d.day): d for d in days}
    incidents = []
    for (model_id, day), health in sorted(by_model_day.items()):
        previous = by_model_day.get((model_id, day - dt.timedelta(days=1)))
        for objective in health.breached:
            if previous is not None and objective in previous.breached:
                continue
            end = day
            while objective in getattr(
                by_model_day.get((model_id, end + dt.timedelta(days=1))), "breached", ()
            ):
                end += dt.timedelta(days=1)
            incidents.append(
                Change(
                    kind="serving",
                    date=day,
                    what=objective,
                    value=objective_value(health, objective),
                    before=None if previous is None else objective_value(previous, objective),
                    limit=objective_limit(spec, objective),
                    detail=model_id,
                    end=end,
                    source=spec.monitor_id,
                )
            )
    return incidents


def drift_windows(
    event_dates: Iterable[dt.date], window_days: int, radius_days: int, last_day: dt.date
) -> list[tuple[dt.date, dt.date]]:
    """The monitor windows to check around each event: windows of `window_days` tiled from the
    event day (so a shift on the day starts a window), those starting within `radius_days` of it,
    plus the one before the first (its status tells whether an alert is new). Windows starting
    after `last_day` (no predictions yet) are left out; sorted, without repeats."""
    length = dt.timedelta(days=window_days)
    windows = set()
    for event in event_dates:
        steps_back = radius_days // window_days + 1
        steps_ahead = radius_days // window_days
        for k in range(-steps_back, steps_ahead + 1):
            start = event + k * length
            if start <= last_day:
                windows.add((start, start + length - dt.timedelta(days=1)))
    return sorted(windows)

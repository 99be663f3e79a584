"""Monitor use cases: define a monitor (a new version), read its history, check monitors.

Each use case opens ONE connection (one snapshot) and writes in ONE transaction. Time comes in as
`clock`: read only when the store holds no prediction to say what "today" is, and to stamp a new
version. The rules are the domain's (`monitoring.*`); the SQL is the store's
(`data.monitor_store`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from core.clock import Clock, system_clock, today
from data import monitor_store, serving_store
from data.monitor_store import Connection
from data.store import StoreSettings, connect, current_actor, transaction
from monitoring.budget import error_budgets, latency_limits
from monitoring.check import (
    MonitorCheck,
    categorical_drift,
    daily_serving,
    monitor_status,
    numeric_drift,
    score_drift,
    serving_checks,
    window_days,
)
from monitoring.drift import FeatureDrift, ScoreDrift, exit_code
from monitoring.spec import MonitorSpec, MonitorSpecError
from monitoring.versions import (
    MonitorDefineOutcome,
    MonitorVersion,
    UnknownMonitorError,
    next_version,
)

__all__ = [
    "MonitorCheck",
    "MonitorDefineOutcome",
    "MonitorReport",
    "MonitorVersion",
    "UnknownMonitorError",
    "check_monitors",
    "define_monitor",
    "exit_code",
    "monitor_history",
]

SCORE = "score"


@dataclass(frozen=True)
class MonitorReport:
    """Monitors checked from one snapshot.

    Attributes:
        as_of: the day asked for, else the latest day any monitor was checked on (None when
            there was none).
        checks: one per monitor, ordered by id.
    """

    as_of: dt.date | None
    checks: tuple[MonitorCheck, ...]

    @property
    def exit_code(self) -> int:
        """0 ok, 10 a warning, 20 an alert, 30 a monitor without enough data (or none)."""
        return exit_code(c.status for c in self.checks)


def _check_against_store(con: Connection, spec: MonitorSpec, origin: str) -> None:
    known_families = monitor_store.families(con)
    if spec.family not in known_families:
        raise MonitorSpecError(
            "unknown_family", "family", origin, value=spec.family, known=", ".join(known_families)
        )
    features = monitor_store.feature_types(con)
    unknown = [name for name in spec.features if name not in features]
    if unknown:
        raise MonitorSpecError(
            "unknown_feature",
            "features",
            origin,
            value=", ".join(unknown),
            known=", ".join(features) or "–",
        )


def define_monitor(
    settings: StoreSettings,
    spec: MonitorSpec,
    author: str | None = None,
    origin: str = "<spec>",
    *,
    clock: Clock = system_clock,
) -> MonitorDefineOutcome:
    """Store `spec` as the monitor's next version (nothing when it equals the latest).

    Refuses (MonitorSpecError) a family the store does not know, a feature it holds no column
    for, and a change that keeps the previous rationale.
    """
    with transaction(settings) as con:
        _check_against_store(con, spec, origin)
        outcome = next_version(monitor_store.latest_version(con, spec.monitor_id), spec, origin)
        if outcome.created:
            monitor_store.insert_version(
                con, MonitorVersion(spec, outcome.version, author or current_actor(), clock())
            )
    return outcome


def _history_on(con: Connection, monitor_id: str) -> list[MonitorVersion]:
    versions = monitor_store.history(con, monitor_id)
    if not versions:
        raise UnknownMonitorError(monitor_id, monitor_store.monitor_ids(con))
    return versions


def monitor_history(settings: StoreSettings, monitor_id: str) -> list[MonitorVersion]:
    """Every version of one monitor, oldest first; UnknownMonitorError for an unknown id."""
    with connect(settings, read_only=True) as con:
        return _history_on(con, monitor_id)


def _features(
    con: Connection,
    spec: MonitorSpec,
    reference: tuple[dt.date, dt.date],
    window: tuple[dt.date, dt.date],
) -> list[FeatureDrift]:
    """Every watched feature's drift, in the spec's order: a sort of each numeric feature's
    reference (its deciles) and ONE scan for all features' bins, categories and distances (not
    three scans per feature: the check stays fast at 100 million rows)."""
    types = monitor_store.feature_types(con)
    names = spec.features or tuple(types)
    numeric = [name for name in names if types.get(name) == "numeric"]
    categorical = [name for name in names if types.get(name) != "numeric"]
    numbers, categories = monitor_store.feature_readings(
        con, spec.family, numeric, categorical, reference, window
    )
    by_name = dict(zip(numeric, numbers, strict=True))
    counted = dict(zip(categorical, categories, strict=True))
    drifts: list[FeatureDrift] = []
    for name in names:
        if name in by_name:
            drifts += numeric_drift(name, by_name[name], spec)
        else:
            drifts += categorical_drift(name, counted[name], spec)
    return drifts


def check_on(
    con: Connection, version: MonitorVersion, as_of: dt.date | None, clock: Clock
) -> MonitorCheck:
    """One monitor checked on an open connection, as of `as_of` (default: the last day the store
    has a prediction of any model, so a family whose feed stopped is short of rows: stale; else
    today by `clock`)."""
    spec = version.spec
    day = as_of or monitor_store.last_day(con) or today(clock)
    window = window_days(spec, day)
    live = monitor_store.live_model(con, spec.family, day)
    reference = spec.reference.resolve(live[1] if live else None)
    nothing = ScoreDrift(
        None, spec.score_lines.warning, spec.score_lines.alert, "insufficient_data"
    )
    if reference is None:
        return MonitorCheck(
            spec.monitor_id,
            version.version,
            spec.family,
            None,
            day,
            None,
            0,
            window,
            0,
            "insufficient_data",
            (),
            (),
            nothing,
        )
    reference_n, window_n = monitor_store.row_counts(con, spec.family, reference, window)
    features = _features(con, spec, reference, window)
    scores = monitor_store.numeric_readings(
        con, spec.family, SCORE, reference, window, model_only=True, with_distances=False
    )
    score = score_drift(scores, spec)
    readings = monitor_store.serving_readings(con, spec.family, window)
    serving = serving_checks(readings, spec)
    budget_read = serving_store.budget_readings(
        con, spec, window, dict(readings.by_level), latency_limits(spec)
    )
    daily = daily_serving(monitor_store.daily_serving_rows(con, spec.family, window), spec)
    return MonitorCheck(
        monitor_id=spec.monitor_id,
        version=version.version,
        family=spec.family,
        model_id=live[0] if live else None,
        as_of=day,
        reference=reference,
        reference_n=reference_n,
        window=window,
        window_n=window_n,
        status=monitor_status(spec, reference_n, window_n, features, serving, score),
        features=tuple(features),
        serving=tuple(serving),
        score=score,
        serving_daily=tuple(daily),
        error_budget=tuple(error_budgets(budget_read, spec)),
    )


def check_monitors(
    settings: StoreSettings,
    monitor_id: str | None = None,
    as_of: dt.date | None = None,
    *,
    clock: Clock = system_clock,
) -> MonitorReport:
    """Check one monitor (`monitor_id`) or every monitor, from one snapshot."""
    with connect(settings, read_only=True) as con:
        ids: Sequence[str] = (
            [monitor_id] if monitor_id is not None else monitor_store.monitor_ids(con)
        )
        checks = tuple(check_on(con, _history_on(con, i)[-1], as_of, clock) for i in ids)
    days = [c.as_of for c in checks]
    return MonitorReport(as_of or (max(days) if days else None), checks)

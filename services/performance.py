"""Performance before labels arrive: check a monitor's reference calibration, then estimate each
day's precision, recall and (with a cost-matrix KPI) money from the scores alone (CBPE).

One connection (one snapshot), read-only. Time comes in as `clock`, read only when the store holds
no prediction to say what "today" is. The rules are `monitoring.cbpe`'s; the SQL is the store's
(`data.performance_store`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from core.clock import Clock, system_clock, today
from core.errors import YardstickError
from data import kpi_store, monitor_store, performance_store
from data.monitor_store import Connection
from data.store import StoreSettings, connect
from kpi.spec import KpiSpec
from kpi.value import CostMatrix
from kpi.versions import UnknownKpiError
from monitoring.cbpe import (
    TOO_FEW_LABELS,
    UNCALIBRATED,
    CalibrationCheck,
    DailyPerformance,
    check_calibration,
    checked_threshold,
    daily_performance,
)
from monitoring.spec import MonitorSpec
from monitoring.versions import UnknownMonitorError

__all__ = [
    "ESTIMATE_EXIT",
    "PerformanceReport",
    "calibration_on",
    "estimate_performance",
    "estimate_status",
]

EstimateStatus = Literal["estimated", "uncalibrated", "insufficient_data"]
# Exit statuses of `monitor estimate`: 30 as `monitor check` for missing data, 40 for scores
# that are not calibrated (no estimate is given).
ESTIMATE_EXIT: dict[EstimateStatus, int] = {
    "estimated": 0,
    "insufficient_data": 30,
    "uncalibrated": 40,
}


@dataclass(frozen=True)
class PerformanceReport:
    """A monitor's estimated performance per day, or why there is none.

    Attributes:
        monitor_id, family: the monitor whose reference and family are used.
        model_id: the family's production version live on `as_of` (None when none).
        threshold: the decision threshold (flagged: score >= threshold).
        as_of: the window's last day.
        reference: the reference's first and last day (None without the deployment it follows).
        window: the days estimated, first and last.
        calibration: the calibration check of the reference's labelled scores.
        min_rows: the labelled reference predictions the monitor needs to judge calibration.
        status: `estimated`, `uncalibrated` (no estimate given) or `insufficient_data`.
        refusal: the catalogue code (under `error.`) saying why nothing is estimated, else None.
        kpi_id, currency: the cost-matrix KPI pricing the days, and its currency (None without).
        days: per day of the window with predictions: estimates beside realised values (estimates
            are None when refused; realised values are still shown).
    """

    monitor_id: str
    family: str
    model_id: str | None
    threshold: float
    as_of: dt.date
    reference: tuple[dt.date, dt.date] | None
    window: tuple[dt.date, dt.date]
    calibration: CalibrationCheck
    min_rows: int
    status: EstimateStatus
    refusal: str | None
    kpi_id: str | None
    currency: str | None
    days: tuple[DailyPerformance, ...]

    @property
    def exit_code(self) -> int:
        """0 estimated, 30 not enough labelled reference data, 40 scores not calibrated."""
        return ESTIMATE_EXIT[self.status]


def _cost_kpi(con: Connection, kpi_id: str, family: str) -> tuple[KpiSpec, CostMatrix]:
    version = kpi_store.latest_version(con, kpi_id)
    if version is None:
        raise UnknownKpiError(kpi_id, kpi_store.kpi_ids(con))
    spec = version.spec
    if spec.value.kind != "cost_matrix" or spec.value.cost_matrix is None:
        raise YardstickError(
            "monitor.estimate.not_cost_matrix", field="kpi", kpi_id=kpi_id, kind=spec.value.kind
        )
    if spec.family != family:
        raise YardstickError(
            "monitor.estimate.family_mismatch",
            field="kpi",
            kpi_id=kpi_id,
            kpi_family=spec.family,
            family=family,
        )
    return spec, spec.value.cost_matrix


def calibration_on(
    con: Connection, spec: MonitorSpec, day: dt.date
) -> tuple[tuple[str, dt.date] | None, tuple[dt.date, dt.date] | None, CalibrationCheck]:
    """The family's live model on `day` (id, deployed on), the monitor's reference it resolves,
    and the calibration check of the reference's labelled scores."""
    live = monitor_store.live_model(con, spec.family, day)
    reference = spec.reference.resolve(live[1] if live else None)
    bins = performance_store.reliability_bins(con, spec.family, reference) if reference else []
    return live, reference, check_calibration(bins, spec.min_rows)


def estimate_status(check: CalibrationCheck) -> tuple[EstimateStatus, str | None]:
    """Whether a calibration check lets scores be read as probabilities, and if not the catalogue
    code saying why (under `error.`)."""
    if check.status == "insufficient_data":
        return "insufficient_data", TOO_FEW_LABELS
    if check.status == "uncalibrated":
        return "uncalibrated", UNCALIBRATED
    return "estimated", None


def _without_estimates(day: DailyPerformance) -> DailyPerformance:
    return DailyPerformance(
        day.day,
        day.n,
        day.labelled,
        None,
        None,
        None,
        day.realised_precision,
        day.realised_recall,
        day.realised_value,
    )


def estimate_on(
    con: Connection,
    monitor_id: str,
    threshold: float,
    *,
    kpi_id: str | None = None,
    as_of: dt.date | None = None,
    days: int | None = None,
    clock: Clock = system_clock,
) -> PerformanceReport:
    """`estimate_performance` on an open connection."""
    checked_threshold(threshold)
    if days is not None and days < 1:
        raise YardstickError("monitor.estimate.bad_days", field="days", value=days)
    versions = monitor_store.history(con, monitor_id)
    if not versions:
        raise UnknownMonitorError(monitor_id, monitor_store.monitor_ids(con))
    spec = versions[-1].spec
    kpi = _cost_kpi(con, kpi_id, spec.family) if kpi_id is not None else None
    day = as_of or monitor_store.last_day(con) or today(clock)
    window = (day - dt.timedelta(days=(days or spec.window_days) - 1), day)
    live, reference, calibration = calibration_on(con, spec, day)
    status, refusal = estimate_status(calibration)
    cells = kpi[1] if kpi else None
    performance = [
        daily_performance(scores, cells)
        for scores in performance_store.daily_scores(con, spec.family, window, threshold)
    ]
    if refusal is not None:
        performance = [_without_estimates(p) for p in performance]
    return PerformanceReport(
        monitor_id=monitor_id,
        family=spec.family,
        model_id=live[0] if live else None,
        threshold=threshold,
        as_of=day,
        reference=reference,
        window=window,
        calibration=calibration,
        min_rows=spec.min_rows,
        status=status,
        refusal=refusal,
        kpi_id=kpi_id,
        currency=kpi[0].value.currency if kpi else None,
        days=tuple(performance),
    )


def estimate_performance(
    settings: StoreSettings,
    monitor_id: str,
    threshold: float,
    *,
    kpi_id: str | None = None,
    as_of: dt.date | None = None,
    days: int | None = None,
    clock: Clock = system_clock,
) -> PerformanceReport:
    """Check the calibration of a monitor's reference scores and, when they are calibrated,
    estimate precision, recall and (with `kpi_id`, a cost-matrix KPI of the same family) the
    money of each day of the window from the scores alone, beside the realised values of the days
    whose labels are all in.

    The window is `days` (default the monitor's `window_days`) ending on `as_of` (default the last
    day the store has a prediction). Refuses (YardstickError) a threshold outside (0, 1], an
    unknown monitor or KPI, a KPI not priced by a cost matrix or of another family.
    """
    with connect(settings, read_only=True) as con:
        return estimate_on(
            con, monitor_id, threshold, kpi_id=kpi_id, as_of=as_of, days=days, clock=clock
        )

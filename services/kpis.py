"""KPI use cases: define, read the history, evaluate (status, detail, check-and-record), decide.

Each use case reads on ONE connection, so everything it reads comes from one consistent snapshot,
and writes in ONE transaction (a check records what it read after reading it, see
`record_evaluations`). Time comes in as `clock` (faces pass `core.clock.system_clock`); it is
read to know today (which version is in force, how stale each KPI's data is, which rows are dated
in the future) and to stamp what is written. The rules
are the domain's (`kpi.spec`, `kpi.versions`, `kpi.status`); the SQL is the store's
(`data.kpi_store`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from core.clock import Clock, system_clock, today
from core.vocab import KpiDecision
from data import kpi_store
from data.kpi_store import Connection, Decision, Deployment, RecordedEvaluation
from data.store import StoreSettings, connect, current_actor, settings_for, transaction
from kpi.spec import KpiSpec, check_against_store
from kpi.status import (
    KpiDetail,
    KpiReadings,
    KpiStatus,
    evaluate_kpi,
    evaluation_day,
    exit_code,
    online_metrics_needed,
)
from kpi.versions import (
    DefineOutcome,
    KpiVersion,
    UnknownKpiError,
    checked_decision,
    next_version,
    version_in_force,
)

__all__ = [
    "Decision",
    "DefineOutcome",
    "Deployment",
    "KpiDetail",
    "KpiStatus",
    "KpiVersion",
    "RecordedEvaluation",
    "StoreSettings",
    "UnknownKpiError",
    "all_evaluations_on",
    "all_kpi_statuses",
    "check_kpis",
    "decisions",
    "define_kpi",
    "deployments",
    "exit_code",
    "kpi_detail",
    "kpi_history",
    "kpi_status",
    "latest_versions",
    "record_decision",
    "record_evaluations",
    "recorded_evaluations",
    "settings_for",
]


def history_on(con: Connection, kpi_id: str) -> list[KpiVersion]:
    """The KPI's versions, oldest first; UnknownKpiError (naming the known ids) when none."""
    versions = kpi_store.kpi_history(con, kpi_id)
    if not versions:
        raise UnknownKpiError(kpi_id, kpi_store.kpi_ids(con))
    return versions


def _readings(con: Connection, spec: KpiSpec, end: dt.date) -> KpiReadings:
    offline_metrics = tuple(kpi_store.offline_metric_names(con, spec.family))
    return KpiReadings(
        online=kpi_store.live_daily_series(con, spec.family, online_metrics_needed(spec), end),
        offline=kpi_store.offline_series(con, spec.family, offline_metrics, end),
        offline_metrics=offline_metrics,
    )


def _evaluate(
    con: Connection,
    versions: Sequence[KpiVersion],
    as_of: dt.date | None,
    clock: Clock,
    with_context: bool,
) -> KpiDetail:
    """One KPI judged on its own evaluation day (`kpi.status.evaluation_day`).

    Without `as_of` the version in force today by `clock` judges it (a threshold changed today
    applies today, even when the last data day is earlier); with `as_of`, the version in force
    then. Rows dated after tomorrow are never read (a far-future or `infinity` date would move
    every evaluation or fail to convert); they are counted instead.
    """
    now = today(clock)
    tomorrow = now + dt.timedelta(days=1)
    version, defined_later = version_in_force(versions, as_of or now)
    spec = version.spec
    readings = _readings(con, spec, min(as_of, tomorrow) if as_of else tomorrow)
    ignored = kpi_store.rows_after(
        con, spec.family, online_metrics_needed(spec), readings.offline_metrics, tomorrow
    )
    day = evaluation_day(spec, readings, as_of, now, ignored)
    return evaluate_kpi(version, day, defined_later, readings, with_context)


def define_kpi(
    settings: StoreSettings,
    spec: KpiSpec,
    author: str | None = None,
    origin: str = "<spec>",
    text: str | None = None,
    created_at: dt.datetime | None = None,
    *,
    clock: Clock = system_clock,
) -> DefineOutcome:
    """Store `spec` as the KPI's next version; refuses (SpecError) what the store cannot serve.

    A spec equal to the latest version stores nothing. Moving target, warning or exit needs a
    rationale different from the previous version's. `created_at` back-dates an agreement made
    before the store existed (default: now by `clock`). `text` (the TOML read) lets a refusal name
    its line.
    """
    with transaction(settings) as con:
        check_against_store(spec, kpi_store.metric_availability(con), origin, text)
        outcome = next_version(kpi_store.latest_version(con, spec.kpi_id), spec, origin)
        if outcome.created:
            now = clock()
            kpi_store.insert_version(
                con,
                spec,
                outcome.version,
                author or current_actor(),
                created_at or now,
                outcome.changed_lines,
                logged_at=now,
            )
    return outcome


def kpi_history(settings: StoreSettings, kpi_id: str) -> list[KpiVersion]:
    """Every version of one KPI, oldest first; raises UnknownKpiError for an unknown id."""
    with connect(settings, read_only=True) as con:
        return history_on(con, kpi_id)


def latest_versions(settings: StoreSettings) -> list[KpiVersion]:
    """The current version of every KPI, ordered by id."""
    with connect(settings, read_only=True) as con:
        return kpi_store.latest_versions(con)


def kpi_detail(
    settings: StoreSettings,
    kpi_id: str,
    as_of: dt.date | None = None,
    *,
    clock: Clock = system_clock,
) -> KpiDetail:
    """One KPI's status with the series, offline metrics and bridge behind it, as of a day
    (default: the last day its own metric has data); raises UnknownKpiError for an unknown id."""
    with connect(settings, read_only=True) as con:
        return detail_on(con, kpi_id, as_of, clock)


def detail_on(
    con: Connection, kpi_id: str, as_of: dt.date | None, clock: Clock = system_clock
) -> KpiDetail:
    """`kpi_detail` on an open connection, for a use case that reads more in the same snapshot."""
    return _evaluate(con, history_on(con, kpi_id), as_of, clock, with_context=True)


def kpi_status(
    settings: StoreSettings,
    kpi_id: str,
    as_of: dt.date | None = None,
    *,
    clock: Clock = system_clock,
) -> KpiStatus:
    """The status record of one KPI as of a day (default: the last day its own metric has data)."""
    with connect(settings, read_only=True) as con:
        versions = history_on(con, kpi_id)
        return _evaluate(con, versions, as_of, clock, with_context=False).status


def all_kpi_statuses(
    settings: StoreSettings, as_of: dt.date | None = None, *, clock: Clock = system_clock
) -> list[KpiStatus]:
    """The status record of every defined KPI, ordered by id, from one snapshot."""
    with connect(settings, read_only=True) as con:
        return [detail.status for detail in all_evaluations_on(con, as_of, clock)]


def all_evaluations_on(
    con: Connection, as_of: dt.date | None, clock: Clock = system_clock
) -> list[KpiDetail]:
    """Every defined KPI's status, series and day evaluations, ordered by id, on an open
    connection, without the offline metrics and bridge `detail_on` adds (for a use case that
    reads more in the same snapshot: `kpi check` with the estimated statuses)."""
    return [
        _evaluate(con, history_on(con, v.spec.kpi_id), as_of, clock, with_context=False)
        for v in kpi_store.latest_versions(con)
    ]


def _recorded(
    statuses: Sequence[KpiStatus], evaluated_by: str, evaluated_at: dt.datetime
) -> list[RecordedEvaluation]:
    return [
        RecordedEvaluation(
            kpi_id=s.kpi_id,
            version=s.version,
            as_of=s.as_of,
            status=s.status,
            model_id=s.model_id,
            value=s.value,
            ci_low=s.ci[0] if s.ci else None,
            ci_high=s.ci[1] if s.ci else None,
            evaluated_at=evaluated_at,
            evaluated_by=evaluated_by,
        )
        for s in statuses
    ]


def check_kpis(
    settings: StoreSettings,
    as_of: dt.date | None = None,
    *,
    record: bool = True,
    evaluated_by: str | None = None,
    clock: Clock = system_clock,
) -> list[KpiStatus]:
    """Evaluate every KPI (one snapshot) and, with `record`, store each evaluation with the
    version it used (one transaction, one audit row). `kpi check` and cron run this."""
    statuses = all_kpi_statuses(settings, as_of, clock=clock)
    if record:
        record_evaluations(settings, statuses, evaluated_by, clock=clock)
    return statuses


def record_evaluations(
    settings: StoreSettings,
    statuses: Sequence[KpiStatus],
    evaluated_by: str | None = None,
    *,
    clock: Clock = system_clock,
) -> None:
    """Store each evaluation with the version it used, in one transaction (nothing for none).

    The statuses were read before, on one snapshot; the write comes after the reads, so a check
    does not hold the store's write lock (which shuts out every reader) while it evaluates."""
    if statuses:
        rows = _recorded(statuses, evaluated_by or current_actor(), clock())
        with transaction(settings) as con:
            kpi_store.insert_evaluations(con, rows)


def record_decision(
    settings: StoreSettings,
    kpi_id: str,
    decision: KpiDecision,
    reason: str,
    decided_by: str | None = None,
    *,
    clock: Clock = system_clock,
) -> Decision:
    """Record a decision (continue, retrain, withdraw) on a KPI under its current version.

    Raises YardstickError `kpi.decision.unknown` / `kpi.decision.reason_required`, or
    UnknownKpiError; nothing is written then.
    """
    reason = checked_decision(decision, reason)
    with transaction(settings) as con:
        history_on(con, kpi_id)
        decision_id, _ = kpi_store.insert_decision(
            con, kpi_id, decision, decided_by or current_actor(), clock(), reason
        )
        return kpi_store.decision_by_id(con, decision_id)


def decisions(settings: StoreSettings, kpi_id: str | None = None) -> list[Decision]:
    """Recorded decisions, newest first; all KPIs unless `kpi_id` is given."""
    with connect(settings, read_only=True) as con:
        return kpi_store.decisions(con, kpi_id)


def recorded_evaluations(
    settings: StoreSettings, kpi_id: str | None = None, limit: int = 200
) -> list[RecordedEvaluation]:
    """Stored evaluations, newest first."""
    with connect(settings, read_only=True) as con:
        return kpi_store.recorded_evaluations(con, kpi_id, limit)


def deployments(settings: StoreSettings, family: str) -> list[Deployment]:
    """The family's model versions with their serving periods, oldest first."""
    with connect(settings, read_only=True) as con:
        return kpi_store.deployments(con, family)

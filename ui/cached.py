"""Every cached read of the dashboard, in one place.

Each function takes plain, hashable arguments, the store path and its fingerprint first, so the
cache is per store version: a write changes the fingerprint, and every read after it misses the
old entries and reads the new version. A write therefore empties nothing (`after_write`): the
entries of other stores, and of this store's versions other users still read, stay warm; the
old version's entries are unreachable once every page has moved on, and go by their TTL or, on
the heavy reads, when `HEAVY_ENTRIES` newer ones push them out (least recently used first).
Only `upgraded_store` is keyed by the path alone: it migrates once per process, which no write
of a page undoes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
import streamlit as st

from core.clock import system_clock
from core.errors import Unavailable, YardstickError
from core.vocab import MonitorStatus
from experiments.analysis import (
    CumulativePoint,
    ExperimentAnalysis,
    ModelLink,
    OfflineOnlinePoint,
)
from kpi.retraining import CaseRequest
from reports.retraining import render_report
from services import (
    browse,
    estimated,
    kpis,
    loading,
    monitoring,
    monitoring_views,
    performance,
    serving,
)
from services import experiments as experiment_service
from services import explain as explain_service
from services import retraining as retraining_service
from services.store import StoreCheck, StoreSettings, check_and_upgrade, settings_for
from ui.context import PageContext, store_context

TTL_SECONDS = 300
# Entries kept per heavy read (KPI evaluations, analyses, Monte Carlo cases, monitor reports):
# bounds the memory that stale versions hold until their TTL, for many stores and users.
HEAVY_ENTRIES = 64


def settings_from(path: str) -> StoreSettings:
    """Store settings for a cached function's path argument (memory and threads from the env)."""
    return settings_for(Path(path))


@st.cache_resource(show_spinner=False)
def upgraded_store(path: str) -> StoreCheck:
    """Migrate an older store once per server process (pages only read, so never migrate); what
    was found, so that a store of a newer Yardstick is read with a warning."""
    return check_and_upgrade(settings_from(path))


def store_fingerprint(path: str) -> str:
    """The current version of the store file (not cached: it is a stat call)."""
    return browse.store_fingerprint(settings_from(path))


def after_write(context: PageContext) -> PageContext:
    """The page's context after it wrote to the store, carrying the store's new fingerprint, so
    the rest of this run reads the write's result (the next run reads it anyway: `app.py` takes
    the fingerprint afresh). Nothing is cleared: every cached read is keyed by the fingerprint,
    so no entry of the old version can be read under the new one, while the entries other stores
    and other users rely on stay warm (a global clear made every user's next page render cold)."""
    refreshed = replace(context, fingerprint=store_fingerprint(context.path))
    store_context(refreshed)
    return refreshed


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def table_summaries(path: str, fingerprint: str) -> list[browse.TableSummary]:
    return browse.table_summaries(settings_from(path))


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def is_demo_store(path: str, fingerprint: str) -> bool:
    return browse.is_demo_store(settings_from(path))


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def families(path: str, fingerprint: str) -> list[str]:
    return browse.families(settings_from(path))


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def models(path: str, fingerprint: str, family: str | None) -> pd.DataFrame:
    return browse.models(settings_from(path), family)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def live_models(path: str, fingerprint: str, family: str | None) -> pd.DataFrame:
    return browse.live_models(settings_from(path), family, system_clock)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def latest_offline_metrics(path: str, fingerprint: str, model_id: str) -> pd.DataFrame:
    return browse.latest_offline_metrics(settings_from(path), model_id)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def latest_online_metrics(path: str, fingerprint: str, model_id: str) -> pd.DataFrame:
    return browse.latest_online_metrics(settings_from(path), model_id)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def recent_online_series(path: str, fingerprint: str, model_id: str, days: int) -> pd.DataFrame:
    return browse.recent_online_series(settings_from(path), model_id, days)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def recent_offline_series(path: str, fingerprint: str, model_id: str, days: int) -> pd.DataFrame:
    return browse.recent_offline_series(settings_from(path), model_id, days)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def table_preview(path: str, fingerprint: str, table: str, limit: int) -> pd.DataFrame:
    return browse.table_preview(settings_from(path), table, limit)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def recent_audit(path: str, fingerprint: str, limit: int) -> pd.DataFrame:
    return browse.recent_audit(settings_from(path), limit)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def recent_batches(path: str, fingerprint: str, limit: int) -> tuple[loading.BatchInfo, ...]:
    """The most recent loads, newest first (what `python cli.py batches` lists)."""
    return loading.recent_batches(settings_from(path), limit)


@st.cache_data(ttl=TTL_SECONDS, max_entries=HEAVY_ENTRIES, show_spinner=False)
def kpi_check(path: str, fingerprint: str) -> estimated.KpiCheck:
    """Every KPI's status and estimated part from one snapshot, as `kpi check` reads them (not
    recorded): the Overview's cards never pair a status with an estimate of another moment."""
    return estimated.check_kpis_with_estimates(
        settings_from(path), record=False, clock=system_clock
    )


def kpi_statuses(path: str, fingerprint: str) -> list[kpis.KpiStatus]:
    """Every KPI's status (`kpi_check`'s)."""
    return list(kpi_check(path, fingerprint).statuses)


@st.cache_data(ttl=TTL_SECONDS, max_entries=HEAVY_ENTRIES, show_spinner=False)
def kpi_detail(path: str, fingerprint: str, kpi_id: str) -> kpis.KpiDetail:
    return kpis.kpi_detail(settings_from(path), kpi_id, clock=system_clock)


def kpi_estimates(path: str, fingerprint: str) -> dict[str, estimated.KpiEstimate]:
    """The estimated part of every KPI that has one (`kpi_check`'s, the same snapshot as the
    statuses)."""
    return kpi_check(path, fingerprint).estimates


@st.cache_data(ttl=TTL_SECONDS, max_entries=HEAVY_ENTRIES, show_spinner=False)
def kpi_explanation(path: str, fingerprint: str, kpi_id: str) -> explain_service.KpiExplanation:
    return explain_service.explain_kpi(settings_from(path), kpi_id, clock=system_clock)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def kpi_definitions(path: str, fingerprint: str) -> list[kpis.KpiVersion]:
    return kpis.latest_versions(settings_from(path))


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def kpi_history(path: str, fingerprint: str, kpi_id: str) -> list[kpis.KpiVersion]:
    return kpis.kpi_history(settings_from(path), kpi_id)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def kpi_decisions(path: str, fingerprint: str) -> list[kpis.Decision]:
    return kpis.decisions(settings_from(path))


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def kpi_evaluations(path: str, fingerprint: str, kpi_id: str) -> list[kpis.RecordedEvaluation]:
    return kpis.recorded_evaluations(settings_from(path), kpi_id)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def kpi_deployments(path: str, fingerprint: str, family: str) -> list[kpis.Deployment]:
    return kpis.deployments(settings_from(path), family)


# Experiments: analyses are keyed by store version, experiment and the hour read, so the detail
# page never recomputes from events on a rerun.
def experiment_as_of(end_iso: str) -> str:
    """The time pages read an experiment at: now to the hour, never past its end (ISO, UTC)."""
    now = system_clock().replace(minute=0, second=0, microsecond=0)
    return min(now, dt.datetime.fromisoformat(end_iso)).isoformat()


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def experiment_definitions(
    path: str, fingerprint: str
) -> list[experiment_service.DefinitionVersion]:
    return experiment_service.latest_definitions(settings_from(path))


@st.cache_data(ttl=TTL_SECONDS, max_entries=HEAVY_ENTRIES, show_spinner=False)
def experiment_reading(
    path: str, fingerprint: str, experiment_id: str, as_of: str
) -> experiment_service.ExperimentReading:
    """The experiment's analysis (or why not) and its exposure, read by one statement."""
    return experiment_service.reading(
        settings_from(path), experiment_id, dt.datetime.fromisoformat(as_of), system_clock
    )


def experiment_analysis(
    path: str, fingerprint: str, experiment_id: str, as_of: str
) -> ExperimentAnalysis | Unavailable:
    """The experiment's analysis, or why it cannot be analysed yet (from the cached reading)."""
    return experiment_reading(path, fingerprint, experiment_id, as_of).analysis


@st.cache_data(ttl=TTL_SECONDS, max_entries=HEAVY_ENTRIES, show_spinner=False)
def experiment_cumulative(
    path: str, fingerprint: str, experiment_id: str, as_of: str
) -> list[CumulativePoint]:
    return experiment_service.cumulative(
        settings_from(path), experiment_id, dt.datetime.fromisoformat(as_of), system_clock
    )


@st.cache_data(ttl=TTL_SECONDS, max_entries=HEAVY_ENTRIES, show_spinner=False)
def experiment_model_links(
    path: str, fingerprint: str, experiment_id: str, as_of: str
) -> list[ModelLink]:
    """Each variant's model next to its online effect; none when the experiment cannot be read."""
    result = experiment_analysis(path, fingerprint, experiment_id, as_of)
    if isinstance(result, Unavailable):
        return []
    return experiment_service.links(settings_from(path), result)


@st.cache_data(ttl=TTL_SECONDS, max_entries=HEAVY_ENTRIES, show_spinner=False)
def finished_offline_online(path: str, fingerprint: str) -> list[OfflineOnlinePoint]:
    """Offline difference against online effect over every finished experiment with models."""
    return experiment_service.finished_offline_online(settings_from(path), system_clock)


def experiment_exposure(
    path: str, fingerprint: str, experiment_id: str, as_of: str
) -> experiment_service.Exposure:
    """Units per variant and day, from the same cached reading as the analysis."""
    return experiment_reading(path, fingerprint, experiment_id, as_of).exposure


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def latest_event_time(path: str, fingerprint: str) -> dt.datetime | None:
    return experiment_service.latest_event_time(settings_from(path))


# Retraining: a case (experiment analysis + Monte Carlo) and its report are computed once per
# store version and request, not on every widget change. Every read goes through
# services.retraining.
@dataclass(frozen=True)
class CaseNotBuilt:
    """Why a retraining case cannot be built, in a form the cache can keep (errors do not pickle
    with their values): the `YardstickError`'s code, field and values."""

    code: str
    field: str | None
    values: dict[str, object]

    def error(self) -> YardstickError:
        """The `YardstickError` again, for wording in the reader's language."""
        return YardstickError.from_values(self.code, self.values, field=self.field)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def retraining_plans(
    path: str, fingerprint: str, kpi_id: str
) -> list[retraining_service.StoredPlan]:
    return retraining_service.plans(settings_from(path), kpi_id)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def retraining_fallback(
    path: str, fingerprint: str, kpi_id: str
) -> retraining_service.StoredFallback | None:
    return retraining_service.fallback(settings_from(path), kpi_id)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def uplift_metric(
    path: str, fingerprint: str, experiment_id: str, kpi_id: str, requested: str | None
) -> str:
    """The experiment metric whose effect is the gain (the rule of `report --experiment`)."""
    return retraining_service.uplift_metric_for(
        settings_from(path), experiment_id, kpi_id, requested
    )


@st.cache_data(ttl=TTL_SECONDS, max_entries=HEAVY_ENTRIES, show_spinner=False)
def retraining_case(
    path: str, fingerprint: str, request: CaseRequest, explain: bool = False
) -> retraining_service.BuiltCase | CaseNotBuilt:
    """The case and the KPI detail behind it (with `explain`, also what changed around the KPI,
    from the same snapshot: the Retraining page and its reports share that one build), or why it
    cannot be built."""
    try:
        return retraining_service.evaluate_request(
            settings_from(path), request, clock=system_clock, explain=explain
        )
    except YardstickError as error:
        return CaseNotBuilt(error.code, error.field, dict(error.values))


@st.cache_data(ttl=TTL_SECONDS, max_entries=HEAVY_ENTRIES, show_spinner=False)
def retraining_report(
    path: str,
    fingerprint: str,
    request: CaseRequest,
    lang: str,
    report_format: str,
    prepared: dt.date,
) -> str | None:
    """The report of a case in `lang` and `report_format`; None when the case cannot be built.

    Rendered from the cached case the page shows (`retraining_case` with `explain`), so a render
    builds the case once for the page and every format and language of its report."""
    built = retraining_case(path, fingerprint, request, explain=True)
    if isinstance(built, CaseNotBuilt):
        return None
    return render_report(built.case, built.detail, lang, report_format, prepared, built.explanation)


# The Monitoring page and the Overview's monitor status.


@st.cache_data(ttl=TTL_SECONDS, max_entries=HEAVY_ENTRIES, show_spinner=False)
def monitor_report(path: str, fingerprint: str) -> monitoring.MonitorReport:
    return monitoring.check_monitors(settings_from(path), clock=system_clock)


@st.cache_data(ttl=TTL_SECONDS, max_entries=HEAVY_ENTRIES, show_spinner=False)
def drift_map(path: str, fingerprint: str, monitor_id: str) -> monitoring_views.DriftMap:
    return monitoring_views.drift_map(
        settings_from(path), monitor_id, windows=26, clock=system_clock
    )


@st.cache_data(ttl=TTL_SECONDS, max_entries=HEAVY_ENTRIES, show_spinner=False)
def feature_distribution(
    path: str, fingerprint: str, monitor_id: str, feature: str
) -> monitoring_views.FeatureDistribution:
    return monitoring_views.feature_distribution(
        settings_from(path), monitor_id, feature, clock=system_clock
    )


@st.cache_data(ttl=TTL_SECONDS, max_entries=HEAVY_ENTRIES, show_spinner=False)
def serving_history(
    path: str, fingerprint: str, monitor_id: str, days: int
) -> monitoring_views.ServingHistory:
    return monitoring_views.serving_history(
        settings_from(path), monitor_id, days=days, clock=system_clock
    )


@st.cache_data(ttl=TTL_SECONDS, max_entries=HEAVY_ENTRIES, show_spinner=False)
def performance_report(
    path: str, fingerprint: str, monitor_id: str, threshold: float, days: int
) -> performance.PerformanceReport:
    return performance.estimate_performance(
        settings_from(path), monitor_id, threshold, days=days, clock=system_clock
    )


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def family_statuses(
    path: str, fingerprint: str, as_of: dt.date | None = None
) -> Mapping[str, MonitorStatus]:
    return monitoring_views.family_statuses(settings_from(path), as_of=as_of, clock=system_clock)


# Serving health tied to value: what fallbacks cost a KPI, and an experiment's arms.


@st.cache_data(ttl=TTL_SECONDS, max_entries=HEAVY_ENTRIES, show_spinner=False)
def fallback_value(
    path: str, fingerprint: str, kpi_id: str, days: int
) -> serving.FallbackValueReport:
    return serving.fallback_value(settings_from(path), kpi_id, days=days, clock=system_clock)


@st.cache_data(ttl=TTL_SECONDS, max_entries=HEAVY_ENTRIES, show_spinner=False)
def arm_health(
    path: str, fingerprint: str, experiment_id: str, as_of: str
) -> serving.ArmHealthReport:
    return serving.arm_health(
        settings_from(path),
        experiment_id,
        as_of=dt.datetime.fromisoformat(as_of),
        clock=system_clock,
    )

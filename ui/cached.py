"""Every cached read of the dashboard, in one place.

Each function takes plain, hashable arguments (the store path and its fingerprint) so the cache is
per store version: a write changes the fingerprint, and `clear_after_write` empties the cache at
once for the session that wrote.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import streamlit as st

from core.clock import system_clock
from core.errors import YardstickError
from data import experiment_store, reads, retrain_store
from data.store import StoreSettings, settings_for, upgrade_if_needed
from experiments import analysis as experiment_analysis_lib
from i18n.errors import describe
from kpi import report as retraining_report_lib
from kpi import retraining
from services import kpis

TTL_SECONDS = 300


def settings_from(path: str) -> StoreSettings:
    """Store settings for a cached function's path argument (memory and threads from the env)."""
    return settings_for(Path(path))


@st.cache_resource(show_spinner=False)
def upgraded_store(path: str) -> list[int]:
    """Migrate an older store once per server process (pages only read, so never migrate)."""
    return upgrade_if_needed(settings_from(path))


def store_fingerprint(path: str) -> str:
    """The current version of the store file (not cached: it is a stat call)."""
    return reads.store_fingerprint(settings_from(path))


def clear_after_write() -> None:
    """Forget every cached read: call after anything the page wrote to the store."""
    st.cache_data.clear()


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def table_summaries(path: str, fingerprint: str) -> list[reads.TableSummary]:
    return reads.table_summaries(settings_from(path))


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def is_demo_store(path: str, fingerprint: str) -> bool:
    return reads.is_demo_store(settings_from(path))


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def families(path: str, fingerprint: str) -> list[str]:
    return reads.families(settings_from(path))


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def models(path: str, fingerprint: str, family: str | None) -> pd.DataFrame:
    return reads.models(settings_from(path), family)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def live_models(path: str, fingerprint: str, family: str | None) -> pd.DataFrame:
    return reads.live_models(settings_from(path), family)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def latest_offline_metrics(path: str, fingerprint: str, model_id: str) -> pd.DataFrame:
    return reads.latest_offline_metrics(settings_from(path), model_id)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def latest_online_metrics(path: str, fingerprint: str, model_id: str) -> pd.DataFrame:
    return reads.latest_online_metrics(settings_from(path), model_id)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def recent_online_series(path: str, fingerprint: str, model_id: str, days: int) -> pd.DataFrame:
    return reads.recent_online_series(settings_from(path), model_id, days)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def recent_offline_series(path: str, fingerprint: str, model_id: str, days: int) -> pd.DataFrame:
    return reads.recent_offline_series(settings_from(path), model_id, days)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def table_preview(path: str, fingerprint: str, table: str, limit: int) -> pd.DataFrame:
    return reads.table_preview(settings_from(path), table, limit)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def recent_audit(path: str, fingerprint: str, limit: int) -> pd.DataFrame:
    return reads.recent_audit(settings_from(path), limit)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def kpi_statuses(path: str, fingerprint: str) -> list[kpis.KpiStatus]:
    return kpis.all_kpi_statuses(settings_from(path), clock=system_clock)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def kpi_detail(path: str, fingerprint: str, kpi_id: str) -> kpis.KpiDetail:
    return kpis.kpi_detail(settings_from(path), kpi_id, clock=system_clock)


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
def experiment_definitions(path: str, fingerprint: str) -> list[experiment_store.DefinitionVersion]:
    return experiment_store.latest_definitions(settings_from(path))


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def experiment_analysis(
    path: str, fingerprint: str, experiment_id: str, as_of: str
) -> experiment_analysis_lib.ExperimentAnalysis | experiment_analysis_lib.Unavailable:
    """The experiment's analysis, or why it cannot be analysed yet."""
    settings = settings_from(path)
    definition = experiment_store.load_definition(settings, experiment_id)
    try:
        return experiment_analysis_lib.analyze(
            settings, definition.spec, dt.datetime.fromisoformat(as_of), definition.version
        )
    except experiment_analysis_lib.NoDataError as error:
        return experiment_analysis_lib.Unavailable(error.code, error.values, str(error))


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def experiment_cumulative(
    path: str, fingerprint: str, experiment_id: str, as_of: str
) -> list[experiment_analysis_lib.CumulativePoint]:
    settings = settings_from(path)
    spec = experiment_store.load_definition(settings, experiment_id).spec
    as_of_time = dt.datetime.fromisoformat(as_of)
    return experiment_analysis_lib.cumulative_effects(settings, spec, as_of_time)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def experiment_model_links(
    path: str, fingerprint: str, experiment_id: str, as_of: str
) -> list[experiment_analysis_lib.ModelLink]:
    result = experiment_analysis(path, fingerprint, experiment_id, as_of)
    if isinstance(result, str):
        return []
    return experiment_analysis_lib.model_links(settings_from(path), result)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def finished_offline_online(
    path: str, fingerprint: str
) -> list[experiment_analysis_lib.OfflineOnlinePoint]:
    """Offline difference against online effect over every finished experiment with models."""
    links = []
    for definition in experiment_definitions(path, fingerprint):
        spec = definition.spec
        as_of = experiment_as_of(spec.end.isoformat())
        if not spec.model_for or as_of < spec.end.isoformat():
            continue
        links += experiment_model_links(path, fingerprint, spec.id, as_of)
    return experiment_analysis_lib.offline_online_points(links)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def experiment_exposure(
    path: str, fingerprint: str, experiment_id: str, as_of: str
) -> experiment_store.Exposure:
    settings = settings_from(path)
    spec = experiment_store.load_definition(settings, experiment_id).spec
    return experiment_store.fetch_exposure(settings, spec, dt.datetime.fromisoformat(as_of))


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def latest_event_time(path: str, fingerprint: str) -> dt.datetime | None:
    return experiment_store.latest_event_time(settings_from(path))


# Retraining: a case (experiment analysis + Monte Carlo) and its report are computed once per
# store version and request, not on every widget change.
@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def retraining_plans(path: str, fingerprint: str, kpi_id: str) -> list[retrain_store.StoredPlan]:
    return retrain_store.latest_plans(settings_from(path), kpi_id)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def retraining_case(
    path: str, fingerprint: str, request: retraining.CaseRequest
) -> tuple[retraining.RetrainingCase, kpis.KpiDetail] | str:
    """The case and the KPI detail behind it, or the message of why it cannot be built (a str)."""
    try:
        return retraining.evaluate_request(settings_from(path), request)
    except (retraining.RetrainingInputError, LookupError) as error:
        if isinstance(error, YardstickError):
            return describe(error, "en")
        return str(error.args[0]) if error.args else str(error)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def retraining_report(
    path: str, fingerprint: str, request: retraining.CaseRequest, lang: str, report_format: str
) -> str | None:
    """The report of a case in `lang` and `report_format`; None when the case cannot be built."""
    built = retraining_case(path, fingerprint, request)
    if isinstance(built, str):
        return None
    case, detail = built
    return retraining_report_lib.render_report(case, detail, lang, report_format)

"""Cached reads of the Monitoring page and the Overview's monitor status, keyed by the store path
and its fingerprint (as ui/cached.py), so a write shows on the next run."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import streamlit as st

from core.clock import system_clock
from core.vocab import MonitorStatus
from services import monitoring, monitoring_views, performance
from ui.cached import TTL_SECONDS, settings_from


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def monitor_report(path: str, fingerprint: str) -> monitoring.MonitorReport:
    return monitoring.check_monitors(settings_from(path), clock=system_clock)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def drift_map(path: str, fingerprint: str, monitor_id: str) -> monitoring_views.DriftMap:
    return monitoring_views.drift_map(
        settings_from(path), monitor_id, windows=26, clock=system_clock
    )


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def feature_distribution(
    path: str, fingerprint: str, monitor_id: str, feature: str
) -> monitoring_views.FeatureDistribution:
    return monitoring_views.feature_distribution(
        settings_from(path), monitor_id, feature, clock=system_clock
    )


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def serving_history(
    path: str, fingerprint: str, monitor_id: str, days: int
) -> monitoring_views.ServingHistory:
    return monitoring_views.serving_history(
        settings_from(path), monitor_id, days=days, clock=system_clock
    )


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
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

"""Monitoring: why value decays. Drift per feature per window against the agreed reference, one
feature's reference and current distributions, serving latency against its objectives, the
fallback ladder, the error budget, what fallbacks cost a click-type KPI, and performance estimated
from scores beside the realised value."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.errors import YardstickError
from i18n.format import format_date, format_number
from i18n.serving import refusal_error as serving_refusal
from kpi.fallback_value import ineligibility
from reports import monitoring_charts as charts
from services.performance import PerformanceReport
from ui import cached
from ui import serving as serving_ui
from ui.context import page_context
from ui.tables import show_table
from ui.text import describe_plain, plain

SERVING_DAYS = 90
VALUE_DAYS = (7, 28, SERVING_DAYS)
DEFAULT_THRESHOLD = 0.2
SEVERITY = {"ok": 0, "insufficient_data": 1, "warning": 2, "alert": 3}
STATUS_ICON = {
    "ok": ":material/check_circle:",
    "warning": ":material/warning:",
    "alert": ":material/error:",
    "insufficient_data": ":material/help:",
}

ctx = page_context()
st.title(ctx.t("monitoring_page.title"))
st.caption(ctx.t("monitoring_page.intro"))

report = cached.monitor_report(ctx.path, ctx.fingerprint)
checks = [c for c in report.checks if ctx.family is None or c.family == ctx.family]
if not checks:
    st.info(ctx.t("monitor.none_defined"))
    st.stop()

# The monitor in the worst state opens first: that is where the story is.
by_id = {c.monitor_id: c for c in sorted(checks, key=lambda c: -SEVERITY[c.status])}
monitor_id = st.selectbox(
    ctx.t("monitoring_page.monitor"),
    list(by_id),
    format_func=lambda m: f"{m} ({by_id[m].family})",
    key="monitoring_monitor",
)
check = by_id[monitor_id]

status_columns = st.columns([2, 3, 4])
status_columns[0].metric(ctx.t("monitoring_page.status"), ctx.t(f"monitor.status.{check.status}"))
status_columns[1].metric(ctx.t("monitoring_page.model"), plain(check.model_id or "–"))
status_columns[2].caption(
    ctx.t(
        "monitoring_page.windows",
        window_start=format_date(check.window[0], ctx.lang),
        window_end=format_date(check.window[1], ctx.lang),
        window_n=check.window_n,
        reference_start=format_date(check.reference[0], ctx.lang) if check.reference else "–",
        reference_end=format_date(check.reference[1], ctx.lang) if check.reference else "–",
        reference_n=check.reference_n,
    )
)

st.subheader(ctx.t("monitoring_page.drift_heading"))
st.caption(ctx.t("monitoring_page.drift_caption"))
drift = cached.drift_map(ctx.path, ctx.fingerprint, monitor_id)
if drift.cells:
    st.plotly_chart(charts.drift_heatmap(drift, ctx.lang), width="stretch")
features = pd.DataFrame(
    [
        {
            ctx.t("monitoring_page.col_feature"): f.name,
            ctx.t("monitoring_page.col_method"): f.method,
            ctx.t("monitoring_page.col_value"): format_number(f.value, ctx.lang, 3),
            ctx.t("monitoring_page.col_lines"): f"{f.warning:g} / {f.alert:g}",
            ctx.t("monitoring_page.col_status"): ctx.t(f"monitor.status.{f.status}"),
        }
        for f in check.features
    ]
)
table_column, chart_column = st.columns([11, 9])
if not features.empty:
    with table_column:
        show_table(features, file_name=f"{monitor_id}-drift.csv", hide_index=True)

watched = list(dict.fromkeys(f.name for f in check.features))
with chart_column:
    worst_first = sorted(
        watched,
        key=lambda name: (
            -max(
                (f.value or 0.0 for f in check.features if f.name == name and f.method == "psi"),
                default=0.0,
            )
        ),
    )
    feature = st.selectbox(
        ctx.t("monitoring_page.feature"), worst_first, key=f"monitoring_feature_{monitor_id}"
    )
    if feature is not None:
        distribution = cached.feature_distribution(ctx.path, ctx.fingerprint, monitor_id, feature)
        if distribution.bins:
            st.plotly_chart(charts.distribution_figure(distribution, ctx.lang), width="stretch")
            st.caption(ctx.t("monitoring_page.distribution_caption"))

st.subheader(ctx.t("monitoring_page.serving_heading"))
history = cached.serving_history(ctx.path, ctx.fingerprint, monitor_id, SERVING_DAYS)
if history.daily:
    left, right = st.columns(2)
    left.plotly_chart(charts.latency_figure(history, ctx.lang), width="stretch")
    if any(d.fallback_by_level for d in history.daily):
        right.plotly_chart(charts.fallback_figure(history, ctx.lang), width="stretch")
    else:
        right.info(ctx.t("monitoring_page.no_fallback"), icon=STATUS_ICON["ok"])
    broken = [d for d in history.daily if d.breached]
    if broken:
        st.warning(
            ctx.t("monitoring_page.breached_days", days=len({d.day for d in broken})),
            icon=STATUS_ICON["warning"],
        )
        show_table(
            pd.DataFrame(
                [
                    {
                        ctx.t("monitoring_page.col_day"): format_date(d.day, ctx.lang),
                        ctx.t("monitoring_page.col_model"): d.model_id,
                        ctx.t("monitoring_page.latency_p95_ms"): format_number(
                            d.latency_p95_ms, ctx.lang, 1
                        ),
                        ctx.t("monitoring_page.col_fallback"): f"{d.fallback_rate:.1%}",
                        ctx.t("monitoring_page.col_breached"): ", ".join(d.breached),
                    }
                    for d in broken
                ]
            ),
            file_name=f"{monitor_id}-serving.csv",
            hide_index=True,
            height=240,
        )
else:
    st.info(ctx.t("monitoring_page.no_serving"))

if check.error_budget:
    st.subheader(ctx.t("serving.budget_heading"))
    st.caption(ctx.t("serving.budget_caption"))
    spent = serving_ui.exhausted_objectives(check.error_budget)
    if spent is not None:
        st.warning(ctx.t("serving.budget_exhausted", objectives=spent), icon=STATUS_ICON["alert"])
    show_table(
        serving_ui.budget_table(check.error_budget, ctx.lang),
        file_name=f"{monitor_id}-error-budget.csv",
        hide_index=True,
    )

st.subheader(ctx.t("serving.value_heading"))
st.caption(ctx.t("serving.value_caption"))
# Only KPIs the rule of kpi.fallback_value admits are offered: never a number from defaults.
eligible = [
    d.spec.kpi_id
    for d in cached.kpi_definitions(ctx.path, ctx.fingerprint)
    if d.spec.family == check.family and ineligibility(d.spec) is None
]
if not eligible:
    st.info(ctx.t("serving.value_none_eligible"))
else:
    left, right = st.columns([3, 1])
    kpi_id = left.selectbox(ctx.t("serving.value_kpi"), eligible, key="monitoring_value_kpi")
    value_days = right.selectbox(
        ctx.t("serving.value_days"),
        VALUE_DAYS,
        index=len(VALUE_DAYS) - 1,
        key="monitoring_value_days",
    )
    value = cached.fallback_value(ctx.path, ctx.fingerprint, kpi_id, int(value_days))
    refusal = serving_refusal(value)
    if refusal is not None:
        st.info(describe_plain(refusal, ctx.lang), icon=STATUS_ICON["insufficient_data"])
    else:
        for sentence in serving_ui.cost_sentences(value, ctx.lang):
            st.markdown(sentence)
        st.plotly_chart(serving_ui.cost_figure(value, ctx.lang), width="stretch")
        show_table(
            serving_ui.level_table(value, ctx.lang),
            file_name=f"{kpi_id}-by-level.csv",
            hide_index=True,
        )

st.subheader(ctx.t("monitoring_page.performance_heading"))
st.caption(ctx.t("monitoring_page.performance_intro"))
left, right = st.columns(2)
threshold = left.number_input(
    ctx.t("monitoring_page.threshold"),
    min_value=0.01,
    max_value=1.0,
    value=DEFAULT_THRESHOLD,
    step=0.05,
    key="monitoring_threshold",
)


def estimate_of(monitor: str) -> PerformanceReport | YardstickError:
    """The monitor's estimate over the serving days, or the error that refused it."""
    try:
        return cached.performance_report(
            ctx.path, ctx.fingerprint, monitor, float(threshold), SERVING_DAYS
        )
    except YardstickError as error:
        return error


# Estimates need calibrated, labelled scores: open on the first monitor that has them.
estimates = {m: estimate_of(m) for m in by_id}
estimable = [
    m for m, e in estimates.items() if isinstance(e, PerformanceReport) and e.refusal is None
]
estimate_id = right.selectbox(
    ctx.t("monitoring_page.estimate_monitor"),
    list(by_id),
    index=list(by_id).index(estimable[0]) if estimable else 0,
    format_func=lambda m: f"{m} ({by_id[m].family})",
    key="monitoring_estimate_monitor",
)
estimate = estimates[estimate_id]
if isinstance(estimate, YardstickError):
    st.error(describe_plain(estimate, ctx.lang), icon=STATUS_ICON["alert"])
elif estimate.refusal is not None:
    st.info(ctx.t(f"monitor_estimate.status.{estimate.status}"), icon=STATUS_ICON["warning"])
else:
    unlabelled = sum(1 for d in estimate.days if d.estimated)
    st.caption(ctx.t("monitoring_page.performance_caption", days=unlabelled))
    left, right = st.columns(2)
    left.plotly_chart(
        charts.performance_figure(estimate.days, "precision", ctx.lang), width="stretch"
    )
    right.plotly_chart(
        charts.performance_figure(estimate.days, "recall", ctx.lang), width="stretch"
    )

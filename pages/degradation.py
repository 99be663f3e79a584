"""Degradation: one KPI's daily series against its lines, its trend and forecast cone, the value
lost so far, and beside it the model's offline metrics and the offline-to-online bridge."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from i18n.format import format_date, format_money, format_percent
from kpi.status import BridgeView
from ui import cached
from ui.context import page_context
from ui.estimated import render_estimate
from ui.explain import explanation_section
from ui.kpi_cards import (
    as_of_sentence,
    forecast_sentence,
    format_metric,
    money_sentence,
    staleness_warning,
    status_badge,
    status_since_sentence,
    trend_arrow,
)
from ui.kpi_charts import LEGEND_BELOW, series_figure
from ui.text import chart_text, plain, unavailable_plain

ctx = page_context()
st.title(ctx.t("kpi.degradation_title"))

definitions = [
    d
    for d in cached.kpi_definitions(ctx.path, ctx.fingerprint)
    if ctx.family is None or d.spec.family == ctx.family
]
if not definitions:
    st.info(ctx.t("kpi.no_kpis"))
    st.stop()

kpi_ids = [d.spec.kpi_id for d in definitions]
# ?kpi=ID opens the page on that KPI (a link from elsewhere, a screenshot).
asked = st.query_params.get("kpi")
kpi_id = st.selectbox(
    ctx.t("kpi.choose"),
    kpi_ids,
    index=kpi_ids.index(asked) if asked in kpi_ids else 0,
    format_func=lambda k: next(f"{d.spec.name} ({k})" for d in definitions if d.spec.kpi_id == k),
    key="degradation_kpi",
)
detail = cached.kpi_detail(ctx.path, ctx.fingerprint, kpi_id)
status = detail.status
estimate = cached.kpi_estimates(ctx.path, ctx.fingerprint).get(kpi_id)

columns = st.columns(4)
with columns[0]:
    st.caption(ctx.t("kpi.col.status"))
    st.markdown(f"#### {status_badge(ctx, status)}")
columns[1].metric(ctx.t("kpi.col.value"), format_metric(status.value, ctx.lang))
columns[2].metric(
    ctx.t("kpi.trend_per_30_days"),
    f"{trend_arrow(status)} {format_metric(status.trend.per_30_days, ctx.lang)}"
    if status.trend
    else "–",
)
columns[3].metric(
    ctx.t("kpi.value_lost"), format_money(status.value_lost_to_date, status.currency, ctx.lang)
)
st.caption(
    " · ".join(
        part
        for part in (as_of_sentence(ctx, status), status_since_sentence(ctx, status))
        if part is not None
    )
)
stale = staleness_warning(ctx, status)
if stale is not None:
    st.warning(stale, icon=":material/schedule:")
st.caption(money_sentence(ctx, status))
st.caption(forecast_sentence(ctx, status))
if status.defined_after_as_of is not None:
    st.caption(ctx.t("kpi.version_note", version=status.version))
if estimate is not None:
    with st.container(border=True):
        render_estimate(ctx, estimate, with_note=True)


def offline_figure() -> go.Figure:
    """The family's offline metrics per model over time."""
    figure = go.Figure()
    for (model_id, metric), rows in detail.offline.groupby(["model_id", "metric"]):
        figure.add_trace(
            go.Scatter(
                x=rows["evaluated_at"],
                y=rows["value"],
                mode="lines+markers",
                marker={"size": 4},
                name=chart_text(f"{model_id} · {metric}"),
            )
        )
    figure.update_layout(
        xaxis={
            "tickformat": ctx.t("chart.month_ticks"),
            "hoverformat": ctx.t("chart.day_hover"),
        },
        yaxis_title=ctx.t("kpi.chart.offline_value"),
        height=360,
        legend=LEGEND_BELOW,
        margin={"t": 30},
    )
    return figure


def bridge_figure(bridge: BridgeView) -> go.Figure:
    """Weekly (offline, online) pairs per model and the fitted line."""
    figure = go.Figure()
    for model_id, rows in bridge.pairs.groupby("model_id"):
        figure.add_trace(
            go.Scatter(
                x=rows["offline_value"],
                y=rows["online_value"],
                mode="markers",
                name=chart_text(model_id),
            )
        )
    if bridge.bridge is not None:
        xs = pd.Series([bridge.pairs["offline_value"].min(), bridge.pairs["offline_value"].max()])
        figure.add_trace(
            go.Scatter(
                x=xs,
                y=bridge.bridge.intercept + bridge.bridge.slope * xs,
                name=ctx.t("kpi.chart.bridge_fit"),
                line={"color": "#212121"},
            )
        )
    figure.update_layout(
        xaxis_title=chart_text(bridge.offline_metric),
        yaxis_title=chart_text(bridge.online_metric),
        height=360,
        legend=LEGEND_BELOW,
        margin={"t": 30},
    )
    return figure


def chart_title(key: str) -> None:
    """A chart's title above it, as page text: it wraps in a narrow column, where a Plotly title
    (which never wraps) is cut."""
    st.markdown(f"**{ctx.t(key)}**")


main, side = st.columns([3, 2])
with main:
    chart_title("kpi.chart.series_title")
    deployments = cached.kpi_deployments(ctx.path, ctx.fingerprint, status.family)
    st.plotly_chart(
        series_figure(ctx, detail, estimate, deployments),
        width="stretch",
        key="degradation-series",
    )
    for step in detail.steps:
        st.caption(
            ctx.t(
                "kpi.step_found",
                date=format_date(step.date, ctx.lang),
                size=format_percent(step.relative_size, ctx.lang, signed=True),
            )
        )
    # What changed around each step and crossing: annotations, deployments, drift, serving.
    explanation_section(ctx, kpi_id)
with side:
    if detail.offline.empty:
        st.caption(ctx.t("kpi.no_offline"))
    else:
        chart_title("kpi.chart.offline_title")
        st.plotly_chart(offline_figure(), width="stretch", key="degradation-offline")
    if detail.bridge is not None and not detail.bridge.pairs.empty:
        chart_title("kpi.chart.bridge_title")
        st.plotly_chart(bridge_figure(detail.bridge), width="stretch", key="degradation-bridge")
        effect = detail.bridge.effect
        if detail.bridge.unfitted is not None:
            st.caption(unavailable_plain(ctx.lang, detail.bridge.unfitted))
        if effect is not None:
            st.caption(
                ctx.t(
                    "kpi.bridge_sentence",
                    step=format_metric(effect.delta_offline, ctx.lang),
                    offline=plain(detail.bridge.offline_metric),
                    change=format_percent(effect.relative_change, ctx.lang, signed=True),
                    online=plain(detail.bridge.online_metric),
                    money=format_money(effect.value_per_month, status.currency, ctx.lang),
                    level=format_percent(effect.confidence, ctx.lang, digits=0),
                    low=format_money(effect.value_per_month_ci[0], status.currency, ctx.lang),
                    high=format_money(effect.value_per_month_ci[1], status.currency, ctx.lang),
                )
            )

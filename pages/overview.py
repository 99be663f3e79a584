"""Overview: the live model of each family, its latest offline and online metrics, 90-day trends."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from i18n.format import format_date, format_number
from ui import cached
from ui.context import page_context
from ui.kpi_cards import render_kpi_cards
from ui.text import chart_text, plain

SPARKLINE_DAYS = 90

ctx = page_context()
st.title(ctx.t("overview.title"))

if cached.is_demo_store(ctx.path, ctx.fingerprint):
    st.info(ctx.t("overview.demo_notice"), icon=":material/info:")

render_kpi_cards(ctx)


def sparkline(frame: pd.DataFrame, x: str, name: str) -> go.Figure:
    """A small line of one metric's recent values, without axes, for a glance at its direction."""
    figure = go.Figure(
        go.Scatter(
            x=frame[x],
            y=frame["value"],
            mode="lines",
            name=chart_text(name),
            line={"width": 2},
            hovertemplate="%{x|%Y-%m-%d}: %{y:.4g}",
        )
    )
    figure.update_layout(
        height=70,
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        showlegend=False,
        xaxis={"visible": False},
        yaxis={"visible": False},
    )
    return figure


def metric_tiles(model_id: str, latest: pd.DataFrame, series: pd.DataFrame, x: str) -> None:
    """One tile per metric: its latest value and date, and its sparkline."""
    columns = st.columns(4)
    metrics = latest["metric"].astype(str).tolist()
    values = latest["value"].astype(float).tolist()
    moments = pd.to_datetime(latest[x]).tolist()
    for index, (metric, value, moment) in enumerate(zip(metrics, values, moments, strict=True)):
        with columns[index % 4]:
            digits = 0 if value.is_integer() else (4 if abs(value) < 1 else 1)
            st.metric(
                plain(metric),
                format_number(value, ctx.lang, digits),
                help=ctx.t("overview.as_of", date=format_date(moment, ctx.lang)),
            )
            history = series[series["metric"] == metric]
            if len(history) > 1:
                st.plotly_chart(
                    sparkline(history, x, metric),
                    width="stretch",
                    config={"displayModeBar": False},
                    key=f"spark-{model_id}-{x}-{metric}",
                )


def metric_section(
    model_id: str, title_key: str, latest: pd.DataFrame, series: pd.DataFrame, x: str
) -> None:
    """A titled block of metric tiles, or a line saying there are none yet."""
    st.markdown(f"**{ctx.t(title_key)}**")
    if latest.empty:
        st.caption(ctx.t("overview.no_metrics"))
    else:
        metric_tiles(model_id, latest, series, x)


live = cached.live_models(ctx.path, ctx.fingerprint, ctx.family)
if live.empty:
    st.warning(ctx.t("overview.no_live_model"))

live_rows = zip(
    live["model_id"].astype(str).tolist(),
    live["family"].astype(str).tolist(),
    pd.to_datetime(live["deployed_at"]).tolist(),
    live["notes"].fillna("").astype(str).tolist(),
    strict=True,
)
monitor_status = cached.family_statuses(ctx.path, ctx.fingerprint)
for model_id, family, deployed_at, notes in live_rows:
    with st.container(border=True):
        st.subheader(ctx.t("overview.live_model", family=plain(family), model_id=plain(model_id)))
        st.caption(
            ctx.t("overview.deployed", date=format_date(deployed_at, ctx.lang), notes=plain(notes))
        )
        if family in monitor_status:
            status = ctx.t(f"monitor.status.{monitor_status[family]}")
            st.caption(ctx.t("monitoring_page.card_status", status=status))
        metric_section(
            model_id,
            "overview.online_metrics",
            cached.latest_online_metrics(ctx.path, ctx.fingerprint, model_id),
            cached.recent_online_series(ctx.path, ctx.fingerprint, model_id, SPARKLINE_DAYS),
            "date",
        )
        metric_section(
            model_id,
            "overview.offline_metrics",
            cached.latest_offline_metrics(ctx.path, ctx.fingerprint, model_id),
            cached.recent_offline_series(ctx.path, ctx.fingerprint, model_id, SPARKLINE_DAYS),
            "evaluated_at",
        )

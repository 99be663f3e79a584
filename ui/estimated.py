"""The estimated part of a cost-matrix KPI (the days whose labels are not in yet) on the Overview
card and the Degradation page, always marked "estimated" and kept apart from the realised status.

The sentences are pure functions of `services.estimated.KpiEstimate` (unit-tested without
Streamlit); `render_estimate` lays them out and `add_estimated_traces` draws the estimated days
dashed, with their band, on the KPI's chart.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from i18n.errors import describe
from i18n.format import format_date, format_money, format_percent
from i18n.kpi import estimate_refusal
from reports.charts import add_band
from services.estimated import KpiEstimate
from ui.context import PageContext
from ui.kpi_cards import STATUS_COLOURS, format_metric

ESTIMATE_COLOUR = "#6a1b9a"
ESTIMATE_BAND = "rgba(106,27,154,0.15)"


def estimated_badge(ctx: PageContext, estimate: KpiEstimate) -> str | None:
    """The estimated status as a badge that says "estimated" in it; None when there is none."""
    if estimate.status is None:
        return None
    words = ctx.t("kpi_estimate.status", status=ctx.t(f"kpi.status.{estimate.status}"))
    return f":{STATUS_COLOURS[estimate.status]}-badge[{words}]"


def estimate_lines(ctx: PageContext, estimate: KpiEstimate) -> list[str]:
    """The plain-text lines under the badge: the span and basis, the value and money with their
    intervals, or why nothing is estimated."""
    refusal = estimate_refusal(estimate)
    if refusal is not None:
        return [ctx.t("kpi_estimate.refused", reason=describe(refusal, ctx.lang))]
    value = estimate.value
    if value is None or estimate.estimated_from is None or estimate.estimated_through is None:
        return [ctx.t("kpi_estimate.nothing")]
    lines = [
        ctx.t(
            "kpi_estimate.span",
            start=format_date(estimate.estimated_from, ctx.lang),
            end=format_date(estimate.estimated_through, ctx.lang),
            monitor=estimate.monitor_id,
            threshold=f"{estimate.threshold:g}",
            realised=format_date(estimate.realised_through, ctx.lang),
        ),
        ctx.t(
            "kpi_estimate.value",
            value=format_metric(value.value, ctx.lang),
            low=format_metric(value.low, ctx.lang),
            high=format_metric(value.high, ctx.lang),
            level=format_percent(estimate.confidence, ctx.lang, digits=0),
        ),
    ]
    money = estimate.value_per_day
    if money is not None:
        lines.append(
            ctx.t(
                "kpi_estimate.money",
                per_day=format_money(money.value, estimate.currency, ctx.lang),
                low=format_money(money.low, estimate.currency, ctx.lang),
                high=format_money(money.high, estimate.currency, ctx.lang),
            )
        )
        basis = money_basis_line(ctx, estimate)
        if basis is not None:
            lines.append(basis)
    return lines


def money_basis_line(ctx: PageContext, estimate: KpiEstimate) -> str | None:
    """Why the estimated money is on the realised money's scale: scaled by 1 / coverage, or
    unmeasured; None when the predictions cover the KPI's transactions and it is shown as is."""
    coverage = estimate.coverage
    if coverage.basis == "scaled" and coverage.ratio:
        return ctx.t(
            "kpi_estimate.money_scaled",
            coverage=format_percent(coverage.ratio, ctx.lang, digits=2),
            factor=f"{coverage.factor:,.1f}",
            days=coverage.days,
        )
    if coverage.basis == "unmeasured":
        return ctx.t("kpi_estimate.money_unmeasured")
    return None


def render_estimate(ctx: PageContext, estimate: KpiEstimate, with_note: bool = False) -> None:
    """The estimated part under its own title: badge, then each line as plain text (the monitor id
    is user text, never Markdown)."""
    st.markdown(f"**{ctx.t('kpi_estimate.title')}**")
    badge = estimated_badge(ctx, estimate)
    if badge is not None:
        st.markdown(badge)
    for line in estimate_lines(ctx, estimate):
        st.text(line)
    if with_note:
        st.caption(ctx.t("kpi_estimate.note"))


def add_estimated_traces(figure: go.Figure, ctx: PageContext, estimate: KpiEstimate) -> None:
    """The estimated days on the KPI's chart: daily estimates as hollow markers, the window
    estimate as a dashed line in its band, and a dotted line where the labels stop."""
    days = [d for d in estimate.days if d.window is not None]
    if not days:
        return
    windows = pd.DataFrame(
        [
            (d.day, d.window.value, d.window.low, d.window.high)
            for d in days
            if d.window is not None
        ],
        columns=["date", "value", "low", "high"],
    )
    add_band(
        figure,
        windows,
        "value",
        ctx.t("kpi_estimate.chart_band"),
        ESTIMATE_BAND,
        ctx.t("kpi_estimate.chart_window"),
        {"color": ESTIMATE_COLOUR, "dash": "dash"},
    )
    figure.add_trace(
        go.Scatter(
            x=[d.day for d in days if d.metric is not None],
            y=[d.metric.value for d in days if d.metric is not None],
            mode="markers",
            marker={"size": 5, "color": ESTIMATE_COLOUR, "symbol": "circle-open"},
            name=ctx.t("kpi_estimate.chart_daily"),
        )
    )
    start = estimate.estimated_from
    if start is not None:
        figure.add_vline(
            x=_epoch_ms(start),
            line={"color": ESTIMATE_COLOUR, "dash": "dot", "width": 1},
            annotation_text=ctx.t("kpi_estimate.chart_start"),
        )


def _epoch_ms(day: dt.date) -> float:
    return float(pd.Timestamp(day).timestamp() * 1000)

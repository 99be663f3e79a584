"""The Degradation page's series figure: the degradation the report draws too
(`reports.charts.draw_degradation`), worded from the page's catalogue keys, with what only the page
shows over it: the window estimate in its interval, the estimated days, the production
deployments and the step changes.

A pure function of the KPI's detail and the reader's language (no Streamlit call), so it is tested
without a page.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

from reports.charts import DegradationWording, add_band, draw_degradation
from services.estimated import KpiEstimate
from services.kpis import Deployment, KpiDetail
from ui.context import PageContext
from ui.estimated import add_estimated_traces
from ui.text import chart_text

WINDOW_COLOUR = "#212121"
WINDOW_FILL = "rgba(0,0,0,0.15)"
DEPLOYMENT_COLOUR = "#607d8b"
STEP_COLOUR = "#8e24aa"
# Plotly puts a horizontal legend where the tick labels and axis title sit; below them it is read.
LEGEND_BELOW = {"orientation": "h", "yanchor": "top", "y": -0.25}


def degradation_wording(ctx: PageContext) -> DegradationWording:
    """The page's names for the daily values, the trend, its cone and the agreed lines."""
    return DegradationWording(
        daily=ctx.t("kpi.chart.daily"),
        trend=ctx.t("kpi.chart.trend"),
        band=ctx.t("kpi.chart.cone"),
        target=ctx.t("kpi.line.target"),
        warning=ctx.t("kpi.line.warning"),
        exit=ctx.t("kpi.line.exit"),
    )


def series_figure(
    ctx: PageContext,
    detail: KpiDetail,
    estimate: KpiEstimate | None,
    deployments: Sequence[Deployment],
) -> go.Figure:
    """Daily values, window estimate and band, agreed lines, deployments, steps, trend and cone."""
    figure = draw_degradation(detail, degradation_wording(ctx))
    evaluated = pd.DataFrame(
        [
            (e.date, e.estimate, e.ci_low, e.ci_high)
            for e in detail.evaluations
            if e.estimate is not None
        ],
        columns=["date", "estimate", "low", "high"],
    )
    if not evaluated.empty:
        add_band(
            figure,
            evaluated,
            "estimate",
            ctx.t("kpi.chart.band"),
            WINDOW_FILL,
            ctx.t("kpi.chart.window"),
            {"color": WINDOW_COLOUR},
        )
    if estimate is not None:
        add_estimated_traces(figure, ctx, estimate)
    for deployment in deployments:
        if deployment.stage == "production":
            figure.add_vline(
                x=pd.Timestamp(deployment.deployed_at).timestamp() * 1000,
                line={"color": DEPLOYMENT_COLOUR, "width": 1},
                annotation_text=chart_text(deployment.model_id),
            )
    for step in detail.steps:
        figure.add_vline(
            x=pd.Timestamp(step.date).timestamp() * 1000,
            line={"color": STEP_COLOUR, "dash": "dot"},
            annotation_text=ctx.t("kpi.chart.step"),
        )
    figure.update_layout(
        xaxis={
            "tickformat": ctx.t("chart.month_ticks"),
            "hoverformat": ctx.t("chart.day_hover"),
        },
        yaxis_title=chart_text(detail.status.metric),
        height=480,
        legend=LEGEND_BELOW,
        margin={"t": 30},
    )
    return figure

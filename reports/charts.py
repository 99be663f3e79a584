"""The Plotly figures of retraining, used by the report and by the Retraining page: the KPI's
degradation with its trend and agreed lines, and the options' cumulative discounted value.

Titles, axes and legends follow the reader's language; the figures are drawn here only, so the
domain never imports Plotly.
"""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go

from i18n.catalogue import translate
from kpi.economics import cumulative_values
from kpi.retraining import RetrainingCase
from services.retraining import KpiDetail

OPTION_COLOURS = {
    "do_nothing": "#7f7f7f",
    "retrain_now": "#1f77b4",
    "retrain_later": "#2ca02c",
    "withdraw": "#d62728",
}
# Plotly's own date ticks are English; Japanese readers get 2027年1月.
DATE_TICK_FORMAT = {"ja": "%Y年%-m月", "en": "%b %Y"}
FONT_FAMILY = '"Noto Sans CJK JP", "Hiragino Sans", "Yu Gothic", "Meiryo", sans-serif'


def degradation_figure(detail: KpiDetail, lang: str) -> go.Figure:
    """The KPI's daily values, its trend and forecast band, and the agreed lines."""
    status = detail.status
    metric = html.escape(status.metric)
    figure = go.Figure()
    series = detail.series
    if not series.empty:
        figure.add_trace(
            go.Scatter(
                x=pd.to_datetime(series["date"]),
                y=series["value"],
                mode="markers",
                marker={"size": 4, "color": "#4c78a8"},
                name=translate(lang, "report.legend_daily"),
            )
        )
    trend = detail.trend_line
    if not trend.empty:
        dates = pd.to_datetime(trend["date"])
        for column, key in (("low", "legend_band_low"), ("high", "legend_band_high")):
            figure.add_trace(
                go.Scatter(
                    x=dates,
                    y=trend[column],
                    mode="lines",
                    line={"width": 0.8, "color": "#f58518", "dash": "dot"},
                    name=translate(lang, f"report.{key}"),
                )
            )
        figure.add_trace(
            go.Scatter(
                x=dates,
                y=trend["level"],
                mode="lines",
                line={"width": 2, "color": "#f58518"},
                name=translate(lang, "report.legend_trend"),
            )
        )
    for value, key, colour in (
        (status.target, "line_target", "#54a24b"),
        (status.warning, "line_warning", "#eeca3b"),
        (status.exit, "line_exit", "#e45756"),
    ):
        figure.add_hline(
            y=value,
            line={"color": colour, "dash": "dash", "width": 1},
            annotation_text=translate(lang, f"report.{key}"),
            annotation_position="top left",
        )
    figure.update_layout(
        title=translate(lang, "report.chart_degradation_title", metric=metric),
        xaxis_title=translate(lang, "report.axis_date"),
        xaxis_tickformat=DATE_TICK_FORMAT[lang],
        yaxis_title=metric,
        font={"family": FONT_FAMILY},
        template="plotly_white",
        height=420,
        legend={"orientation": "h", "y": -0.2},
    )
    return figure


def options_figure(case: RetrainingCase, lang: str) -> go.Figure:
    """Cumulative discounted value of each option over the horizon."""
    paths = cumulative_values(case.economics.inputs, case.economics.options)
    currency = case.kpi.currency
    # Japanese readers count yen in man (10,000): the axis is in 万円 rather than millions.
    scale, unit = (1e4, "万円") if lang == "ja" and currency == "JPY" else (1.0, currency)
    figure = go.Figure()
    for option, path in paths.items():
        dates = [case.day(day) for day in range(len(path))]
        figure.add_trace(
            go.Scatter(
                x=dates,
                y=path / scale,
                mode="lines",
                line={"color": OPTION_COLOURS[option], "width": 2},
                name=translate(lang, f"retrain.option.{option}"),
            )
        )
    figure.update_layout(
        title=translate(lang, "retrain.options_chart_title"),
        xaxis_title=translate(lang, "retrain.axis_date"),
        xaxis_tickformat=DATE_TICK_FORMAT[lang],
        yaxis_title=translate(lang, "retrain.axis_cumulative", currency=unit),
        yaxis_tickformat=",.0f" if scale != 1.0 else None,
        font={"family": FONT_FAMILY},
        template="plotly_white",
        height=420,
        legend={"orientation": "h", "y": -0.2},
    )
    return figure

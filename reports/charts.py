"""The Plotly figures the report and the dashboard share: a KPI's degradation (daily values, its
trend with the band and forecast cone, the agreed lines), drawn once for the report and the
Degradation page, and the retraining options' cumulative discounted value.

Each face words the figures in its reader's language (legend and line names come from its own
catalogue keys) and lays them out; the figures are drawn here only, so the domain never imports
Plotly.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from core.markup import escape_chart_text
from core.vocab import ThresholdLine
from i18n.catalogue import translate
from i18n.format import money_axis
from kpi.economics import cumulative_values
from kpi.retraining import RetrainingCase
from services.retraining import KpiDetail

OPTION_COLOURS = {
    "do_nothing": "#7f7f7f",
    "retrain_now": "#1f77b4",
    "retrain_later": "#2ca02c",
    "withdraw": "#d62728",
}
LINE_COLOURS: dict[ThresholdLine, str] = {
    "target": "#2e7d32",
    "warning": "#ef6c00",
    "exit": "#c62828",
}
DAILY_COLOUR = "#9e9e9e"
TREND_COLOUR = "#3949ab"
CONE_FILL = "rgba(120,120,200,0.2)"
FONT_FAMILY = '"Noto Sans CJK JP", "Hiragino Sans", "Yu Gothic", "Meiryo", sans-serif'


@dataclass(frozen=True)
class DegradationWording:
    """The legend and line names of a degradation figure, in the reader's language.

    Attributes:
        daily: the daily values.
        trend: the trend line.
        band: the trend's band and forecast cone.
        target: the agreed target line.
        warning: the agreed warning line.
        exit: the agreed exit line.
    """

    daily: str
    trend: str
    band: str
    target: str
    warning: str
    exit: str


def add_band(
    figure: go.Figure,
    frame: pd.DataFrame,
    centre: str,
    band_name: str,
    fill_colour: str,
    centre_name: str,
    centre_line: dict[str, str],
) -> None:
    """A shaded band between `frame.low` and `frame.high` (by `frame.date`) with its centre line,
    `frame[centre]`, drawn over it."""
    figure.add_trace(
        go.Scatter(
            x=frame["date"], y=frame["high"], line={"width": 0}, showlegend=False, hoverinfo="skip"
        )
    )
    figure.add_trace(
        go.Scatter(
            x=frame["date"],
            y=frame["low"],
            line={"width": 0},
            fill="tonexty",
            fillcolor=fill_colour,
            name=band_name,
        )
    )
    figure.add_trace(
        go.Scatter(x=frame["date"], y=frame[centre], name=centre_name, line=centre_line)
    )


def draw_degradation(detail: KpiDetail, wording: DegradationWording) -> go.Figure:
    """The KPI's trend in its band and forecast cone, its daily values over them, and the agreed
    lines; without layout, which each face sets (and adds its own traces to)."""
    figure = go.Figure()
    cone = detail.trend_line
    if not cone.empty:
        add_band(
            figure,
            cone,
            "level",
            wording.band,
            CONE_FILL,
            wording.trend,
            {"dash": "dot", "color": TREND_COLOUR},
        )
    figure.add_trace(
        go.Scatter(
            x=detail.series["date"],
            y=detail.series["value"],
            mode="markers",
            marker={"size": 3, "color": DAILY_COLOUR},
            name=wording.daily,
        )
    )
    status = detail.status
    for value, name, colour in (
        (status.target, wording.target, LINE_COLOURS["target"]),
        (status.warning, wording.warning, LINE_COLOURS["warning"]),
        (status.exit, wording.exit, LINE_COLOURS["exit"]),
    ):
        line = {"color": colour, "dash": "dash"}
        figure.add_hline(y=value, line=line)
        # Named in the legend, not beside the line: the three lines often lie close together
        # (a warning a few points above the exit), where their labels would overprint.
        figure.add_trace(go.Scatter(x=[None], y=[None], mode="lines", line=line, name=name))
    return figure


def degradation_figure(detail: KpiDetail, lang: str) -> go.Figure:
    """The report's degradation figure: `draw_degradation` with the report's wording, a title and
    axis titles, laid out for print."""
    metric = escape_chart_text(detail.status.metric)
    wording = DegradationWording(
        daily=translate(lang, "report.legend_daily"),
        trend=translate(lang, "report.legend_trend"),
        band=translate(lang, "report.legend_band"),
        target=translate(lang, "report.line_target"),
        warning=translate(lang, "report.line_warning"),
        exit=translate(lang, "report.line_exit"),
    )
    figure = draw_degradation(detail, wording)
    figure.update_layout(
        title=translate(lang, "report.chart_degradation_title", metric=metric),
        xaxis_title=translate(lang, "report.axis_date"),
        xaxis_tickformat=translate(lang, "chart.month_ticks"),
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
    scale, unit = money_axis(currency, lang)
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
        xaxis_tickformat=translate(lang, "chart.month_ticks"),
        yaxis_title=translate(lang, "retrain.axis_cumulative", currency=unit),
        yaxis_tickformat=",.0f" if scale != 1.0 else None,
        font={"family": FONT_FAMILY},
        template="plotly_white",
        height=420,
        legend={"orientation": "h", "y": -0.2},
    )
    return figure

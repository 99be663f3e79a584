"""The Plotly figures of the Monitoring page: drift per feature per window (heat map), one
feature's reference and current distributions, serving latency with its objective, the fallback
ladder, and estimated versus realised performance.

Titles, axes and legends follow the reader's language; feature names, model ids and categories are
user text and pass through `escape_chart_text`.
"""

from __future__ import annotations

from collections import defaultdict

import plotly.graph_objects as go

from core.markup import escape_chart_text
from i18n.catalogue import translate
from i18n.format import format_number
from monitoring.cbpe import DailyPerformance
from reports.charts import FONT_FAMILY
from services.monitoring_views import DriftMap, FeatureDistribution, ServingHistory

LEVEL_COLOURS = {"model": "#2ca02c", "popular": "#ff7f0e", "random": "#d62728"}
QUANTILE_DASH = {"latency_p50_ms": "dot", "latency_p95_ms": "solid", "latency_p99_ms": "dash"}


def _layout(figure: go.Figure, lang: str, title: str, height: int = 380) -> go.Figure:
    figure.update_layout(
        title=title,
        height=height,
        font={"family": FONT_FAMILY},
        margin={"l": 60, "r": 20, "t": 60, "b": 50},
        legend={"orientation": "h", "y": -0.18},
    )
    return figure


def drift_heatmap(drift: DriftMap, lang: str) -> go.Figure:
    """Features (rows) by window end (columns), coloured by PSI; the colour scale turns orange at
    the warning line and red at the alert line (values above 1 are drawn as 1)."""
    features = list(dict.fromkeys(c.feature for c in drift.cells))
    ends = sorted({c.window[1] for c in drift.cells})
    value = {(c.feature, c.window[1]): c.psi for c in drift.cells}
    top = max(1.0, drift.alert * 2)
    z = [[value.get((f, e)) for e in ends] for f in features]
    shown = [[None if v is None else min(v, top) for v in row] for row in z]
    text = [["–" if v is None else format_number(v, lang, 2) for v in row] for row in z]
    stops = [
        [0.0, "#f7fbff"],
        [drift.warning / top, "#c6dbef"],
        [drift.warning / top, "#fdd49e"],
        [drift.alert / top, "#fc8d59"],
        [drift.alert / top, "#d7301f"],
        [1.0, "#7f0000"],
    ]
    figure = go.Figure(
        go.Heatmap(
            x=ends,
            y=[escape_chart_text(f) for f in features],
            z=shown,
            text=text,
            texttemplate="%{text}",
            zmin=0,
            zmax=top,
            colorscale=stops,
            colorbar={"title": "PSI"},
            hovertemplate="%{y} · %{x}<br>PSI %{text}<extra></extra>",
        )
    )
    figure.update_xaxes(tickformat=translate(lang, "chart.day_ticks"))
    title = translate(
        lang,
        "monitoring_page.heatmap_title",
        warning=format_number(drift.warning, lang, 2),
        alert=format_number(drift.alert, lang, 2),
    )
    return _layout(figure, lang, title, height=140 + 45 * max(len(features), 1))


def _bin_label(bin_: object, lang: str) -> str:
    if isinstance(bin_, tuple):
        low, high = bin_
        if low is None:
            return translate(lang, "monitoring_page.below", value=format_number(high, lang))
        if high is None:
            return translate(lang, "monitoring_page.above", value=format_number(low, lang))
        return f"{format_number(low, lang)}–{format_number(high, lang)}"
    if bin_ is None:
        return translate(lang, "monitoring_page.other")
    return escape_chart_text(str(bin_))


def distribution_figure(distribution: FeatureDistribution, lang: str) -> go.Figure:
    """The reference's and the window's share of each bin, side by side."""
    labels = [_bin_label(b, lang) for b in distribution.bins]
    figure = go.Figure()
    for name, counts, colour in (
        ("monitoring_page.reference", distribution.reference_counts, "#9ecae1"),
        ("monitoring_page.current", distribution.window_counts, "#d62728"),
    ):
        total = sum(counts) or 1
        figure.add_trace(
            go.Bar(
                x=labels,
                y=[n / total for n in counts],
                name=translate(lang, name),
                marker_color=colour,
                opacity=0.75,
                hovertemplate="%{x}<br>%{y:.1%}<extra></extra>",
            )
        )
    figure.update_layout(barmode="group")
    figure.update_xaxes(tickangle=0 if len(labels) <= 8 else -45, automargin=True)
    figure.update_yaxes(tickformat=".0%", title=translate(lang, "monitoring_page.share"))
    title = translate(
        lang, "monitoring_page.distribution_title", feature=escape_chart_text(distribution.feature)
    )
    return _layout(figure, lang, title)


def latency_figure(history: ServingHistory, lang: str) -> go.Figure:
    """Latency p50/p95/p99 per day and model, and the p95 and p99 objectives as lines."""
    figure = go.Figure()
    models = sorted({d.model_id for d in history.daily})
    for model_id in models:
        days = [d for d in history.daily if d.model_id == model_id]
        for quantile, dash in QUANTILE_DASH.items():
            figure.add_trace(
                go.Scatter(
                    x=[d.day for d in days],
                    y=[getattr(d, quantile) for d in days],
                    mode="lines",
                    line={"dash": dash},
                    name=f"{escape_chart_text(model_id)} "
                    + translate(lang, f"monitoring_page.{quantile}"),
                )
            )
    for objective in ("latency_p95_ms", "latency_p99_ms"):
        limit = getattr(history.objectives, objective)
        if limit is not None:
            figure.add_hline(
                y=limit,
                line={"color": "#d62728", "dash": "dash"},
                annotation_text=translate(
                    lang, f"monitoring_page.objective_{objective}", value=format_number(limit, lang)
                ),
                annotation_position="top left",
            )
    figure.update_xaxes(tickformat=translate(lang, "chart.day_ticks"))
    figure.update_yaxes(title=translate(lang, "monitoring_page.latency_axis"))
    return _layout(figure, lang, translate(lang, "monitoring_page.latency_title"), height=420)


def fallback_figure(history: ServingHistory, lang: str) -> go.Figure:
    """Share of the family's requests per fallback level per day (all models together), stacked,
    with the fallback-rate objective as a line."""
    totals: dict[object, int] = defaultdict(int)
    served: dict[str, dict[object, float]] = defaultdict(lambda: defaultdict(float))
    for day in history.daily:
        totals[day.day] += day.n
        for level, share in day.fallback_by_level.items():
            served[level][day.day] += share * day.n
    days = sorted(totals, key=str)
    figure = go.Figure()
    for level in sorted(served, key=lambda name: (name != "popular", name)):
        figure.add_trace(
            go.Scatter(
                x=days,
                y=[served[level].get(d, 0.0) / totals[d] for d in days],
                mode="lines",
                stackgroup="fallback",
                name=escape_chart_text(level),
                line={"color": LEVEL_COLOURS.get(level)},
                hovertemplate="%{x}<br>%{y:.1%}<extra></extra>",
            )
        )
    limit = history.objectives.fallback_rate
    if limit is not None:
        figure.add_hline(
            y=limit,
            line={"color": "#d62728", "dash": "dash"},
            annotation_text=translate(
                lang, "monitoring_page.objective_fallback", value=f"{limit:.0%}"
            ),
            annotation_position="top left",
        )
    figure.update_xaxes(tickformat=translate(lang, "chart.day_ticks"))
    figure.update_yaxes(tickformat=".0%", title=translate(lang, "monitoring_page.share"))
    return _layout(figure, lang, translate(lang, "monitoring_page.fallback_title"))


def performance_figure(days: tuple[DailyPerformance, ...], metric: str, lang: str) -> go.Figure:
    """Estimated `metric` (precision or recall) with its 95% interval, beside the realised value
    on the days whose labels are all in."""
    estimates = [(d.day, getattr(d, metric)) for d in days if getattr(d, metric) is not None]
    figure = go.Figure()
    if estimates:
        x = [day for day, _ in estimates]
        figure.add_trace(
            go.Scatter(
                x=x + x[::-1],
                y=[e.high for _, e in estimates] + [e.low for _, e in estimates][::-1],
                fill="toself",
                fillcolor="rgba(31,119,180,0.15)",
                line={"width": 0},
                name=translate(lang, "monitoring_page.interval"),
                hoverinfo="skip",
            )
        )
        figure.add_trace(
            go.Scatter(
                x=x,
                y=[e.value for _, e in estimates],
                mode="lines",
                line={"color": "#1f77b4", "dash": "dash"},
                name=translate(lang, "monitor_estimate.estimated_mark"),
            )
        )
    realised = [(d.day, getattr(d, f"realised_{metric}")) for d in days]
    realised = [(day, value) for day, value in realised if value is not None]
    figure.add_trace(
        go.Scatter(
            x=[day for day, _ in realised],
            y=[value for _, value in realised],
            mode="lines+markers",
            marker={"size": 4},
            line={"color": "#2ca02c"},
            name=translate(lang, "monitor_estimate.realised_mark"),
        )
    )
    figure.update_xaxes(tickformat=translate(lang, "chart.day_ticks"))
    figure.update_yaxes(tickformat=".0%")
    title = translate(lang, f"monitoring_page.performance_{metric}")
    return _layout(figure, lang, title)

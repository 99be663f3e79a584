"""The Plotly figures of the experiment pages: the forest plot of effects, with each guardrail's
non-inferiority margin drawn on its row, and the offline-against-online scatter, one offline
metric and one online metric per chart.

Pure functions of typed results and the reader's language (no Streamlit), so they are tested
without a page. Names written by users (metrics, variants, experiment ids) go through
`ui.text.chart_text`, because Plotly renders a subset of HTML in labels.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import plotly.graph_objects as go

from experiments.analysis import OfflineOnlinePoint
from experiments.stats import Comparison
from i18n.catalogue import translate
from ui.text import chart_text

BETTER, WORSE, UNCLEAR = "#2e7d32", "#c62828", "#9e9e9e"
MARGIN_COLOUR = "#6a1b9a"
HIGHLIGHT_COLOUR = "#1565c0"
OTHER_COLOUR = "#90a4ae"


def is_significant(comparison: Comparison) -> bool:
    """Significant at alpha on its decisive p-value (adjusted within its family if corrected)."""
    return comparison.decisive_p_value < comparison.alpha


def is_better(comparison: Comparison) -> bool:
    """Whether the effect points the metric's good way."""
    sign = 1 if comparison.direction == "increase" else -1
    return sign * comparison.absolute_effect > 0


def effect_colour(comparison: Comparison) -> str:
    """Green when significantly better, red when significantly worse, grey otherwise."""
    if not is_significant(comparison):
        return UNCLEAR
    return BETTER if is_better(comparison) else WORSE


def row_label(comparison: Comparison) -> str:
    """The forest plot's row of one comparison: `metric · variant`."""
    return chart_text(f"{comparison.metric} · {comparison.variant}")


def margin_position(comparison: Comparison, margin: float) -> float:
    """Where a guardrail's margin lies on the relative-effect axis: on the harmful side."""
    return -margin if comparison.direction == "increase" else margin


def forest_plot(
    comparisons: Sequence[Comparison], margins: Mapping[str, float], lang: str
) -> go.Figure:
    """Relative effects with their intervals, one row per (metric, variant).

    `margins` maps each guardrail metric with a non-inferiority margin to it; the margin is drawn
    as a mark on that metric's rows, so a reader sees how far the interval is from it.
    """
    figure = go.Figure()
    for legend, colour in (
        ("legend_better", BETTER),
        ("legend_worse", WORSE),
        ("legend_unclear", UNCLEAR),
    ):
        chosen = [c for c in comparisons if effect_colour(c) == colour]
        if not chosen:
            continue
        figure.add_trace(
            go.Scatter(
                x=[c.relative_effect for c in chosen],
                y=[row_label(c) for c in chosen],
                mode="markers",
                name=translate(lang, f"experiments.{legend}"),
                marker={"color": colour, "size": 11},
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": [c.relative_ci[1] - c.relative_effect for c in chosen],
                    "arrayminus": [c.relative_effect - c.relative_ci[0] for c in chosen],
                    "color": colour,
                },
                hovertemplate="%{y}: %{x:+.2%}<extra></extra>",
            )
        )
    guarded = [c for c in comparisons if c.metric in margins]
    if guarded:
        figure.add_trace(
            go.Scatter(
                x=[margin_position(c, margins[c.metric]) for c in guarded],
                y=[row_label(c) for c in guarded],
                mode="markers",
                name=translate(lang, "experiments.legend_margin"),
                marker={
                    "symbol": "line-ns",
                    "size": 26,
                    "line": {"width": 3, "color": MARGIN_COLOUR},
                    "color": MARGIN_COLOUR,
                },
                hovertemplate="%{y}: %{x:+.1%}<extra></extra>",
            )
        )
    figure.add_vline(x=0, line={"color": "#555", "dash": "dot"})
    figure.update_layout(
        height=110 + 45 * len({row_label(c) for c in comparisons}),
        margin={"l": 10, "r": 10, "t": 10, "b": 40},
        xaxis={"title": translate(lang, "experiments.axis_relative"), "tickformat": "+.1%"},
        yaxis={"autorange": "reversed", "automargin": True},
        legend={"orientation": "h", "y": -0.3},
    )
    return figure


@dataclass(frozen=True)
class OfflineOnlineChart:
    """One scatter of the offline-against-online view: one offline and one online metric.

    Attributes:
        offline_metric: the offline metric on the x axis (e.g. auc).
        online_metric: the online primary metric on the y axis (e.g. ctr).
        points: the treatments plotted.
    """

    offline_metric: str
    online_metric: str
    points: tuple[OfflineOnlinePoint, ...]


def offline_online_charts(
    points: Sequence[OfflineOnlinePoint], related: Collection[str]
) -> list[OfflineOnlineChart]:
    """The points of the `related` experiments, one chart per (offline, online) metric pair,
    so no axis ever mixes two metrics (an AUC gain and an nDCG gain are not one scale)."""
    kept = [p for p in points if p.experiment in related]
    pairs = sorted({(p.offline_metric, p.online_metric) for p in kept})
    return [
        OfflineOnlineChart(
            offline,
            online,
            tuple(p for p in kept if (p.offline_metric, p.online_metric) == (offline, online)),
        )
        for offline, online in pairs
    ]


def offline_online_figure(chart: OfflineOnlineChart, current: str, lang: str) -> go.Figure:
    """Offline difference on `chart.offline_metric` against the online relative effect on
    `chart.online_metric`; the `current` experiment's points are highlighted."""
    figure = go.Figure()
    for mine in (True, False):
        chosen = [p for p in chart.points if (p.experiment == current) == mine]
        if not chosen:
            continue
        colour = HIGHLIGHT_COLOUR if mine else OTHER_COLOUR
        figure.add_trace(
            go.Scatter(
                x=[p.offline_difference for p in chosen],
                y=[p.online_effect for p in chosen],
                mode="markers",
                showlegend=False,
                marker={"size": 12 if mine else 9, "color": colour},
                text=[chart_text(f"{p.experiment} · {p.variant}") for p in chosen],
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": [p.online_ci[1] - p.online_effect for p in chosen],
                    "arrayminus": [p.online_effect - p.online_ci[0] for p in chosen],
                    "color": colour,
                },
                hovertemplate="%{text}<br>%{x:+.4f} → %{y:+.2%}<extra></extra>",
            )
        )
    figure.add_hline(y=0, line={"color": "#555", "dash": "dot"})
    figure.add_vline(x=0, line={"color": "#555", "dash": "dot"})
    figure.update_layout(
        height=320,
        margin={"l": 10, "r": 10, "t": 10, "b": 40},
        xaxis={
            "title": translate(
                lang, "experiments.axis_offline_metric", metric=chart_text(chart.offline_metric)
            ),
            "range": padded_range([p.offline_difference for p in chart.points]),
        },
        yaxis={
            "title": translate(
                lang, "experiments.axis_online_metric", metric=chart_text(chart.online_metric)
            ),
            "tickformat": "+.1%",
            "range": padded_range([bound for p in chart.points for bound in p.online_ci]),
        },
    )
    return figure


def padded_range(values: Sequence[float]) -> list[float]:
    """An axis range holding `values` and 0 with a margin on both sides, so a lone point (or
    the end of an interval) never sits on the frame."""
    low, high = min(0.0, *values), max(0.0, *values)
    pad = 0.15 * (high - low) or 0.01
    return [low - pad, high + pad]

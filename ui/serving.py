"""Presenters of serving health tied to value, for the Monitoring and experiment detail pages:
the error-budget and per-arm tables, the fallback-cost sentence, the per-level table and the
daily cost per level.

Pure functions of the services' typed results (no Streamlit), unit-tested without a page. Model
ids and level names are user text: tables show them as data, charts escape them, and sentences
(read as Markdown by Streamlit) carry them, and money, escaped.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

from core.markup import escape_chart_text, escape_markdown
from i18n.catalogue import translate
from i18n.format import format_money, format_number, format_percent
from kpi.fallback_value import Z_95, pooled_levels
from monitoring.arm_health import ArmComparison
from monitoring.budget import ErrorBudget
from reports.charts import FONT_FAMILY
from reports.monitoring_charts import LEVEL_COLOURS
from services.serving import ArmHealthReport, FallbackValueReport


def _objective(budget: ErrorBudget) -> str:
    return budget.objective if budget.level is None else f"{budget.objective}.{budget.level}"


def budget_table(budgets: Sequence[ErrorBudget], lang: str) -> pd.DataFrame:
    """One row per objective: limit, allowed share, bad and counted requests, budget consumed and
    left."""

    def t(key: str) -> str:
        return translate(lang, f"serving.{key}")

    return pd.DataFrame(
        [
            {
                t("col_objective"): _objective(b),
                t("col_limit"): format_number(b.limit, lang, 0)
                if b.objective != "fallback_rate"
                else format_percent(b.limit, lang, 1),
                t("col_allowed"): format_percent(b.allowed, lang, 1),
                t("col_bad"): format_number(b.bad, lang, 0),
                t("col_requests"): format_number(b.requests, lang, 0),
                t("col_consumed"): format_percent(b.consumed, lang, 0),
                t("col_remaining"): format_percent(b.remaining, lang, 0),
            }
            for b in budgets
        ]
    )


def exhausted_objectives(budgets: Sequence[ErrorBudget]) -> str | None:
    """The objectives whose budget is spent, comma-separated; None when none is."""
    spent = [_objective(b) for b in budgets if b.exhausted]
    return ", ".join(spent) if spent else None


def cost_sentences(report: FallbackValueReport, lang: str) -> list[str]:
    """\"Fallbacks cost ¥X a day (95% interval ...) over the last N days", and a second sentence
    when the interval includes zero; empty when no cost is given."""
    cost = report.cost
    if cost is None or cost.per_day is None or report.currency is None:
        return []
    days = (report.window[1] - report.window[0]).days + 1
    values = {
        "cost": escape_markdown(format_money(cost.per_day, report.currency, lang)),
        "low": escape_markdown(format_money(cost.low, report.currency, lang)),
        "high": escape_markdown(format_money(cost.high, report.currency, lang)),
        "days": days,
    }
    key = "serving.value_sentence" if cost.per_day >= 0 else "serving.value_gain"
    sentences = [translate(lang, key, **values)]
    if cost.low is not None and cost.high is not None and cost.low <= 0 <= cost.high:
        sentences.append(translate(lang, "serving.value_unclear"))
    coverage = report.coverage
    if coverage is not None and coverage.basis == "scaled" and coverage.ratio:
        sentences.append(
            translate(
                lang,
                "serving.value_scaled",
                coverage=format_percent(coverage.ratio, lang, 3),
                units=format_number(coverage.transactions, lang, 0),
                metric=escape_markdown(report.metric),
                days=coverage.days,
                factor=format_number(coverage.factor, lang, 1),
            )
        )
    return sentences


def level_table(report: FallbackValueReport, lang: str) -> pd.DataFrame:
    """Per serving level over the window: requests, labelled, positives, the rate and its
    standard error (as `monitor value` gives them per day, here summed over the days)."""

    def t(key: str) -> str:
        return translate(lang, f"serving.{key}")

    return pd.DataFrame(
        [
            {
                t("col_level"): r.served_by,
                t("col_requests"): format_number(r.n, lang, 0),
                t("col_labelled"): format_number(r.labelled, lang, 0),
                t("col_positives"): format_number(r.positives, lang, 0),
                t("col_rate"): format_percent(r.rate, lang, 2),
                t("col_se"): format_percent(r.standard_error, lang, 2),
            }
            for r in pooled_levels(report.levels)
        ]
    )


def cost_figure(report: FallbackValueReport, lang: str) -> go.Figure:
    """What each fallback level cost per day (stacked bars, money), with the day's 95% interval
    as a whisker on the total; days whose cost is unknown are left empty."""
    figure = go.Figure()
    cost = report.cost
    daily = [] if cost is None else [d for d in cost.daily if d.cost is not None]
    levels = sorted({level for d in daily for level in d.by_level})
    currency = report.currency or ""
    for level in levels:
        figure.add_trace(
            go.Bar(
                x=[d.day for d in daily],
                y=[d.by_level.get(level, 0.0) for d in daily],
                name=escape_chart_text(level),
                marker={"color": LEVEL_COLOURS.get(level)},
                hovertemplate="%{x}<br>%{y:,.0f}<extra></extra>",
            )
        )
    figure.add_trace(
        go.Scatter(
            x=[d.day for d in daily],
            y=[d.cost for d in daily],
            mode="markers",
            marker={"color": "#333333", "size": 4},
            error_y={
                "type": "data",
                "array": [Z_95 * (d.variance or 0.0) ** 0.5 for d in daily],
                "color": "#555555",
                "thickness": 1,
            },
            name=translate(lang, "serving.cost_total"),
            hovertemplate="%{x}<br>%{y:,.0f}<extra></extra>",
        )
    )
    figure.update_xaxes(tickformat=translate(lang, "chart.day_ticks"))
    figure.update_yaxes(title=translate(lang, "serving.cost_axis", currency=currency))
    figure.update_layout(
        barmode="relative",
        title=translate(lang, "serving.cost_title", metric=escape_chart_text(report.metric)),
        height=380,
        font={"family": FONT_FAMILY},
        margin={"l": 70, "r": 20, "t": 60, "b": 50},
        legend={"orientation": "h", "y": -0.18},
    )
    return figure


def arms_table(report: ArmHealthReport, lang: str) -> pd.DataFrame:
    """One row per arm: model, requests, latency quantiles, fallback rate, score summary."""

    def t(key: str) -> str:
        return translate(lang, f"serving.{key}")

    return pd.DataFrame(
        [
            {
                t("col_variant"): a.variant,
                t("col_model"): a.model_id,
                t("col_requests"): format_number(a.requests, lang, 0),
                t("col_p50"): format_number(a.latency_p50_ms, lang, 1),
                t("col_p95"): format_number(a.latency_p95_ms, lang, 1),
                t("col_p99"): format_number(a.latency_p99_ms, lang, 1),
                t("col_fallback"): format_percent(a.fallback_rate, lang, 2),
                t("col_score_mean"): format_number(a.scores.mean, lang, 4),
                t("col_score_median"): format_number(a.scores.q50, lang, 4),
                t("col_score_p95"): format_number(a.scores.q95, lang, 4),
            }
            for a in report.arms
        ]
    )


def comparisons_table(report: ArmHealthReport, lang: str) -> pd.DataFrame:
    """One row per treatment arm: latency p95 ratio, KS and its p-value, score PSI, the check."""

    def t(key: str) -> str:
        return translate(lang, f"serving.{key}")

    return pd.DataFrame(
        [
            {
                t("col_variant"): c.variant,
                t("col_ratio"): "–"
                if c.latency_p95_ratio is None
                else f"{format_number(c.latency_p95_ratio, lang, 2)}×",
                t("col_ks"): format_number(c.ks, lang, 3),
                t("col_ks_p"): "–" if c.ks_p_value is None else f"{c.ks_p_value:.2g}",
                t("col_psi"): format_number(c.score_psi, lang, 3),
                t("col_status"): _check_label(c, lang),
            }
            for c in report.comparisons
        ]
    )


def _check_label(comparison: ArmComparison, lang: str) -> str:
    """The check's status, with what was flagged: "Flagged (latency, scores)"."""
    label = translate(lang, f"serving.status_{comparison.status}")
    reasons = [
        translate(lang, f"serving.reason_{name}")
        for name, flagged in (
            ("latency", comparison.latency_flagged),
            ("scores", comparison.scores_flagged),
        )
        if flagged
    ]
    return f"{label} ({', '.join(reasons)})" if reasons else label


def health_sentence(report: ArmHealthReport, lang: str) -> str:
    """The health check for the test in one sentence."""
    if report.status == "flagged":
        flagged = ", ".join(
            escape_markdown(c.variant) for c in report.comparisons if c.status == "flagged"
        )
        return translate(lang, "serving.health_flagged", variants=flagged)
    if report.status == "ok":
        return translate(lang, "serving.health_ok")
    return translate(lang, "serving.health_insufficient")

"""Experiment detail: health checks, effects, their course over time, segments and the decision.

Every number comes from `ui.cached` (per store version, experiment and hour read), so a rerun of
the page never goes back to the events.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from experiments.analysis import (
    CumulativePoint,
    ExperimentAnalysis,
    OfflineOnlinePoint,
    Unavailable,
)
from experiments.cells import Exposure
from experiments.spec import belongs_to_family
from experiments.stats import Comparison
from i18n.experiments import (
    note_message,
    reason_message,
    segment_label,
)
from i18n.format import format_date, format_number, format_percent, format_timestamp
from ui import cached
from ui.context import page_context
from ui.tables import show_table
from ui.text import chart_text, plain, plain_values, unavailable_plain

CHOSEN_KEY = "experiment_chosen"
BETTER, WORSE, UNCLEAR = "#2e7d32", "#c62828", "#9e9e9e"
DECISION_COLOURS = {
    "ship": "green",
    "dont_ship": "red",
    "keep_running": "orange",
    "no_effect": "gray",
}

ctx = page_context()
registry = cached.models(ctx.path, ctx.fingerprint, None)
family_of_model = dict(zip(registry["model_id"], registry["family"], strict=True))
all_definitions = cached.experiment_definitions(ctx.path, ctx.fingerprint)
definitions = [d for d in all_definitions if belongs_to_family(d.spec, family_of_model, ctx.family)]
empty_message = (
    ctx.t("experiments.no_experiments_for_family", family=plain(ctx.family))
    if all_definitions
    else ctx.t("experiments.no_experiments")
)
if not definitions:
    st.title(ctx.t("experiments.title"))
    st.info(empty_message)
    st.stop()

ids = [definition.spec.id for definition in definitions]
if st.session_state.get(CHOSEN_KEY) not in ids:
    st.session_state[CHOSEN_KEY] = ids[0]
experiment_id = st.sidebar.selectbox(ctx.t("experiments.choose_experiment"), ids, key=CHOSEN_KEY)
spec = next(d.spec for d in definitions if d.spec.id == experiment_id)
as_of = cached.experiment_as_of(spec.end.isoformat())
result = cached.experiment_analysis(ctx.path, ctx.fingerprint, experiment_id, as_of)

st.title(ctx.t("experiments.detail_title", name=plain(spec.name)))
if spec.hypothesis:
    st.caption(ctx.t("experiments.hypothesis", text=plain(spec.hypothesis)))
if isinstance(result, Unavailable):
    st.warning(ctx.t("experiments.not_analysable", message=unavailable_plain(ctx.lang, result)))
    st.stop()
analysis: ExperimentAnalysis = result
st.caption(
    ctx.t(
        "experiments.window",
        start=format_date(spec.start, ctx.lang),
        end=format_date(spec.end, ctx.lang),
        method=ctx.t(f"experiments.method_{spec.method}"),
        alpha=spec.alpha,
        correction=ctx.t(f"experiments.correction_{spec.correction}"),
        version=analysis.version,
    )
    + " · "
    + ctx.t("experiments.as_of", time=format_timestamp(analysis.as_of, ctx.lang))
)


def percent(value: float) -> str:
    return format_percent(value, ctx.lang, 2, signed=True)


def is_significant(comparison: Comparison) -> bool:
    return comparison.decisive_p_value < comparison.alpha


def is_better(comparison: Comparison) -> bool:
    sign = 1 if comparison.direction == "increase" else -1
    return sign * comparison.absolute_effect > 0


def colour_of(comparison: Comparison) -> str:
    """Green when significantly better, red when significantly worse, grey otherwise."""
    if not is_significant(comparison):
        return UNCLEAR
    return BETTER if is_better(comparison) else WORSE


def forest_plot(comparisons: tuple[Comparison, ...]) -> go.Figure:
    """Relative effects with their intervals, one row per (metric, variant)."""
    labels = [chart_text(f"{c.metric} · {c.variant}") for c in comparisons]
    figure = go.Figure()
    for legend, colour in (
        (ctx.t("experiments.legend_better"), BETTER),
        (ctx.t("experiments.legend_worse"), WORSE),
        (ctx.t("experiments.legend_unclear"), UNCLEAR),
    ):
        chosen = [i for i, c in enumerate(comparisons) if colour_of(c) == colour]
        if not chosen:
            continue
        figure.add_trace(
            go.Scatter(
                x=[comparisons[i].relative_effect for i in chosen],
                y=[labels[i] for i in chosen],
                mode="markers",
                name=legend,
                marker={"color": colour, "size": 11},
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": [
                        comparisons[i].relative_ci[1] - comparisons[i].relative_effect
                        for i in chosen
                    ],
                    "arrayminus": [
                        comparisons[i].relative_effect - comparisons[i].relative_ci[0]
                        for i in chosen
                    ],
                    "color": colour,
                },
                hovertemplate="%{y}: %{x:+.2%}<extra></extra>",
            )
        )
    figure.add_vline(x=0, line={"color": "#555", "dash": "dot"})
    figure.update_layout(
        height=90 + 45 * len(comparisons),
        margin={"l": 10, "r": 10, "t": 10, "b": 40},
        xaxis={"title": ctx.t("experiments.axis_relative"), "tickformat": "+.1%"},
        yaxis={"autorange": "reversed"},
        legend={"orientation": "h", "y": -0.25},
    )
    return figure


def cumulative_chart(points: list[CumulativePoint]) -> go.Figure:
    """The primary metric's relative effect and interval at each look, per treatment."""
    figure = go.Figure()
    for variant in spec.treatments:
        mine = [p for p in points if p.comparison.variant == variant]
        days = [p.as_of for p in mine]
        upper = [p.comparison.relative_ci[1] for p in mine]
        lower = [p.comparison.relative_ci[0] for p in mine]
        figure.add_trace(
            go.Scatter(
                x=days + days[::-1],
                y=upper + lower[::-1],
                fill="toself",
                line={"width": 0},
                opacity=0.2,
                showlegend=False,
                hoverinfo="skip",
            )
        )
        figure.add_trace(
            go.Scatter(
                x=days,
                y=[p.comparison.relative_effect for p in mine],
                mode="lines+markers",
                name=chart_text(variant),
                hovertemplate="%{x|%Y-%m-%d}: %{y:+.2%}<extra></extra>",
            )
        )
    figure.add_hline(y=0, line={"color": "#555", "dash": "dot"})
    figure.update_layout(
        height=320,
        margin={"l": 10, "r": 10, "t": 10, "b": 40},
        xaxis={
            "title": ctx.t("experiments.axis_day"),
            "tickformat": ctx.t("experiments.date_ticks"),
        },
        yaxis={
            "title": ctx.t(
                "experiments.axis_cumulative", metric=chart_text(spec.primary_metric.name)
            ),
            "tickformat": "+.1%",
        },
    )
    return figure


def offline_online_chart(points: list[OfflineOnlinePoint]) -> go.Figure:
    """Offline difference against online effect, one trace per offline metric."""
    figure = go.Figure()
    for metric in sorted({p.offline_metric for p in points}):
        mine = [p for p in points if p.offline_metric == metric]
        figure.add_trace(
            go.Scatter(
                x=[p.offline_difference for p in mine],
                y=[p.online_effect for p in mine],
                mode="markers",
                name=chart_text(metric),
                marker={"size": 11},
                text=[chart_text(f"{p.experiment} · {p.variant}") for p in mine],
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": [p.online_ci[1] - p.online_effect for p in mine],
                    "arrayminus": [p.online_effect - p.online_ci[0] for p in mine],
                },
                hovertemplate="%{text}<br>%{x:+.4f} → %{y:+.2%}<extra></extra>",
            )
        )
    figure.update_layout(
        height=340,
        margin={"l": 10, "r": 10, "t": 10, "b": 40},
        xaxis={"title": ctx.t("experiments.axis_offline_difference")},
        yaxis={"title": ctx.t("experiments.axis_online_effect"), "tickformat": "+.1%"},
    )
    return figure


def daily_units_chart(exposure: Exposure) -> go.Figure:
    """Units entering each arm per day of first assignment, stacked."""
    figure = go.Figure()
    for variant in spec.variant_names:
        days = [(day, units) for name, day, units in exposure.daily_units if name == variant]
        figure.add_trace(
            go.Bar(
                x=[day for day, _ in days],
                y=[units for _, units in days],
                name=chart_text(variant),
            )
        )
    figure.update_layout(
        barmode="stack",
        height=220,
        margin={"l": 10, "r": 10, "t": 10, "b": 30},
        xaxis={"tickformat": ctx.t("experiments.date_ticks")},
        yaxis={"title": ctx.t("experiments.axis_units_per_day")},
    )
    return figure


def comparison_table(
    comparisons: list[Comparison], value_by_row: list[str] | None = None
) -> pd.DataFrame:
    """One row per comparison, worded in the reader's language (a value column first if given)."""
    roles = {m.name: m.role for m in spec.metrics}
    rows = []
    for index, c in enumerate(comparisons):
        row: dict[str, str] = {}
        if value_by_row is not None:
            row[ctx.t("experiments.col_value")] = value_by_row[index]
        row |= {
            ctx.t("experiments.col_metric"): c.metric,
            ctx.t("experiments.col_role"): ctx.t(f"experiments.role_{roles[c.metric]}"),
            ctx.t("experiments.col_variant"): c.variant,
            ctx.t("experiments.col_control_mean"): f"{c.control_mean:.4g}",
            ctx.t("experiments.col_variant_mean"): f"{c.variant_mean:.4g}",
            ctx.t("experiments.col_effect"): percent(c.relative_effect),
            ctx.t("experiments.col_interval"): (
                f"[{percent(c.relative_ci[0])}, {percent(c.relative_ci[1])}]"
            ),
            ctx.t("experiments.col_p"): f"{c.p_value:.3g}",
            ctx.t("experiments.col_adjusted_p"): f"{c.decisive_p_value:.3g}",
            ctx.t("experiments.col_cuped"): ctx.t(
                "experiments.yes" if c.cuped else "experiments.no"
            ),
        }
        rows.append(row)
    return pd.DataFrame(rows)


# Health checks
st.subheader(ctx.t("experiments.health_title"))
health = st.columns(4)
with health[0]:
    srm_key = "srm_mismatch" if analysis.srm.mismatch else "srm_ok"
    st.metric(ctx.t("experiments.health_srm"), ctx.t(f"experiments.{srm_key}"))
    plan = " / ".join(f"{name} {share:.0%}" for name, share in spec.variants)
    st.caption(ctx.t("experiments.srm_detail", p=f"{analysis.srm.p_value:.3g}", plan=plain(plan)))
with health[1]:
    planned_days = max(1, (spec.end - spec.start).days)
    elapsed = max(0, (analysis.as_of - spec.start).days)
    st.metric(ctx.t("experiments.health_progress"), f"{min(1.0, elapsed / planned_days):.0%}")
    st.caption(
        ctx.t(
            "experiments.progress_detail",
            units=format_number(sum(analysis.units.values()), ctx.lang),
            days=elapsed,
            planned=planned_days,
        )
    )
with health[2]:
    power = analysis.power[0]
    st.metric(ctx.t("experiments.health_power"), format_percent(power.mde_relative, ctx.lang, 2))
    st.caption(
        ctx.t(
            "experiments.power_detail",
            mde=format_percent(power.mde_relative, ctx.lang, 2),
            metric=plain(spec.primary_metric.name),
        )
    )
    if power.planned_mde is None:
        st.caption(ctx.t("experiments.power_no_plan"))
    elif power.planned_mde_reached:
        planned = format_percent(power.planned_mde, ctx.lang, 1)
        st.caption(ctx.t("experiments.power_reached", planned=planned))
    elif power.achieved_power is not None:
        planned = format_percent(power.planned_mde, ctx.lang, 1)
        achieved = format_percent(power.achieved_power, ctx.lang, 0)
        st.caption(ctx.t("experiments.power_achieved", power=achieved, planned=planned))
    elif power.days_needed is not None:
        planned = format_percent(power.planned_mde, ctx.lang, 1)
        st.caption(ctx.t("experiments.power_days", days=power.days_needed, planned=planned))
with health[3]:
    newest = cached.latest_event_time(ctx.path, ctx.fingerprint)
    st.metric(
        ctx.t("experiments.health_excluded"),
        format_number(analysis.excluded_multiple_variants, ctx.lang),
    )
    st.caption(
        ctx.t(
            "experiments.excluded_detail",
            count=format_number(analysis.excluded_multiple_variants, ctx.lang),
        )
    )
    st.caption(
        ctx.t("experiments.freshness_detail", time=format_timestamp(newest, ctx.lang))
        if isinstance(newest, dt.datetime)
        else ctx.t("experiments.health_freshness") + ": –"
    )

exposure = cached.experiment_exposure(ctx.path, ctx.fingerprint, experiment_id, as_of)
st.plotly_chart(daily_units_chart(exposure), width="stretch", key="daily_units")

# Decision
st.subheader(ctx.t("experiments.decision_title"))
with st.container(border=True):
    label = ctx.t(f"experiments.decision_{analysis.recommendation}")
    st.markdown(f":{DECISION_COLOURS[analysis.recommendation]}-badge[{label}]")
    for decision in analysis.decisions:
        if len(analysis.decisions) > 1:
            outcome = ctx.t(f"experiments.decision_{decision.outcome}")
            st.markdown(
                ctx.t(
                    "experiments.decision_variant",
                    variant=plain(decision.variant),
                    decision=outcome,
                )
            )
        for code, values in zip(decision.reason_codes, decision.reason_values, strict=True):
            st.markdown("- " + reason_message(ctx.lang, code, plain_values(values)))
    for g in analysis.guardrails:
        st.caption(
            ctx.t(
                "experiments.guardrail_line",
                metric=plain(g.metric),
                variant=plain(g.variant),
                status=ctx.t(f"experiments.guardrail_{g.status}"),
                worst=percent(g.worst_case_relative_effect),
                margin=format_percent(g.margin, ctx.lang, 1),
            )
        )

# Effects
st.subheader(ctx.t("experiments.forest_title"))
st.caption(ctx.t("experiments.forest_caption"))
st.plotly_chart(forest_plot(analysis.comparisons), width="stretch", key="forest")
show_table(comparison_table(list(analysis.comparisons)), hide_index=True, width="stretch")
if analysis.notes:
    with st.expander(ctx.t("experiments.warnings")):
        for note in analysis.notes:
            # The catalogue's notes hold no Markdown, so the whole sentence is shown as text.
            st.caption(plain(note_message(ctx.lang, note)))

st.subheader(ctx.t("experiments.cumulative_title"))
st.caption(ctx.t("experiments.cumulative_caption"))
points = cached.experiment_cumulative(ctx.path, ctx.fingerprint, experiment_id, as_of)
st.plotly_chart(cumulative_chart(points), width="stretch", key="cumulative")

st.subheader(ctx.t("experiments.segments_title"))
if not spec.segments:
    st.caption(ctx.t("experiments.no_segments"))
else:
    column = st.selectbox(ctx.t("experiments.segment_column"), spec.segments, key="segment_column")
    rows = [s for s in analysis.segments if s.column == column]
    show_table(
        comparison_table(
            [s.comparison for s in rows], [segment_label(ctx.lang, s.value) for s in rows]
        ),
        hide_index=True,
        width="stretch",
    )

st.subheader(ctx.t("experiments.bayes_title"))
prior = (
    ctx.t("experiments.prior_flat")
    if spec.prior_mean is None
    else ctx.t("experiments.prior_proper", mean=spec.prior_mean, variance=spec.prior_variance)
)
st.caption(ctx.t("experiments.bayes_caption", prior=prior))
show_table(
    pd.DataFrame(
        {
            ctx.t("experiments.col_metric"): c.metric,
            ctx.t("experiments.col_variant"): c.variant,
            ctx.t("experiments.col_chance_to_win"): format_percent(c.chance_to_win, ctx.lang, 1),
            ctx.t("experiments.col_expected_loss"): format_percent(c.expected_loss, ctx.lang, 2),
        }
        for c in analysis.comparisons
    ),
    hide_index=True,
    width="stretch",
)

st.subheader(ctx.t("experiments.offline_title"))
st.caption(ctx.t("experiments.offline_caption"))
links = cached.experiment_model_links(ctx.path, ctx.fingerprint, experiment_id, as_of)
if not links:
    st.caption(ctx.t("experiments.offline_none"))
for link in links:
    if not link.offline:
        st.caption(ctx.t("experiments.offline_missing", model=plain(link.model_id)))
        continue
    online = "–" if link.online is None else percent(link.online.relative_effect)
    show_table(
        pd.DataFrame(
            {
                ctx.t("experiments.col_variant"): link.variant,
                ctx.t("experiments.col_model"): link.model_id,
                ctx.t("experiments.col_offline_metric"): metric.metric,
                ctx.t("experiments.col_offline_value"): f"{metric.value:.4f}",
                ctx.t("experiments.col_online_effect", metric=spec.primary_metric.name): online,
            }
            for metric in link.offline
        ),
        hide_index=True,
        width="stretch",
    )
st.markdown(f"**{ctx.t('experiments.scatter_title')}**")
st.caption(ctx.t("experiments.scatter_caption"))
across = cached.finished_offline_online(ctx.path, ctx.fingerprint)
if across:
    st.plotly_chart(offline_online_chart(across), width="stretch", key="offline_online")
else:
    st.caption(ctx.t("experiments.scatter_empty"))

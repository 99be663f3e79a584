"""Experiment detail: health checks, effects, their course over time, segments and the decision.

Every number comes from `ui.cached` (per store version, experiment and hour read), so a rerun of
the page never goes back to the events.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core.errors import Unavailable
from core.vocab import CorrectionFamily
from experiments.analysis import (
    CumulativePoint,
    ExperimentAnalysis,
)
from experiments.cells import Exposure
from experiments.corrections import p_value_kind
from experiments.spec import belongs_to_family
from experiments.stats import Comparison
from i18n.experiments import (
    family_label,
    note_message,
    reason_message,
    segment_label,
)
from i18n.format import format_date, format_number, format_percent, format_timestamp
from ui import cached
from ui import serving as serving_ui
from ui.context import page_context
from ui.experiment_charts import forest_plot, offline_online_charts, offline_online_figure
from ui.tables import show_table
from ui.text import chart_text, plain, unavailable_plain

CHOSEN_KEY = "experiment_chosen"
DECISION_COLOURS = {
    "ship": "green",
    "dont_ship": "red",
    "keep_running": "orange",
    "no_effect": "gray",
    "invalid": "violet",
}
SRM_CHECKS = ("config", "logging", "filters", "ramp", "restart")

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
# A link may name the experiment (`?experiment=ID`); it is read once, then the selector rules.
linked = st.query_params.get("experiment")
if linked is not None:
    del st.query_params["experiment"]
    if linked in ids:
        st.session_state[CHOSEN_KEY] = linked
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
            "tickformat": ctx.t("chart.day_ticks"),
        },
        yaxis={
            "title": ctx.t(
                "experiments.axis_cumulative", metric=chart_text(spec.primary_metric.name)
            ),
            "tickformat": "+.1%",
        },
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
        xaxis={"tickformat": ctx.t("chart.day_ticks")},
        yaxis={"title": ctx.t("experiments.axis_units_per_day")},
    )
    return figure


def comparison_table(
    comparisons: list[Comparison],
    families: list[tuple[CorrectionFamily | None, int]] | None,
    value_by_row: list[str] | None = None,
) -> pd.DataFrame:
    """One row per comparison, worded in the reader's language (a value column first if given):
    the raw p, the adjusted p where a correction applies, and the family it was adjusted in (a
    column when `families` is given, which also names the metric's role; else a role column).

    The variant column appears only with several treatments, so the table fits at 1280 px.
    """
    roles = {m.name: m.role for m in spec.metrics}
    several = len(spec.treatments) > 1
    rows = []
    for index, c in enumerate(comparisons):
        adjusted = f"{c.decisive_p_value:.3g}" if p_value_kind(c) == "adjusted" else "–"
        row: dict[str, str] = {}
        if value_by_row is not None:
            row[ctx.t("experiments.col_value")] = value_by_row[index]
        row[ctx.t("experiments.col_metric")] = c.metric
        if families is None:
            row[ctx.t("experiments.col_role")] = ctx.t(f"experiments.role_{roles[c.metric]}")
        if several:
            row[ctx.t("experiments.col_variant")] = c.variant
        row |= {
            ctx.t("experiments.col_control_mean"): f"{c.control_mean:.4g}",
            ctx.t("experiments.col_variant_mean"): f"{c.variant_mean:.4g}",
            ctx.t("experiments.col_effect"): (
                f"{percent(c.relative_effect)} "
                f"[{percent(c.relative_ci[0])}, {percent(c.relative_ci[1])}]"
            ),
            ctx.t("experiments.col_p"): f"{c.p_value:.3g}",
            ctx.t("experiments.col_adjusted_p"): adjusted,
        }
        if families is not None:
            family, size = families[index]
            row[ctx.t("experiments.col_family")] = family_label(
                ctx.lang, family, spec.correction, size
            )
        row[ctx.t("experiments.col_cuped")] = ctx.t(
            "experiments.yes" if c.cuped else "experiments.no"
        )
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
            st.text(
                ctx.t("experiments.decision_variant", variant=decision.variant, decision=outcome)
            )
        for code, values in zip(decision.reason_codes, decision.reason_values, strict=True):
            st.text("• " + reason_message(ctx.lang, code, values))
    for g in analysis.guardrails if analysis.valid else ():
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

if not analysis.valid:
    # A broken split biases every estimate: what to check replaces the effects.
    plan = " / ".join(f"{name} {share:.0%}" for name, share in spec.variants)
    with st.container(border=True):
        st.error(ctx.t("experiments.invalid_title"))
        st.text(ctx.t("experiments.invalid_intro"))
        for number, check in enumerate(SRM_CHECKS, start=1):
            st.text(f"{number}. " + ctx.t(f"experiments.invalid_check_{check}", plan=plan))
        st.caption(ctx.t("experiments.invalid_json_hint", id=spec.id))
    st.stop()

# Effects
st.subheader(ctx.t("experiments.forest_title"))
st.caption(ctx.t("experiments.forest_caption"))
margins = {
    m.name: m.non_inferiority_margin
    for m in spec.metrics
    if m.role == "guardrail" and m.non_inferiority_margin is not None
}
st.plotly_chart(forest_plot(analysis.comparisons, margins, ctx.lang), width="stretch", key="forest")
whole_families = [
    (family, analysis.family_size(family))
    for family in (analysis.correction_family(c) for c in analysis.comparisons)
]
show_table(
    comparison_table(list(analysis.comparisons), whole_families), hide_index=True, width="stretch"
)
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
    if spec.correction != "none":
        correction = ctx.t(f"experiments.correction_short_{spec.correction}")
        st.caption(ctx.t("experiments.segment_family", correction=correction, size=len(rows)))
    show_table(
        comparison_table(
            [s.comparison for s in rows], None, [segment_label(ctx.lang, s.value) for s in rows]
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

if spec.variant_models:
    # The arms' serving, only when their models have predictions in the experiment's days.
    arm_health = cached.arm_health(ctx.path, ctx.fingerprint, experiment_id, as_of)
    if arm_health.arms:
        st.subheader(ctx.t("serving.health_heading"))
        st.caption(ctx.t("serving.health_caption"))
        sentence = serving_ui.health_sentence(arm_health, ctx.lang)
        if arm_health.status == "flagged":
            st.warning(sentence, icon=":material/warning:")
        else:
            st.info(sentence)
        show_table(
            serving_ui.arms_table(arm_health, ctx.lang),
            file_name=f"{experiment_id}-arm-health.csv",
            hide_index=True,
            width="stretch",
        )
        if arm_health.comparisons:
            show_table(
                serving_ui.comparisons_table(arm_health, ctx.lang),
                file_name=f"{experiment_id}-arm-checks.csv",
                hide_index=True,
                width="stretch",
            )
    st.subheader(ctx.t("experiments.offline_title"))
    st.caption(ctx.t("experiments.offline_caption"))
    links = cached.experiment_model_links(ctx.path, ctx.fingerprint, experiment_id, as_of)
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
    # Only experiments on the same model families are comparable with this one.
    own_families = {family_of_model.get(model) for model in spec.model_for.values()}
    related = {
        d.spec.id
        for d in all_definitions
        if any(belongs_to_family(d.spec, family_of_model, f) for f in own_families if f)
    } | {spec.id}
    charts = offline_online_charts(
        cached.finished_offline_online(ctx.path, ctx.fingerprint), related
    )
    st.markdown(f"**{ctx.t('experiments.scatter_section')}**")
    st.caption(
        ctx.t("experiments.scatter_caption") if charts else ctx.t("experiments.scatter_empty")
    )
    for chart in charts:
        names = {"offline": chart.offline_metric, "online": chart.online_metric}
        st.text(ctx.t("experiments.scatter_title", **names))
        st.plotly_chart(
            offline_online_figure(chart, spec.id, ctx.lang),
            width="stretch",
            key=f"offline_online_{chart.offline_metric}_{chart.online_metric}",
        )

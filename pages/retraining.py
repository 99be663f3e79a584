"""Retraining: is retraining a KPI's model worth its cost? NPV with its range, payback, break-even
uplift, the optimal interval, the options side by side, the recommendation, the report to download,
and the decision recorded in the KPI's decision record."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.clock import system_clock, today
from core.errors import YardstickError
from core.vocab import REPORT_FORMATS, UPLIFT_SOURCES
from i18n.catalogue import LANGUAGES, translate
from i18n.format import format_money, format_number, format_percent
from i18n.retraining import case_to_json, reason_text
from kpi import economics
from kpi import plan as plans_lib
from kpi.retraining import CaseRequest
from reports.blocks import options_table
from reports.charts import options_figure
from reports.retraining import report_filename
from services import retraining as retraining_service
from ui import cached
from ui.context import page_context
from ui.tables import show_table
from ui.text import describe_plain, plain

NO_PLAN = ""
# The widget each input field is entered in (its label's catalogue key), to name it in errors.
FIELD_LABELS = {
    "cost": "retrain.total_cost_label",
    "person_days": "retrain.person_days",
    "day_rate": "retrain.day_rate",
    "compute_cost": "retrain.compute_cost",
    "release_cost": "retrain.release_cost",
    "uplift_experiment": "retrain.experiment",
    "uplift_metric": "retrain.metric",
    "uplift": "retrain.uplift",
    "uplift_se": "retrain.uplift_se",
    "horizon_days": "retrain.horizon_days",
    "discount_rate": "retrain.discount_rate",
    "fallback_value_per_day": "retrain.fallback",
    "rationale": "retrain.rationale",
    "choice": "retrain.decision",
}
ACTION_STYLE = {
    "retrain_now": "success",
    "wait": "info",
    "withdraw": "warning",
    "do_nothing": "info",
}

ctx = page_context()


def explain(error: YardstickError, currency: str) -> str:
    """The error in the reader's language, naming the widget at fault by its label."""
    labels = {k: ctx.t(v, currency=currency) for k, v in FIELD_LABELS.items()}
    values = {
        key: labels.get(str(value), value) if key.endswith("_field") else value
        for key, value in error.values.items()
    }
    field = labels.get(error.field, error.field) if error.field else None
    return describe_plain(YardstickError.from_values(error.code, values, field=field), ctx.lang)


st.title(ctx.t("retrain.page_title"))
st.caption(ctx.t("retrain.intro"))

definitions = [
    d
    for d in cached.kpi_definitions(ctx.path, ctx.fingerprint)
    if ctx.family is None or d.spec.family == ctx.family
]
if not definitions:
    st.info(ctx.t("retrain.no_kpis"))
    st.stop()

names = {d.spec.kpi_id: d.spec.name for d in definitions}
currency_of = {d.spec.kpi_id: d.spec.value.currency for d in definitions}
# Open on the first KPI that has a stored plan: that is where a retraining case already exists.
with_plans = [k for k in names if cached.retraining_plans(ctx.path, ctx.fingerprint, k)]
kpi_id = st.selectbox(
    ctx.t("retrain.kpi"),
    list(names),
    index=list(names).index(with_plans[0]) if with_plans else 0,
    format_func=lambda k: f"{names[k]} ({k})",
    key="retrain_kpi",
)
currency = currency_of[kpi_id]

plans = {p.plan.plan_id: p.plan for p in cached.retraining_plans(ctx.path, ctx.fingerprint, kpi_id)}
plan_id = st.selectbox(
    ctx.t("retrain.plan"),
    [*plans, NO_PLAN],
    format_func=lambda p: f"{plans[p].name} ({p})" if p else ctx.t("retrain.no_plan"),
    key=f"retrain_plan_{kpi_id}",
)
plan = plans.get(plan_id)
# Widgets are keyed by the plan, so choosing another plan fills in its figures.
scope = f"{kpi_id}_{plan_id or 'none'}"

experiments = {
    d.spec.id: [m.name for m in d.spec.metrics]
    for d in cached.experiment_definitions(ctx.path, ctx.fingerprint)
}
left, right = st.columns(2)
with left:
    measured_by_default = bool(plan and plan.uplift_experiment)
    source = st.radio(
        ctx.t("retrain.gain_source"),
        UPLIFT_SOURCES,
        index=0 if measured_by_default else 1,
        format_func=lambda s: ctx.t(f"retrain.source_{s}"),
        horizontal=True,
        key=f"retrain_source_{scope}",
    )
    experiment_id = metric = None
    uplift = uplift_se = None
    if source == "experiment" and not experiments:
        st.info(ctx.t("retrain.no_experiments"))
    elif source == "experiment":
        experiment_ids = list(experiments)
        default_experiment = (
            plan.uplift_experiment
            if plan and plan.uplift_experiment in experiments
            else experiment_ids[0]
        )
        experiment_id = st.selectbox(
            ctx.t("retrain.experiment"),
            experiment_ids,
            index=experiment_ids.index(default_experiment),
            key=f"retrain_experiment_{scope}",
        )
        metric_names = experiments[experiment_id]
        # The rule `report --experiment` uses: the plan's metric, else the KPI's, else the primary.
        default_metric = cached.uplift_metric(
            ctx.path,
            ctx.fingerprint,
            experiment_id,
            kpi_id,
            plan.uplift_metric if plan and plan.uplift_metric in metric_names else None,
        )
        metric = st.selectbox(
            ctx.t("retrain.metric"),
            metric_names,
            index=metric_names.index(default_metric),
            key=f"retrain_metric_{scope}_{experiment_id}",
        )
    else:
        uplift_percent = st.number_input(
            ctx.t("retrain.uplift"),
            value=100
            * (plan.uplift if plan and plan.uplift is not None else plans_lib.DEFAULT_UPLIFT),
            step=0.1,
            format="%.2f",
            key=f"retrain_uplift_{scope}",
        )
        se_points = st.number_input(
            ctx.t("retrain.uplift_se"),
            min_value=0.0,
            value=100
            * (
                plan.uplift_se
                if plan and plan.uplift_se is not None
                else plans_lib.DEFAULT_UPLIFT_SE
            ),
            step=0.1,
            format="%.2f",
            key=f"retrain_uplift_se_{scope}",
        )
        uplift, uplift_se = uplift_percent / 100, se_points / 100

with right:
    st.markdown(f"**{ctx.t('retrain.cost_parts')}**")
    cost_columns = st.columns(2)
    person_days = cost_columns[0].number_input(
        ctx.t("retrain.person_days"),
        min_value=0.0,
        value=float(plan.person_days if plan else plans_lib.DEFAULT_PERSON_DAYS),
        step=1.0,
        format="%.1f",
        key=f"retrain_person_days_{scope}",
    )
    day_rate = cost_columns[1].number_input(
        ctx.t("retrain.day_rate", currency=currency),
        min_value=0.0,
        value=float(plan.day_rate if plan else plans_lib.DEFAULT_DAY_RATE),
        step=10_000.0,
        format="%.0f",
        key=f"retrain_day_rate_{scope}",
    )
    compute_cost = cost_columns[0].number_input(
        ctx.t("retrain.compute_cost", currency=currency),
        min_value=0.0,
        value=float(plan.compute_cost if plan else plans_lib.DEFAULT_COMPUTE_COST),
        step=50_000.0,
        format="%.0f",
        key=f"retrain_compute_{scope}",
    )
    release_cost = cost_columns[1].number_input(
        ctx.t("retrain.release_cost", currency=currency),
        min_value=0.0,
        value=float(plan.release_cost if plan else plans_lib.DEFAULT_RELEASE_COST),
        step=50_000.0,
        format="%.0f",
        key=f"retrain_release_{scope}",
    )
    cost = plans_lib.retraining_cost(person_days, day_rate, compute_cost, release_cost)
    st.caption(ctx.t("retrain.total_cost", cost=format_money(cost, currency, ctx.lang)))

with st.expander(ctx.t("retrain.assumptions")):
    horizon_days = st.number_input(
        ctx.t("retrain.horizon_days"),
        min_value=1,
        max_value=3650,
        value=int(plan.horizon_days if plan else economics.DEFAULT_HORIZON_DAYS),
        step=30,
        key=f"retrain_horizon_{scope}",
    )
    discount_percent = st.number_input(
        ctx.t("retrain.discount_rate"),
        min_value=-99.0,
        value=100 * (plan.discount_rate if plan else economics.DEFAULT_DISCOUNT_RATE),
        step=0.5,
        key=f"retrain_discount_{scope}",
    )
    has_fallback = st.checkbox(
        ctx.t("retrain.has_fallback"),
        value=bool(plan and plan.fallback_value_per_day is not None),
        key=f"retrain_has_fallback_{scope}",
    )
    fallback = None
    if has_fallback:
        fallback = st.number_input(
            ctx.t("retrain.fallback", currency=currency),
            value=float(plan.fallback_value_per_day or 0.0) if plan else 0.0,
            step=100_000.0,
            format="%.0f",
            key=f"retrain_fallback_{scope}",
        )

if source == "experiment" and experiment_id is None:
    st.stop()

request = CaseRequest(
    kpi_id=kpi_id,
    cost=cost,
    uplift_experiment=experiment_id,
    uplift_metric=metric,
    uplift=uplift,
    uplift_se=uplift_se,
    horizon_days=int(horizon_days),
    discount_rate=discount_percent / 100,
    fallback_value_per_day=fallback,
    plan_id=plan_id or None,
)
built = cached.retraining_case(ctx.path, ctx.fingerprint, request)
if isinstance(built, cached.CaseNotBuilt):
    error = built.error()
    problem = explain(error, currency) if error is not None else plain(built.message)
    st.warning(ctx.t("retrain.cannot_evaluate", problem=problem))
    st.stop()
case = built.case
result = case.economics

st.divider()
figures = [*st.columns(3), *st.columns(3)[:2]]
figures[0].metric(ctx.t("retrain.npv"), format_money(result.npv.expected, currency, ctx.lang))
figures[0].caption(
    ctx.t(
        "retrain.npv_range",
        p10=format_money(result.npv.p10, currency, ctx.lang),
        p90=format_money(result.npv.p90, currency, ctx.lang),
    )
)
figures[1].metric(
    ctx.t("retrain.probability_positive"),
    format_percent(result.npv.probability_positive, ctx.lang, digits=0),
)
figures[2].metric(
    ctx.t("retrain.payback"),
    ctx.t("retrain.days", days=format_number(result.payback_days, ctx.lang, 1))
    if result.payback_days is not None
    else ctx.t("retrain.payback_never"),
)
figures[3].metric(
    ctx.t("retrain.break_even"), format_percent(result.break_even_uplift, ctx.lang, digits=2)
)
interval, interval_low, interval_high = result.optimal_interval_days
figures[4].metric(
    ctx.t("retrain.optimal_interval"),
    ctx.t("retrain.days", days=format_number(interval, ctx.lang, 1))
    if interval is not None
    else ctx.t("retrain.open_ended"),
)
figures[4].caption(
    ctx.t(
        "retrain.interval_range",
        low=format_number(interval_low, ctx.lang, 1),
        high=format_number(interval_high, ctx.lang, 1)
        if interval_high is not None
        else ctx.t("retrain.open_ended"),
    )
)

recommendation = result.recommendation
st.subheader(ctx.t("retrain.recommendation"))
action = ctx.t(f"retrain.action.{recommendation.action}")
reasons = [f"- {reason_text(reason, case, ctx.lang)}" for reason in recommendation.reasons]
message = "\n".join([f"**{action}**", "", *reasons])
getattr(st, ACTION_STYLE[recommendation.action])(message)

st.subheader(ctx.t("retrain.options_title"))
st.plotly_chart(options_figure(case, ctx.lang), width="stretch")
table = options_table(case, ctx.lang)
show_table(pd.DataFrame(list(table.rows), columns=list(table.header)), hide_index=True)

download_columns = st.columns([1, 2, 2])
report_lang = download_columns[0].selectbox(
    ctx.t("retrain.report_language"),
    LANGUAGES,
    index=LANGUAGES.index(ctx.lang),
    format_func=lambda code: translate(code, "app.language_name"),
    key="retrain_report_lang",
)
prepared = today(system_clock)
for column, report_format in zip(download_columns[1:], REPORT_FORMATS, strict=True):
    label = f"retrain.download_{report_format}"
    text = cached.retraining_report(
        ctx.path, ctx.fingerprint, request, report_lang, report_format, prepared
    )
    if text is not None:
        column.download_button(
            ctx.t(label),
            data=text.encode("utf-8"),
            file_name=report_filename(case, report_lang, report_format),
            mime="text/html" if report_format == "html" else "text/markdown",
            key=f"retrain_download_{report_format}",
        )

st.subheader(ctx.t("retrain.decision_title"))
with st.form("retrain_decision", clear_on_submit=True):
    choice = st.radio(
        ctx.t("retrain.decision"),
        plans_lib.DECISION_CHOICES,
        format_func=lambda c: ctx.t(f"retrain.choice.{c}"),
        horizontal=True,
    )
    rationale = st.text_area(ctx.t("retrain.rationale"))
    submitted = st.form_submit_button(ctx.t("retrain.record"))
if submitted:
    evidence = plans_lib.evidence_for(case, case_to_json(case), plan_id or None)
    try:
        decision = retraining_service.record_decision(
            ctx.settings, kpi_id, choice, rationale, evidence, clock=system_clock
        )
    except YardstickError as error:
        st.error(explain(error, currency))
    else:
        cached.clear_after_write()
        st.success(
            ctx.t(
                "retrain.recorded",
                decision=ctx.t(f"retrain.choice.{choice}"),
                id=decision.decision_id,
            )
        )

"""Retraining: is retraining a KPI's model worth its cost? NPV with its range, payback, break-even
uplift, the optimal interval, the options side by side, the recommendation, the report to download,
and the decision recorded in the KPI's decision record."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from core.clock import system_clock, today
from core.errors import YardstickError
from core.vocab import DECISION_CHOICES, REPORT_FORMATS, UPLIFT_SOURCES
from experiments.spec import belongs_to_family
from i18n.catalogue import LANGUAGES, translate
from i18n.format import format_money, format_number, format_percent
from i18n.report import best_day_text, origin_text
from i18n.retraining import case_to_json, reason_text
from kpi import economics
from kpi import plan as plans_lib
from kpi.checks import MAX_HORIZON_DAYS
from kpi.retraining import CaseRequest, decision_urgency
from reports.blocks import options_table
from reports.charts import options_figure
from reports.retraining import report_filename
from services import retraining as retraining_service
from ui import cached
from ui.context import page_context
from ui.tables import show_table
from ui.text import describe_plain

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


def amount_input(
    column: DeltaGenerator, name: str, planned: float | None, step: float, currency: str
) -> float | None:
    """A cost part (`name` is its field), starting from the plan's figure, else empty."""
    return column.number_input(
        ctx.t(FIELD_LABELS[name], currency=currency),
        min_value=0.0,
        value=float(planned) if planned is not None else None,
        step=step,
        format="%.1f" if step < 10 else "%.0f",
        key=f"retrain_{name}_{scope}",
    )


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
family_of = {d.spec.kpi_id: d.spec.family for d in definitions}
# Open on the KPI that most needs a decision (at exit, then warning, then the largest value lost
# per day), unless the URL (?kpi=...) or the session has picked one.
statuses = {s.kpi_id: s for s in cached.kpi_statuses(ctx.path, ctx.fingerprint)}
ordered = sorted(
    names,
    key=lambda k: (
        decision_urgency(statuses[k].status, statuses[k].decay_per_day)
        if k in statuses
        else decision_urgency("no_data", None)
    ),
)
requested = st.query_params.get("kpi")
if "retrain_kpi" not in st.session_state and requested in names:
    st.session_state["retrain_kpi"] = requested
kpi_id = st.selectbox(
    ctx.t("retrain.kpi"),
    ordered,
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
# Widgets are keyed by the plan, so choosing another plan fills in its figures; without a plan
# they start empty: no verdict is shown on figures nobody entered.
scope = f"{kpi_id}_{plan_id or 'none'}"

# Only experiments that test a model of the KPI's family can measure its retrained model's gain.
registry = cached.models(ctx.path, ctx.fingerprint, None)
family_of_model = dict(zip(registry["model_id"], registry["family"], strict=True))
experiments = {
    d.spec.id: [m.name for m in d.spec.metrics]
    for d in cached.experiment_definitions(ctx.path, ctx.fingerprint)
    if belongs_to_family(d.spec, family_of_model, family_of[kpi_id])
}
left, right = st.columns(2)
with left:
    assumed_by_plan = bool(plan and plan.uplift is not None)
    source = st.radio(
        ctx.t("retrain.gain_source"),
        UPLIFT_SOURCES,
        index=1 if assumed_by_plan or not experiments else 0,
        format_func=lambda s: ctx.t(f"retrain.source_{s}"),
        horizontal=True,
        key=f"retrain_source_{scope}",
    )
    experiment_id = metric = None
    uplift = uplift_se = None
    if source == "experiment" and not experiments:
        st.info(ctx.t("retrain.no_family_experiments", family=family_of[kpi_id]))
    elif source == "experiment":
        experiment_ids = list(experiments)
        experiment_id = st.selectbox(
            ctx.t("retrain.experiment"),
            experiment_ids,
            index=experiment_ids.index(plan.uplift_experiment)
            if plan and plan.uplift_experiment in experiments
            else None,
            placeholder=ctx.t("retrain.choose_experiment"),
            key=f"retrain_experiment_{scope}",
        )
        if experiment_id is not None:
            metric_names = experiments[experiment_id]
            # The rule `report --experiment` uses: the plan's metric, else the KPI's, else the
            # primary.
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
            value=100 * plan.uplift if plan and plan.uplift is not None else None,
            step=0.1,
            format="%.2f",
            key=f"retrain_uplift_{scope}",
        )
        se_points = st.number_input(
            ctx.t("retrain.uplift_se"),
            min_value=0.0,
            value=100 * plan.uplift_se if plan and plan.uplift_se is not None else None,
            step=0.1,
            format="%.2f",
            key=f"retrain_uplift_se_{scope}",
        )
        uplift = uplift_percent / 100 if uplift_percent is not None else None
        uplift_se = se_points / 100 if se_points is not None else None


with right:
    st.markdown(f"**{ctx.t('retrain.cost_parts')}**")
    cost_columns = st.columns(2)
    cost_parts = {
        name: amount_input(
            cost_columns[index % 2],
            name,
            getattr(plan, name) if plan else None,
            step,
            currency,
        )
        for index, (name, step) in enumerate(
            (
                ("person_days", 1.0),
                ("day_rate", 10_000.0),
                ("compute_cost", 50_000.0),
                ("release_cost", 50_000.0),
            )
        )
    }
    given_parts = [part for part in cost_parts.values() if part is not None]
    cost = plans_lib.retraining_cost(*given_parts) if len(given_parts) == 4 else None
    if cost is not None:
        st.caption(ctx.t("retrain.total_cost", cost=format_money(cost, currency, ctx.lang)))

with st.expander(ctx.t("retrain.assumptions")):
    horizon_days = st.number_input(
        ctx.t("retrain.horizon_days"),
        min_value=1,
        max_value=MAX_HORIZON_DAYS,
        value=int(plan.horizon_days if plan else economics.DEFAULT_HORIZON_DAYS),
        step=30,
        key=f"retrain_horizon_{scope}",
    )
    # No lower bound on the widget: kpi.checks holds the rule (MIN_DISCOUNT_RATE) and words a
    # refusal.
    discount_percent = st.number_input(
        ctx.t("retrain.discount_rate"),
        value=100 * (plan.discount_rate if plan else economics.DEFAULT_DISCOUNT_RATE),
        step=0.5,
        key=f"retrain_discount_{scope}",
    )
# Withdrawal is weighed against the plan's fallback value, else the KPI's stored one; without
# either the field starts empty and the page asks for it.
stored_fallback = cached.retraining_fallback(ctx.path, ctx.fingerprint, kpi_id)
planned_fallback = plan.fallback_value_per_day if plan else None
fallback_columns = st.columns([3, 2], vertical_alignment="bottom")
fallback = fallback_columns[0].number_input(
    ctx.t("retrain.fallback", currency=currency),
    value=planned_fallback
    if planned_fallback is not None
    else (stored_fallback.value_per_day if stored_fallback else None),
    step=100_000.0,
    format="%.0f",
    help=ctx.t("retrain.fallback_help"),
    key=f"retrain_fallback_{scope}",
)
unsaved = fallback is not None and (
    stored_fallback is None or stored_fallback.value_per_day != fallback
)
if (
    unsaved
    and fallback is not None
    and fallback_columns[1].button(ctx.t("retrain.save_fallback"), key=f"retrain_save_{scope}")
):
    try:
        retraining_service.save_fallback(ctx.settings, kpi_id, fallback, None, clock=system_clock)
    except YardstickError as refused:
        st.error(explain(refused, currency))
    else:
        ctx = cached.after_write(ctx)
        st.success(
            ctx.t("retrain.fallback_saved", value=format_money(fallback, currency, ctx.lang))
        )

# What is still to be entered, by the label the reader sees; no verdict until it is complete.
gain_inputs = (
    {"uplift_experiment": experiment_id}
    if source == "experiment"
    else {"uplift": uplift, "uplift_se": uplift_se}
)
missing = [name for name, value in {**gain_inputs, **cost_parts}.items() if value is None]
if source == "experiment" and not experiments:
    st.stop()
if missing:
    st.info(ctx.t("retrain.fill_inputs"))
    st.text("\n".join(f"• {ctx.t(FIELD_LABELS[name], currency=currency)}" for name in missing))
    st.stop()
assert cost is not None


def plan_gain_kept() -> bool:
    """Whether the gain on the page is still the stored plan's (then the plan is its source)."""
    if plan is None:
        return False
    if source == "experiment":
        return (experiment_id, metric) == (plan.uplift_experiment, plan.uplift_metric)
    return all(
        entered is not None and planned is not None and math.isclose(entered, planned)
        for entered, planned in ((uplift, plan.uplift), (uplift_se, plan.uplift_se))
    )


request = CaseRequest(
    kpi_id=kpi_id,
    cost=cost,
    uplift_experiment=experiment_id,
    uplift_metric=metric,
    uplift=uplift,
    uplift_se=uplift_se,
    horizon_days=int(horizon_days),
    discount_rate=discount_percent / 100,
    # The stored value is read by the use case itself, which then says it was the stored one.
    fallback_value_per_day=None
    if planned_fallback is None and stored_fallback and fallback == stored_fallback.value_per_day
    else fallback,
    plan_id=plan_id or None,
    uplift_origin="plan" if plan_gain_kept() else None,
)
# With what changed around the KPI: the same cached build then serves both report downloads.
built = cached.retraining_case(ctx.path, ctx.fingerprint, request, explain=True)
if isinstance(built, cached.CaseNotBuilt):
    st.warning(ctx.t("retrain.cannot_evaluate", problem=explain(built.error(), currency)))
    st.stop()
case = built.case
result = case.economics

st.divider()
figures = [*st.columns(3), *st.columns(3)]
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
figures[5].metric(ctx.t("retrain.best_retrain_day"), best_day_text(case, ctx.lang))
later = result.option("retrain_later")
if result.best_retrain_day > 0 and later.npv is not None:
    figures[5].caption(
        ctx.t(
            "retrain.best_day_edge",
            gain=format_money(later.npv.expected - result.npv.expected, currency, ctx.lang),
            probability=format_percent(later.probability_better_than_now, ctx.lang, digits=0),
        )
    )

recommendation = result.recommendation
st.subheader(ctx.t("retrain.recommendation"))
# Plain text: the plan's and the experiment's ids are user text.
st.text(origin_text(case, ctx.lang))
action = ctx.t(f"retrain.action.{recommendation.action}")
reasons = [f"- {reason_text(reason, case, ctx.lang)}" for reason in recommendation.reasons]
message = "\n".join([f"**{action}**", "", *reasons])
getattr(st, ACTION_STYLE[recommendation.action])(message)
if fallback is None:
    st.caption(ctx.t("retrain.fallback_missing"))

st.subheader(ctx.t("retrain.options_title"))
st.caption(ctx.t("retrain.options_caption", horizon=result.inputs.horizon_days))
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
        DECISION_CHOICES,
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
        ctx = cached.after_write(ctx)
        st.success(
            ctx.t(
                "retrain.recorded",
                decision=ctx.t(f"retrain.choice.{choice}"),
                id=decision.decision_id,
            )
        )

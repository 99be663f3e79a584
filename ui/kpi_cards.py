"""KPI cards for the Overview page: what a business owner needs to act on each KPI.

Per KPI: the status and since when, the day it was judged on (and whether its data stopped), the
value against the agreed lines, the money (per day and lost to date), the forecast, and the next
move with a link to its evidence: the latest recorded decision, the recommendation of a stored
retraining plan (evaluated by `services.retraining`), or a plain "no retraining case yet".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import streamlit as st

from i18n.errors import describe
from i18n.format import format_date, format_money, format_number
from kpi.degradation import Crossing
from kpi.plan import request_from_plan
from kpi.status import KpiStatus
from services.kpis import Decision
from services.retraining import BuiltCase
from ui import cached
from ui.context import PageContext

KPIS_PAGE = "pages/kpis.py"
RETRAINING_PAGE = "pages/retraining.py"
# The selectbox keys of the pages a card links to: setting one before switching opens that page
# on the card's KPI.
PAGE_KPI_KEYS = {KPIS_PAGE: "kpi_chosen", RETRAINING_PAGE: "retrain_kpi"}

STATUS_COLOURS = {"healthy": "green", "warning": "orange", "exit": "red", "no_data": "gray"}


def format_metric(value: float | None, lang: str) -> str:
    """A KPI value with the digits its magnitude needs (0.0457, 3.21, 187.9)."""
    if value is None or not math.isfinite(value):
        return "–"
    magnitude = abs(value)
    digits = 4 if magnitude < 1 else 2 if magnitude < 10 else 1
    return format_number(value, lang, digits)


def trend_arrow(status: KpiStatus) -> str:
    """↗ / ↘ / → for a rising, falling or flat trend (flat: the interval holds zero)."""
    if status.trend is None:
        return "–"
    low, high = status.trend.per_30_days_ci
    if low <= 0 <= high:
        return "→"
    return "↗" if status.trend.per_30_days > 0 else "↘"


def forecast_sentence(ctx: PageContext, status: KpiStatus) -> str:
    """One sentence: the next line the trend is expected to cross, and when."""
    if status.forecast_exit is not None:
        return _crossing_sentence(ctx, "exit", status.forecast_exit)
    if status.forecast_warning is not None:
        return _crossing_sentence(ctx, "warning", status.forecast_warning)
    if status.status == "exit":
        return ctx.t("kpi.forecast.exit_met")
    return ctx.t("kpi.forecast.none")


def _crossing_sentence(ctx: PageContext, line_key: str, crossing: Crossing) -> str:
    line = ctx.t(f"kpi.line.{line_key}")
    if crossing.latest is None:
        return ctx.t(
            "kpi.forecast.open_ended",
            line=line,
            date=format_date(crossing.date, ctx.lang),
            low=format_date(crossing.earliest, ctx.lang),
        )
    return ctx.t(
        "kpi.forecast.crossing",
        line=line,
        date=format_date(crossing.date, ctx.lang),
        low=format_date(crossing.earliest, ctx.lang),
        high=format_date(crossing.latest, ctx.lang),
    )


def status_badge(ctx: PageContext, status: KpiStatus) -> str:
    """The status as a coloured Markdown badge, shown whole (a metric would cut it short)."""
    return f":{STATUS_COLOURS[status.status]}-badge[{ctx.t(f'kpi.status.{status.status}')}]"


def money_sentence(ctx: PageContext, status: KpiStatus) -> str:
    """What the KPI is worth a day, or what it costs when its value model gives a loss.

    A lower-is-better KPI such as latency is priced with a negative unit value, so its
    `value_per_day` is a cost; "worth -¥97k" reads as nonsense, "costs ¥97k" does not.
    """
    per_day = status.value_per_day
    if per_day is not None and per_day < 0:
        return ctx.t(
            "kpi.card.cost",
            per_day=format_money(-per_day, status.currency, ctx.lang),
            arrow=trend_arrow(status),
        )
    return ctx.t(
        "kpi.card.money",
        per_day=format_money(per_day, status.currency, ctx.lang),
        arrow=trend_arrow(status),
    )


def as_of_sentence(ctx: PageContext, status: KpiStatus) -> str:
    """The day the KPI was judged on."""
    return ctx.t("kpi.card.as_of", date=format_date(status.as_of, ctx.lang))


def staleness_warning(ctx: PageContext, status: KpiStatus) -> str | None:
    """Why the status may be out of date (no data, or data older than the spec allows)."""
    if status.last_data_date is None or status.stale_days is None:
        return ctx.t("kpi.card.no_data_yet")
    if status.stale_days > status.max_staleness_days:
        return ctx.t(
            "kpi.card.stale",
            date=format_date(status.last_data_date, ctx.lang),
            days=status.stale_days,
            allowed=status.max_staleness_days,
        )
    return None


def status_since_sentence(ctx: PageContext, status: KpiStatus) -> str | None:
    """ "At exit since DATE (N days)" / "At warning since ..."; None when healthy or no data."""
    if status.status not in ("warning", "exit") or status.status_since is None:
        return None
    days = (status.as_of - status.status_since).days + 1
    return ctx.t(
        f"kpi.card.since_{status.status}",
        date=format_date(status.status_since, ctx.lang),
        days=days,
    )


def value_lost_sentence(ctx: PageContext, status: KpiStatus) -> str:
    """Value lost since deployment (or gained, when the KPI improved on its first weeks)."""
    lost = status.value_lost_to_date
    if lost is None:
        return ctx.t("kpi.card.value_lost_unknown")
    key = "kpi.card.value_lost" if lost >= 0 else "kpi.card.value_gained"
    return ctx.t(key, amount=format_money(abs(lost), status.currency, ctx.lang))


@dataclass(frozen=True)
class ActionView:
    """One line about the next move on a KPI and where its evidence is.

    Attributes:
        sentence: what was decided or is recommended (or that nothing is yet).
        link_label: the label of the button that opens the evidence.
        page: the page holding the evidence (the decision record or the retraining case).
        kpi_id: the KPI that page should open on.
    """

    sentence: str
    link_label: str
    page: str
    kpi_id: str


def decision_action(ctx: PageContext, decision: Decision) -> ActionView:
    """The latest recorded decision, linked to the decision record on the KPIs page."""
    return ActionView(
        ctx.t(
            "kpi.card.decided",
            decision=ctx.t(f"kpi.decision.{decision.decision}"),
            date=format_date(decision.decided_at, ctx.lang),
            version=decision.version,
        ),
        ctx.t("kpi.card.open_decisions"),
        KPIS_PAGE,
        decision.kpi_id,
    )


def plan_action(
    ctx: PageContext, kpi_id: str, plan_id: str, built: BuiltCase | cached.CaseNotBuilt
) -> ActionView:
    """A stored plan's recommendation (or why it cannot be evaluated), linked to the case."""
    if isinstance(built, cached.CaseNotBuilt):
        reason = describe(built.error(), ctx.lang)
        sentence = ctx.t("kpi.card.plan_not_built", plan=plan_id, reason=reason)
    else:
        action = built.case.economics.recommendation.action
        sentence = ctx.t(
            "kpi.card.plan_recommends", plan=plan_id, action=ctx.t(f"retrain.action.{action}")
        )
    return ActionView(sentence, ctx.t("kpi.card.open_case"), RETRAINING_PAGE, kpi_id)


def no_case_action(ctx: PageContext, kpi_id: str) -> ActionView:
    """Neither a decision nor a plan: say so, and link to the Retraining page for this KPI."""
    return ActionView(
        ctx.t("kpi.card.no_case"), ctx.t("kpi.card.start_case"), RETRAINING_PAGE, kpi_id
    )


def action_views(
    ctx: PageContext,
    kpi_id: str,
    decision: Decision | None,
    plan_cases: list[tuple[str, BuiltCase | cached.CaseNotBuilt]],
) -> list[ActionView]:
    """The next-move lines of a card, only from real inputs: the latest decision and each stored
    plan's evaluated case; "no retraining case yet" when there is neither (never a default)."""
    views = [decision_action(ctx, decision)] if decision is not None else []
    views += [plan_action(ctx, kpi_id, plan_id, built) for plan_id, built in plan_cases]
    return views or [no_case_action(ctx, kpi_id)]


def _latest_decision(ctx: PageContext, kpi_id: str) -> Decision | None:
    # Newest first, as the service returns them.
    decisions = cached.kpi_decisions(ctx.path, ctx.fingerprint)
    return next((d for d in decisions if d.kpi_id == kpi_id), None)


def _plan_cases(ctx: PageContext, kpi_id: str) -> list[tuple[str, BuiltCase | cached.CaseNotBuilt]]:
    plans = cached.retraining_plans(ctx.path, ctx.fingerprint, kpi_id)
    return [
        (
            stored.plan.plan_id,
            cached.retraining_case(ctx.path, ctx.fingerprint, request_from_plan(stored.plan)),
        )
        for stored in plans
    ]


def _open_on(page: str, kpi_id: str) -> None:
    st.session_state[PAGE_KPI_KEYS[page]] = kpi_id


def render_action(view: ActionView, key: str) -> None:
    """The line and a button that opens its evidence on the KPI."""
    st.text(view.sentence)
    if st.button(view.link_label, key=key, on_click=_open_on, args=(view.page, view.kpi_id)):
        st.switch_page(view.page)


def render_kpi_card(ctx: PageContext, status: KpiStatus) -> None:
    """One bordered card for one KPI."""
    with st.container(border=True):
        # The name is user text: shown as text, never as Markdown.
        st.text(status.name)
        st.markdown(status_badge(ctx, status))
        st.caption(as_of_sentence(ctx, status))
        stale = staleness_warning(ctx, status)
        if stale is not None:
            st.warning(stale, icon=":material/schedule:")
        since = status_since_sentence(ctx, status)
        if since is not None:
            st.caption(since)
        delta = None if status.value is None else status.value - status.target
        st.metric(
            ctx.t("kpi.card.value_vs_target", target=format_metric(status.target, ctx.lang)),
            format_metric(status.value, ctx.lang),
            delta=format_metric(delta, ctx.lang) if delta is not None else None,
            delta_color="normal" if status.direction == "increase" else "inverse",
        )
        st.caption(
            ctx.t(
                "kpi.card.lines",
                target=format_metric(status.target, ctx.lang),
                warning=format_metric(status.warning, ctx.lang),
                exit=format_metric(status.exit, ctx.lang),
            )
        )
        st.caption(money_sentence(ctx, status))
        st.caption(value_lost_sentence(ctx, status))
        st.caption(forecast_sentence(ctx, status))
        if status.ignored_future_rows:
            st.caption(ctx.t("kpi.card.future_rows", rows=status.ignored_future_rows))
        estimate = cached.kpi_estimates(ctx.path, ctx.fingerprint).get(status.kpi_id)
        if estimate is not None:
            # Imported here: ui.estimated builds on this module's presenters.
            from ui.estimated import render_estimate

            render_estimate(ctx, estimate)
        st.markdown(f"**{ctx.t('kpi.card.next_move')}**")
        views = action_views(
            ctx,
            status.kpi_id,
            _latest_decision(ctx, status.kpi_id),
            _plan_cases(ctx, status.kpi_id),
        )
        for index, view in enumerate(views):
            render_action(view, f"kpi-card-{status.kpi_id}-{index}")


def render_kpi_cards(ctx: PageContext) -> None:
    """The KPI cards of the chosen family (all families when none is chosen), three a row."""
    statuses = [
        s
        for s in cached.kpi_statuses(ctx.path, ctx.fingerprint)
        if ctx.family is None or s.family == ctx.family
    ]
    st.subheader(ctx.t("kpi.cards_title"))
    if not statuses:
        st.caption(ctx.t("kpi.no_kpis"))
        return
    columns = st.columns(3)
    for index, status in enumerate(statuses):
        with columns[index % 3]:
            render_kpi_card(ctx, status)

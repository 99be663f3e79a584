"""KPI cards for the Overview page: status, value against the agreed lines, money, forecast."""

from __future__ import annotations

import math

import streamlit as st

from i18n.format import format_date, format_money, format_number
from kpi.degradation import Crossing
from kpi.status import KpiStatus
from ui import cached
from ui.context import PageContext
from ui.text import plain

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


def render_kpi_card(ctx: PageContext, status: KpiStatus) -> None:
    """One bordered card for one KPI."""
    with st.container(border=True):
        st.markdown(f"**{plain(status.name)}** {status_badge(ctx, status)}")
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
        st.caption(forecast_sentence(ctx, status))


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

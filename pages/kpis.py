"""KPIs: the agreed definitions with their version history, the editor, and the decision record."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import toml
from core.clock import system_clock
from core.errors import YardstickError
from core.vocab import DIRECTIONS, KPI_DECISIONS, SOURCES, VALUE_KINDS
from i18n.format import format_date, format_timestamp
from kpi.spec import (
    DEFAULT_CONFIDENCE,
    DEFAULT_MAX_STALENESS_DAYS,
    spec_from_mapping,
    spec_to_mapping,
    value_parameters,
)
from services import kpis
from ui import cached
from ui.context import page_context
from ui.kpi_cards import format_metric
from ui.tables import show_table
from ui.text import describe_plain, plain

NEW_KPI = "__new__"

ctx = page_context()
st.title(ctx.t("kpi.page_title"))
st.caption(ctx.t("kpi.page_intro"))

definitions = cached.kpi_definitions(ctx.path, ctx.fingerprint)
shown = [d for d in definitions if ctx.family is None or d.spec.family == ctx.family]

st.subheader(ctx.t("kpi.definitions"))
if shown:
    # Two narrow tables rather than one wide one: at 1280 px a ten-column table scrolls its
    # agreed lines out of sight.
    show_table(
        pd.DataFrame(
            {
                ctx.t("kpi.col.id"): [d.spec.kpi_id for d in shown],
                ctx.t("kpi.col.name"): [d.spec.name for d in shown],
                ctx.t("kpi.col.owner"): [d.spec.owner for d in shown],
                ctx.t("kpi.col.version"): [d.version for d in shown],
            }
        ),
        hide_index=True,
        width="stretch",
    )
    st.markdown(f"**{ctx.t('kpi.agreed_lines')}**")
    show_table(
        pd.DataFrame(
            {
                ctx.t("kpi.col.id"): [d.spec.kpi_id for d in shown],
                ctx.t("kpi.col.family"): [d.spec.family for d in shown],
                ctx.t("kpi.col.metric"): [d.spec.metric for d in shown],
                ctx.t("kpi.col.direction"): [
                    ctx.t(f"kpi.direction.{d.spec.direction}") for d in shown
                ],
                ctx.t("kpi.line.target"): [format_metric(d.spec.target, ctx.lang) for d in shown],
                ctx.t("kpi.line.warning"): [format_metric(d.spec.warning, ctx.lang) for d in shown],
                ctx.t("kpi.line.exit"): [
                    format_metric(d.spec.exit_threshold, ctx.lang) for d in shown
                ],
            }
        ),
        hide_index=True,
        width="stretch",
    )
else:
    st.info(ctx.t("kpi.no_kpis"))

ids = [d.spec.kpi_id for d in shown]
chosen = st.selectbox(
    ctx.t("kpi.choose"),
    [*ids, NEW_KPI],
    format_func=lambda k: ctx.t("kpi.new_kpi") if k == NEW_KPI else k,
    key="kpi_chosen",
)

if chosen != NEW_KPI:
    st.subheader(ctx.t("kpi.history", kpi_id=plain(chosen)))
    history = cached.kpi_history(ctx.path, ctx.fingerprint, chosen)
    show_table(
        pd.DataFrame(
            {
                ctx.t("kpi.col.version"): [v.version for v in history],
                ctx.t("kpi.col.created_at"): [
                    format_timestamp(v.created_at, ctx.lang) for v in history
                ],
                ctx.t("kpi.col.author"): [v.author for v in history],
                ctx.t("kpi.line.target"): [format_metric(v.spec.target, ctx.lang) for v in history],
                ctx.t("kpi.line.warning"): [
                    format_metric(v.spec.warning, ctx.lang) for v in history
                ],
                ctx.t("kpi.line.exit"): [
                    format_metric(v.spec.exit_threshold, ctx.lang) for v in history
                ],
                ctx.t("kpi.col.rationale"): [v.spec.rationale for v in history],
            }
        ),
        hide_index=True,
        width="stretch",
    )
    evaluations = cached.kpi_evaluations(ctx.path, ctx.fingerprint, chosen)
    if evaluations:
        st.markdown(f"**{ctx.t('kpi.recorded_evaluations')}**")
        show_table(
            pd.DataFrame(
                {
                    ctx.t("kpi.col.as_of"): [format_date(e.as_of, ctx.lang) for e in evaluations],
                    ctx.t("kpi.col.version"): [e.version for e in evaluations],
                    ctx.t("kpi.col.status"): [ctx.t(f"kpi.status.{e.status}") for e in evaluations],
                    ctx.t("kpi.col.value"): [format_metric(e.value, ctx.lang) for e in evaluations],
                    ctx.t("kpi.col.evaluated_by"): [e.evaluated_by for e in evaluations],
                }
            ),
            hide_index=True,
            width="stretch",
        )

st.subheader(ctx.t("kpi.editor"))
current = (
    cached.kpi_history(ctx.path, ctx.fingerprint, chosen)[-1].spec if chosen != NEW_KPI else None
)
families = cached.families(ctx.path, ctx.fingerprint)
# The value model's own parameters, written as the editor takes them (kind and currency have their
# own widgets).
value_table: dict[str, object] = spec_to_mapping(current)["value"] if current else {}
value_text = toml.inline({k: v for k, v in value_table.items() if k not in ("kind", "currency")})

with st.form(f"kpi_editor_{chosen}"):
    left, right = st.columns(2)
    with left:
        kpi_id = st.text_input(
            ctx.t("kpi.field.id"),
            value=current.kpi_id if current else "",
            disabled=current is not None,
        )
        name = st.text_input(ctx.t("kpi.field.name"), value=current.name if current else "")
        family_default = current.family if current else ""
        family = st.selectbox(
            ctx.t("kpi.field.family"),
            families,
            index=families.index(family_default) if family_default in families else 0,
        )
        metric = st.text_input(ctx.t("kpi.field.metric"), value=current.metric if current else "")
        source = st.selectbox(
            ctx.t("kpi.field.source"),
            SOURCES,
            index=SOURCES.index(current.source if current else "online"),
        )
        direction = st.selectbox(
            ctx.t("kpi.field.direction"),
            DIRECTIONS,
            index=DIRECTIONS.index(current.direction if current else "increase"),
            format_func=lambda d: ctx.t(f"kpi.direction.{d}"),
        )
        owner = st.text_input(ctx.t("kpi.field.owner"), value=current.owner if current else "")
    with right:
        target = st.number_input(
            ctx.t("kpi.line.target"), value=float(current.target) if current else 0.0, format="%g"
        )
        warning = st.number_input(
            ctx.t("kpi.line.warning"), value=float(current.warning) if current else 0.0, format="%g"
        )
        exit_line = st.number_input(
            ctx.t("kpi.line.exit"),
            value=float(current.exit_threshold) if current else 0.0,
            format="%g",
        )
        window_days = st.number_input(
            ctx.t("kpi.field.window_days"),
            min_value=1,
            value=int(current.window_days) if current else 7,
        )
        persistence = st.number_input(
            ctx.t("kpi.field.persistence"),
            min_value=1,
            value=int(current.persistence) if current else 3,
        )
        # No bounds on the widget: kpi.spec holds the rule (0.5 <= confidence < 1) and words a
        # refusal; a bound here would also break the page on a value the rule accepts.
        confidence = st.number_input(
            ctx.t("kpi.field.confidence"),
            value=float(current.confidence) if current else DEFAULT_CONFIDENCE,
            step=0.01,
            format="%.4g",
        )
        max_staleness_days = st.number_input(
            ctx.t("kpi.field.max_staleness_days"),
            min_value=0,
            value=int(current.max_staleness_days) if current else DEFAULT_MAX_STALENESS_DAYS,
            help=ctx.t("kpi.field.max_staleness_days_help"),
        )
    kind = st.selectbox(
        ctx.t("kpi.field.value_kind"),
        VALUE_KINDS,
        index=VALUE_KINDS.index(current.value.kind if current else "per_unit"),
    )
    currency = st.text_input(
        ctx.t("kpi.field.currency"), value=current.value.currency if current else "JPY"
    )
    parameters = st.text_input(
        ctx.t("kpi.field.value_parameters"),
        value=value_text,
        help=ctx.t("kpi.field.value_parameters_help"),
    )
    rationale = st.text_area(
        ctx.t("kpi.field.rationale"), value="", help=ctx.t("kpi.field.rationale_help")
    )
    author = st.text_input(ctx.t("kpi.field.author"), value="")
    submitted = st.form_submit_button(ctx.t("kpi.save"), type="primary")


if submitted:
    rationale_text = rationale or (current.rationale if current else "")
    mapping = {
        "id": kpi_id.strip(), "name": name, "family": family, "metric": metric.strip(),
        "source": source, "direction": direction, "target": target, "warning": warning,
        "exit": exit_line, "window_days": int(window_days), "persistence": int(persistence),
        "confidence": confidence, "max_staleness_days": int(max_staleness_days), "owner": owner,
        "rationale": rationale_text,
    }  # fmt: skip
    try:
        # The widgets map to spec keys; kpi.spec parses and validates, as for a TOML file.
        mapping["value"] = {
            "kind": kind, "currency": currency.strip(), **value_parameters(parameters, "<editor>")
        }  # fmt: skip
        spec = spec_from_mapping(mapping, "<editor>")
        outcome = kpis.define_kpi(
            ctx.settings, spec, author.strip() or None, "<editor>", clock=system_clock
        )
    except YardstickError as error:
        st.error(describe_plain(error, ctx.lang))
    else:
        ctx = cached.after_write(ctx)
        if outcome.created:
            st.success(ctx.t("kpi.saved", kpi_id=plain(outcome.kpi_id), version=outcome.version))
        else:
            st.info(ctx.t("kpi.unchanged", kpi_id=plain(outcome.kpi_id), version=outcome.version))

st.subheader(ctx.t("kpi.decisions"))
decisions = [d for d in cached.kpi_decisions(ctx.path, ctx.fingerprint) if d.kpi_id in ids]
if decisions:
    show_table(
        pd.DataFrame(
            {
                ctx.t("kpi.col.decided_at"): [
                    format_timestamp(d.decided_at, ctx.lang) for d in decisions
                ],
                ctx.t("kpi.col.id"): [d.kpi_id for d in decisions],
                ctx.t("kpi.col.version"): [d.version for d in decisions],
                ctx.t("kpi.col.decision"): [ctx.t(f"kpi.decision.{d.decision}") for d in decisions],
                ctx.t("kpi.col.decided_by"): [d.decided_by for d in decisions],
            }
        ),
        hide_index=True,
        width="stretch",
    )
    # Reasons are sentences: listed in full (as text, never Markdown) rather than cut in a cell.
    st.markdown(f"**{ctx.t('kpi.col.reason')}**")
    for d in decisions:
        st.text(
            ctx.t(
                "kpi.decision_reason",
                date=format_timestamp(d.decided_at, ctx.lang),
                kpi_id=d.kpi_id,
                reason=d.reason,
            )
        )
else:
    st.caption(ctx.t("kpi.no_decisions"))

if chosen != NEW_KPI:
    with st.form(f"kpi_decision_{chosen}"):
        decision = st.radio(
            ctx.t("kpi.col.decision"),
            KPI_DECISIONS,
            horizontal=True,
            format_func=lambda d: ctx.t(f"kpi.decision.{d}"),
        )
        decided_by = st.text_input(ctx.t("kpi.col.decided_by"))
        reason = st.text_area(ctx.t("kpi.col.reason"))
        record = st.form_submit_button(ctx.t("kpi.record_decision", kpi_id=plain(chosen)))
    if record:
        try:
            kpis.record_decision(
                ctx.settings, chosen, decision, reason, decided_by.strip() or None,
                clock=system_clock,
            )  # fmt: skip
        except YardstickError as error:
            st.error(describe_plain(error, ctx.lang))
        else:
            ctx = cached.after_write(ctx)
            st.success(ctx.t("kpi.decision_recorded", kpi_id=plain(chosen)))

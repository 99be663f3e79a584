"""Experiments: every A/B test with status, days running, units per arm, sample ratio and call."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from core.clock import system_clock
from core.errors import Unavailable, YardstickError
from experiments.analysis import ExperimentAnalysis, status_of
from experiments.spec import ExperimentSpec, belongs_to_family, parse_spec_text, spec_to_toml
from i18n.format import format_number, format_percent
from services import experiments as experiment_service
from ui import cached
from ui.context import page_context
from ui.tables import show_table
from ui.text import describe_plain, plain, unavailable_plain

DETAIL_PAGE = "pages/experiment_detail.py"
CHOSEN_KEY = "experiment_chosen"

ctx = page_context()
st.title(ctx.t("experiments.title"))
st.caption(ctx.t("experiments.intro"))


def overview_row(
    spec: ExperimentSpec, result: ExperimentAnalysis | Unavailable, now: dt.datetime
) -> dict[str, object]:
    """One line of the experiments table."""
    days = max(0, (min(now, spec.end) - spec.start).days)
    row: dict[str, object] = {
        ctx.t("experiments.col_id"): spec.id,
        ctx.t("experiments.col_name"): spec.name,
        ctx.t("experiments.col_status"): ctx.t(f"experiments.status_{status_of(spec, now)}"),
        ctx.t("experiments.col_days"): days,
    }
    if isinstance(result, Unavailable):
        row[ctx.t("experiments.col_decision")] = ctx.t("experiments.not_analysable", message="")
        return row
    # A mismatched split hides every effect: the estimate would read as a finding.
    primary = result.primary[0] if result.primary and result.valid else None
    srm_key = "srm_mismatch" if result.srm.mismatch else "srm_ok"
    row |= {
        # Counts in the spec's variant order, control first (names are on the detail page).
        ctx.t("experiments.col_units"): " / ".join(
            format_number(count, ctx.lang) for count in result.units.values()
        ),
        ctx.t("experiments.col_srm"): ctx.t(f"experiments.{srm_key}"),
        ctx.t("experiments.col_primary"): (
            f"{primary.metric} {format_percent(primary.relative_effect, ctx.lang, 2, signed=True)}"
            if primary
            else "–"
        ),
        ctx.t("experiments.col_decision"): ctx.t(f"experiments.decision_{result.recommendation}"),
    }
    return row


registry = cached.models(ctx.path, ctx.fingerprint, None)
family_of_model = dict(zip(registry["model_id"], registry["family"], strict=True))
all_definitions = cached.experiment_definitions(ctx.path, ctx.fingerprint)
definitions = [d for d in all_definitions if belongs_to_family(d.spec, family_of_model, ctx.family)]
empty_message = (
    ctx.t("experiments.no_experiments_for_family", family=plain(ctx.family))
    if all_definitions
    else ctx.t("experiments.no_experiments")
)
now = system_clock()
chosen_id = None
if not definitions:
    st.info(empty_message)
else:
    rows = []
    for definition in definitions:
        spec = definition.spec
        as_of = cached.experiment_as_of(spec.end.isoformat())
        result = cached.experiment_analysis(ctx.path, ctx.fingerprint, spec.id, as_of)
        rows.append(overview_row(spec, result, now))
        if isinstance(result, Unavailable):
            message = unavailable_plain(ctx.lang, result)
            st.caption(f"{plain(spec.id)}: " + ctx.t("experiments.not_analysable", message=message))
    table = pd.DataFrame(rows)
    srm_column = ctx.t("experiments.col_srm")
    badge_colours = {
        ctx.t("experiments.srm_ok"): "background-color: #e8f5e9; color: #1b5e20",
        ctx.t("experiments.srm_mismatch"): "background-color: #ffebee; color: #b71c1c",
    }
    styled = (
        table.style.map(lambda value: badge_colours.get(value, ""), subset=[srm_column])
        if srm_column in table
        else table
    )
    show_table(styled, file_name="experiments.csv", hide_index=True, width="stretch")
    ids = [definition.spec.id for definition in definitions]
    chosen_id = st.selectbox(ctx.t("experiments.choose_experiment"), ids, key="experiments_open")
    if st.button(ctx.t("experiments.open_detail"), key="experiments_open_button"):
        st.session_state[CHOSEN_KEY] = chosen_id
        st.switch_page(DETAIL_PAGE)

with st.expander(ctx.t("experiments.define_title"), expanded=not definitions):
    st.caption(ctx.t("experiments.define_help"))
    with st.form("experiment_define"):
        starting_point = next(
            (spec_to_toml(d.spec) for d in definitions if d.spec.id == chosen_id), ""
        )
        spec_text = st.text_area(
            ctx.t("experiments.define_spec"), starting_point, height=300, key="spec_text"
        )
        reason = st.text_input(ctx.t("experiments.define_reason"), key="spec_reason")
        submitted = st.form_submit_button(ctx.t("experiments.define_submit"))
    if submitted:
        try:
            spec = parse_spec_text(spec_text, origin="spec")
        except YardstickError as error:
            st.error(ctx.t("experiments.define_refused", message=describe_plain(error, ctx.lang)))
        else:
            version = experiment_service.define(ctx.settings, spec, reason or None, system_clock)
            ctx = cached.after_write(ctx)
            st.success(ctx.t("experiments.define_saved", id=plain(spec.id), version=version))

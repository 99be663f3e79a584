"""Yardstick's dashboard: page set-up, language, the store, the sidebar, and the navigation."""

from __future__ import annotations

import streamlit as st

from core.clock import system_clock
from core.errors import YardstickError
from i18n.catalogue import translate
from i18n.format import format_date
from services.loading import build_demo_store_if_missing
from services.store import settings_for
from ui import cached
from ui.context import ALL_FAMILIES, PageContext, choose_language, store_context
from ui.text import describe_plain, plain

st.set_page_config(page_title="Yardstick", page_icon=":material/straighten:", layout="wide")

lang = choose_language()
settings = settings_for()

# Each page is a file in pages/; titles follow the reader's language.
PAGES = [
    st.Page(
        "pages/overview.py",
        title=translate(lang, "overview.title"),
        icon=":material/dashboard:",
        default=True,
    ),
    st.Page("pages/kpis.py", title=translate(lang, "kpi.page_title"), icon=":material/flag:"),
    st.Page(
        "pages/degradation.py",
        title=translate(lang, "kpi.degradation_title"),
        icon=":material/trending_down:",
    ),
    st.Page(
        "pages/experiments.py",
        title=translate(lang, "experiments.title"),
        icon=":material/science:",
    ),
    st.Page(
        "pages/experiment_detail.py",
        title=translate(lang, "experiments.detail_nav"),
        icon=":material/query_stats:",
    ),
    st.Page(
        "pages/monitoring.py",
        title=translate(lang, "monitoring_page.title"),
        icon=":material/monitor_heart:",
    ),
    st.Page(
        "pages/retraining.py",
        title=translate(lang, "retrain.page_title"),
        icon=":material/model_training:",
    ),
    st.Page("pages/data.py", title=translate(lang, "data.title"), icon=":material/database:"),
]

# Navigation is registered before any slow work, so the sidebar shows the pages at once.
page = st.navigation(PAGES)

if not settings.path.exists():
    with st.status(translate(lang, "app.building_demo"), expanded=True) as status:
        bar = st.progress(0.0)

        def show_progress(step: str, share: float) -> None:
            """Move the bar to `share` and name the step the demo build is at."""
            bar.progress(share, translate(lang, f"app.demo_step.{step}"))

        build_demo_store_if_missing(settings, clock=system_clock, on_progress=show_progress)
        status.update(label=translate(lang, "app.demo_built"), state="complete", expanded=False)


def render() -> None:
    """The sidebar (family filter, store freshness) and the chosen page."""
    check = cached.upgraded_store(str(settings.path))
    if check.newer:
        st.warning(
            translate(
                lang,
                "error.store.newer_schema_read",
                path=plain(settings.path),
                found=check.found,
                latest=check.latest,
            ),
            icon=":material/warning:",
        )
    fingerprint = cached.store_fingerprint(str(settings.path))
    family_options = [ALL_FAMILIES, *cached.families(str(settings.path), fingerprint)]
    family = st.sidebar.selectbox(
        translate(lang, "app.family_filter"),
        family_options,
        key="family",
        format_func=lambda f: translate(lang, "app.all_families") if f == ALL_FAMILIES else f,
    )
    store_context(
        PageContext(settings, lang, None if family == ALL_FAMILIES else family, fingerprint)
    )

    with st.sidebar.expander(translate(lang, "app.store"), expanded=False):
        st.caption(plain(settings.path))
        for summary in cached.table_summaries(str(settings.path), fingerprint):
            st.caption(
                translate(
                    lang,
                    "app.freshness_line",
                    table=summary.table,
                    rows=summary.rows,
                    last=format_date(summary.last, lang),
                )
            )

    page.run()


# A store that is locked, missing or refuses a value is said in the reader's language on the
# page, never as a traceback.
try:
    render()
except YardstickError as error:
    st.error(describe_plain(error, lang), icon=":material/error:")

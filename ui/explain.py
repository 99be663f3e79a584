"""The "what changed around each step and crossing" section of the Degradation page.

The sentences are i18n/explain.py's (the same as `kpi explain` and the report); notes are user
text, so every line is shown with `st.text`, never as Markdown.
"""

from __future__ import annotations

import streamlit as st

from i18n.explain import explanation_lines, monitor_note
from ui import cached
from ui.context import PageContext


def explanation_section(ctx: PageContext, kpi_id: str) -> None:
    """A subheader and one plain-text line per step or crossing of the KPI, with its changes."""
    explanation = cached.kpi_explanation(ctx.path, ctx.fingerprint, kpi_id)
    st.subheader(ctx.t("explain.title"))
    for line in explanation_lines(explanation, ctx.lang):
        st.text(line)
    note = monitor_note(explanation, ctx.lang)
    if note:
        st.text(note)

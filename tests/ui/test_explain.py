"""The Degradation page's "what changed" section renders in both languages on the demo store, as
plain text (st.text), with the same sentences as the command line."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from core.clock import system_clock
from i18n.catalogue import translate
from i18n.explain import explanation_lines, monitor_note
from services.explain import explain_kpi

pytestmark = pytest.mark.usefixtures("shared_app_env")


def _section(lang: str) -> None:
    import os
    from pathlib import Path

    from services.store import settings_for
    from ui.context import PageContext
    from ui.explain import explanation_section

    settings = settings_for(Path(os.environ["YARDSTICK_DB"]))
    explanation_section(PageContext(settings, lang, None, "test"), "rec-ctr")


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_the_section_shows_one_plain_line_per_event(shared_app_env, lang: str) -> None:
    at = AppTest.from_function(_section, args=(lang,), default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    explanation = explain_kpi(shared_app_env, "rec-ctr", clock=system_clock)
    note = monitor_note(explanation, lang)
    expected = explanation_lines(explanation, lang) + ([note] if note else [])
    assert [t.value for t in at.text] == expected
    assert [s.value for s in at.subheader] == [translate(lang, "explain.title")]

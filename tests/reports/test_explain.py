"""The report's explanation block: the same sentences as the CLI in either language, a note as
plain text (its HTML escaped by the renderer), and the no-monitor note."""

from __future__ import annotations

import datetime as dt

import pytest

from i18n.explain import explanation_lines
from monitoring.explain import Change, KpiEvent, explain_events
from reports.blocks import BulletList, Heading, Paragraph
from reports.explain import explanation_blocks
from reports.markdown import render_markdown
from services.explain import KpiExplanation

DAY = dt.date(2026, 8, 2)


def _explanation(monitors: tuple[str, ...] = ("rec-inputs",)) -> KpiExplanation:
    step = KpiEvent("step", DAY, size=-0.0028, relative_size=-0.056)
    crossing = KpiEvent("crossing", dt.date(2026, 12, 24), line="exit", line_value=0.042)
    changes = [
        Change("annotation", DAY, "business", detail="**catalogue** <b>change</b>"),
        Change("drift", DAY, "category_id", value=0.41, limit=0.25, detail="psi"),
        Change("serving", DAY, "fallback_rate", value=0.09, before=0.02, limit=0.05),
        Change("deployment", DAY - dt.timedelta(days=1), "rec-v3", detail="v3"),
    ]
    return KpiExplanation(
        kpi_id="rec-ctr",
        name="CTR",
        metric="ctr",
        family="recommender",
        direction="increase",
        as_of=dt.date(2026, 11, 27),
        radius_days=7,
        monitors=monitors,
        events=explain_events([step, crossing], changes),
    )


def test_english_sentences_read_as_the_issue_says() -> None:
    first, second = explanation_lines(_explanation(), "en")
    assert first == (
        "CTR fell 5.6% on 2 Aug 2026; same day: **catalogue** <b>change</b> (annotated as "
        "business); fallback rate 2.0% -> 9.0%; category_id PSI 0.41; 1 day before: "
        "deployment of rec-v3 (v3)"
    )
    assert second == (
        "CTR is expected to cross its exit line (0.042) on 24 Dec 2026; "
        "no change recorded within 7 days"
    )


def test_japanese_sentences_carry_the_same_facts() -> None:
    first, second = explanation_lines(_explanation(), "ja")
    assert first.startswith("CTR が 2026年8月2日 に 5.6% 低下。同日：")
    for fact in ("5.6%", "同日", "注記：ビジネス", "フォールバック率 2.0% → 9.0%", "1 日前"):
        assert fact in first
    assert "撤退" in second and "2026年12月24日" in second


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_blocks_are_a_heading_the_sentences_and_the_no_monitor_note(lang: str) -> None:
    blocks = explanation_blocks(_explanation(monitors=()), lang)
    assert isinstance(blocks[0], Heading)
    assert blocks[1] == BulletList(tuple(explanation_lines(_explanation(), lang)))
    assert isinstance(blocks[2], Paragraph) and "recommender" in blocks[2].text
    assert len(explanation_blocks(_explanation(), lang)) == 2


def test_html_in_a_note_is_escaped_in_markdown() -> None:
    text = render_markdown(explanation_blocks(_explanation(), "en"))
    assert "<b>" not in text and r"\<b\>change\</b\>" in text

"""The stakeholder report of a retraining case, in Japanese or English, as HTML or Markdown."""

from __future__ import annotations

import datetime as dt

from core.errors import YardstickError
from core.vocab import REPORT_FORMATS
from i18n.catalogue import translate
from i18n.format import format_date
from kpi.retraining import RetrainingCase
from reports.blocks import report_blocks
from reports.explain import explanation_blocks
from reports.html import render_html
from reports.markdown import render_markdown
from services.explain import KpiExplanation
from services.retraining import KpiDetail


def render_report(
    case: RetrainingCase,
    detail: KpiDetail,
    lang: str,
    report_format: str,
    prepared: dt.date,
    explanation: KpiExplanation | None = None,
) -> str:
    """The report of a retraining case in `lang` ("ja" or "en") and `report_format`.

    `prepared` is the day the report is written on (the faces take it from their clock), so the
    same case gives the same report on any day it is rendered for. `explanation` (the case's
    `BuiltCase.explanation`) adds what changed around each step and crossing after the KPI's
    degradation.
    """
    if report_format not in REPORT_FORMATS:
        raise YardstickError(
            "report.unknown_format",
            field="format",
            value=report_format,
            formats=", ".join(REPORT_FORMATS),
        )
    changes = explanation_blocks(explanation, lang) if explanation is not None else []
    blocks = report_blocks(case, detail, lang, prepared, changes)
    if report_format == "md":
        return render_markdown(blocks)
    title = translate(lang, "report.title", name=case.kpi.name)
    footer = translate(
        lang,
        "report.printed_footer",
        name=case.kpi.name,
        as_of=format_date(case.kpi.as_of, lang),
    )
    return render_html(blocks, lang, title, footer)


def report_filename(case: RetrainingCase, lang: str, report_format: str) -> str:
    """A file name for a downloaded report: `retraining-<kpi>-<as_of>-<lang>.<format>`."""
    return f"retraining-{case.kpi.kpi_id}-{case.kpi.as_of.isoformat()}-{lang}.{report_format}"

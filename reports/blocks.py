"""The retraining report as blocks (headings, paragraphs, tables, charts) built from a case and
the KPI detail behind it; `reports.html` and `reports.markdown` render the same blocks, so the
Markdown carries exactly the text and tables of the HTML.

Blocks hold plain text: user text (names, rationale, owner) is escaped by the renderers, never
interpreted.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from i18n.catalogue import translate
from i18n.format import format_date, format_money, format_number, format_percent
from i18n.report import best_day_text, days_text, option_when, origin_text, with_detail
from i18n.retraining import reason_text
from kpi.economics import OptionValue
from kpi.retraining import RetrainingCase
from reports.charts import degradation_figure, options_figure
from services.retraining import KpiDetail


@dataclass(frozen=True)
class Heading:
    """A section title; level 1 is the report title."""

    text: str
    level: int = 2


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of plain text."""

    text: str


@dataclass(frozen=True)
class BulletList:
    """Items of plain text."""

    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    """A table of plain-text cells; the first column names each row."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Chart:
    """A Plotly figure; Markdown shows its title instead."""

    title: str
    figure: go.Figure


@dataclass(frozen=True)
class PageBreak:
    """Start a new printed page here."""


Block = Heading | Paragraph | BulletList | Table | Chart | PageBreak


def _t(lang: str, key: str, **values: object) -> str:
    return translate(lang, key, **values)


def _metric_value(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:,.4g}"


def _option_row(case: RetrainingCase, option: OptionValue, lang: str) -> tuple[str, ...]:
    """One option's row; an option that is not priced says so instead of showing numbers."""
    currency = case.kpi.currency
    label = _t(lang, f"retrain.option.{option.option}")
    when = option_when(case, option.option, lang)
    npv = option.npv
    if npv is None:
        return (label, when, *([_t(lang, "retrain.not_priced")] + ["–"] * 3))
    return (
        label,
        when,
        format_money(npv.expected, currency, lang),
        format_money(npv.p10, currency, lang),
        format_money(npv.p90, currency, lang),
        format_percent(npv.probability_positive, lang, digits=0),
    )


def options_table(case: RetrainingCase, lang: str) -> Table:
    """The options side by side with their NPV distributions (the same numbers the
    recommendation is taken on)."""
    rows = tuple(_option_row(case, option, lang) for option in case.economics.options)
    header = tuple(
        _t(lang, f"retrain.{key}")
        for key in ("col_option", "col_when", "col_npv", "col_p10", "col_p90", "col_probability")
    )
    return Table(header, rows)


def economics_table(case: RetrainingCase, lang: str) -> Table:
    """NPV, ROI, payback, break-even uplift and the optimal interval, with their inputs."""
    result = case.economics
    inputs = result.inputs
    currency = case.kpi.currency
    uplift = inputs.uplift
    interval, low, high = result.optimal_interval_days
    rows = (
        ("retrain.value_per_day", format_money(inputs.value_per_day, currency, lang)),
        ("retrain.decay_per_day", format_money(inputs.decay_per_day.estimate, currency, lang)),
        (
            "retrain.expected_uplift",
            with_detail(
                format_percent(uplift.estimate, lang, 2, signed=True),
                f"{format_percent(uplift.low, lang, 2, signed=True)} – "
                f"{format_percent(uplift.high, lang, 2, signed=True)}",
                lang,
            ),
        ),
        ("retrain.uplift_origin_label", origin_text(case, lang)),
        ("retrain.total_cost_label", format_money(inputs.cost, currency, lang)),
        ("retrain.npv", format_money(result.npv.expected, currency, lang)),
        (
            "retrain.npv_range_label",
            _t(
                lang,
                "retrain.npv_range",
                p10=format_money(result.npv.p10, currency, lang),
                p90=format_money(result.npv.p90, currency, lang),
            ),
        ),
        (
            "retrain.probability_positive",
            format_percent(result.npv.probability_positive, lang, digits=0),
        ),
        ("retrain.roi", format_percent(result.roi, lang, digits=0)),
        (
            "retrain.payback",
            days_text(result.payback_days, lang)
            if result.payback_days is not None
            else _t(lang, "retrain.payback_never"),
        ),
        ("retrain.break_even", format_percent(result.break_even_uplift, lang, digits=2)),
        ("retrain.best_retrain_day", best_day_text(case, lang)),
        (
            "retrain.optimal_interval",
            with_detail(
                days_text(interval, lang),
                _t(
                    lang,
                    "retrain.interval_range",
                    low=format_number(low, lang, 1) if low is not None else "–",
                    high=format_number(high, lang, 1)
                    if high is not None
                    else _t(lang, "retrain.open_ended"),
                ),
                lang,
            ),
        ),
    )
    header = (_t(lang, "report.col_item"), _t(lang, "report.col_value"))
    return Table(header, tuple((_t(lang, key), value) for key, value in rows))


def _summary(case: RetrainingCase, lang: str) -> Paragraph:
    result = case.economics
    currency = case.kpi.currency
    # The NPV already has its own sentence; the summary's last one gives the deciding reason.
    deciding = [r for r in result.recommendation.reasons if r.code != "npv_range"]
    sentences = (
        _t(
            lang,
            "report.summary_value",
            name=case.kpi.name,
            value=format_money(case.kpi.value_per_day, currency, lang),
            decay=format_money(case.kpi.decay_per_day.estimate, currency, lang),
            status=_t(lang, f"report.status.{case.kpi.status}"),
        ),
        _t(
            lang,
            "report.summary_npv",
            npv=format_money(result.npv.expected, currency, lang),
            horizon=result.inputs.horizon_days,
            p10=format_money(result.npv.p10, currency, lang),
            p90=format_money(result.npv.p90, currency, lang),
            probability=format_percent(result.npv.probability_positive, lang, digits=0),
        ),
        _t(
            lang,
            "report.summary_action",
            action=_t(lang, f"retrain.action.{result.recommendation.action}"),
            reason=reason_text(deciding[0], case, lang) if deciding else "",
        ),
    )
    return Paragraph(" ".join(sentences) if lang == "en" else "".join(sentences))


def _kpi_blocks(case: RetrainingCase, detail: KpiDetail, lang: str) -> list[Block]:
    status = detail.status
    rows = (
        ("report.current_value", _metric_value(status.value)),
        ("report.line_target", _metric_value(status.target)),
        ("report.line_warning", _metric_value(status.warning)),
        ("report.line_exit", _metric_value(status.exit)),
        ("report.status_label", _t(lang, f"report.status.{status.status}")),
        ("report.live_model", status.model_id or "–"),
    )
    return [
        Heading(_t(lang, "report.kpi_section")),
        Paragraph(
            _t(
                lang,
                "report.agreement",
                version=case.kpi.version,
                owner=case.kpi.owner,
                rationale=case.kpi.rationale or "–",
            )
        ),
        Table(
            (_t(lang, "report.col_item"), _t(lang, "report.col_value")),
            tuple((_t(lang, key), value) for key, value in rows),
        ),
    ]


def _degradation_blocks(case: RetrainingCase, detail: KpiDetail, lang: str) -> list[Block]:
    currency = case.kpi.currency
    decay = case.kpi.decay_per_day
    forecasts = []
    if case.kpi.warning_date is not None:
        forecasts.append(
            _t(lang, "report.forecast_warning", date=format_date(case.kpi.warning_date, lang))
        )
    if case.kpi.exit_date is not None:
        forecasts.append(
            _t(lang, "report.forecast_exit", date=format_date(case.kpi.exit_date, lang))
        )
    if not forecasts:
        forecasts.append(_t(lang, "report.forecast_none"))
    figure = degradation_figure(detail, lang)
    blocks: list[Block] = [Heading(_t(lang, "report.degradation_section"))]
    if detail.series.empty:
        blocks.append(Paragraph(_t(lang, "report.no_series")))
    else:
        blocks.append(Chart(str(figure.layout.title.text), figure))
    blocks.append(
        Paragraph(
            _t(
                lang,
                "report.decay_text",
                decay=format_money(decay.estimate, currency, lang),
                low=format_money(decay.low, currency, lang),
                high=format_money(decay.high, currency, lang),
            )
        )
    )
    blocks.append(Paragraph(" ".join(forecasts) if lang == "en" else "".join(forecasts)))
    lost = case.kpi.value_lost_to_date
    blocks.append(Heading(_t(lang, "report.value_lost_section")))
    if lost is None:
        blocks.append(Paragraph(_t(lang, "report.value_lost_unknown")))
    else:
        key = "report.value_lost" if lost >= 0 else "report.value_gained"
        blocks.append(Paragraph(_t(lang, key, amount=format_money(abs(lost), currency, lang))))
    return blocks


def _evidence_blocks(case: RetrainingCase, lang: str) -> list[Block]:
    evidence = case.evidence
    uplift = evidence.uplift
    blocks: list[Block] = [Heading(_t(lang, "report.evidence_section"))]
    if evidence.experiment_id is None:
        text = _t(
            lang,
            "report.evidence_assumed",
            uplift=format_percent(uplift.estimate, lang, 2, signed=True),
            low=format_percent(uplift.low, lang, 2, signed=True),
            high=format_percent(uplift.high, lang, 2, signed=True),
        )
    else:
        text = _t(
            lang,
            "report.evidence_text",
            experiment=evidence.experiment_id,
            variant=evidence.variant or "–",
            control=evidence.control or "–",
            metric=evidence.metric or "–",
            effect=format_percent(uplift.estimate, lang, 2, signed=True),
            low=format_percent(uplift.low, lang, 2, signed=True),
            high=format_percent(uplift.high, lang, 2, signed=True),
            p_value=f"{evidence.p_value:.3g}" if evidence.p_value is not None else "–",
            units=format_number(evidence.n_units, lang),
            start=format_date(evidence.start, lang),
            end=format_date(evidence.end, lang),
        )
    blocks.append(Paragraph(text))
    blocks.append(Paragraph(origin_text(case, lang)))
    return blocks


def _appendix_blocks(
    case: RetrainingCase, detail: KpiDetail, lang: str, prepared: dt.date
) -> list[Block]:
    inputs = case.economics.inputs
    status = detail.status
    sources: list[tuple[str, dt.date | None, dt.date | None]] = []
    if not detail.series.empty:
        dates = pd.to_datetime(detail.series["date"])
        sources.append(
            (
                _t(lang, "report.source_online", metric=status.metric, family=status.family),
                dates.min().date(),
                dates.max().date(),
            )
        )
    if case.evidence.experiment_id is not None:
        sources.append(
            (
                _t(lang, "report.source_experiment", experiment=case.evidence.experiment_id),
                case.evidence.start,
                case.evidence.end,
            )
        )
    sources.append(
        (
            _t(lang, "report.source_kpi", kpi=case.kpi.kpi_id, version=case.kpi.version),
            None,
            case.kpi.as_of,
        )
    )
    source_rows = tuple(
        (
            name,
            format_date(start, lang),
            format_date(end, lang),
            _t(lang, "report.freshness", days=(prepared - end).days) if end else "–",
        )
        for name, start, end in sources
    )
    models = []
    if case.kpi.model_id:
        models.append(
            (
                case.kpi.model_id,
                _t(lang, "report.role_live", date=format_date(case.kpi.as_of, lang)),
            )
        )
    if case.evidence.control:
        models.append((case.evidence.control, _t(lang, "report.role_control")))
    if case.evidence.variant:
        models.append((case.evidence.variant, _t(lang, "report.role_variant")))
    return [
        PageBreak(),
        Heading(_t(lang, "report.appendix")),
        Heading(_t(lang, "report.method_section"), 3),
        Paragraph(_t(lang, "report.method_value")),
        Paragraph(
            _t(
                lang,
                "report.method_discount",
                horizon=inputs.horizon_days,
                rate=format_percent(inputs.discount_rate, lang, digits=1),
            )
        ),
        Paragraph(
            _t(
                lang,
                "report.method_monte_carlo",
                draws=format_number(inputs.draws, lang),
                seed=inputs.seed,
            )
        ),
        Paragraph(_t(lang, "report.method_interval")),
        Paragraph(_t(lang, "report.method_payback")),
        Heading(_t(lang, "report.sources_section"), 3),
        Table(
            tuple(
                _t(lang, f"report.{key}")
                for key in ("col_source", "col_from", "col_to", "col_freshness")
            ),
            source_rows,
        ),
        Heading(_t(lang, "report.models_section"), 3),
        Table((_t(lang, "report.col_model"), _t(lang, "report.col_role")), tuple(models)),
    ]


def report_blocks(
    case: RetrainingCase,
    detail: KpiDetail,
    lang: str,
    prepared: dt.date,
    changes: Sequence[Block] = (),
) -> list[Block]:
    """The whole report as blocks, in reading order; `changes` (what changed around each step
    and crossing, reports/explain.py) follow the KPI's degradation."""
    recommendation = case.economics.recommendation
    return [
        Heading(_t(lang, "report.title", name=case.kpi.name), 1),
        Paragraph(
            _t(
                lang,
                "report.subtitle",
                as_of=format_date(case.kpi.as_of, lang),
                prepared=format_date(prepared, lang),
            )
        ),
        Heading(_t(lang, "report.summary")),
        _summary(case, lang),
        *_kpi_blocks(case, detail, lang),
        *_degradation_blocks(case, detail, lang),
        *changes,
        *_evidence_blocks(case, lang),
        Heading(_t(lang, "report.economics_section")),
        economics_table(case, lang),
        Heading(_t(lang, "report.options_section")),
        options_table(case, lang),
        Chart(_t(lang, "retrain.options_chart_title"), options_figure(case, lang)),
        Heading(_t(lang, "report.recommendation_section")),
        Paragraph(_t(lang, f"retrain.action.{recommendation.action}")),
        BulletList(tuple(reason_text(r, case, lang) for r in recommendation.reasons)),
        *_appendix_blocks(case, detail, lang, prepared),
    ]

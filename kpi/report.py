"""The stakeholder report of a retraining case, in Japanese or English, as HTML or Markdown.

The report is built once as a list of blocks (headings, paragraphs, tables, charts) and then
rendered, so the Markdown carries exactly the text and tables of the HTML. The HTML is one
self-contained file: Plotly's JavaScript is embedded once, nothing is fetched from the network,
a print stylesheet sets page breaks, and every piece of user text is escaped.
"""

from __future__ import annotations

import datetime as dt
import html
import math
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from core.clock import today
from i18n.catalogue import translate
from i18n.format import format_date, format_money, format_number, format_percent
from kpi.economics import cumulative_values
from kpi.retraining import RetrainingCase, reason_text
from kpi.status import KpiDetail

FORMATS = ("html", "md")
OPTION_COLOURS = {
    "do_nothing": "#7f7f7f",
    "retrain_now": "#1f77b4",
    "retrain_later": "#2ca02c",
    "withdraw": "#d62728",
}
# Plotly's own date ticks are English; Japanese readers get 2027年1月.
DATE_TICK_FORMAT = {"ja": "%Y年%-m月", "en": "%b %Y"}
FONT_FAMILY = '"Noto Sans CJK JP", "Hiragino Sans", "Yu Gothic", "Meiryo", sans-serif'


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


def _with_detail(main: str, detail: str, lang: str) -> str:
    """`main (detail)` with the reader's parentheses."""
    return f"{main}（{detail}）" if lang == "ja" else f"{main} ({detail})"


def _days(value: float | None, lang: str) -> str:
    if value is None:
        return _t(lang, "retrain.open_ended")
    return _t(lang, "retrain.days", days=format_number(value, lang, 1))


def option_when(case: RetrainingCase, option: str, lang: str) -> str:
    """When an option acts, in words."""
    chosen = case.economics.option(option)
    if option == "do_nothing":
        return _t(lang, "retrain.basis.never")
    if option == "retrain_later" and chosen.at_day is not None and chosen.basis:
        return _t(
            lang, f"retrain.basis.{chosen.basis}", date=format_date(case.day(chosen.at_day), lang)
        )
    if option == "withdraw" and chosen.basis == "fallback_zero":
        return _t(lang, "retrain.basis.fallback_zero")
    return _t(lang, "retrain.basis.now")


def options_table(case: RetrainingCase, lang: str) -> Table:
    """The options side by side with their NPV distributions."""
    currency = case.kpi.currency
    rows = tuple(
        (
            _t(lang, f"retrain.option.{option.option}"),
            option_when(case, option.option, lang),
            format_money(option.npv.expected, currency, lang),
            format_money(option.npv.p10, currency, lang),
            format_money(option.npv.p90, currency, lang),
            format_percent(option.npv.probability_positive, lang, digits=0),
        )
        for option in case.economics.options
    )
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
            _with_detail(
                format_percent(uplift.estimate, lang, 2, signed=True),
                f"{format_percent(uplift.low, lang, 2, signed=True)} – "
                f"{format_percent(uplift.high, lang, 2, signed=True)}",
                lang,
            ),
        ),
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
            _days(result.payback_days, lang)
            if result.payback_days is not None
            else _t(lang, "retrain.payback_never"),
        ),
        ("retrain.break_even", format_percent(result.break_even_uplift, lang, digits=2)),
        (
            "retrain.optimal_interval",
            _with_detail(
                _days(interval, lang),
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


def degradation_figure(detail: KpiDetail, lang: str) -> go.Figure:
    """The KPI's daily values, its trend and forecast band, and the agreed lines."""
    status = detail.status
    metric = html.escape(status.metric)
    figure = go.Figure()
    series = detail.series
    if not series.empty:
        figure.add_trace(
            go.Scatter(
                x=pd.to_datetime(series["date"]),
                y=series["value"],
                mode="markers",
                marker={"size": 4, "color": "#4c78a8"},
                name=_t(lang, "report.legend_daily"),
            )
        )
    trend = detail.trend_line
    if not trend.empty:
        dates = pd.to_datetime(trend["date"])
        for column, key in (("low", "legend_band_low"), ("high", "legend_band_high")):
            figure.add_trace(
                go.Scatter(
                    x=dates,
                    y=trend[column],
                    mode="lines",
                    line={"width": 0.8, "color": "#f58518", "dash": "dot"},
                    name=_t(lang, f"report.{key}"),
                )
            )
        figure.add_trace(
            go.Scatter(
                x=dates,
                y=trend["level"],
                mode="lines",
                line={"width": 2, "color": "#f58518"},
                name=_t(lang, "report.legend_trend"),
            )
        )
    for value, key, colour in (
        (status.target, "line_target", "#54a24b"),
        (status.warning, "line_warning", "#eeca3b"),
        (status.exit, "line_exit", "#e45756"),
    ):
        figure.add_hline(
            y=value,
            line={"color": colour, "dash": "dash", "width": 1},
            annotation_text=_t(lang, f"report.{key}"),
            annotation_position="top left",
        )
    figure.update_layout(
        title=_t(lang, "report.chart_degradation_title", metric=metric),
        xaxis_title=_t(lang, "report.axis_date"),
        xaxis_tickformat=DATE_TICK_FORMAT[lang],
        yaxis_title=metric,
        font={"family": FONT_FAMILY},
        template="plotly_white",
        height=420,
        legend={"orientation": "h", "y": -0.2},
    )
    return figure


def options_figure(case: RetrainingCase, lang: str) -> go.Figure:
    """Cumulative discounted value of each option over the horizon."""
    paths = cumulative_values(case.economics.inputs, case.economics.options)
    currency = case.kpi.currency
    # Japanese readers count yen in man (10,000): the axis is in 万円 rather than millions.
    scale, unit = (1e4, "万円") if lang == "ja" and currency == "JPY" else (1.0, currency)
    figure = go.Figure()
    for option, path in paths.items():
        dates = [case.day(day) for day in range(len(path))]
        figure.add_trace(
            go.Scatter(
                x=dates,
                y=path / scale,
                mode="lines",
                line={"color": OPTION_COLOURS[option], "width": 2},
                name=_t(lang, f"retrain.option.{option}"),
            )
        )
    figure.update_layout(
        title=_t(lang, "retrain.options_chart_title"),
        xaxis_title=_t(lang, "retrain.axis_date"),
        xaxis_tickformat=DATE_TICK_FORMAT[lang],
        yaxis_title=_t(lang, "retrain.axis_cumulative", currency=unit),
        yaxis_tickformat=",.0f" if scale != 1.0 else None,
        font={"family": FONT_FAMILY},
        template="plotly_white",
        height=420,
        legend={"orientation": "h", "y": -0.2},
    )
    return figure


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
    case: RetrainingCase, detail: KpiDetail, lang: str, prepared: dt.date
) -> list[Block]:
    """The whole report as blocks, in reading order."""
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


_STYLE = f"""
body {{ font-family: {FONT_FAMILY}; color: #222; max-width: 960px; margin: 2em auto; padding: 0 1em;
       line-height: 1.6; }}
h1 {{ font-size: 1.6em; border-bottom: 2px solid #1f77b4; padding-bottom: 0.2em; }}
h2 {{ font-size: 1.25em; margin-top: 1.6em; border-bottom: 1px solid #ddd; }}
h3 {{ font-size: 1.05em; }}
table {{ border-collapse: collapse; margin: 0.8em 0; width: 100%; }}
th, td {{ border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }}
th {{ background: #f3f6fa; }}
.chart {{ margin: 1em 0; }}
footer {{ margin-top: 3em; color: #777; font-size: 0.85em; }}
@page {{ size: A4; margin: 15mm; }}
@media print {{
  body {{ max-width: none; margin: 0; font-size: 10.5pt; }}
  h2, h3 {{ page-break-after: avoid; break-after: avoid; }}
  table, .chart {{ page-break-inside: avoid; break-inside: avoid; }}
  .page-break {{ page-break-before: always; break-before: page; }}
  a {{ color: inherit; text-decoration: none; }}
}}
"""


def _html_block(block: Block, include_plotly: bool) -> str:
    if isinstance(block, Heading):
        return f"<h{block.level}>{html.escape(block.text)}</h{block.level}>"
    if isinstance(block, Paragraph):
        return f"<p>{html.escape(block.text)}</p>"
    if isinstance(block, BulletList):
        items = "".join(f"<li>{html.escape(item)}</li>" for item in block.items)
        return f"<ul>{items}</ul>"
    if isinstance(block, Table):
        head = "".join(f"<th>{html.escape(cell)}</th>" for cell in block.header)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>"
            for row in block.rows
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    if isinstance(block, Chart):
        chart = block.figure.to_html(
            full_html=False,
            include_plotlyjs=include_plotly,
            config={"displaylogo": False, "responsive": True},
        )
        return f'<div class="chart">{chart}</div>'
    return '<div class="page-break"></div>'


def render_html(blocks: list[Block], lang: str, title: str, footer: str) -> str:
    """One self-contained HTML document; Plotly's JavaScript is embedded with the first chart."""
    parts = []
    plotly_embedded = False
    for block in blocks:
        parts.append(_html_block(block, include_plotly=not plotly_embedded))
        plotly_embedded = plotly_embedded or isinstance(block, Chart)
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(parts)
        + f"\n<footer>{html.escape(footer)}</footer>\n</body>\n</html>\n"
    )


def _markdown_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _markdown_text(text: str) -> str:
    # Markdown renderers pass raw HTML through; escaping keeps user text as text in wikis too.
    return html.escape(text, quote=False)


def render_markdown(blocks: list[Block]) -> str:
    """The same text and tables as Markdown (charts appear as their titles)."""
    parts = []
    for block in blocks:
        if isinstance(block, Heading):
            parts.append(f"{'#' * block.level} {_markdown_text(block.text)}")
        elif isinstance(block, Paragraph):
            parts.append(_markdown_text(block.text))
        elif isinstance(block, BulletList):
            parts.append("\n".join(f"- {_markdown_text(item)}" for item in block.items))
        elif isinstance(block, Table):
            lines = [
                "| " + " | ".join(_markdown_cell(_markdown_text(c)) for c in block.header) + " |",
                "|" + "---|" * len(block.header),
            ]
            lines += [
                "| " + " | ".join(_markdown_cell(_markdown_text(c)) for c in row) + " |"
                for row in block.rows
            ]
            parts.append("\n".join(lines))
        elif isinstance(block, Chart):
            parts.append(f"*{_markdown_text(block.title)}*")
    return "\n\n".join(parts) + "\n"


def render_report(
    case: RetrainingCase,
    detail: KpiDetail,
    lang: str,
    report_format: str,
    prepared: dt.date | None = None,
) -> str:
    """The report of a retraining case in `lang` ("ja" or "en") and `report_format`."""
    if report_format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not '{report_format}'")
    prepared = prepared or today()
    blocks = report_blocks(case, detail, lang, prepared)
    if report_format == "md":
        return render_markdown(blocks)
    title = _t(lang, "report.title", name=case.kpi.name)
    footer = _t(
        lang,
        "report.printed_footer",
        name=case.kpi.name,
        as_of=format_date(case.kpi.as_of, lang),
    )
    return render_html(blocks, lang, title, footer)


def report_filename(case: RetrainingCase, lang: str, report_format: str) -> str:
    """A file name for a downloaded report: `retraining-<kpi>-<as_of>-<lang>.<format>`."""
    return f"retraining-{case.kpi.kpi_id}-{case.kpi.as_of.isoformat()}-{lang}.{report_format}"

"""The Degradation page's series figure, and the degradation the report draws alike."""

from __future__ import annotations

import plotly.graph_objects as go
import pytest

from data.store import settings_for
from reports.charts import degradation_figure
from tests.ui.factories import small_deployments, small_kpi_detail
from ui.context import PageContext
from ui.kpi_charts import series_figure

# The page's traces in drawing order: (name or None for the band's unnamed upper edge, line or
# marker colour, fill colour). The agreed lines are named in the legend (a trace without points
# each), not beside the lines, where close lines' labels overprinted.
PAGE_TRACES = {
    "en": [
        (None, None, None),
        ("Trend band and forecast cone", None, "rgba(120,120,200,0.2)"),
        ("Trend (live version)", "#3949ab", None),
        ("Daily value", "#9e9e9e", None),
        ("Target", "#2e7d32", None),
        ("Warning", "#ef6c00", None),
        ("Exit", "#c62828", None),
        (None, None, None),
        ("Window interval", None, "rgba(0,0,0,0.15)"),
        ("Window estimate", "#212121", None),
    ],
    "ja": [
        (None, None, None),
        ("傾向の幅と予測範囲", None, "rgba(120,120,200,0.2)"),
        ("傾向（稼働中の版）", "#3949ab", None),
        ("日次の値", "#9e9e9e", None),
        ("目標", "#2e7d32", None),
        ("警告", "#ef6c00", None),
        ("撤退", "#c62828", None),
        (None, None, None),
        ("評価期間の区間", None, "rgba(0,0,0,0.15)"),
        ("評価期間の推定値", "#212121", None),
    ],
}
LINES = {
    "en": [("Target", "#2e7d32"), ("Warning", "#ef6c00"), ("Exit", "#c62828")],
    "ja": [("目標", "#2e7d32"), ("警告", "#ef6c00"), ("撤退", "#c62828")],
}
STEP = {"en": "Step", "ja": "段差"}


def context(lang: str) -> PageContext:
    return PageContext(settings_for("/tmp/unused.duckdb"), lang, None, "unused")


def trace_summary(figure: go.Figure) -> list[tuple[str | None, str | None, str | None]]:
    summary = []
    for trace in figure.data:
        colour = trace.marker.color if trace.mode == "markers" else trace.line.color
        summary.append((trace.name, colour, trace.fillcolor))
    return summary


def style(trace: go.Scatter) -> dict[str, object]:
    """How a trace is drawn, without its data or its name."""
    return {k: v for k, v in trace.to_plotly_json().items() if k not in {"x", "y", "name"}}


def drawn_lines(figure: go.Figure) -> list[tuple[str | None, str, str | None]]:
    """Each shape's colour and dash with its annotation text (None for the agreed lines, which are
    named in the legend), in drawing order."""
    texts = [None] * 3 + [annotation.text for annotation in figure.layout.annotations]
    return [
        (text, shape.line.color, shape.line.dash)
        for text, shape in zip(texts, figure.layout.shapes, strict=True)
    ]


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_the_page_draws_cone_daily_values_window_band_lines_deployments_and_steps(
    lang: str,
) -> None:
    figure = series_figure(context(lang), small_kpi_detail(), None, small_deployments())
    assert trace_summary(figure) == PAGE_TRACES[lang]
    assert [trace.fill for trace in figure.data if trace.fill] == ["tonexty", "tonexty"]
    assert figure.data[2].line.dash == "dot" and figure.data[3].mode == "markers"
    assert [trace.line.dash for trace in figure.data[4:7]] == ["dash"] * 3
    # Only the production deployment is drawn; the challenger is not.
    assert drawn_lines(figure) == [
        *((None, colour, "dash") for _, colour in LINES[lang]),
        ("rec-v2", "#607d8b", None),
        (STEP[lang], "#8e24aa", "dot"),
    ]
    assert [shape.y0 for shape in figure.layout.shapes[:3]] == [0.050, 0.046, 0.042]
    assert figure.layout.yaxis.title.text == "ctr"
    assert figure.layout.xaxis.tickformat == ("%b %Y" if lang == "en" else "%Y年%-m月")


def test_the_cone_runs_past_the_daily_values_as_the_forecast() -> None:
    detail = small_kpi_detail()
    figure = series_figure(context("en"), detail, None, [])
    cone, daily = figure.data[1], figure.data[3]
    assert max(cone.x) > max(daily.x) == detail.series["date"].max()


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_the_report_draws_the_degradation_as_the_page_does_in_its_own_words(lang: str) -> None:
    detail = small_kpi_detail()
    page = series_figure(context(lang), detail, None, [])
    report = degradation_figure(detail, lang)
    shared = len(report.data)
    assert shared == 7  # the cone's two edges, the trend, the daily values and the three lines
    for drawn, on_page in zip(report.data, page.data[:shared], strict=True):
        assert style(drawn) == style(on_page)
        assert list(drawn.x) == list(on_page.x) and list(drawn.y) == list(on_page.y)
    # The agreed lines; the page draws its step change after them.
    assert [shape.to_plotly_json() for shape in report.layout.shapes] == [
        shape.to_plotly_json() for shape in page.layout.shapes[:3]
    ]
    words = {
        "en": ["Forecast band", "Trend and forecast", "Daily value"],
        "ja": ["予測の幅", "傾向と予測", "日次の値"],
    }
    lines = {
        "en": ["Target", "Warning line", "Exit line"],
        "ja": ["目標", "警告ライン", "撤退ライン"],
    }
    assert [trace.name for trace in report.data[1:]] == words[lang] + lines[lang]
    assert not report.layout.annotations

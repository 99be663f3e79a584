"""The stakeholder report: valid, self-contained HTML; Markdown with the same text; both languages
complete; user text escaped."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from core.errors import YardstickError
from core.markup import escape_markdown
from data.store import StoreSettings
from i18n.catalogue import catalogue, translate
from kpi.retraining import CaseRequest
from kpi.spec import parse_spec
from reports import blocks as report
from reports.charts import degradation_figure, options_figure
from reports.html import render_html
from reports.markdown import render_markdown
from reports.retraining import render_report, report_filename
from services import kpis
from services.retraining import evaluate_request
from tests.factories import DEMO_END, TEST_NOW, markdown_unescaped
from tests.kpi.factories import build_store, ctr_spec

PREPARED = TEST_NOW.date()
HOSTILE = "<script>alert(1)</script>"
VOID_TAGS = {"meta", "br", "hr", "img", "input", "link", "area", "base", "col", "source", "wbr"}


class StructureChecker(HTMLParser):
    """Checks tags nest and close, and records scripts, stylesheets and visible text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.problems: list[str] = []
        self.script_sources: list[str] = []
        self.stylesheet_links: list[str] = []
        self.scripts = 0
        self.text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script":
            self.scripts += 1
            self._in_script = True
            if values.get("src"):
                self.script_sources.append(values["src"] or "")
        if tag == "link" and "stylesheet" in (values.get("rel") or ""):
            self.stylesheet_links.append(values.get("href") or "")
        if tag not in VOID_TAGS:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False
        if tag in VOID_TAGS:
            return
        if not self.open or self.open[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.open[-1:] or 'nothing'}")
            return
        self.open.pop()

    def handle_data(self, data: str) -> None:
        if not self._in_script:
            self.text.append(data)


def checked(document: str) -> StructureChecker:
    checker = StructureChecker()
    checker.feed(document)
    checker.close()
    return checker


@pytest.fixture(scope="module")
def hostile_store(tmp_path_factory: pytest.TempPathFactory) -> StoreSettings:
    """A KPI whose name and rationale are markup, on a slowly falling CTR."""
    settings = build_store(
        tmp_path_factory.mktemp("report"), ctr_of_day=lambda day: 0.055 - 0.00002 * day
    )
    spec = ctr_spec(rationale=f"Owner said {HOSTILE} & more").replace(
        'name = "Recommendation click-through rate"', f'name = "{HOSTILE}"'
    )
    kpis.define_kpi(settings, parse_spec(spec), author="tests")
    return settings


@pytest.fixture(scope="module")
def hostile_case(hostile_store: StoreSettings):
    built = evaluate_request(
        hostile_store, CaseRequest("rec-ctr", 2_000_000.0, uplift=0.02, uplift_se=0.005)
    )
    return built.case, built.detail


@pytest.fixture(scope="module")
def demo_case(demo_store_template: Path):
    settings = StoreSettings(demo_store_template)
    request = CaseRequest(
        "rec-ctr", 2_600_000.0, "rec-v3-vs-v2", "ctr", fallback_value_per_day=1.8e6
    )
    built = evaluate_request(settings, request)
    return built.case, built.detail


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_html_report_is_well_formed_and_fetches_nothing(demo_case, lang: str) -> None:
    case, detail = demo_case
    document = render_report(case, detail, lang, "html", PREPARED)
    checker = checked(document)
    assert checker.problems == []
    assert checker.open == []
    assert checker.script_sources == []
    assert checker.stylesheet_links == []
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=[\"']?(https?:)?//", document)
    assert document.count("Plotly.newPlot") == 2
    assert len(re.findall(r"\* plotly\.js v", document)) == 1
    assert f'<html lang="{lang}">' in document


def test_html_report_prints_with_page_breaks(demo_case) -> None:
    case, detail = demo_case
    document = render_report(case, detail, "en", "html", PREPARED)
    assert "@media print" in document
    assert "@page" in document
    assert '<div class="page-break"></div>' in document


def test_user_text_appears_as_text_not_markup(hostile_case) -> None:
    case, detail = hostile_case
    document = render_report(case, detail, "en", "html", PREPARED)
    checker = checked(document)
    visible = "".join(checker.text)
    assert HOSTILE in visible
    assert f"Owner said {HOSTILE} & more" in visible
    assert HOSTILE not in document
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in document
    markdown = render_report(case, detail, "en", "md", PREPARED)
    assert HOSTILE not in markdown
    assert "\\<script\\>alert(1)\\</script\\>" in markdown


def table_cells(blocks: list[report.Block]) -> list[str]:
    return [
        cell
        for block in blocks
        if isinstance(block, report.Table)
        for row in (block.header, *block.rows)
        for cell in row
    ]


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_markdown_carries_the_same_text_and_tables_as_the_html(demo_case, lang: str) -> None:
    case, detail = demo_case
    blocks = report.report_blocks(case, detail, lang, PREPARED)
    markdown = render_markdown(blocks)
    visible = "".join(checked(render_html(blocks, lang, "t", "f")).text)
    texts = [b.text for b in blocks if isinstance(b, report.Heading | report.Paragraph)]
    texts += [item for b in blocks if isinstance(b, report.BulletList) for item in b.items]
    for text in texts + table_cells(blocks):
        assert text in visible
        assert escape_markdown(text) in markdown
    table_rows = [line for line in markdown.splitlines() if line.startswith("| ")]
    expected_rows = sum(1 + len(b.rows) for b in blocks if isinstance(b, report.Table))
    assert len(table_rows) == expected_rows


def test_report_holds_every_required_section(demo_case) -> None:
    case, detail = demo_case
    markdown = render_report(case, detail, "en", "md", PREPARED)
    for heading in (
        "## Executive summary",
        "## The KPI against its agreed lines",
        "## Degradation and forecast",
        "## Value lost so far",
        "## A/B evidence",
        "## Value of retraining",
        "## Options",
        "## Recommendation",
        "## Appendix",
        "### Method",
        "### Data sources",
        "### Model versions involved",
    ):
        assert heading in markdown
    assert "Experiment rec-v3-vs-v2 compared recommender-v3" in markdown
    assert "Lines agreed in version 1 of the KPI" in markdown
    summary = markdown.split("## Executive summary\n\n")[1].split("\n\n")[0]
    assert summary.count(". ") + 1 == 3 and summary.endswith(".")


def test_japanese_executive_summary_is_three_sentences(demo_case) -> None:
    case, detail = demo_case
    markdown = render_report(case, detail, "ja", "md", PREPARED)
    summary = markdown.split("## 要旨\n\n")[1].split("\n\n")[0]
    assert summary.count("。") == 3 and summary.endswith("。")


def english_fragments() -> list[str]:
    """Literal pieces of the English report and retraining messages long enough to be telling."""
    english, japanese = catalogue("en"), catalogue("ja")
    pieces = []
    for key, text in english.items():
        if key.split(".")[0] in ("report", "retrain") and text != japanese[key]:
            pieces += [p.strip() for p in re.split(r"\{[^}]*\}", text) if len(p.strip()) >= 8]
    return pieces


def test_japanese_report_is_complete_and_holds_no_english_message(demo_case) -> None:
    case, detail = demo_case
    markdown = render_report(case, detail, "ja", "md", PREPARED)
    # User text (names, rationale, owner) stays as the user wrote it.
    without_user_text = markdown
    for user_text in (case.kpi.name, case.kpi.rationale, case.kpi.owner):
        without_user_text = without_user_text.replace(user_text, "")
    leaks = [piece for piece in english_fragments() if piece in without_user_text]
    assert leaks == []
    for heading in ("## 要旨", "## 合意済みラインに対するKPI", "## 付録", "### データの出所"):
        assert heading in markdown
    assert f"{DEMO_END.year}年{DEMO_END.month}月{DEMO_END.day}日" in markdown
    assert "万円" in markdown


def test_english_report_uses_english_formats(demo_case) -> None:
    case, detail = demo_case
    markdown = render_report(case, detail, "en", "md", PREPARED)
    assert DEMO_END.strftime("%-d %b %Y") in markdown
    assert "¥" in markdown
    assert sum(piece in markdown for piece in english_fragments()) > 30
    assert "万円" not in markdown


def test_report_file_name_names_kpi_day_and_language(demo_case) -> None:
    case, _ = demo_case
    name = report_filename(case, "ja", "html")
    assert name == f"retraining-rec-ctr-{case.kpi.as_of.isoformat()}-ja.html"


def test_unknown_format_is_refused(demo_case) -> None:
    case, detail = demo_case
    with pytest.raises(YardstickError) as raised:
        render_report(case, detail, "en", "pdf", PREPARED)
    assert (raised.value.code, raised.value.field) == ("report.unknown_format", "format")
    assert raised.value.values["formats"] == "html, md"


def test_chart_titles_axes_and_legends_follow_the_language(demo_case) -> None:
    case, detail = demo_case
    japanese = options_figure(case, "ja")
    assert japanese.layout.title.text == "期間内の累積割引価値"
    assert japanese.layout.yaxis.title.text == "累積割引価値（万円）"
    assert japanese.layout.xaxis.tickformat == "%Y年%-m月"
    assert japanese.data[0].name == "何もしない"
    english = options_figure(case, "en")
    assert english.layout.yaxis.title.text == "Cumulative discounted value (JPY)"
    assert english.data[1].y[-1] == pytest.approx(japanese.data[1].y[-1] * 1e4)
    degradation = degradation_figure(detail, "ja")
    assert {trace.name for trace in degradation.data} >= {"日次の値", "傾向と予測"}


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("en", "Gain from: the experiment rec-v3-vs-v2 (ctr)"),
        ("ja", "改善の根拠：実験 rec-v3-vs-v2（ctr）"),
    ],
)
def test_report_says_where_the_gain_comes_from(demo_case, lang: str, said: str) -> None:
    case, detail = demo_case
    assert said in markdown_unescaped(render_report(case, detail, lang, "md", PREPARED))


def test_report_without_a_fallback_value_prices_no_withdrawal(demo_store_template: Path) -> None:
    settings = StoreSettings(demo_store_template)
    built = evaluate_request(
        settings, CaseRequest("rec-ctr", 2_600_000.0, uplift=0.02, uplift_se=0.005)
    )
    table = report.options_table(built.case, "en")
    withdraw = next(row for row in table.rows if row[0] == "Withdraw to the fallback")
    assert withdraw[2] == "not priced"
    text = render_report(built.case, built.detail, "en", "md", PREPARED)
    assert "Gain from: values entered here" in markdown_unescaped(text)
    assert built.case.economics.recommendation.action != "withdraw"


@pytest.fixture(scope="module")
def explained_demo_case(demo_store_template: Path):
    """The demo's CTR case as the report's use case builds it: with what changed around it."""
    settings = StoreSettings(demo_store_template)
    request = CaseRequest(
        "rec-ctr", 2_600_000.0, "rec-v3-vs-v2", "ctr", fallback_value_per_day=1.8e6
    )
    return evaluate_request(settings, request, explain=True)


@pytest.mark.parametrize(
    ("lang", "facts"),
    [
        ("en", ("fell 5.6%", "annotated as business", "category_id PSI")),
        ("ja", ("5.6% 低下", "注記：ビジネス", "category_id の PSI")),
    ],
)
def test_the_report_lists_the_catalogue_change_at_the_ctr_drop(
    explained_demo_case, lang: str, facts: tuple[str, ...]
) -> None:
    built = explained_demo_case
    assert built.explanation is not None and built.explanation.kpi_id == "rec-ctr"
    html_text = " ".join(
        checked(
            render_report(built.case, built.detail, lang, "html", PREPARED, built.explanation)
        ).text
    )
    markdown = markdown_unescaped(
        render_report(built.case, built.detail, lang, "md", PREPARED, built.explanation)
    )
    for text in (html_text, markdown):
        assert translate(lang, "explain.title") in text
        assert all(fact in text for fact in facts), facts
        # the block follows the KPI's degradation, before the economics
        assert text.index(facts[-1]) < text.index(translate(lang, "report.economics_section"))
    assert "Catalogue change: four new categories" in markdown


def test_without_an_explanation_the_report_has_no_change_block(demo_case) -> None:
    case, detail = demo_case
    assert "category_id PSI" not in render_report(case, detail, "en", "md", PREPARED)

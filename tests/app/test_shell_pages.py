"""The app shell, Overview and Data pages render from a small demo store (Streamlit AppTest)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from data.store import StoreSettings
from i18n.catalogue import translate
from tests.factories import dashboard

TIMEOUT_S = 90


def run_page(page: str | None = None, lang: str = "en", family: str | None = None) -> AppTest:
    """Run the app (and switch to `page`) with the sidebar choices made up front.

    AppTest drops the entry script's widgets from its element tree after a rerun under
    st.navigation, so sidebar choices are set in session state before the first run.
    """
    app = dashboard(lang, page, state={"family": family} if family else None, timeout_s=TIMEOUT_S)
    app.run()
    assert not app.exception, app.exception
    return app


def test_overview_shows_each_live_model_with_metrics(shared_app_env: StoreSettings) -> None:
    app = run_page()
    subheaders = [s.value for s in app.subheader]
    assert "recommender: recommender-v2" in subheaders
    assert "fraud: fraud-v2" in subheaders
    # Metric names are user text, sent as Markdown with `_` escaped.
    metric_labels = {m.label.replace("\\_", "_") for m in app.metric}
    assert {"ctr", "auc", "ndcg_at_10", "recall", "latency_p95_ms"} <= metric_labels


def test_overview_says_it_is_showing_demo_data(shared_app_env: StoreSettings) -> None:
    app = run_page()
    assert any("demo data" in info.value for info in app.info)


def test_family_filter_limits_the_overview(shared_app_env: StoreSettings) -> None:
    app = run_page(family="fraud")
    subheaders = [s.value for s in app.subheader]
    assert "fraud: fraud-v2" in subheaders
    assert not any("recommender" in s for s in subheaders)


def test_data_page_lists_tables_with_counts_and_the_upload_form(
    shared_app_env: StoreSettings,
) -> None:
    app = run_page("pages/data.py")
    summaries = app.dataframe[0].value
    counts = dict(zip(summaries.iloc[:, 0], summaries.iloc[:, 1], strict=True))
    assert counts["models"] == 5
    assert counts["events"] > 100_000
    assert app.selectbox(key="upload-kind").options[0] == "models"
    assert app.button[0].label == translate("en", "data.load") or any(
        b.label == translate("en", "data.load") for b in app.button
    )


@pytest.mark.parametrize("page", [None, "pages/data.py"])
def test_shell_pages_render_in_japanese(shared_app_env: StoreSettings, page: str | None) -> None:
    app = run_page(page, lang="ja")
    assert app.title[0].value in (translate("ja", "overview.title"), translate("ja", "data.title"))


HOSTILE_NAME = "*bold*_x_`tick`<b>b</b>[x](y).csv"
HOSTILE_CELL = "<b>1</b> *a* _b_ `c` [x](y)"


def test_a_refused_upload_is_worded_in_japanese_and_shows_the_users_text_literally(
    app_env: StoreSettings,
) -> None:
    app = run_page("pages/data.py", lang="ja")
    app.selectbox(key="upload-kind").set_value("events")
    app.file_uploader(key="upload-files").set_value(
        (HOSTILE_NAME, f"unit_id,event,value,ts\nu1,click,1,{HOSTILE_CELL}\n".encode(), "text/csv")
    )
    app.button[0].click()
    app.run()

    assert not app.exception, app.exception
    assert [e.value for e in app.error] == [translate("ja", "data.refused")]
    shown = "\n".join(c.value for c in app.code)
    assert f"{HOSTILE_NAME} の 2 行目、列 ts: 「{HOSTILE_CELL}」を日時として読めません" in shown
    assert "cannot read" not in shown
    assert not any(HOSTILE_NAME in m.value or "[x](y)" in m.value for m in app.markdown)


def test_data_page_lists_and_previews_every_table_a_load_can_fill(
    shared_app_env: StoreSettings,
) -> None:
    """Predictions, late labels and annotations are data too: counted, and each table (named as
    the store names it: `labels` load into prediction_labels) previews without an error."""
    import duckdb

    app = run_page("pages/data.py")
    summaries = app.dataframe[0].value
    counts = dict(zip(summaries.iloc[:, 0], summaries.iloc[:, 1], strict=True))
    with duckdb.connect(str(shared_app_env.path), read_only=True) as con:
        for table in ("predictions", "prediction_labels", "annotations"):
            (rows,) = con.execute(f"SELECT count(*) FROM {table}").fetchone()
            assert rows > 0 and counts[table] == rows
    preview = app.selectbox(key="preview-table")
    assert "prediction_labels" in preview.options and "labels" not in preview.options
    for table in preview.options:
        preview.set_value(table).run()
        assert not app.exception, (table, app.exception)
        preview = app.selectbox(key="preview-table")

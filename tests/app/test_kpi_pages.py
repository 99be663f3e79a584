"""The Overview KPI cards, the KPIs page and the Degradation page render on the demo store."""

from __future__ import annotations

from dataclasses import replace

import pytest
from streamlit.testing.v1 import AppTest

from data.store import transaction
from kpi.spec import parse_spec, spec_to_toml
from services import kpis
from tests.factories import dashboard

pytestmark = pytest.mark.usefixtures("shared_app_env")


def run_page(page: str, lang: str = "en") -> AppTest:
    at = dashboard(lang, page)
    at.run()
    assert not at.exception, at.exception
    return at


def all_text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [t.value for t in at.text] + [w.value for w in at.warning]
    parts += [b.label for b in at.button]
    parts += (
        [m.label for m in at.metric] + [t.value for t in at.title] + [s.value for s in at.subheader]
    )
    return "\n".join(str(p) for p in parts)


def test_overview_shows_a_card_per_demo_kpi_with_status_and_forecast() -> None:
    at = run_page("pages/overview.py")
    text = all_text(at)
    assert "KPIs and exit criteria" in text
    for status in ("Healthy", "Warning", "Exit criterion met"):
        assert status in text
    assert "Exit threshold expected around" in text


def test_overview_answers_as_of_since_when_value_lost_and_the_next_move() -> None:
    text = all_text(run_page("pages/overview.py"))
    assert "As of " in text
    assert "At exit since " in text and "At warning since " in text
    assert "Value lost to date: ¥" in text
    # The demo's rec-ctr has a recorded decision and a stored plan; the others have neither.
    assert "Decided: Continue" in text and "See the decision record" in text
    assert "Plan rec-ctr-retrain" in text and "Open the retraining case" in text
    assert "No retraining case yet." in text and "Build a retraining case" in text


def test_overview_answers_the_same_in_japanese() -> None:
    text = all_text(run_page("pages/overview.py", lang="ja"))
    assert "時点" in text and "から撤退基準に到達" in text
    assert "これまでの損失額" in text and "次の一手" in text
    assert "決定: 継続" in text and "再学習の検討はまだありません。" in text
    assert "As of " not in text


def test_the_no_case_link_opens_the_retraining_page_on_that_kpi() -> None:
    at = run_page("pages/overview.py")
    label = "Build a retraining case"
    button = next(b for b in at.button if b.label == label)
    kpi_id = button.key.split("kpi-card-")[1].rsplit("-", 1)[0]
    button.click().run()
    assert not at.exception, at.exception
    assert at.session_state["retrain_kpi"] == kpi_id


def test_overview_keeps_working_on_a_store_with_rows_dated_in_the_far_future(app_env) -> None:
    with transaction(app_env) as con:
        # Straight into the table, as an older store may hold them (ingest refuses them now).
        con.execute(
            "INSERT INTO online_metrics (date, model_id, metric, value, n, std) "
            "SELECT CAST(day AS DATE), model_id, metric, value, n, "
            "NULL FROM (VALUES ('infinity', 'recommender-v2', 'ctr', 0.01, 1000), "
            "('9999-12-31', 'recommender-v2', 'ctr', 0.01, 1000)) AS t(day, model_id, metric, "
            "value, n)"
        )
    text = all_text(run_page("pages/overview.py"))
    assert "2 rows dated after tomorrow are ignored; remove them from the store." in text
    assert "As of " in text


def test_stored_counts_the_evaluation_cannot_use_are_said_in_japanese(app_env) -> None:
    with transaction(app_env) as con:
        # A fraud day loaded with all four counts zero (ingest accepts counts of zero or more).
        con.execute(
            "UPDATE online_metrics SET value = 0, n = 0 WHERE metric IN ('tp', 'fp', 'tn', 'fn') "
            "AND date = (SELECT max(date) FROM online_metrics WHERE metric = 'tp')"
        )
    at = dashboard("ja")
    at.run()
    assert not at.exception, at.exception
    [error] = at.error
    assert "件数（tp + fp + tn + fn）がすべて 0 です" in error.value
    assert "stored counts" not in error.value


def test_latency_card_states_its_daily_cost_not_a_negative_worth() -> None:
    text = all_text(run_page("pages/overview.py"))
    assert "Costs ¥" in text
    assert "Worth -" not in text and "Worth ¥-" not in text


def test_kpis_page_lists_definitions_history_and_decisions() -> None:
    at = run_page("pages/kpis.py")
    assert at.title[0].value == "KPIs"
    frames = [frame.value for frame in at.dataframe]
    ids = set(frames[0]["ID"])
    assert {"rec-ctr", "rec-latency", "rec-revenue-per-session", "fraud-cost"} <= ids
    assert any("Decided by" in frame.columns for frame in frames)
    # Every column of the agreed lines is in its own narrow table; reasons are listed in full.
    assert {"Target", "Warning", "Exit", "Metric"} <= set(frames[1].columns)
    assert any("rec-ctr: " in t.value for t in at.text)


def test_editor_refuses_warning_outside_the_lines_and_names_the_key(app_env) -> None:
    at = run_page("pages/kpis.py")
    at.selectbox(key="kpi_chosen").set_value("rec-ctr").run()
    at.number_input[1].set_value(0.06)
    at.text_area[0].input("Trying a stricter warning")
    at.button[0].click().run()
    assert at.error and "warning" in at.error[0].value
    assert len(kpis.kpi_history(app_env, "rec-ctr")) == 1


def test_editor_moving_exit_with_a_rationale_stores_version_two(app_env) -> None:
    at = run_page("pages/kpis.py")
    at.selectbox(key="kpi_chosen").set_value("rec-ctr").run()
    at.number_input[2].set_value(0.039)
    at.text_area[0].input("Owner accepted a lower floor until the retrain")
    at.button[0].click().run()
    assert not at.error
    history = kpis.kpi_history(app_env, "rec-ctr")
    assert [v.version for v in history] == [1, 2] and history[1].spec.exit_threshold == 0.039


def test_editor_keeps_and_changes_max_staleness_days(app_env) -> None:
    at = run_page("pages/kpis.py")
    at.selectbox(key="kpi_chosen").set_value("rec-latency").run()
    assert at.number_input[6].value == 3
    at.number_input[6].set_value(8)
    at.text_area[0].input("Latency data arrives weekly")
    at.button[0].click().run()
    assert not at.error
    assert kpis.kpi_history(app_env, "rec-latency")[-1].spec.max_staleness_days == 8


def test_a_flat_offline_metric_leaves_the_degradation_page_with_its_reason_in_japanese(
    app_env,
) -> None:
    with transaction(app_env) as con:
        con.execute("UPDATE offline_metrics SET value = 0.75 WHERE metric = 'auc'")
    at = dashboard("ja", "pages/degradation.py", state={"degradation_kpi": "rec-ctr"})
    at.run()
    assert not at.exception, at.exception
    assert not at.error
    captions = [c.value for c in at.caption]
    assert any("オフライン指標 auc は、週ごとの" in c for c in captions), captions


def test_degradation_page_shows_series_offline_and_bridge() -> None:
    at = run_page("pages/degradation.py")
    at.selectbox(key="degradation_kpi").set_value("rec-ctr").run()
    assert not at.exception
    text = all_text(at)
    assert "Value lost to date" in text and "Trend per 30 days" in text
    assert ":orange-badge[Warning]" in text
    assert "expected around" in text
    assert "As of " in text and "At warning since " in text
    # Chart titles are page text (they wrap in a narrow column; a Plotly title is cut).
    assert "**Daily values, window estimate and agreed lines**" in text


def test_pages_render_in_japanese() -> None:
    at = dashboard("ja")
    at.run()
    assert not at.exception
    cards = all_text(at)
    assert "KPI と撤退基準" in cards and "撤退基準に達しています。" in cards
    assert "万円" in cards and "頃です" in cards
    at.switch_page("pages/kpis.py")
    at.run()
    assert not at.exception and at.title[0].value == "KPI"
    at.switch_page("pages/degradation.py")
    at.run()
    assert not at.exception and "これまでの損失額" in all_text(at)


def test_a_multi_line_rationale_saved_from_the_editor_reads_back(app_env) -> None:
    rationale = (
        'Owner agreed on 27 Nov:\n- "lower floor" until the retrain\n- 閾値を下げる C:\\notes'
    )
    at = run_page("pages/kpis.py")
    at.selectbox(key="kpi_chosen").set_value("rec-ctr").run()
    at.number_input[2].set_value(0.039)
    at.text_area[0].input(rationale)
    at.button[0].click().run()
    assert not at.error
    stored = kpis.kpi_history(app_env, "rec-ctr")[-1].spec
    assert stored.rationale == rationale
    assert parse_spec(spec_to_toml(stored)) == stored


def test_editor_opens_a_kpi_whose_confidence_only_the_spec_rule_bounds(app_env) -> None:
    # The widget once stopped at 0.999 while kpi.spec allows up to 1 (excluded): a KPI defined
    # from a file with 0.9995 made the editor raise.
    [current] = kpis.kpi_history(app_env, "rec-ctr")
    kpis.define_kpi(app_env, replace(current.spec, confidence=0.9995))
    at = run_page("pages/kpis.py")
    at.selectbox(key="kpi_chosen").set_value("rec-ctr").run()
    assert not at.exception, at.exception
    assert at.number_input[5].value == 0.9995
    at.number_input[5].set_value(1.0)
    at.text_area[0].input("Certainty")
    at.button[0].click().run()
    assert at.error and "confidence" in at.error[0].value
    assert len(kpis.kpi_history(app_env, "rec-ctr")) == 2

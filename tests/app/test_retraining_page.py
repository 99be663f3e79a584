"""The Retraining page on the demo store, in English and Japanese: figures, options, recommendation,
report downloads and the decision landing in the KPI's decision record and the audit log."""

from __future__ import annotations

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from data.store import StoreSettings
from services import kpis
from tests.conftest import ROOT

pytestmark = pytest.mark.usefixtures("app_env")


def retraining_page(lang: str, kpi_id: str = "rec-ctr") -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["lang"] = lang
    at.run()
    at.switch_page("pages/retraining.py")
    at.run()
    at.selectbox(key="retrain_kpi").select(kpi_id)
    at.run()
    assert not at.exception, at.exception
    return at


def test_page_shows_the_demo_plan_figures_and_recommendation_in_english() -> None:
    at = retraining_page("en")
    assert at.title[0].value == "Retraining"
    plan = at.selectbox(key="retrain_plan_rec-ctr")
    assert plan.value == "rec-ctr-retrain"
    labels = [metric.label for metric in at.metric]
    assert labels == [
        "NPV of retraining now",
        "Probability it pays",
        "Payback",
        "Break-even uplift",
        "Cost-optimal retraining interval",
    ]
    assert at.metric[0].value.startswith(("¥", "-¥"))
    assert any("Total cost of one retraining: ¥2.6M" in c.value for c in at.caption)
    [options] = at.dataframe
    assert list(options.value["Option"]) == [
        "Do nothing",
        "Retrain now",
        "Retrain later",
        "Withdraw to the fallback",
    ]
    alerts = [a.value for a in (*at.success, *at.info, *at.warning)]
    assert any(
        a.startswith(("**Retrain now**", "**Wait**", "**Withdraw", "**Do nothing")) for a in alerts
    )


def test_page_reads_in_japanese_with_japanese_formats() -> None:
    at = retraining_page("ja")
    assert at.title[0].value == "再学習"
    assert at.metric[0].label == "今すぐ再学習した場合のNPV"
    assert at.metric[0].value.endswith("円")
    assert any("再学習1回あたりの総費用：260万円" in c.value for c in at.caption)
    [options] = at.dataframe
    assert options.value["選択肢"].iloc[0] == "何もしない"
    assert any("日" in str(value) for value in options.value["実施時期"])


def test_assumed_uplift_changes_the_npv() -> None:
    at = retraining_page("en")
    measured = at.metric[0].value
    at.radio(key="retrain_source_rec-ctr_rec-ctr-retrain").set_value("assumption")
    at.run()
    at.number_input(key="retrain_uplift_rec-ctr_rec-ctr-retrain").set_value(10.0)
    at.number_input(key="retrain_uplift_se_rec-ctr_rec-ctr-retrain").set_value(0.0)
    at.run()
    assert not at.exception
    assert at.metric[0].value != measured
    assert at.metric[1].value == "100%"


def test_recording_a_decision_lands_in_the_kpi_record_and_audit_log(
    app_env: StoreSettings,
) -> None:
    before = len(kpis.decisions(app_env, "rec-ctr"))
    at = retraining_page("en")
    at.radio[-1].set_value("retrain")
    at.text_area[0].input("Ship v3: the test shows the gain and the plan is funded")
    at.button[-1].click()
    at.run()
    assert not at.exception
    assert any("Recorded: Retrain" in s.value for s in at.success)
    decisions = kpis.decisions(app_env, "rec-ctr")
    assert len(decisions) == before + 1
    decision = decisions[0]
    assert decision.decision == "retrain"
    assert decision.reason.startswith("Ship v3")
    with duckdb.connect(str(app_env.path), read_only=True) as con:
        actions = [r[0] for r in con.execute("SELECT action FROM audit_log").fetchall()]
    assert {"kpi.decide", "retrain.decide"} <= set(actions)


def test_a_decision_without_rationale_is_refused_and_writes_nothing(
    app_env: StoreSettings,
) -> None:
    before = kpis.decisions(app_env, "rec-ctr")
    at = retraining_page("en")
    at.button[-1].click()
    at.run()
    assert any("Write the rationale" in e.value for e in at.error)
    assert kpis.decisions(app_env, "rec-ctr") == before


def test_report_downloads_are_offered_in_the_chosen_language() -> None:
    at = retraining_page("ja")
    buttons = at.get("download_button")
    # The tables' own "Download as CSV" buttons are not reports.
    labels = [b.proto.label for b in buttons if b.proto.label != "CSVでダウンロード"]
    assert labels == ["レポートをダウンロード（HTML）", "レポートをダウンロード（Markdown）"]

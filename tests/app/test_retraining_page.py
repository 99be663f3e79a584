"""The Retraining page on the demo store, in English and Japanese: which KPI it opens on, no verdict
until the gain and the cost are given (and by whom), figures, options and a recommendation that
agree, report downloads and the decision landing in the KPI's decision record and the audit log."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from core.clock import fixed_clock
from data.retrain_store import DEMO_PLAN, save_plan
from data.store import StoreSettings, transaction
from services import kpis, retraining
from tests.factories import TEST_NOW, dashboard
from ui import cached

pytestmark = pytest.mark.usefixtures("shared_app_env")


def opened_page(lang: str, query: dict[str, str] | None = None) -> AppTest:
    at = dashboard(lang, "pages/retraining.py")
    at.query_params.update(query or {})
    at.run()
    assert not at.exception, at.exception
    return at


def retraining_page(lang: str, kpi_id: str = "rec-ctr") -> AppTest:
    at = opened_page(lang)
    at.selectbox(key="retrain_kpi").select(kpi_id)
    at.run()
    assert not at.exception, at.exception
    return at


def fill_entered_case(at: AppTest, scope: str, uplift: float = 2.0, se: float = 0.5) -> None:
    """Type an assumed gain and the four cost parts, as a user without a plan would."""
    at.number_input(key=f"retrain_uplift_{scope}").set_value(uplift)
    at.number_input(key=f"retrain_uplift_se_{scope}").set_value(se)
    for name, value in (
        ("person_days", 20.0),
        ("day_rate", 80_000.0),
        ("compute_cost", 400_000.0),
        ("release_cost", 600_000.0),
    ):
        at.number_input(key=f"retrain_{name}_{scope}").set_value(value)
    at.run()
    assert not at.exception, at.exception


def recommendation_alerts(at: AppTest) -> list[str]:
    return [a.value for a in (*at.success, *at.info, *at.warning) if a.value.startswith("**")]


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_page_opens_on_the_kpi_that_most_needs_a_decision(
    shared_app_env: StoreSettings, lang: str
) -> None:
    statuses = kpis.all_kpi_statuses(shared_app_env, clock=fixed_clock(TEST_NOW))
    at_exit = [s.kpi_id for s in statuses if s.status == "exit"]
    assert at_exit, "the demo has a KPI at its exit line"
    at = opened_page(lang)
    assert at.selectbox(key="retrain_kpi").value == at_exit[0]


def test_the_url_picks_the_kpi() -> None:
    at = opened_page("en", {"kpi": "rec-latency"})
    assert at.selectbox(key="retrain_kpi").value == "rec-latency"


@pytest.mark.parametrize(
    ("lang", "fill", "entered"),
    [
        ("en", "Fill in these inputs", "Gain from: values entered here"),
        ("ja", "次の項目を入力してください", "改善の根拠：このページで入力した値"),
    ],
)
def test_without_a_plan_the_page_asks_for_inputs_and_shows_no_verdict(
    lang: str, fill: str, entered: str
) -> None:
    at = retraining_page(lang, "fraud-cost")
    assert at.selectbox(key="retrain_plan_fraud-cost").value == ""
    assert any(fill in i.value for i in at.info)
    assert list(at.metric) == []
    assert recommendation_alerts(at) == []
    assert list(at.dataframe) == []
    # Nothing is pre-filled: the gain and the cost are empty until typed.
    assert at.number_input(key="retrain_uplift_fraud-cost_none").value is None
    assert at.number_input(key="retrain_person_days_fraud-cost_none").value is None
    fill_entered_case(at, "fraud-cost_none")
    assert len(at.metric) == 6
    assert len(recommendation_alerts(at)) == 1
    assert any(t.value == entered for t in at.text)


def test_only_experiments_of_the_kpis_family_are_offered() -> None:
    at = retraining_page("en", "fraud-cost")
    at.radio(key="retrain_source_fraud-cost_none").set_value("experiment")
    at.run()
    assert any("No experiment tests a model of the fraud family" in i.value for i in at.info)
    assert list(at.metric) == []
    at = retraining_page("en", "rec-ctr")
    offered = at.selectbox(key="retrain_experiment_rec-ctr_rec-ctr-retrain").options
    assert offered == ["rec-v3-vs-v2"]


def test_without_a_fallback_value_withdrawal_is_not_priced_nor_recommended() -> None:
    at = retraining_page("en", "fraud-cost")
    fill_entered_case(at, "fraud-cost_none", uplift=-5.0, se=0.1)
    [options] = at.dataframe
    withdraw = options.value[options.value["Option"] == "Withdraw to the fallback"]
    assert withdraw["Expected NPV"].iloc[0] == "not priced"
    [alert] = recommendation_alerts(at)
    assert not alert.startswith("**Withdraw")
    assert any("Enter the fallback's value per day" in c.value for c in at.caption)


def money(text: str) -> float:
    """A formatted amount such as -¥4.1B or ¥90.2M back to a number (for ordering only)."""
    scale = {"k": 1e3, "M": 1e6, "B": 1e9}
    body = text.replace("¥", "").replace(",", "")
    factor = scale.get(body[-1], 1.0)
    return float(body.rstrip("kMB")) * factor


def test_the_table_and_the_recommendation_agree() -> None:
    at = retraining_page("en", "rec-ctr")
    [options] = at.dataframe
    npvs = {row["Option"]: money(row["Expected NPV"]) for _, row in options.value.iterrows()}
    [alert] = recommendation_alerts(at)
    best = max(npvs, key=lambda name: npvs[name])
    if alert.startswith("**Withdraw"):
        assert best == "Withdraw to the fallback"
    if alert.startswith("**Retrain now**"):
        # Now, or a later day whose edge the table shows to be within the uncertainty.
        assert best in ("Retrain now", "Retrain later")
        assert npvs["Retrain now"] >= npvs["Withdraw to the fallback"]
    if alert.startswith("**Do nothing"):
        assert best == "Do nothing"
    assert any(t.value.startswith("Gain from: the stored plan rec-ctr-retrain") for t in at.text)


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
        "Best day to retrain",
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
    [alert] = recommendation_alerts(at)
    assert alert.startswith(("**Retrain now**", "**Wait**", "**Withdraw", "**Do nothing"))


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


def test_a_stored_plan_with_a_horizon_beyond_ten_years_opens_with_it(
    app_env: StoreSettings,
) -> None:
    # The page once stopped its horizon at 3,650 days while the command line and a plan allowed
    # more: such a plan made the page's widget raise.
    with transaction(app_env) as con:
        save_plan(con, replace(DEMO_PLAN, horizon_days=5_000), "sato", TEST_NOW)
    at = retraining_page("en")
    assert at.number_input(key="retrain_horizon_rec-ctr_rec-ctr-retrain").value == 5_000
    assert len(at.metric) == 6


def test_a_discount_rate_below_the_rule_is_refused_in_words_on_the_page() -> None:
    # The widget has no bound of its own (kpi.checks holds the rule): -60 % is said, not clamped.
    at = retraining_page("en")
    at.number_input(key="retrain_discount_rec-ctr_rec-ctr-retrain").set_value(-60.0)
    at.run()
    assert not at.exception, at.exception
    assert any("must be at least -0.5 (-50%)" in w.value for w in at.warning)


def test_report_downloads_are_offered_in_the_chosen_language() -> None:
    at = retraining_page("ja")
    buttons = at.get("download_button")
    # The tables' own "Download as CSV" buttons are not reports.
    labels = [b.proto.label for b in buttons if b.proto.label != "CSVでダウンロード"]
    assert labels == ["レポートをダウンロード（HTML）", "レポートをダウンロード（Markdown）"]


@pytest.mark.parametrize(("lang", "saved"), [("en", "Stored"), ("ja", "保存しました")])
def test_a_fallback_value_entered_can_be_stored_and_then_prices_withdrawal(
    app_env: StoreSettings, lang: str, saved: str
) -> None:
    at = retraining_page(lang, "fraud-cost")
    fill_entered_case(at, "fraud-cost_none")
    at.number_input(key="retrain_fallback_fraud-cost_none").set_value(1_000_000.0)
    at.run()
    at.button(key="retrain_save_fraud-cost_none").click()
    at.run()
    assert not at.exception, at.exception
    assert any(saved in s.value for s in at.success)
    stored = retraining.fallback(app_env, "fraud-cost")
    assert stored is not None and stored.value_per_day == 1_000_000.0
    # A new visit starts from the stored value.
    again = retraining_page(lang, "fraud-cost")
    assert again.number_input(key="retrain_fallback_fraud-cost_none").value == 1_000_000.0


def test_the_case_is_built_once_per_render_for_the_page_and_both_downloads(
    app_env: StoreSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The cases and reports not cached yet (a write no longer empties the cache, so an earlier
    # test's build would be reused): the page, the HTML and the Markdown report share one build
    # of the case with what changed around its KPI.
    cached.retraining_case.clear()
    cached.retraining_report.clear()
    builds: list[bool] = []
    build = retraining.evaluate_request

    def counted(*args: Any, **kwargs: Any) -> retraining.BuiltCase:
        builds.append(bool(kwargs.get("explain")))
        return build(*args, **kwargs)

    monkeypatch.setattr(retraining, "evaluate_request", counted)
    at = retraining_page("en")
    reports = [b for b in at.get("download_button") if b.key.startswith("retrain_download_")]
    assert len(reports) == 2
    # the Overview (opened first) builds its card's case without the explanation; the page and
    # its two reports then build rec-ctr's case once (it was built once more per report format)
    assert builds.count(True) == 1

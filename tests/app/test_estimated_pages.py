"""The fraud KPI's estimated days on the Overview card and the Degradation page, in English and
Japanese: marked "estimated", apart from the realised status, and refused in words when the
scores cannot be checked for calibration."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from data.store import StoreSettings, transaction
from tests.factories import dashboard

pytestmark = pytest.mark.usefixtures("shared_app_env")


def run_page(page: str, lang: str) -> AppTest:
    at = dashboard(lang, page)
    at.run()
    assert not at.exception, at.exception
    return at


def page_text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [t.value for t in at.text] + [m.label for m in at.metric]
    return "\n".join(str(p) for p in parts)


def degradation_of_fraud(lang: str) -> AppTest:
    at = run_page("pages/degradation.py", lang)
    at.selectbox(key="degradation_kpi").set_value("fraud-cost").run()
    assert not at.exception, at.exception
    return at


def test_overview_marks_the_fraud_kpis_unlabelled_days_as_estimated() -> None:
    text = page_text(run_page("pages/overview.py", "en"))
    assert "**Estimated: days whose labels are not in yet**" in text
    assert "-badge[Estimated status: " in text
    assert "(monitor fraud-scores, threshold 0.04); realised through " in text
    assert "Estimated value " in text and "95%" in text
    assert "Estimated worth " in text
    # the realised status of the same card is still there, unmarked
    assert ":red-badge[Exit criterion met]" in text


def test_overview_marks_the_estimate_in_japanese() -> None:
    text = page_text(run_page("pages/overview.py", "ja"))
    assert "**推定：ラベル未着の日**" in text
    assert "-badge[推定の状態：" in text
    assert "のスコアからの推定です（モニター fraud-scores、閾値 0.04）" in text
    assert "Estimated" not in text


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", ("Estimated window value", "Estimated window interval", "labels not in yet")),
        (
            "ja",
            (
                "評価期間の値（スコアからの推定）",
                "評価期間の区間（スコアからの推定）",
                "ラベル未着",
            ),
        ),
    ],
)
def test_degradation_draws_the_estimated_days_apart(lang: str, words: tuple[str, ...]) -> None:
    at = degradation_of_fraud(lang)
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    traces = {t.get("name"): t for t in figure["data"]}
    window, band, start = words
    assert traces[window]["line"]["dash"] == "dash" and band in traces
    assert start in [a.get("text") for a in figure["layout"]["annotations"]]
    note = "kpi check" if lang == "en" else "終了ステータス"
    assert note in page_text(at)


def test_without_labelled_reference_scores_the_pages_say_why_nothing_is_estimated(
    app_env: StoreSettings,
) -> None:
    # The demo's fraud labels are all late labels: without them the reference has none.
    with transaction(app_env) as con:
        con.execute("DELETE FROM prediction_labels")
    for lang, words in (
        ("en", "No estimate for the days without labels: only 0 predictions"),
        ("ja", "ラベル未着の日は推定しません："),
    ):
        text = page_text(run_page("pages/overview.py", lang))
        assert words in text
        assert "-badge[Estimated status" not in text and "-badge[推定の状態" not in text
        assert page_text(degradation_of_fraud(lang)).count(words) == 1

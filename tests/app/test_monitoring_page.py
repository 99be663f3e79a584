"""The Monitoring page on the small demo store, in English and Japanese: the monitor's status, the
drift heat map, a feature's distributions, serving health and estimated performance."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.factories import dashboard

pytestmark = pytest.mark.usefixtures("shared_app_env")


def monitoring_page(lang: str, monitor_id: str = "rec-inputs") -> AppTest:
    at = dashboard(lang, "pages/monitoring.py")
    at.run()
    at.selectbox(key="monitoring_monitor").select(monitor_id)
    at.run()
    assert not at.exception, at.exception
    return at


def test_recommender_monitor_in_english() -> None:
    at = monitoring_page("en")
    assert at.title[0].value == "Monitoring"
    assert at.metric[0].label == "Status" and at.metric[0].value == "Alert"
    headings = [h.value for h in at.subheader]
    assert headings == [
        "Input drift",
        "Serving health",
        "Error budget",
        "What fallbacks cost",
        "Estimated and realised performance",
    ]
    # the worst feature is offered first for the distribution chart
    assert at.selectbox(key="monitoring_feature_rec-inputs").value == "category_id"
    assert any("Objectives were broken" in w.value for w in at.warning)
    # the estimate opens on the fraud monitor, the one with calibrated, labelled scores
    assert at.selectbox(key="monitoring_estimate_monitor").value == "fraud-scores"
    assert any("30 days are estimated only" in c.value for c in at.caption)
    # the recommender's labels are clicks, not calibrated to its scores: no estimate, said in words
    at.selectbox(key="monitoring_estimate_monitor").select("rec-inputs")
    at.run()
    assert any("Scores not calibrated" in i.value for i in at.info), [i.value for i in at.info]


def test_fraud_monitor_in_japanese_shows_estimates() -> None:
    at = monitoring_page("ja", "fraud-scores")
    assert at.title[0].value == "モニタリング"
    assert at.metric[0].label == "状態"
    assert any("30 日分は推定のみ" in c.value for c in at.caption)
    assert not at.error


@pytest.mark.parametrize(
    ("lang", "expected"), [("en", "Monitor: Alert"), ("ja", "モニター：アラート")]
)
def test_overview_card_shows_the_family_monitor_status(lang: str, expected: str) -> None:
    at = dashboard(lang)
    at.run()
    assert not at.exception, at.exception
    assert expected in [c.value for c in at.caption]

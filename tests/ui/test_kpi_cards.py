"""What the KPI cards say in words: money per day as worth or cost, and the status in full."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from data.store import settings_for
from kpi.status import KpiStatus
from services.kpis import Decision
from ui.cached import CaseNotBuilt
from ui.context import PageContext
from ui.kpi_cards import (
    KPIS_PAGE,
    RETRAINING_PAGE,
    action_views,
    as_of_sentence,
    money_sentence,
    staleness_warning,
    status_badge,
    status_since_sentence,
    value_lost_sentence,
)

LATENCY = KpiStatus(
    "rec-latency", 1, None, "Recommendation latency (p95)", "recommender", "latency_p95_ms",
    "decrease", "Platform SRE", dt.date(2027, 2, 10), "warning", "rec-v2", 187.9, (185.0, 190.8),
    160.0, 175.0, 200.0, 5, 0, None, None, None, "JPY", -97_100.0, 12_000.0, None,
    last_data_date=dt.date(2027, 2, 10), stale_days=1, max_staleness_days=3,
    status_since=dt.date(2027, 2, 6),
)  # fmt: skip


def context(lang: str) -> PageContext:
    return PageContext(settings_for("/tmp/unused.duckdb"), lang, None, "unused")


def test_a_negative_value_per_day_reads_as_a_cost_without_a_minus_sign() -> None:
    assert money_sentence(context("en"), LATENCY) == "Costs ¥97.1k a day · trend –"
    assert money_sentence(context("ja"), LATENCY) == "1 日あたり 9.7万円 のコスト・傾向 –"


def test_a_positive_value_per_day_reads_as_worth() -> None:
    clicks = dataclasses.replace(LATENCY, value_per_day=2_600_000.0)
    assert money_sentence(context("en"), clicks) == "Worth ¥2.6M a day · trend –"
    assert money_sentence(context("ja"), clicks) == "1 日あたり 260万円 の価値・傾向 –"


def test_an_unknown_value_per_day_is_shown_as_unknown_not_as_a_cost() -> None:
    unknown = dataclasses.replace(LATENCY, value_per_day=None)
    assert money_sentence(context("en"), unknown).startswith("Worth – a day")


@pytest.mark.parametrize(
    ("state", "lang", "badge"),
    [
        ("exit", "en", ":red-badge[Exit criterion met]"),
        ("exit", "ja", ":red-badge[撤退基準に到達]"),
        ("warning", "en", ":orange-badge[Warning]"),
        ("no_data", "ja", ":gray-badge["),
    ],
)
def test_status_badge_holds_the_whole_translated_status(state: str, lang: str, badge: str) -> None:
    assert status_badge(context(lang), dataclasses.replace(LATENCY, status=state)).startswith(badge)


def test_the_card_says_the_day_judged_and_since_when_at_warning() -> None:
    assert as_of_sentence(context("en"), LATENCY) == "As of 10 Feb 2027"
    assert status_since_sentence(context("en"), LATENCY) == "At warning since 6 Feb 2027 (5 days)"
    exit_status = dataclasses.replace(LATENCY, status="exit")
    assert status_since_sentence(context("ja"), exit_status) == (
        "2027年2月6日 から撤退基準に到達（5 日間）"
    )
    healthy = dataclasses.replace(LATENCY, status="healthy")
    assert status_since_sentence(context("en"), healthy) is None


def test_stale_data_and_no_data_are_said_plainly() -> None:
    assert staleness_warning(context("en"), LATENCY) is None
    stale = dataclasses.replace(LATENCY, stale_days=9)
    assert staleness_warning(context("en"), stale) == (
        "Data stopped on 10 Feb 2027, 9 days ago (allowed 3): the status may be out of date."
    )
    empty = dataclasses.replace(LATENCY, last_data_date=None, stale_days=None, status="no_data")
    assert "No data" in (staleness_warning(context("en"), empty) or "")


def test_value_lost_reads_as_lost_or_gained_in_both_languages() -> None:
    assert value_lost_sentence(context("en"), LATENCY) == "Value lost to date: ¥12.0k"
    gained = dataclasses.replace(LATENCY, value_lost_to_date=-12_000.0)
    assert value_lost_sentence(context("en"), gained) == "Value gained to date: ¥12.0k"
    assert value_lost_sentence(context("ja"), LATENCY).startswith("これまでの損失額")


DECISION = Decision(
    1, "rec-latency", 1, "retrain", "Sato", dt.datetime(2027, 2, 8, 9), "p95 past warning"
)


def test_without_a_decision_or_plan_the_card_says_no_case_and_links_to_retraining() -> None:
    views = action_views(context("en"), "rec-latency", None, [])
    assert [v.sentence for v in views] == ["No retraining case yet."]
    assert views[0].page == RETRAINING_PAGE and views[0].kpi_id == "rec-latency"


def test_a_recorded_decision_is_shown_with_a_link_to_the_decision_record() -> None:
    views = action_views(context("en"), "rec-latency", DECISION, [])
    assert views[0].sentence == "Decided: Retrain on 8 Feb 2027 (version 1)"
    assert views[0].page == KPIS_PAGE


def test_a_plan_that_cannot_be_evaluated_says_why_instead_of_recommending() -> None:
    failed = CaseNotBuilt("retrain.plan_needed", "cost", {"kpi": "rec-latency", "found": "–"})
    views = action_views(context("ja"), "rec-latency", None, [("plan-a", failed)])
    assert views[0].sentence == (
        "計画 plan-a は評価できません: cost を指定してください：KPI「rec-latency」の費用を取るには"
        "保存済みの再学習計画がちょうど1つ必要です（見つかったもの：–）"
    )
    assert views[0].page == RETRAINING_PAGE

"""Presenters of serving health tied to value: the fallback-cost sentence (its sign, an interval
holding zero, money and names shown as text), the error-budget table and the health sentence."""

from __future__ import annotations

import datetime as dt

from kpi.fallback_value import FallbackCost
from monitoring.arm_health import ArmComparison
from monitoring.budget import ErrorBudget
from services.serving import ArmHealthReport, FallbackValueReport
from ui.serving import budget_table, cost_sentences, exhausted_objectives, health_sentence

WINDOW = (dt.date(2026, 7, 1), dt.date(2026, 7, 7))


def report(per_day: float, low: float, high: float, currency: str = "JPY") -> FallbackValueReport:
    cost = FallbackCost(per_day, low, high, 7, 7, 120, ())
    return FallbackValueReport(
        "rec-ctr", "recommender", "ctr", currency, 60.0, WINDOW, None, (), cost
    )


def test_cost_sentence_in_both_languages() -> None:
    assert cost_sentences(report(12_300, 9_800, 14_900), "en") == [
        "Fallbacks cost ¥12.3k a day (95% interval ¥9.8k to ¥14.9k) over the last 7 days."
    ]
    (ja,) = cost_sentences(report(12_300, 9_800, 14_900), "ja")
    # money in man units, as i18n.format words every amount in Japanese (the dot escaped: the
    # sentence goes to st.markdown, which shows `1.2`)
    assert (
        ja == "直近 7 日間、フォールバックのコストは 1 日あたり 1\\.2万円"
        "（95% 区間 9,800円〜1\\.5万円）です。"
    )


def test_an_interval_holding_zero_is_said() -> None:
    sentences = cost_sentences(report(-5, -20, 10), "en")
    assert sentences[0].startswith("Fallbacks did not cost money")
    assert sentences[1] == "The interval includes zero: the data do not show a clear cost."


def test_dollar_amounts_cannot_start_a_formula() -> None:
    (sentence,) = cost_sentences(report(1_000, 500, 1_500, "USD"), "en")
    assert "\\$1.0k" in sentence and "$1.0k" not in sentence.replace("\\$", "")


def test_no_cost_no_sentence() -> None:
    refused = FallbackValueReport(
        "rec-ctr", "recommender", "ctr", "JPY", 60.0, WINDOW, "no_labels", (), None
    )
    assert cost_sentences(refused, "en") == []


def test_budget_table_and_the_spent_objectives() -> None:
    budgets = [
        ErrorBudget("latency_p95_ms", None, 100.0, 0.05, 2000, 40, 0.4),
        ErrorBudget("fallback_rate", "random", 0.01, 0.01, 2000, 30, 1.5),
    ]
    table = budget_table(budgets, "en")
    assert list(table["Objective"]) == ["latency_p95_ms", "fallback_rate.random"]
    assert list(table["Budget consumed"]) == ["40%", "150%"]
    assert list(table["Budget left"]) == ["60%", "-50%"]
    assert exhausted_objectives(budgets) == "fallback_rate.random"


def test_health_sentence_names_the_flagged_arm_as_text() -> None:
    flagged = ArmComparison("*v3*", 1.6, None, True, 0.01, 0.5, 0.01, False, "flagged")
    moments = (dt.datetime(2026, 7, 1), dt.datetime(2026, 7, 8))
    health = ArmHealthReport("x", WINDOW, None, (), (flagged,), "flagged", moments)
    assert health_sentence(health, "en") == (
        "Health check for the test: serving differs from the control in \\*v3\\*."
    )

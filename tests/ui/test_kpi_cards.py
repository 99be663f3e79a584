"""What the KPI cards say in words: money per day as worth or cost, and the status in full."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from data.store import settings_for
from kpi.status import KpiStatus
from ui.context import PageContext
from ui.kpi_cards import money_sentence, status_badge

LATENCY = KpiStatus(
    "rec-latency", 1, None, "Recommendation latency (p95)", "recommender", "latency_p95_ms",
    "decrease", "Platform SRE", dt.date(2027, 2, 10), "warning", "rec-v2", 187.9, (185.0, 190.8),
    160.0, 175.0, 200.0, 5, 0, None, None, None, "JPY", -97_100.0, 12_000.0, None,
)  # fmt: skip


def context(lang: str) -> PageContext:
    return PageContext(settings_for("/tmp/unused.duckdb"), lang, None, "unused")


def test_a_negative_value_per_day_reads_as_a_cost_without_a_minus_sign() -> None:
    assert money_sentence(context("en"), LATENCY) == "Costs ¥97.1k a day · trend –"
    assert money_sentence(context("ja"), LATENCY) == "1 日あたり 10万円 のコスト・傾向 –"


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

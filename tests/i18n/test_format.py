"""Money and dates read as each language's readers expect (the issue's examples)."""

from __future__ import annotations

import datetime as dt

import pytest

from i18n.format import format_date, format_money


@pytest.mark.parametrize(
    ("amount", "japanese", "english"),
    [
        (12_340_000, "1,234万円", "¥12.3M"),
        (-35_100_000, "-3,510万円", "-¥35.1M"),
        (5_000, "5,000円", "¥5.0k"),
        (300_000_000, "3億円", "¥300.0M"),
        (12_300, "1.2万円", "¥12.3k"),
        (-99_000, "-9.9万円", "-¥99.0k"),
        (100_000, "10万円", "¥100.0k"),
        (1_234_567, "123万円", "¥1.2M"),
    ],
)
def test_yen_reads_in_man_and_oku_in_japanese_and_in_k_m_in_english(
    amount: float, japanese: str, english: str
) -> None:
    assert format_money(amount, "JPY", "ja") == japanese
    assert format_money(amount, "JPY", "en") == english


def test_dates_read_as_year_month_day_in_japanese_and_day_month_year_in_english() -> None:
    day = dt.date(2027, 2, 10)
    assert format_date(day, "ja") == "2027年2月10日"
    assert format_date(day, "en") == "10 Feb 2027"


def test_a_missing_amount_or_date_is_a_dash_in_both_languages() -> None:
    for lang in ("en", "ja"):
        assert format_money(None, "JPY", lang) == "–"
        assert format_money(float("nan"), "JPY", lang) == "–"
        assert format_date(None, lang) == "–"


@pytest.mark.parametrize(
    ("amount", "expected"),
    [(120_000_000, "1.2億円"), (100_000_000, "1億円"), (1_234_500_000, "12.35億円")],
)
def test_japanese_money_in_oku_drops_trailing_zeros(amount: float, expected: str) -> None:
    assert format_money(amount, "JPY", "ja") == expected

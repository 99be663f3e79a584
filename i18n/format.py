"""Numbers, money and dates as a reader of each language expects them (one helper for all)."""

from __future__ import annotations

import datetime as dt
import math

_CURRENCY_SYMBOLS = {"JPY": "¥", "USD": "$", "EUR": "€", "GBP": "£"}
_EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_number(value: float | None, lang: str, digits: int = 0) -> str:
    """A plain number with thousands separators (the same in both languages)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return f"{value:,.{digits}f}"


def format_percent(value: float | None, lang: str, digits: int = 1, signed: bool = False) -> str:
    """A ratio (0.0123) as a percentage (1.2%)."""
    if value is None or not math.isfinite(value):
        return "–"
    sign = "+" if signed else ""
    return f"{value * 100:{sign},.{digits}f}%"


def _japanese_units(amount: float) -> str:
    """1,234万 / 1.2億 style: Japanese readers count money in man (1e4) and oku (1e8)."""
    magnitude = abs(amount)
    if magnitude >= 1e8:
        return f"{amount / 1e8:,.2f}".rstrip("0").rstrip(".") + "億"
    if magnitude >= 1e6:
        return f"{amount / 1e4:,.0f}万"
    if magnitude >= 1e4:
        # under 100万 a whole number of man would keep one significant figure (12,300 -> 1万);
        # one decimal keeps two or three, as the English ¥12.3k does
        return f"{amount / 1e4:,.1f}".removesuffix(".0") + "万"
    return f"{amount:,.0f}"


def format_money(amount: float | None, currency: str, lang: str) -> str:
    """Money in the reader's convention: `1,234万円` in Japanese, `¥12.3M` in English."""
    if amount is None or not math.isfinite(amount):
        return "–"
    if lang == "ja":
        if currency == "JPY":
            return f"{_japanese_units(amount)}円"
        return f"{_japanese_units(amount)} {currency}"
    symbol = _CURRENCY_SYMBOLS.get(currency, f"{currency} ")
    sign = "-" if amount < 0 else ""
    magnitude = abs(amount)
    for scale, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if magnitude >= scale:
            return f"{sign}{symbol}{magnitude / scale:,.1f}{suffix}"
    return f"{sign}{symbol}{magnitude:,.0f}"


def money_axis(currency: str, lang: str) -> tuple[float, str]:
    """The divisor and unit of a money axis in the reader's convention: Japanese readers count
    yen in man (`(1e4, "万円")`); otherwise the amounts as they are, in the currency's code."""
    if lang == "ja" and currency == "JPY":
        return 1e4, "万円"
    return 1.0, currency


def format_date(day: dt.date | dt.datetime | None, lang: str) -> str:
    """A calendar date: `2027年2月10日` in Japanese, `10 Feb 2027` in English."""
    if day is None:
        return "–"
    if lang == "ja":
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day.day} {_EN_MONTHS[day.month - 1]} {day.year}"


def format_timestamp(moment: dt.datetime | None, lang: str) -> str:
    """A date and time to the minute, in UTC."""
    if moment is None:
        return "–"
    return f"{format_date(moment, lang)} {moment:%H:%M} UTC"

"""Wording shared by the retraining report and the Retraining page: when an option acts, day
counts, and a value with its detail in the reader's parentheses."""

from __future__ import annotations

from core.vocab import RetrainOption
from i18n.catalogue import translate
from i18n.format import format_date, format_number
from kpi.retraining import RetrainingCase


def with_detail(main: str, detail: str, lang: str) -> str:
    """`main (detail)` with the reader's parentheses."""
    return f"{main}（{detail}）" if lang == "ja" else f"{main} ({detail})"


def days_text(value: float | None, lang: str) -> str:
    """A number of days, or "open-ended" when there is none."""
    if value is None:
        return translate(lang, "retrain.open_ended")
    return translate(lang, "retrain.days", days=format_number(value, lang, 1))


def option_when(case: RetrainingCase, option: RetrainOption, lang: str) -> str:
    """When an option acts, in words."""
    chosen = case.economics.option(option)
    if option == "do_nothing":
        return translate(lang, "retrain.basis.never")
    if option == "retrain_later" and chosen.at_day is not None and chosen.basis:
        return translate(
            lang, f"retrain.basis.{chosen.basis}", date=format_date(case.day(chosen.at_day), lang)
        )
    if option == "withdraw" and chosen.basis == "fallback_zero":
        return translate(lang, "retrain.basis.fallback_zero")
    return translate(lang, "retrain.basis.now")

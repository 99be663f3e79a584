"""Wording shared by the retraining report and the Retraining page: when an option acts, day
counts, and a value with its detail in the reader's parentheses."""

from __future__ import annotations

from core.vocab import RetrainOption
from i18n.catalogue import translate
from i18n.format import format_date, format_number, format_percent
from kpi.retraining import RetrainingCase


def with_detail(main: str, detail: str, lang: str) -> str:
    """`main (detail)` with the reader's parentheses."""
    return f"{main}（{detail}）" if lang == "ja" else f"{main} ({detail})"


def days_text(value: float | None, lang: str) -> str:
    """A number of days, or "open-ended" when there is none."""
    if value is None:
        return translate(lang, "retrain.open_ended")
    return translate(lang, "retrain.days", days=format_number(value, lang, 1))


def origin_text(case: RetrainingCase, lang: str) -> str:
    """Who gave the gain the case is evaluated on: "Gain from: the stored plan ...", in words."""
    evidence = case.evidence
    origin = translate(
        lang,
        f"retrain.origin_{case.uplift_origin}",
        plan=case.plan_id or "–",
        experiment=evidence.experiment_id or "–",
        metric=evidence.metric or "–",
    )
    return translate(lang, "retrain.uplift_origin", origin=origin)


def best_day_text(case: RetrainingCase, lang: str) -> str:
    """The best day to retrain as a date, or "today"."""
    day = case.economics.best_retrain_day
    if day == 0:
        return translate(lang, "retrain.best_retrain_today")
    return format_date(case.day(day), lang)


def option_when(case: RetrainingCase, option: RetrainOption, lang: str) -> str:
    """When an option acts, in words."""
    chosen = case.economics.option(option)
    if option == "do_nothing":
        return translate(lang, "retrain.basis.never")
    if option == "retrain_later" and chosen.at_day is not None and chosen.basis:
        return translate(
            lang,
            f"retrain.basis.{chosen.basis}",
            date=format_date(case.day(chosen.at_day), lang),
            probability=format_percent(chosen.probability_better_than_now or 0.0, lang, digits=0),
        )
    if option == "withdraw" and chosen.npv is None:
        return translate(lang, "retrain.basis.fallback_zero")
    return translate(lang, "retrain.basis.now")

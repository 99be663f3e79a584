"""The rule that puts estimated money on the KPI's scale (monitoring/coverage.py): the band's two
sides, a day without predictions, no labelled day, and the scaling against a hand computation."""

from __future__ import annotations

import datetime as dt

import pytest

from monitoring.cbpe import Estimate
from monitoring.coverage import money_on_kpi_scale, prediction_coverage

DAY = dt.date(2026, 10, 1)


def _days(*counts: int) -> dict[dt.date, int]:
    return {DAY + dt.timedelta(days=i): count for i, count in enumerate(counts)}


@pytest.mark.parametrize(
    ("predictions", "basis"),
    [(899, "scaled"), (900, "as_is"), (1_000, "as_is"), (1_100, "as_is"), (1_101, "scaled")],
)
def test_money_is_as_is_inside_the_band_and_scaled_outside(predictions: int, basis: str) -> None:
    coverage = prediction_coverage(_days(predictions), _days(1_000))
    assert coverage.ratio == pytest.approx(predictions / 1_000)
    assert coverage.basis == basis


def test_scaled_money_and_interval_are_divided_by_the_coverage() -> None:
    # 2,000 predictions a day against 210,000 transactions: each yen is 105 yen of the KPI's.
    coverage = prediction_coverage(_days(2_000, 2_000), _days(210_000, 210_000))
    assert coverage.basis == "scaled" and coverage.factor == pytest.approx(105.0)
    money = money_on_kpi_scale(Estimate(100_000.0, -20_000.0, 220_000.0), coverage)
    assert money == Estimate(
        pytest.approx(10_500_000.0), pytest.approx(-2_100_000.0), pytest.approx(23_100_000.0)
    )


def test_money_inside_the_band_is_left_as_it_is() -> None:
    coverage = prediction_coverage(_days(1_050), _days(1_000))
    money = Estimate(5.0, 1.0, 9.0)
    assert coverage.factor == 1.0 and money_on_kpi_scale(money, coverage) == money


def test_a_kpi_day_without_predictions_lowers_the_coverage() -> None:
    coverage = prediction_coverage(_days(1_000), _days(1_000, 1_000))
    assert coverage.days == 2 and coverage.ratio == pytest.approx(0.5)
    assert coverage.basis == "scaled"


def test_without_a_labelled_day_the_coverage_is_unmeasured_and_money_unscaled() -> None:
    coverage = prediction_coverage(_days(1_000), {})
    assert coverage.basis == "unmeasured" and coverage.ratio is None
    money = Estimate(5.0, 1.0, 9.0)
    assert money_on_kpi_scale(money, coverage) == money


def test_no_prediction_at_all_leaves_no_money_to_scale() -> None:
    coverage = prediction_coverage({}, _days(1_000))
    assert coverage.ratio == 0.0 and coverage.basis == "scaled"
    assert money_on_kpi_scale(Estimate(5.0, 1.0, 9.0), coverage) is None

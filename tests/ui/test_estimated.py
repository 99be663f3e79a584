"""The estimated part's sentences (ui/estimated.py) on the small demo: the money says it is scaled
from predictions covering a fraction of the KPI's transactions, in both languages."""

from __future__ import annotations

import dataclasses

import pytest

from data.store import StoreSettings
from monitoring.coverage import prediction_coverage
from services.estimated import check_kpis_with_estimates
from ui.context import PageContext
from ui.estimated import estimate_lines, money_basis_line


@pytest.mark.parametrize(("lang", "word"), [("en", "Scaled from predictions"), ("ja", "換算")])
def test_scaled_money_says_so_with_its_coverage(
    demo_settings: StoreSettings, lang: str, word: str
) -> None:
    estimate = check_kpis_with_estimates(demo_settings, record=False).estimates["fraud-cost"]
    ctx = PageContext(demo_settings, lang, None, "test")
    line = money_basis_line(ctx, estimate)
    assert line is not None and word in line and "{" not in line
    assert f"{estimate.coverage.ratio * 100:.2f}%" in line
    assert estimate_lines(ctx, estimate)[-1] == line


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_money_as_it_is_has_no_basis_line_and_unmeasured_money_is_flagged(
    demo_settings: StoreSettings, lang: str
) -> None:
    estimate = check_kpis_with_estimates(demo_settings, record=False).estimates["fraud-cost"]
    ctx = PageContext(demo_settings, lang, None, "test")
    day = estimate.days[0].day
    as_is = dataclasses.replace(estimate, coverage=prediction_coverage({day: 100}, {day: 100}))
    assert money_basis_line(ctx, as_is) is None
    unmeasured = dataclasses.replace(estimate, coverage=prediction_coverage({}, {}))
    line = money_basis_line(ctx, unmeasured)
    assert line is not None and "{" not in line

"""The KPI pages in a real browser: cards on Overview, the KPIs page, the Degradation chart."""

from __future__ import annotations

import pytest

from tests.e2e.factories import RunningApp, screenshot, wait_for_app

pytestmark = pytest.mark.e2e


def test_overview_shows_kpi_cards_with_status_badges(overview_tab) -> None:
    page = overview_tab
    page.get_by_text("KPIs and exit criteria").wait_for(timeout=90_000)
    # Cards appear one by one (each evaluates its KPI and its stored plans): wait for the last.
    page.get_by_text("Healthy", exact=True).first.wait_for(timeout=90_000)
    body = page.inner_text("body")
    assert "KPIs and exit criteria" in body
    assert "Exit criterion met" in body and "Healthy" in body
    assert "expected around" in body
    screenshot(page, "kpi_overview_cards")


def test_kpis_page_shows_definitions_editor_and_decisions(served_app: RunningApp, page) -> None:
    page.goto(f"{served_app.url}/kpis")
    wait_for_app(page)
    page.get_by_text("Record a decision on", exact=False).first.wait_for(timeout=90_000)
    body = page.inner_text("body")
    for heading in ("Definitions (current versions)", "Editor", "Decisions"):
        assert heading in body
    page.wait_for_selector("[data-testid='stDataFrame'] >> nth=1", timeout=60_000)
    screenshot(page, "kpi_page")


def test_degradation_page_draws_the_series_chart(served_app: RunningApp, page) -> None:
    page.goto(f"{served_app.url}/degradation")
    wait_for_app(page)
    page.get_by_text("Value lost to date").wait_for(timeout=90_000)
    page.wait_for_selector(".js-plotly-plot >> nth=1", timeout=60_000)
    page.wait_for_selector(".js-plotly-plot", timeout=60_000)
    assert page.locator(".js-plotly-plot").count() >= 2
    body = page.inner_text("body")
    assert "Value lost to date" in body
    screenshot(page, "kpi_degradation")

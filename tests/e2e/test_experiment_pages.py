"""The Experiments pages in real Chromium: the list, then the detail with its forest plot."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.factories import RunningApp, screenshot, wait_for_app

pytestmark = pytest.mark.e2e


def test_the_list_shows_the_demo_experiments_and_opens_one_with_its_forest_plot(
    served_app: RunningApp, page
) -> None:
    # The list opened by its address (a bookmark; the sidebar's links are followed by
    # test_markup.py), then the detail from its button, in the same tab as a reader goes.
    page.goto(f"{served_app.url}/experiments")
    wait_for_app(page)
    # The page's script may still be drawing after the app is idle once: wait for what is read.
    expect(page.get_by_role("heading", name="Experiments", exact=True).first).to_be_visible(
        timeout=30_000
    )
    page.wait_for_selector("[data-testid='stDataFrame']", timeout=90_000)
    # The page draws its table before the button under it: wait for the button, do not count
    # the moment the table shows (a slow run once counted none).
    expect(page.get_by_role("button", name="Open the details")).to_have_count(1, timeout=30_000)
    screenshot(page, "experiments-list")

    page.get_by_role("button", name="Open the details").click()
    page.wait_for_selector(".js-plotly-plot .errorbar", timeout=90_000)
    wait_for_app(page)
    assert page.get_by_text("Relative effects with their intervals").count() == 1
    # The forest plot is the chart labelled "metric · variant", one error bar per row.
    forest = page.locator(".js-plotly-plot").filter(has_text=" · treatment").first
    assert forest.locator(".errorbar").count() >= 3
    decisions = ("Ship", "Don't ship", "Keep running", "No effect", "Invalid")
    badges = page.locator("[data-testid='stMarkdownContainer'] span")
    assert any(badges.filter(has_text=label).count() for label in decisions)
    screenshot(page, "experiment-detail")

"""The Retraining page and its downloaded report in real Chromium, in English and Japanese."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.factories import ARTIFACTS, RunningApp, screenshot, wait_for_app, wait_for_drawn

pytestmark = pytest.mark.e2e


def open_retraining(context, served_app: RunningApp, locale: str, title: str):
    tab = context.new_page()
    # The page opens on the KPI that most needs a decision (fraud-cost, which has no stored plan
    # and so no verdict or chart); the demo's stored plan is rec-ctr's, so open that one by its
    # address. The sidebar names the page in the browser's language. Until st.navigation has run
    # once in the server, Streamlit reads pages/ as old-style pages (lower-case file names in the
    # sidebar), so a fresh server's first session may need a reload (reported to the app's owner).
    link = tab.locator("[data-testid='stSidebarNav']").get_by_role("link", name=title, exact=True)
    for _ in range(3):
        tab.goto(f"{served_app.url}/retraining?kpi=rec-ctr")
        wait_for_app(tab)
        try:
            link.wait_for(timeout=30_000)
            break
        except Exception:
            continue
    link.wait_for(timeout=1_000)
    try:
        tab.wait_for_selector(".js-plotly-plot .main-svg", timeout=120_000)
    except Exception:
        screenshot(tab, f"retraining-page-{locale}-failed")
        raise
    return tab


@pytest.mark.parametrize(
    ("locale", "title", "download"),
    [
        ("en-US", "Retraining", "Download the report (HTML)"),
        ("ja-JP", "再学習", "レポートをダウンロード（HTML）"),
    ],
)
def test_page_follows_the_browser_language_and_its_report_draws_offline(
    browser,
    context_for,
    served_app: RunningApp,
    tmp_path: Path,
    locale: str,
    title: str,
    download: str,
) -> None:
    tab = open_retraining(context_for(locale), served_app, locale, title)
    try:
        assert tab.get_by_role("heading", name=title).count() >= 1
        tab.set_viewport_size({"width": 1400, "height": 3000})
        wait_for_drawn(tab)  # what the taller viewport shows, drawn before the screenshot
        screenshot(tab, f"retraining-page-{locale}")
        with tab.expect_download(timeout=60_000) as info:
            tab.get_by_role("button", name=download).click()
        report_path = tmp_path / info.value.suggested_filename
        info.value.save_as(report_path)
    finally:
        tab.close()
    assert report_path.suffix == ".html"

    offline = browser.new_context(viewport={"width": 1200, "height": 1000}, offline=True)
    requested: list[str] = []
    offline.on("request", lambda request: requested.append(request.url))
    try:
        report_tab = offline.new_page()
        report_tab.goto(report_path.as_uri())
        report_tab.wait_for_selector(".js-plotly-plot .main-svg", timeout=30_000)
        assert report_tab.locator(".js-plotly-plot").count() == 2
        assert report_tab.locator(".js-plotly-plot .scatterlayer .trace").count() >= 4
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        report_tab.screenshot(
            path=str(ARTIFACTS / f"retraining-report-{locale}.png"), full_page=True
        )
        report_tab.emulate_media(media="print")
        breaks = report_tab.evaluate(
            "getComputedStyle(document.querySelector('.page-break')).breakBefore"
        )
        assert breaks == "page"
    finally:
        offline.close()
    assert [url for url in requested if not url.startswith("file://")] == []

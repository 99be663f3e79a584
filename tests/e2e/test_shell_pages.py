"""The dashboard in real Chromium: the Overview draws its charts; the Data page loads files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from tests.e2e.factories import (
    ROOT,
    FirstStart,
    RunningApp,
    screenshot,
    wait_for_app,
    wait_for_drawn,
)

pytestmark = pytest.mark.e2e


def test_overview_draws_its_charts(overview_tab) -> None:
    page = overview_tab
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
    wait_for_drawn(page)  # the cards' charts are drawn one by one
    assert page.locator(".js-plotly-plot").count() >= 8
    assert page.get_by_text("recommender: recommender-v2").count() == 1
    screenshot(page, "overview")


def _upload(page, served_app: RunningApp, kind: str, file: Path) -> None:
    page.goto(f"{served_app.url}/data")
    wait_for_app(page)
    form = page.locator("[data-testid='stForm']")
    kind_box = form.locator("[data-testid='stSelectbox']").first
    kind_box.wait_for()
    # The page may still rerun right after it loads, which closes an open dropdown: open it again
    # until the option shows (a few tries), then pick it.
    option = page.get_by_role("option", name=kind, exact=True)
    for _ in range(5):
        kind_box.click()
        page.keyboard.type(kind)
        try:
            option.wait_for(timeout=5_000)
            break
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
    # The typed text filters the list to this one option, which is focused: Enter picks it (a
    # click can miss when the list with eight kinds opens partly outside the viewport).
    page.keyboard.press("Enter")
    expect(kind_box.get_by_role("combobox")).to_have_value(kind)
    form.locator("input[type='file']").set_input_files(str(file))
    # The file shows once its upload has begun; the form's button stays disabled until the upload
    # is done, and the click waits for it.
    form.locator("[data-testid='stFileChipName']").filter(has_text=file.name).wait_for()
    form.get_by_role("button", name="Check and load").click()


def _events(db_path: Path) -> int:
    with duckdb.connect(str(db_path), read_only=True) as con:
        return con.execute("SELECT count(*) FROM events").fetchone()[0]


def test_bad_csv_upload_names_line_and_column_and_changes_nothing(
    served_app: RunningApp, page, tmp_path: Path
) -> None:
    bad = tmp_path / "bad_events.csv"
    bad.write_text(
        "unit_id,event,value,ts\nu1,click,1,2026-11-01 10:00:00\n"
        "u2,click,abc,2026-11-01 10:00:05\n",
        encoding="utf-8",
    )
    before = _events(served_app.db_path)
    _upload(page, served_app, "events", bad)
    # The refusal is an alert; the problems, which quote the user's file, are shown literally in
    # a code block below it (never read as Markdown).
    page.locator("[data-testid='stAlert']").first.wait_for(timeout=60_000)
    problems = page.locator("[data-testid='stCode']").filter(has_text="bad_events.csv")
    problems.wait_for(timeout=60_000)
    text = problems.inner_text()
    assert "line 3" in text and "column value" in text and "abc" in text
    screenshot(page, "data-upload-refused")
    assert _events(served_app.db_path) == before


def test_good_csv_upload_changes_the_row_counts(
    served_app: RunningApp, page, tmp_path: Path
) -> None:
    good = tmp_path / "good_events.csv"
    good.write_text(
        "unit_id,event,value,ts\n"
        + "".join(f"e2e-{i},click,1,2026-11-02 10:00:{i:02d}\n" for i in range(7)),
        encoding="utf-8",
    )
    before = _events(served_app.db_path)
    _upload(page, served_app, "events", good)
    page.get_by_text("7 new, 0 already present").wait_for(timeout=60_000)
    assert _events(served_app.db_path) == before + 7
    table = page.locator("[data-testid='stDataFrame']").first
    table.wait_for()
    screenshot(page, "data-upload-loaded")


def test_a_page_opened_by_its_address_on_a_fresh_server_renders(
    fresh_app: RunningApp, page
) -> None:
    page.goto(f"{fresh_app.url}/data")
    wait_for_app(page)
    page.get_by_role("heading", name="Data", exact=True).wait_for(timeout=60_000)
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.get_by_text("Overview").count() >= 1


def test_first_start_builds_the_demo_store_with_progress_then_says_it_is_demo_data(
    first_start: FirstStart,
) -> None:
    # The session opened this server's first page at its start (conftest.first_start_opened), so
    # the build runs while the other tests do; that tab showed the build's progress, then the
    # demo's notice.
    tab = first_start.tab
    tab.get_by_text("You are looking at demo data").wait_for(timeout=180_000)
    assert first_start.saw_progress(), "the first start did not show the build's progress"
    screenshot(tab, "first-start-done")
    first_start.started.stop()
    db_path = first_start.started.app.db_path
    assert db_path.exists()
    with duckdb.connect(str(db_path), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM events").fetchone()[0] > 1_000_000


def test_cli_ingest_runs_while_the_dashboard_is_open(
    served_app: RunningApp, overview_tab, tmp_path: Path
) -> None:
    # The Overview has been open in a tab since the session started (as a reader leaves it).
    page = overview_tab
    events = tmp_path / "from_terminal.csv"
    events.write_text(
        "unit_id,event,value,ts\nterminal-1,click,1,2026-11-03 08:00:00\n", encoding="utf-8"
    )
    done = subprocess.run(
        [
            sys.executable,
            "cli.py",
            "ingest",
            "--db",
            str(served_app.db_path),
            "--kind",
            "events",
            str(events),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "1 new, 0 already present" in done.stdout
    page.reload()
    wait_for_app(page)
    assert page.locator("[data-testid='stException']").count() == 0

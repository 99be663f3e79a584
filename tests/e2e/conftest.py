"""Real-browser fixtures: `streamlit run app.py` on a free local port, driven by Chromium.

In CI (CI=true) a missing browser fails the run instead of skipping the tests.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.factories import CHROMIUM_ARGS, RunningApp, chromium_path, serve_app


@pytest.fixture(scope="session")
def served_app(
    demo_store_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningApp]:
    """The dashboard on 127.0.0.1 over a private copy of the small demo store."""
    db_path = tmp_path_factory.mktemp("served") / "store.duckdb"
    shutil.copy(demo_store_template, db_path)
    with serve_app(db_path, tmp_path_factory.mktemp("logs")) as app:
        yield app


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Headless Chromium through Playwright."""
    executable = chromium_path()
    if executable is None:
        message = (
            "Chromium is not installed (apt-get install chromium, or playwright install chromium)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    """A fresh browser page, 1400x1000, English locale."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    tab = context.new_page()
    yield tab
    context.close()

"""Real-browser fixtures: `streamlit run app.py` on free local ports, driven by Chromium.

Every server the selected tests need is started at once when the session starts (`servers`),
before the demo store is even built, and each is waited for only when a test first uses it; the
dashboard's first start (which builds the medium demo) is opened in its own tab at the start too,
so that build runs while the other tests do. Each server still serves one store, and a server a
test must see fresh (`fresh_app`, `first_start`) is opened by that test's tab alone.

In CI (CI=true) a missing browser fails the run instead of skipping the tests.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.factories import (
    CHROMIUM_ARGS,
    FirstStart,
    Listener,
    RunningApp,
    StartedApp,
    chromium_path,
    copy_store,
    start_app,
    wait_for_app,
    write_payload_store,
)

# The text the dashboard shows while its first start builds the demo store.
FIRST_START = "First start: building the demo store"
# Sets window.__sawText once TEXT (a JSON string) has been anywhere in the page's text.
SAW_TEXT = """(() => {
    window.__sawText = false;
    const look = () => {
        if (!window.__sawText && document.body && document.body.textContent.includes(TEXT)) {
            window.__sawText = true;
        }
    };
    new MutationObserver(look)
        .observe(document, {subtree: true, childList: true, characterData: true});
})();"""
VIEWPORT = {"width": 1400, "height": 1000}


def _needed(request: pytest.FixtureRequest, name: str) -> bool:
    """Whether any test selected in this session uses fixture `name`."""
    return any(name in getattr(item, "fixturenames", ()) for item in request.session.items)


@pytest.fixture(scope="session")
def listener() -> Iterator[Listener]:
    """Where the payload store's images and links point; records every request it gets."""
    server = Listener()
    yield server
    server.close()


@pytest.fixture(scope="session", autouse=True)
def servers(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, StartedApp]]:
    """Start every server the selected tests use, all at once; stop them at the end.

    `served` is the dashboard over a private copy of the small demo store (shared by the tests
    that read it and by the upload tests, which check their own row counts); `payload` serves the
    markup payload store; `fresh` a copy no browser opens before its test; `first_start` a store
    that does not exist yet.
    """
    logs = tmp_path_factory.mktemp("logs")
    started: dict[str, StartedApp] = {}
    try:
        if _needed(request, "first_start"):
            missing = tmp_path_factory.mktemp("first-start") / "new" / "store.duckdb"
            started["first_start"] = start_app(missing, logs)
        if _needed(request, "served_app") or _needed(request, "fresh_app"):
            template: Path = request.getfixturevalue("demo_store_template")
            for name in ("served", "fresh"):
                if _needed(request, f"{name}_app"):
                    store = copy_store(template, tmp_path_factory.mktemp(name) / "store.duckdb")
                    started[name] = start_app(store, logs)
        if _needed(request, "payload_app"):
            template = request.getfixturevalue("demo_store_template")
            store = copy_store(template, tmp_path_factory.mktemp("payload") / "store.duckdb")
            write_payload_store(store, request.getfixturevalue("listener").port)
            started["payload"] = start_app(store, logs)
        yield started
    finally:
        # Ask every server to stop first, then wait for each: they shut down side by side.
        for app in started.values():
            app.process.terminate()
        for app in started.values():
            app.stop()


@pytest.fixture(scope="session")
def served_app(servers: dict[str, StartedApp]) -> RunningApp:
    """The dashboard on 127.0.0.1 over a private copy of the small demo store."""
    return servers["served"].ready()


@pytest.fixture(scope="session")
def payload_app(servers: dict[str, StartedApp]) -> RunningApp:
    """The dashboard over a copy of the demo whose user text is markup (factories.payload)."""
    return servers["payload"].ready()


@pytest.fixture(scope="session")
def fresh_app(servers: dict[str, StartedApp]) -> RunningApp:
    """A server over a copy of the demo store that no browser has opened yet (one test only)."""
    return servers["fresh"].ready()


@pytest.fixture(scope="session", autouse=True)
def first_start_opened(
    request: pytest.FixtureRequest, servers: dict[str, StartedApp]
) -> Iterator[FirstStart | None]:
    """The first start opened at the session's start (when a selected test uses `first_start`),
    so the build of the demo store runs while the other tests do."""
    if "first_start" not in servers:
        yield None
        return
    started = servers["first_start"]
    context = request.getfixturevalue("browser").new_context(viewport=VIEWPORT, locale="en-US")
    # The tab notes whether the build's progress was ever on the page (SAW_TEXT), so the session
    # need not wait for it here: the first start's test reads the note at its end.
    context.add_init_script(SAW_TEXT.replace("TEXT", json.dumps(FIRST_START)))
    tab = context.new_page()
    tab.goto(started.ready().url, wait_until="commit")
    yield FirstStart(started, tab)
    context.close()


@pytest.fixture(scope="session", autouse=True)
def overview_opened(
    request: pytest.FixtureRequest, servers: dict[str, StartedApp]
) -> Iterator[object | None]:
    """The shared dashboard's root (the Overview) opened in a tab of its own at the session's
    start, without waiting for it: its first, cold run then goes on while the first tests open
    other pages, instead of inside one of them. The tests that only read the Overview read this
    tab (`overview_tab`) rather than loading the page again (a page load costs Chromium about
    3 s of CPU on this machine)."""
    if "served" not in servers:
        yield None
        return
    context = request.getfixturevalue("browser").new_context(viewport=VIEWPORT, locale="en-US")
    tab = context.new_page()
    tab.goto(servers["served"].ready().url, wait_until="commit")
    yield tab
    context.close()


@pytest.fixture
def overview_tab(overview_opened: object | None, served_app: RunningApp) -> object:
    """The Overview of the shared dashboard (`served_app`, asked for so that a session of these
    tests alone starts that server), opened at the session's start, once its script has finished
    (English, 1400x1000). Other tests read it too: a test may reload it, not leave it on another
    page."""
    assert overview_opened is not None
    wait_for_app(overview_opened)
    return overview_opened


@pytest.fixture(scope="session")
def first_start(first_start_opened: FirstStart | None) -> FirstStart:
    """The dashboard's first start, opened at the session's start (one test only)."""
    assert first_start_opened is not None
    return first_start_opened


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


@pytest.fixture(scope="session")
def contexts(browser: object) -> Iterator[dict[str, object]]:
    """One browser context per language, made when first asked for (`context_for`): its tabs
    share the HTTP cache, so the dashboard's scripts are fetched once per language."""
    made: dict[str, object] = {}
    yield made
    for context in made.values():
        context.close()


@pytest.fixture(scope="session")
def context_for(browser: object, contexts: dict[str, object]):
    """`context_for(locale)`: the session's browser context for that language, 1400x1000."""

    def context(locale: str) -> object:
        if locale not in contexts:
            contexts[locale] = browser.new_context(viewport=VIEWPORT, locale=locale)
        return contexts[locale]

    return context


@pytest.fixture
def page(context_for) -> Iterator[object]:
    """A fresh browser tab (its own Streamlit session), 1400x1000, English locale."""
    tab = context_for("en-US").new_page()
    yield tab
    tab.close()

"""User text is shown as text on every page, in both languages, in real Chromium.

A store whose model ids, notes, KPI names, owners and rationales, experiment names, hypotheses and
metric names carry Markdown images and links, raw HTML, Streamlit colour directives and LaTeX is
served (`payload_app`, built by factories.write_payload_store), and a local HTTP listener stands
where those images and links point. Visiting every page must send nothing to the listener and
leave no live link from user text.
"""

from __future__ import annotations

import pytest

from tests.e2e.factories import (
    Listener,
    RunningApp,
    screenshot,
    switch_page,
    wait_for_app,
    wait_for_drawn,
)

pytestmark = pytest.mark.e2e

PAGES = (
    "",
    "kpis",
    "degradation",
    "experiments",
    "experiment_detail",
    "monitoring",
    "retraining",
    "data",
)
# Pages that show user text outside tables and select boxes (a table is drawn on a canvas, a
# select box holds its value in an input: neither is page text).
SHOWS_TEXT = {"", "degradation", "experiment_detail"}


@pytest.mark.parametrize("locale", ["en-US", "ja-JP"])
def test_user_text_is_text_on_every_page(
    payload_app: RunningApp, listener: Listener, context_for, locale: str
) -> None:
    tab = context_for(locale).new_page()
    to_listener: list[str] = []
    tab.on(
        "request",
        lambda request: (
            to_listener.append(request.url) if f":{listener.port}" in request.url else None
        ),
    )
    try:
        for name in PAGES:
            if name:
                # Every other page from the sidebar, in the same tab (as a reader moves).
                switch_page(tab, name)
            else:
                tab.goto(payload_app.url)
                # A server's first run may rerun once before drawing the page's title.
                tab.locator("[data-testid='stMain'] h1").first.wait_for(timeout=60_000)
                wait_for_app(tab)
            assert tab.url.rstrip("/") == f"{payload_app.url}/{name}".rstrip("/"), name
            wait_for_drawn(tab)  # every chart drawn, every image fetched
            assert tab.locator("[data-testid='stException']").count() == 0, name
            hrefs = tab.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
            live = [h for h in hrefs if h.startswith("javascript") or f":{listener.port}" in h]
            assert live == [], f"{name}: live links from user text {live}"
            sources = tab.eval_on_selector_all("img[src]", "images => images.map(i => i.src)")
            assert not [s for s in sources if f":{listener.port}" in s], name
            screenshot(tab, f"markup-{locale}-{name or 'overview'}")
            if name in SHOWS_TEXT:
                shown = tab.get_by_text(":red[FAKE]")
                assert shown.count() >= 1, f"{name}: the payload is not shown word for word"
    finally:
        tab.close()
    assert to_listener == []
    assert listener.requests == []

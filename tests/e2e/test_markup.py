"""User text is shown as text on every page, in both languages, in real Chromium.

A store whose model ids, notes, KPI names, owners and rationales, experiment names, hypotheses and
metric names carry Markdown images and links, raw HTML, Streamlit colour directives and LaTeX is
served, and a local HTTP listener stands where those images and links point. Visiting every page
must send nothing to the listener and leave no live link from user text.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from core.clock import fixed_clock
from services import experiments as experiment_service
from services import kpis
from services.store import StoreSettings
from tests.conftest import TEST_NOW
from tests.e2e.factories import RunningApp, screenshot, serve_app, wait_for_app

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


class Listener:
    """An HTTP server on a free local port that records every request it gets."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        listener = self

        class Recorder(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                listener.requests.append(self.path)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                """Quiet: the test reads `requests`."""

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def payload(port: int, label: str) -> str:
    """`label` wrapped in every kind of markup that would load, link or restyle if interpreted."""
    return (
        f"{label} ![x](http://127.0.0.1:{port}/img-{label}.png) [click](javascript:alert(1)) "
        f"[visit](http://127.0.0.1:{port}/link-{label}) "
        f"<img src=http://127.0.0.1:{port}/tag-{label}> "
        f":red[FAKE] $x$ **bold**"
    )


def _write_payload_store(path: Path, port: int) -> None:
    """KPIs, experiments, a live model and its metrics renamed to payloads, through the services
    where they exist (so each is validated as a user's input would be) and SQL for the registry."""
    settings = StoreSettings(path)
    clock = fixed_clock(TEST_NOW)
    for version in kpis.latest_versions(settings):
        spec = dataclasses.replace(
            version.spec,
            name=payload(port, "kpi"),
            owner=payload(port, "owner"),
            rationale=payload(port, "rationale"),
        )
        # Agreed a second after the first version, so the payload names are the ones in force.
        kpis.define_kpi(
            settings,
            spec,
            author=payload(port, "author"),
            created_at=version.created_at + dt.timedelta(seconds=1),
            clock=clock,
        )
    for definition in experiment_service.latest_definitions(settings):
        spec = definition.spec
        metrics = tuple(
            dataclasses.replace(metric, name=f"{metric.name} {payload(port, 'metric')}")
            for metric in spec.metrics
        )
        renamed = dataclasses.replace(
            spec,
            name=payload(port, "experiment"),
            hypothesis=payload(port, "hypothesis"),
            metrics=metrics,
        )
        experiment_service.define(settings, renamed, payload(port, "reason"), clock)
    live_id = payload(port, "model")
    with duckdb.connect(str(path)) as con:
        con.execute("UPDATE models SET notes = ?", [payload(port, "notes")])
        live = con.execute(
            "SELECT model_id, family FROM models WHERE stage = 'production' "
            "ORDER BY deployed_at DESC LIMIT 1"
        ).fetchall()[0]
        newest = con.execute("SELECT max(date) FROM online_metrics").fetchall()[0][0]
        registry = pd.DataFrame(
            {
                "model_id": [live_id],
                "family": [live[1]],
                "version": ["9"],
                "deployed_at": [pd.Timestamp(newest) - pd.Timedelta(days=20)],
                "retired_at": [None],
                "notes": [payload(port, "notes")],
                "stage": ["production"],
            }
        )
        con.register("payload_model", registry)
        columns = ", ".join(registry.columns)
        con.execute(f"INSERT INTO models ({columns}) SELECT {columns} FROM payload_model")
        metric_name = payload(port, "online")
        con.execute(
            "INSERT INTO online_metrics (date, model_id, metric, value, n, std) "
            "SELECT date, ?, metric, value, n, std FROM online_metrics WHERE model_id = ? "
            "UNION ALL SELECT date, ?, ?, value, n, std FROM online_metrics "
            "WHERE model_id = ? AND metric = (SELECT min(metric) FROM online_metrics)",
            [live_id, live[0], live_id, metric_name, live[0]],
        )
        con.execute(
            "INSERT INTO offline_metrics (model_id, metric, value, evaluated_at, dataset, n) "
            "SELECT ?, metric || ' ' || ?, value, evaluated_at, dataset, n FROM offline_metrics "
            "WHERE model_id = ?",
            [live_id, payload(port, "offline"), live[0]],
        )


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


@pytest.fixture(scope="module")
def payload_app(
    demo_store_template: Path, listener: Listener, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningApp]:
    db_path = tmp_path_factory.mktemp("payload") / "store.duckdb"
    shutil.copy(demo_store_template, db_path)
    _write_payload_store(db_path, listener.port)
    with serve_app(db_path, tmp_path_factory.mktemp("payload-logs")) as app:
        yield app


@pytest.mark.parametrize("locale", ["en-US", "ja-JP"])
def test_user_text_is_text_on_every_page(
    payload_app: RunningApp, listener: Listener, browser, locale: str
) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale=locale)
    tab = context.new_page()
    to_listener: list[str] = []
    tab.on(
        "request",
        lambda request: (
            to_listener.append(request.url) if f":{listener.port}" in request.url else None
        ),
    )
    try:
        for name in PAGES:
            tab.goto(f"{payload_app.url}/{name}")
            # Every page has a title; a server's first run may rerun once before drawing it.
            tab.locator("[data-testid='stMain'] h1").first.wait_for(timeout=60_000)
            wait_for_app(tab)
            tab.wait_for_timeout(1_500)  # time for any image to be fetched
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
        context.close()
    assert to_listener == []
    assert listener.requests == []

"""Helpers of the real-browser tests: serve the dashboard on a free port, wait for it, and keep
screenshots in tests/artifacts/.

Starting a server (`start_app`) and waiting for it to answer (`StartedApp.ready`) are separate
steps, so the session can start every server it needs at once and wait for each only when a test
first uses it (tests/e2e/conftest.py): a Streamlit start is seconds of imports that would
otherwise run one after another while the browser waits.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import http.server
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import duckdb
import pandas as pd

from core.clock import fixed_clock
from services import experiments as experiment_service
from services import kpis
from services.store import StoreSettings
from tests.factories import TEST_NOW

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
]
# The app has finished a run of its page script: connected, the script not running, and
# Streamlit's "running" indicator gone. `data-test-script-state` is "initial" until the first run
# of a newly loaded page has started, so this does not pass before that run.
APP_IDLE = (
    "[data-testid='stApp'][data-test-connection-state='CONNECTED']"
    "[data-test-script-state='notRunning']"
)
# Everything on the page has been drawn: no element still waiting for its code (Streamlit shows
# `stSkeleton` meanwhile), every Plotly chart drawn, every image loaded or failed (a request it
# made has been answered).
DRAWN = """() =>
    !document.querySelector("[data-testid='stSkeleton']")
    && Array.from(document.querySelectorAll("[data-testid='stPlotlyChart']"))
        .every(chart => chart.querySelector(".main-svg"))
    && Array.from(document.images).every(image => image.complete)"""


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


def write_payload_store(path: Path, port: int) -> None:
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


def chromium_path() -> str | None:
    """The installed Chromium: Debian's package, else Playwright's own download."""
    for candidate in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if Path(candidate).exists():
            return candidate
    return shutil.which("chromium") or None


def copy_store(source: Path, target: Path) -> Path:
    """A private copy of the store at `source` (the file and anything kept beside it under its
    name, such as a write-ahead log or a folder of parts), at `target`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    for companion in source.parent.glob(f"{source.name}.*"):
        destination = target.with_name(target.name + companion.name[len(source.name) :])
        if companion.is_dir():
            shutil.copytree(companion, destination)
        else:
            shutil.copyfile(companion, destination)
    return target


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class RunningApp:
    """A served dashboard: its address and the store behind it."""

    url: str
    db_path: Path


@dataclass
class StartedApp:
    """A `streamlit run app.py` process that may not answer yet; `ready()` waits for it."""

    app: RunningApp
    process: subprocess.Popen[bytes]
    log: IO[str]
    answered: bool = field(default=False)

    def ready(self, timeout: float = 120) -> RunningApp:
        """Wait until the server answers its health check (once), then return it."""
        if not self.answered:
            _wait_until_up(self.app.url, self.process, timeout)
            self.answered = True
        return self.app

    def stop(self) -> None:
        """Stop the server (politely, then not) and close its log."""
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


@dataclass
class FirstStart:
    """A fresh server over a store that does not exist yet, opened in its own tab at the
    session's start (tests/e2e/conftest.py); `saw_progress()` says whether that tab has shown
    the build's progress."""

    started: StartedApp
    tab: object

    def saw_progress(self) -> bool:
        return bool(self.tab.evaluate("() => window.__sawText === true"))


def _wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited early with status {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"streamlit did not answer at {url} within {timeout} s")


def start_app(db_path: Path, log_dir: Path) -> StartedApp:
    """Start `streamlit run app.py` on a free port over `db_path`, without waiting for it."""
    port = _free_port()
    env = {
        **os.environ,
        "YARDSTICK_DB": str(db_path),
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
    }
    log = (log_dir / f"streamlit-{port}.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.headless",
            "true",
            "--server.address",
            "127.0.0.1",
            "--server.port",
            str(port),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    return StartedApp(RunningApp(f"http://127.0.0.1:{port}", db_path), process, log)


@contextmanager
def serve_app(db_path: Path, log_dir: Path) -> Iterator[RunningApp]:
    """`streamlit run app.py` on a free port over `db_path`, stopped on exit."""
    started = start_app(db_path, log_dir)
    try:
        yield started.ready()
    finally:
        started.stop()


def wait_for_app(tab: object, timeout_ms: int = 60_000) -> None:
    """Wait until Streamlit has finished running the page script.

    The script's state is on the page (APP_IDLE); it is checked again 100 ms after it first
    holds, so a rerun the page asks for right after a run (st.navigation's first run on a fresh
    server) is waited for too.
    """
    tab.wait_for_selector("[data-testid='stApp']", timeout=timeout_ms)
    _wait_idle(tab, timeout_ms)
    tab.wait_for_timeout(100)
    _wait_idle(tab, timeout_ms)


def _wait_idle(tab: object, timeout_ms: int) -> None:
    tab.wait_for_selector(APP_IDLE, timeout=timeout_ms)
    tab.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
        timeout=timeout_ms,
    )


# Records on the page whether the app's script has started a run since it was installed: a page
# switched in the sidebar is drawn by a new run, and until that run starts the previous page's
# state (idle, drawn) still holds.
WATCH_RUNS = """() => {
    const app = document.querySelector("[data-testid='stApp']");
    window.__yardstickRan = false;
    new MutationObserver(() => {
        if (app.getAttribute("data-test-script-state") === "running") window.__yardstickRan = true;
    }).observe(app, {attributes: true, attributeFilter: ["data-test-script-state"]});
}"""


def switch_page(tab: object, path: str, timeout_ms: int = 60_000) -> None:
    """Open the page at `path` (its address after the app's root) from the sidebar, as a reader
    does, in the same tab (no reload of the dashboard's scripts), and wait until its run has
    finished: a run started after the click (WATCH_RUNS), then the app idle."""
    tab.evaluate(WATCH_RUNS)
    tab.locator(f"[data-testid='stSidebarNav'] a[href$='/{path}']").first.click()
    tab.wait_for_url(f"**/{path}", timeout=timeout_ms)
    tab.wait_for_function("() => window.__yardstickRan === true", timeout=timeout_ms)
    wait_for_app(tab, timeout_ms)


def wait_for_drawn(tab: object, timeout_ms: int = 30_000) -> None:
    """Wait until the page has drawn everything it shows and fetched every image (DRAWN); checked
    again 100 ms later, so an image or link that only a drawn chart adds is fetched too."""
    tab.wait_for_function(DRAWN, timeout=timeout_ms)
    tab.wait_for_timeout(100)
    tab.wait_for_function(DRAWN, timeout=timeout_ms)


def screenshot(tab: object, name: str) -> Path:
    """Save a full-page screenshot to tests/artifacts/ (look at them)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    tab.screenshot(path=str(path), full_page=True)
    return path

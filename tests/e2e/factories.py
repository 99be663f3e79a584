"""Helpers of the real-browser tests: serve the dashboard on a free port, wait for it, and keep
screenshots in tests/artifacts/.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
]


def chromium_path() -> str | None:
    """The installed Chromium: Debian's package, else Playwright's own download."""
    for candidate in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if Path(candidate).exists():
            return candidate
    return shutil.which("chromium") or None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class RunningApp:
    """A served dashboard: its address and the store behind it."""

    url: str
    db_path: Path


def _wait_until_up(url: str, process: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited early with status {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"streamlit did not answer at {url} within {timeout} s")


@contextmanager
def serve_app(db_path: Path, log_dir: Path) -> Iterator[RunningApp]:
    """`streamlit run app.py` on a free port over `db_path`, stopped on exit."""
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
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process)
        yield RunningApp(url, db_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def wait_for_app(tab: object, timeout_ms: int = 60_000) -> None:
    """Wait until Streamlit has finished running the page script."""
    tab.wait_for_selector("[data-testid='stApp']", timeout=timeout_ms)
    tab.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
        timeout=timeout_ms,
    )
    tab.wait_for_timeout(500)


def screenshot(tab: object, name: str) -> Path:
    """Save a full-page screenshot to tests/artifacts/ (look at them)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    tab.screenshot(path=str(path), full_page=True)
    return path

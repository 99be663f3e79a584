"""Benchmark: what a real page visit costs the dashboard's server, and the reader's wait.

Starts `streamlit run app.py` (the project's .streamlit/config.toml applies) over a copy of a
store, then opens every page in headless Chromium, each in a new tab, in English then Japanese,
and prints per visit: the wait until the page's title shows, until Streamlit's script is idle,
until every chart is drawn, and the server's CPU seconds during the visit (the process and its
threads, from /proc). The first visit of each page is cold (the server's caches empty); the
Japanese pass is warm.

Run: python -m benchmarks.page_visits --db STORE [--watch]
`--watch` starts the server with Streamlit's file watcher on (`--server.fileWatcherType auto`),
the setting before it was turned off, for comparison (docs/benchmarks.md, "Test suite time").
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from scripts.screenshots import CHROMIUM_ARGS, PAGES, free_port, start_app

IDLE = (
    "[data-testid='stApp'][data-test-connection-state='CONNECTED']"
    "[data-test-script-state='notRunning']"
)
DRAWN = """() => !document.querySelector("[data-testid='stSkeleton']")
    && Array.from(document.querySelectorAll("[data-testid='stPlotlyChart']"))
        .every(chart => chart.querySelector(".main-svg"))"""


def server_cpu(pid: int) -> float:
    """CPU seconds (user + system) the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start(store: Path, watch: bool) -> tuple[subprocess.Popen[bytes], str]:
    """The dashboard over `store` (scripts/screenshots.py starts it), once it answers."""
    port = free_port()
    process = start_app(store, port, *(["--server.fileWatcherType=auto"] if watch else []))
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                return process, url
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the dashboard did not start")


def visit(context: object, url: str, pid: int) -> tuple[float, float, float, float]:
    tab = context.new_page()
    cpu, began = server_cpu(pid), time.perf_counter()
    tab.goto(url)
    tab.locator("[data-testid='stMain'] h1").first.wait_for(timeout=120_000)
    titled = time.perf_counter()
    tab.wait_for_selector(IDLE, timeout=120_000)
    tab.wait_for_timeout(100)
    tab.wait_for_selector(IDLE, timeout=120_000)
    idle = time.perf_counter()
    tab.wait_for_function(DRAWN, timeout=120_000)
    drawn = time.perf_counter()
    tab.close()
    return titled - began, idle - titled, drawn - idle, server_cpu(pid) - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--db", type=Path, required=True, help="a store to copy and serve")
    parser.add_argument("--watch", action="store_true", help="Streamlit's file watcher on")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        store = Path(folder) / "store.duckdb"
        shutil.copyfile(args.db, store)
        parts = args.db.with_name(args.db.name + ".parts")
        if parts.is_dir():
            shutil.copytree(parts, store.with_name(store.name + ".parts"))
        process, url = start(store, args.watch)
        try:
            print(
                f"watcher {'on' if args.watch else 'off'}; server start-up CPU "
                f"{server_cpu(process.pid):.2f} s"
            )
            print("| language | page | title s | idle s | drawn s | server CPU s |")
            print("|---|---|---|---|---|---|")
            total = 0.0
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
                )
                for locale in ("en-US", "ja-JP"):
                    context = browser.new_context(
                        viewport={"width": 1400, "height": 1000}, locale=locale
                    )
                    for page in PAGES:
                        titled, idle, drawn, cpu = visit(context, f"{url}/{page}", process.pid)
                        total += cpu
                        print(
                            f"| {locale} | {page or 'overview'} | {titled:.2f} | {idle:.2f} "
                            f"| {drawn:.2f} | {cpu:.2f} |",
                            flush=True,
                        )
                    context.close()
                browser.close()
            print(f"server CPU over the {2 * len(PAGES)} visits: {total:.1f} s")
        finally:
            process.terminate()
            process.wait(timeout=30)


if __name__ == "__main__":
    main()

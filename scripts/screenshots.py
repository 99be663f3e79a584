"""Screenshots of every page in both languages at 1280 and 1440 px wide, to look at.

Starts the dashboard (real Streamlit) on a store, opens each page in headless Chromium with the
browser's language set to English or Japanese, and saves full-page PNGs to the output folder.

    python scripts/screenshots.py --db /tmp/shots/medium.duckdb --out tests/artifacts/screens
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
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
LOCALES = {"en": "en-US", "ja": "ja-JP"}
WIDTHS = (1280, 1440)
# Streamlit scrolls inside its own container, so a "full page" shot is the viewport: a long page
# gets a taller one.
HEIGHTS = {"monitoring": 4400}
# Pages with many charts need longer to draw them all after the script has finished.
SETTLE_MS = {"monitoring": 8000}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_app(db: Path, port: int, *options: str) -> subprocess.Popen[bytes]:
    """`streamlit run app.py` over `db` on `port` (the project's .streamlit/config.toml applies;
    `options` are more command-line settings), not waited for."""
    env = {**os.environ, "YARDSTICK_DB": str(db)}
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless=true"]
    command += [f"--server.port={port}", "--browser.gatherUsageStats=false", *options]
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=ROOT / "tests" / "artifacts" / "screens")
    parser.add_argument(
        "--pages",
        nargs="+",
        default=PAGES,
        metavar="PAGE",
        help="page paths, optionally with a query (experiment_detail?experiment=banner-split)",
    )
    parser.add_argument(
        "--height", type=int, default=2200, help="viewport height: taller shows long pages whole"
    )
    args = parser.parse_args()
    pages = tuple(args.pages) if args.pages else PAGES
    args.out.mkdir(parents=True, exist_ok=True)
    port = free_port()
    app = start_app(args.db.resolve(), port)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
            )
            for lang, locale in LOCALES.items():
                for width in WIDTHS:
                    context = browser.new_context(
                        viewport={"width": width, "height": args.height}, locale=locale
                    )
                    tab = context.new_page()
                    for page in pages:
                        height = max(args.height, HEIGHTS.get(page, args.height))
                        tab.set_viewport_size({"width": width, "height": height})
                        deadline = time.monotonic() + 60
                        while True:
                            try:
                                tab.goto(f"http://127.0.0.1:{port}/{page}", timeout=30_000)
                                break
                            except Exception:
                                if time.monotonic() > deadline:
                                    raise
                                time.sleep(1)
                        tab.wait_for_selector('[data-testid="stSidebar"]', timeout=60_000)
                        tab.wait_for_timeout(1500)
                        tab.wait_for_function(
                            "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
                            timeout=120_000,
                        )
                        tab.wait_for_timeout(SETTLE_MS.get(page, 2500))
                        label = (page or "overview").replace("?", "-").replace("=", "-")
                        name = f"{label}-{lang}-{width}.png"
                        tab.screenshot(path=str(args.out / name), full_page=True, timeout=180_000)
                        print(args.out / name)
                    context.close()
            browser.close()
    finally:
        app.terminate()
        app.wait()


if __name__ == "__main__":
    main()

"""Benchmark: render time of every page of the dashboard, cold and warm, in both languages.

Each (page, language) runs in a fresh process, which measures three renders of the app (`app.py`
with `st.navigation`) opened on the page:
- first: the first render in the process: the project's modules and their libraries (pandas,
  scipy, statsmodels, DuckDB, Plotly) imported, every cache empty; what the first visitor after a
  server start waits for.
- cold: every `st.cache_data` cleared, in a process that has already imported the app (an untimed
  render of another page first); what a visitor waits for after a load changed the store, since
  every cached read is keyed by the store's fingerprint. Target: under 4 s.
- warm: the median of reruns of the page (caches filled). Target: under 2 s.
The store is the medium demo (built first when missing, as `python cli.py demo --size medium`
does).

Run:     python -m benchmarks.pages --db /tmp/yardstick-pages/medium.duckdb [--write]
Profile: python -m benchmarks.pages --db ... --profile pages/kpis.py --lang en
`--write` puts the table into docs/benchmarks.md (between the `pages-benchmark` markers).
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import io
import json
import os
import pstats
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- pages-benchmark:begin -->", "<!-- pages-benchmark:end -->"
PAGES = (
    "pages/overview.py",
    "pages/kpis.py",
    "pages/degradation.py",
    "pages/experiments.py",
    "pages/experiment_detail.py",
    "pages/monitoring.py",
    "pages/retraining.py",
    "pages/data.py",
)
LANGUAGES = ("en", "ja")
COLD_TARGET_S = 4.0
WARM_TARGET_S = 2.0
TIMEOUT_S = 300


@dataclass(frozen=True)
class Timing:
    """One page in one language: the first render in a fresh process, and the reruns after it."""

    page: str
    lang: str
    first_s: float
    cold_s: float
    warm_s: float
    cold_cpu_s: float
    warm_cpu_s: float


def _app_on(page: str, lang: str) -> AppTest:
    """The app, in `lang`, set to open on `page`; not yet run."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT_S)
    at.session_state["lang"] = lang
    if page != PAGES[0]:
        # Before the first run a page is found by its file name, which is what app.py registers.
        at.switch_page(page)
    return at


def _run(at: AppTest) -> tuple[float, float]:
    """Run (or rerun) the app; the seconds it took, and the CPU seconds of this process (all its
    threads, DuckDB's included): the work itself, which other jobs on a busy machine do not
    stretch as they stretch the wall clock."""
    started, cpu = time.perf_counter(), time.process_time()
    at.run()
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    if at.exception:
        raise RuntimeError(f"the page raised: {at.exception}")
    return seconds, cpu_seconds


def measure_here(page: str, lang: str, reruns: int) -> Timing:
    """In this (fresh) process: the first render of `page`, a cold-cache render after the caches
    are cleared, then the median of `reruns` warm ones."""
    import streamlit as st

    # The harness itself is imported untimed: it is not the page's cost.
    import streamlit.testing.v1

    first, _ = _run(_app_on(page, lang))
    st.cache_data.clear()
    at = _app_on(page, lang)
    cold, cold_cpu = _run(at)
    reran = [_run(at) for _ in range(reruns)]
    warm = statistics.median(seconds for seconds, _ in reran)
    warm_cpu = statistics.median(cpu for _, cpu in reran)
    return Timing(page, lang, first, cold, warm, cold_cpu, warm_cpu)


def measure(page: str, lang: str, db: Path, reruns: int) -> Timing:
    """`measure_here` in a fresh process pointed at the store `db`."""
    command = [sys.executable, "-m", "benchmarks.pages", "--db", str(db), "--reruns", str(reruns)]
    command += ["--child", page, "--lang", lang]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{page} ({lang}) failed:\n{done.stderr}")
    values = json.loads(done.stdout.strip().splitlines()[-1])
    return Timing(page, lang, **values)


def profile(page: str, lang: str, top: int = 40) -> str:
    """cProfile of the cold render and of one warm rerun, the `top` entries by cumulative time.

    AppTest runs the script in a thread of its own, so the profiler is switched on in each thread
    the run starts (the main thread only waits for it).
    """
    import streamlit.testing.v1  # noqa: F401

    at = _app_on(page, lang)
    report = io.StringIO()
    for label in ("cold", "warm"):
        profiler = cProfile.Profile()

        def start_in_thread(*_: object, profiler: cProfile.Profile = profiler) -> None:
            sys.setprofile(None)
            profiler.enable()

        threading.setprofile(start_in_thread)
        try:
            at.run()
        finally:
            threading.setprofile(None)  # type: ignore[arg-type]  # None unsets it (documented)
        report.write(f"\n=== {page} ({lang}), {label} render ===\n")
        pstats.Stats(profiler, stream=report).sort_stats("cumulative").print_stats(top)
    return report.getvalue()


def table(timings: list[Timing]) -> str:
    """The timings as a Markdown table, one row per page: first, cold and warm per language, the
    cold and warm CPU seconds in brackets."""
    by_key = {(t.page, t.lang): t for t in timings}
    header = "| page | " + " | ".join(
        f"first {lang} s | cold {lang} s (cpu) | warm {lang} s (cpu)" for lang in LANGUAGES
    )
    lines = [header + " | targets met |", "|---" * (1 + 3 * len(LANGUAGES)) + "|---|"]
    for page in dict.fromkeys(t.page for t in timings):
        row = [by_key[(page, lang)] for lang in LANGUAGES]
        met = all(t.cold_s < COLD_TARGET_S and t.warm_s < WARM_TARGET_S for t in row)
        cells = " | ".join(
            f"{t.first_s:.2f} | {t.cold_s:.2f} ({t.cold_cpu_s:.2f}) | "
            f"{t.warm_s:.2f} ({t.warm_cpu_s:.2f})"
            for t in row
        )
        lines.append(f"| `{page}` | {cells} | {'yes' if met else 'NO'} |")
    return "\n".join(lines)


def write_into_doc(text: str) -> None:
    """Replace the text between the markers in docs/benchmarks.md (the markers must exist)."""
    doc = DOC.read_text(encoding="utf-8")
    start, end = doc.index(BEGIN) + len(BEGIN), doc.index(END)
    DOC.write_text(doc[:start] + "\n" + text + "\n" + doc[end:], encoding="utf-8")


def ensure_store(db: Path) -> None:
    """Build the medium demo store at `db` unless it exists (about a minute)."""
    if not db.exists():
        command = [sys.executable, "cli.py", "demo", "--db", str(db), "--size", "medium"]
        subprocess.run(command, cwd=ROOT, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="the medium demo store")
    parser.add_argument("--reruns", type=int, default=3, help="warm reruns per page (default 3)")
    parser.add_argument("--write", action="store_true", help="write the table into the doc")
    parser.add_argument("--profile", metavar="PAGE", help="profile one page instead")
    parser.add_argument("--lang", choices=LANGUAGES, default="en", help="with --profile")
    parser.add_argument(
        "--pages", nargs="+", choices=PAGES, default=PAGES, help="measure these pages only"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    db = args.db.resolve()
    os.environ["YARDSTICK_DB"] = str(db)
    if args.child:
        timing = measure_here(args.child, args.lang, args.reruns)
        values = dataclasses.asdict(timing)
        print(json.dumps({k: v for k, v in values.items() if k not in ("page", "lang")}))
        return
    ensure_store(db)
    if args.profile:
        print(profile(args.profile, args.lang))
        return
    timings = []
    for page in args.pages:
        for lang in LANGUAGES:
            timings.append(measure(page, lang, db, args.reruns))
            t = timings[-1]
            print(
                f"{page} {lang}: first {t.first_s:.2f} s, cold {t.cold_s:.2f} s "
                f"(cpu {t.cold_cpu_s:.2f}), warm {t.warm_s:.2f} s (cpu {t.warm_cpu_s:.2f})",
                file=sys.stderr,
            )
    text = table(timings)
    print(text)
    if args.write:
        write_into_doc(text)


if __name__ == "__main__":
    main()

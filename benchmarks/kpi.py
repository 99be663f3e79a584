"""Benchmark: `kpi check` over 20 KPIs on the medium demo, and the KPI pages' render time on that
store and on a copy with 100x more online-metric rows (the pages must stay within 1.5x).

Run: /work/venv/bin/python benchmarks/kpi.py [--workdir DIR] [--repeats 3]
Prints a Markdown section for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import cli  # noqa: E402
from core.clock import system_clock  # noqa: E402
from data import kpi_store  # noqa: E402
from data.demo_kpis import DEMO_SPECS  # noqa: E402
from data.ingest import ingest_files  # noqa: E402
from data.store import StoreSettings, connect  # noqa: E402
from kpi.spec import parse_spec, spec_to_toml  # noqa: E402
from services import kpis  # noqa: E402
from services.loading import build_demo_store  # noqa: E402

ROW_MULTIPLIER = 100
PAGES = ("pages/overview.py", "pages/kpis.py", "pages/degradation.py")
VARIANTS_PER_KPI = 4


def define_twenty_kpis(settings: StoreSettings) -> int:
    """The 4 demo KPIs plus 4 variants of each with other windows and persistence: 20 in all."""
    count = len(kpis.latest_versions(settings))
    for kpi_id in DEMO_SPECS:
        base = kpis.kpi_history(settings, kpi_id)[-1].spec
        for variant in range(1, VARIANTS_PER_KPI + 1):
            text = spec_to_toml(base).replace(f'id = "{kpi_id}"', f'id = "{kpi_id}-v{variant}"')
            text = text.replace(f"window_days = {base.window_days}", f"window_days = {7 * variant}")
            kpis.define_kpi(settings, parse_spec(text), "benchmark")
            count += 1
    return count


def add_shadow_rows(settings: StoreSettings, workdir: Path) -> int:
    """Multiply the online-metric rows by ROW_MULTIPLIER with retired shadow challengers.

    Each shadow copies every daily row of a production model under its own model id, registered
    as a challenger retired on the last day: the store grows 100x while what the pages should
    show (live versions, KPIs) stays the same, so any extra time is a page reading too much.
    """
    with connect(settings, read_only=True) as con:
        rows = pd.concat(
            [
                kpi_store.live_daily_series(con, family, _metrics(settings, family))
                for family in ("recommender", "fraud")
            ],
            ignore_index=True,
        )
    last_day = pd.Timestamp(rows["date"].max())
    shadows, models = [], []
    for model_id, model_rows in rows.groupby("model_id"):
        family = "fraud" if str(model_id).startswith("fraud") else "recommender"
        for copy in range(1, ROW_MULTIPLIER):
            shadow_id = f"{model_id}-shadow-{copy:03d}"
            shadows.append(model_rows.assign(model_id=shadow_id))
            models.append(
                {
                    "model_id": shadow_id,
                    "family": family,
                    "version": f"shadow-{copy:03d}",
                    "deployed_at": pd.Timestamp(model_rows["date"].min()),
                    "retired_at": last_day,
                    "stage": "challenger",
                }
            )
    models_path = workdir / "shadow_models.csv"
    pd.DataFrame(models).to_csv(models_path, index=False)
    ingest_files(settings, "models", [models_path], actor="benchmark")
    extra = pd.concat(shadows, ignore_index=True)
    online_path = workdir / "shadow_online.parquet"
    extra[["date", "model_id", "metric", "value", "n", "std"]].to_parquet(online_path, index=False)
    ingest_files(settings, "online_metrics", [online_path], actor="benchmark")
    return len(extra)


def _metrics(settings: StoreSettings, family: str) -> list[str]:
    with connect(settings, read_only=True) as con:
        available = kpi_store.metric_availability(con)
    return sorted(a.metric for a in available if a.family == family and a.source == "online")


def time_check(settings: StoreSettings, repeats: int) -> list[float]:
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            code = cli.main(["kpi", "check", "--db", str(settings.path), "--json", "--no-record"])
        timings.append(time.perf_counter() - started)
        assert code in (0, 10, 20), code
    return timings


def time_page(settings: StoreSettings, page: str, repeats: int) -> list[float]:
    """Cold-cache render times of one page, measured in a fresh process (imports excluded)."""
    command = [sys.executable, __file__, "--render", page, "--db", str(settings.path)]
    command += ["--repeats", str(repeats)]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return [float(value) for value in result.stdout.split()]


def render_timings(page: str, db: str, repeats: int) -> list[float]:
    """In this process: render the app once untimed (imports, navigation), then time `page`
    from a cleared cache, `repeats` times."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["YARDSTICK_DB"] = db
    warm = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    warm.run()
    timings = []
    for _ in range(repeats):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
        at.run()
        st.cache_data.clear()
        started = time.perf_counter()
        if page == "pages/overview.py":
            at.run()
        else:
            at.switch_page(page)
            at.run()
        timings.append(time.perf_counter() - started)
        assert not at.exception, at.exception
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--render", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.render:
        print(" ".join(f"{t:.3f}" for t in render_timings(args.render, args.db, args.repeats)))
        return
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="yardstick-kpi-bench-"))
    base = StoreSettings(workdir / "medium.duckdb")
    for leftover in (base.path, workdir / "medium-100x.duckdb"):
        leftover.unlink(missing_ok=True)
    build_demo_store(base, size="medium", seed=7, clock=system_clock)
    kpis = define_twenty_kpis(base)
    big = StoreSettings(workdir / "medium-100x.duckdb")
    shutil.copy(base.path, big.path)
    added = add_shadow_rows(big, workdir)

    check = statistics.median(time_check(base, args.repeats))
    lines = [
        "## KPIs (`benchmarks/kpi.py`)",
        "",
        f"Medium demo store, {kpis} KPIs; {added:,} online-metric rows added for the 100x store "
        f"(retired shadow challengers copying every production row). Median of {args.repeats} "
        "runs per page, each in a fresh process after an untimed first run, cache cleared.",
        "",
        f"- `kpi check --json` over {kpis} KPIs: {check:.2f} s",
        "",
        "| page | medium demo (s) | 100x online rows (s) | ratio |",
        "|---|---|---|---|",
    ]
    for page in PAGES:
        small = statistics.median(time_page(base, page, args.repeats))
        large = statistics.median(time_page(big, page, args.repeats))
        lines.append(f"| {page} | {small:.2f} | {large:.2f} | {large / small:.2f} |")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

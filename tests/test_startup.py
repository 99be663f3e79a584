"""`python cli.py ... --help` imports none of the heavy libraries.

Cron jobs and people typing `--help` should not wait seconds for pandas, scipy, statsmodels or
DuckDB to load; the command modules import them inside the functions that run a command. Each
help path runs in a fresh interpreter, which then reports which of the heavy libraries ended up in
`sys.modules` (no timing: the check holds on a slow or busy machine alike).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.factories import help_paths

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pandas", "numpy", "scipy", "statsmodels", "plotly", "duckdb", "pyarrow", "streamlit")

# Runs cli.py as `python cli.py ARGS` would, then prints the heavy libraries it imported.
_PROBE = """
import json, runpy, sys
sys.argv = ["cli.py", *json.loads(sys.argv[1])]
try:
    runpy.run_path("cli.py", run_name="__main__")
except SystemExit as stop:
    status = stop.code
else:
    status = None
print(json.dumps({"status": status, "loaded": sorted(sys.modules)}), file=sys.stderr)
"""


def probe(arguments: Sequence[str]) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    """`python cli.py ARGUMENTS` in a fresh interpreter, and its report: `status` (the exit
    status) and `loaded` (every module in sys.modules at the end)."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(list(arguments))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done, json.loads(done.stderr.strip().splitlines()[-1])


def test_every_command_and_action_has_a_help_path() -> None:
    paths = help_paths()
    assert {p[0] for p in paths if len(p) > 1} == {
        "demo",
        "ingest",
        "delete",
        "batches",
        "kpi",
        "experiment",
        "retrain",
        "report",
        "monitor",
    }
    assert ("kpi", "check", "--help") in paths
    assert ("monitor", "check", "--help") in paths
    assert ("experiment", "analyze", "--help") in paths


@pytest.mark.parametrize("arguments", help_paths(), ids=" ".join)
def test_help_imports_no_heavy_library(arguments: tuple[str, ...]) -> None:
    done, report = probe(arguments)
    assert report["status"] == 0, done.stderr
    assert "usage: python cli.py" in done.stdout
    loaded = {name.split(".")[0] for name in report["loaded"]}
    assert sorted(loaded & set(HEAVY)) == []


def test_the_probe_sees_a_heavy_import(tmp_path: Path) -> None:
    """The probe would notice: a command that runs (not --help) does import DuckDB."""
    store = tmp_path / "store.duckdb"
    _, report = probe(
        ["ingest", "--db", str(store), "--create", "--kind", "models", "/nonexistent"]
    )
    assert "duckdb" in {name.split(".")[0] for name in report["loaded"]}


@pytest.mark.parametrize(
    "arguments",
    [
        ("kpi", "check"),
        ("kpi", "explain", "--id", "rec-ctr"),
        ("experiment", "analyze", "--id", "aa-homepage"),
        ("monitor", "check"),
        ("ingest", "--kind", "events", "/nonexistent.csv"),
    ],
    ids=" ".join,
)
@pytest.mark.parametrize("store", ["missing", "zero bytes"])
def test_a_wrong_store_is_said_before_the_statistics_load(
    arguments: tuple[str, ...], store: str, tmp_path: Path
) -> None:
    """A mistyped or damaged `--db` is said at once (about 0.2 s), not after the seconds the
    statistics take to import."""
    db = tmp_path / "store.duckdb"
    if store == "zero bytes":
        db.write_bytes(b"")
    done, report = probe([*arguments, "--db", str(db)])
    assert report["status"] == 1, done.stderr
    assert str(db) in done.stderr and "Traceback" not in done.stderr
    loaded = {name.split(".")[0] for name in report["loaded"]}
    assert sorted(loaded & {"scipy", "statsmodels", "pandas", "plotly", "streamlit"}) == []


def test_loading_a_file_imports_no_statistics(tmp_path: Path) -> None:
    """`ingest` (what cron runs every night) loads a file without importing the statistics the
    demo's definitions need (SciPy, statsmodels): they cost it more than 1.5 s of start-up."""
    models = tmp_path / "models.csv"
    models.write_text(
        "model_id,family,version,deployed_at,retired_at,notes,stage\n"
        "m1,rec,1,2026-01-01 00:00:00,,,production\n",
        encoding="utf-8",
    )
    store = tmp_path / "store.duckdb"
    arguments = ["ingest", "--db", str(store), "--create", "--kind", "models", str(models)]
    done, report = probe(arguments)
    assert report["status"] in (None, 0), done.stderr
    assert "1 new" in done.stdout
    loaded = {name.split(".")[0] for name in report["loaded"]}
    assert sorted(loaded & {"scipy", "statsmodels", "plotly", "streamlit"}) == []

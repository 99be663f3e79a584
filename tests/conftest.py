"""Shared fixtures: a small demo store built once per test session, and fresh empty stores.

The suite runs on a frozen clock: `YARDSTICK_NOW` is set before any test (the CLI and Streamlit
subprocesses inherit it) and the demo ends the day before it, so every date a test asserts is the
same on any day the suite runs. `faketime` runs of the suite check that nothing reads the wall
clock behind `core.clock`.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest

from core.clock import NOW_VARIABLE, fixed_clock
from data.demo import demo_end_date
from data.store import StoreSettings
from services.loading import build_demo_store

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"

# The moment every test runs at (UTC) and the demo's last day of data.
TEST_NOW = dt.datetime(2026, 11, 28, 6, 0)
DEMO_END = demo_end_date(TEST_NOW.date())
os.environ[NOW_VARIABLE] = TEST_NOW.isoformat()


@pytest.fixture(scope="session")
def demo_store_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo store, built once; copy it (demo_settings) before writing to it."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    build_demo_store(StoreSettings(path), size="small", seed=7, clock=fixed_clock(TEST_NOW))
    return path


@pytest.fixture
def demo_settings(demo_store_template: Path, tmp_path: Path) -> StoreSettings:
    """A private, writable copy of the small demo store."""
    path = tmp_path / "demo.duckdb"
    shutil.copy(demo_store_template, path)
    return StoreSettings(path)


@pytest.fixture
def empty_settings(tmp_path: Path) -> StoreSettings:
    """Settings for a store file that does not exist yet (created and migrated on first write)."""
    return StoreSettings(tmp_path / "store.duckdb")


@pytest.fixture
def app_env(demo_settings: StoreSettings, monkeypatch: pytest.MonkeyPatch) -> StoreSettings:
    """Point the app (AppTest) at a private copy of the small demo store."""
    monkeypatch.setenv("YARDSTICK_DB", str(demo_settings.path))
    monkeypatch.chdir(ROOT)
    return demo_settings

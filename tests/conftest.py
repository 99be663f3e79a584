"""Shared fixtures: a small demo store built once per test session, and fresh empty stores.

The suite runs on a frozen clock: `YARDSTICK_NOW` is set before any test (the CLI and Streamlit
subprocesses inherit it) and the demo ends the day before it, so every date a test asserts is the
same on any day the suite runs. `faketime` runs of the suite check that nothing reads the wall
clock behind `core.clock`.
"""

from __future__ import annotations

import os
import shutil
import signal
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from core.clock import NOW_VARIABLE, fixed_clock
from data.store import StoreSettings, connect
from services.loading import build_demo_store
from tests.factories import ROOT, TEST_NOW

ARTIFACTS = ROOT / "tests" / "artifacts"
os.environ[NOW_VARIABLE] = TEST_NOW.isoformat()


@pytest.fixture(scope="session")
def demo_store_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo store, built once; copy it (demo_settings) before writing to it.

    Tests that only read may use the file itself (`shared_app_env`); nothing may write to it.
    """
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    build_demo_store(StoreSettings(path), size="small", seed=7, clock=fixed_clock(TEST_NOW))
    return path


@pytest.fixture(scope="session")
def large_events_csv(tmp_path_factory: pytest.TempPathFactory) -> Callable[[int], Path]:
    """`large_events_csv(rows)`: that many distinct events (`unit_id` crash0..crash49999) as CSV,
    written once per worker and size, for the tests that stop an ingest midway. Only read."""
    from tests.data.factories import write_large_events_csv

    folder = tmp_path_factory.mktemp("large")
    written: dict[int, Path] = {}

    def events(rows: int) -> Path:
        if rows not in written:
            written[rows] = folder / f"events-{rows}.csv"
            write_large_events_csv(written[rows], rows)
        return written[rows]

    return events


@pytest.fixture(scope="session")
def empty_store_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty store with every migration applied, made once; copy it before writing to it
    (a file copy is much cheaper than running the migrations again)."""
    path = tmp_path_factory.mktemp("empty") / "empty.duckdb"
    with connect(StoreSettings(path)):
        pass
    return path


@pytest.fixture
def demo_settings(demo_store_template: Path, tmp_path: Path) -> StoreSettings:
    """A private, writable copy of the small demo store."""
    path = tmp_path / "demo.duckdb"
    shutil.copyfile(demo_store_template, path)
    return StoreSettings(path)


@pytest.fixture
def empty_settings(tmp_path: Path) -> StoreSettings:
    """Settings for a store file that does not exist yet (created and migrated on first write)."""
    return StoreSettings(tmp_path / "store.duckdb")


@pytest.fixture
def private_app_env(demo_settings: StoreSettings, monkeypatch: pytest.MonkeyPatch) -> StoreSettings:
    """Point the app (AppTest) at a private copy of the small demo store, at a path of its own.

    For a test that needs what only a new path gives: a cold dashboard cache, or the once-per-path
    store check (`ui.cached.upgraded_store`) run on the file as the test left it.
    """
    monkeypatch.setenv("YARDSTICK_DB", str(demo_settings.path))
    monkeypatch.chdir(ROOT)
    return demo_settings


def file_version(path: Path) -> tuple[tuple[int, int] | None, ...]:
    """Modification time and size of a store file and of its write-ahead log (None if absent)."""
    versions = []
    for file in (path, path.with_name(path.name + ".wal")):
        stat = file.stat() if file.exists() else None
        versions.append(None if stat is None else (stat.st_mtime_ns, stat.st_size))
    return tuple(versions)


@pytest.fixture(scope="session")
def demo_store_pristine(
    demo_store_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The session's demo store as built, bytes and modification time, to put it back from."""
    path = tmp_path_factory.mktemp("pristine") / "demo.duckdb"
    shutil.copy2(demo_store_template, path)
    assert file_version(path)[0] == file_version(demo_store_template)[0]
    return path


@pytest.fixture
def app_env(
    request: pytest.FixtureRequest,
    demo_store_template: Path,
    demo_store_pristine: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[StoreSettings]:
    """Point the app (AppTest) at the session's demo store for a test that writes to it; after the
    test the store is put back as built, bytes and modification time.

    The dashboard caches reads by store path and version (size and modification time), so the
    test's first render reads what the tests before it cached instead of recomputing every KPI on
    a copy at a new path; once it writes, the version changes and the page reads afresh, as it
    would for a user. Restored, the store has its first version again, which the cached reads
    describe. (Each xdist worker has its own session store, and runs one test at a time.)
    A test that needs a new path takes `private_app_env`, which then wins.
    """
    if "private_app_env" in request.fixturenames:
        yield request.getfixturevalue("private_app_env")
        return
    built = file_version(demo_store_pristine)[0]
    assert file_version(demo_store_template) == (built, None), "the session's store has changed"
    monkeypatch.setenv("YARDSTICK_DB", str(demo_store_template))
    monkeypatch.chdir(ROOT)
    try:
        yield StoreSettings(demo_store_template)
    finally:
        demo_store_template.with_name(demo_store_template.name + ".wal").unlink(missing_ok=True)
        shutil.copy2(demo_store_pristine, demo_store_template)
    assert file_version(demo_store_template) == (built, None)


@pytest.fixture(autouse=True)
def sigint_handler_kept() -> Iterator[None]:
    """Every test leaves Ctrl-C's handler as it found it: a handler one test left behind (the
    command line's, asyncio's, an ignored Ctrl-C, which the processes a later test starts would
    inherit) would change what a later test in the same worker sees. One left changed is put
    back, and named in a warning."""
    before = signal.getsignal(signal.SIGINT)
    yield
    after = signal.getsignal(signal.SIGINT)
    if after is not before:
        signal.signal(signal.SIGINT, before)
        warnings.warn(f"the test left SIGINT's handler changed to {after!r}", stacklevel=1)


E2E_FOLDER = Path(__file__).resolve().parent / "e2e"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests (marked e2e) must live in tests/e2e/. Within each module, the tests that
    write to the session's store through the app (`app_env`) run after those that only read it,
    so the reading tests render from the cache the first of them filled, before any write moves
    the store to a new version (a write clears no cache: the store put back after the test has
    its old version again, and its entries are still warm)."""
    stray = [
        item.nodeid
        for item in items
        if item.get_closest_marker("e2e") and E2E_FOLDER not in item.path.parents
    ]
    if stray:
        # scripts/test.sh runs the browser tests from their folder only: one elsewhere would
        # never run.
        raise pytest.UsageError(f"e2e tests belong in {E2E_FOLDER}: {', '.join(stray)}")
    first_position: dict[str, int] = {}
    for position, item in enumerate(items):
        first_position.setdefault(str(item.path), position)
    items.sort(
        key=lambda item: (
            first_position[str(item.path)],
            "app_env" in getattr(item, "fixturenames", ()),
        )
    )


@pytest.fixture
def shared_app_env(
    request: pytest.FixtureRequest, demo_store_template: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[StoreSettings]:
    """Point the app (AppTest) at the session's demo store itself, for a test that only reads.

    The dashboard caches every read by store path and version (ui/cached.py), so tests that share
    one file render from a warm cache after the first one instead of recomputing every KPI and
    analysis on a fresh copy (most of an AppTest's time). A test that writes takes `app_env` (the
    same store, put back after the test), or `private_app_env` (a copy at a new path) when it needs
    a cold cache; either then wins. The store file is checked after the test: a write to the shared
    store fails the test that made it.
    """
    for writable in ("private_app_env", "app_env"):
        if writable in request.fixturenames:
            yield request.getfixturevalue(writable)
            return
    before = file_version(demo_store_template)
    monkeypatch.setenv("YARDSTICK_DB", str(demo_store_template))
    monkeypatch.chdir(ROOT)
    yield StoreSettings(demo_store_template)
    assert file_version(demo_store_template) == before, (
        "this test wrote to the shared demo store: take `app_env` (a private copy) instead"
    )

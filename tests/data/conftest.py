"""Fixtures of the store and ingestion tests (their helpers: tests/data/factories.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from data.store import StoreSettings
from tests.data.factories import table_checksums, write_large_predictions_csv
from tests.monitoring.factories import MODEL


@pytest.fixture
def store(demo_settings: StoreSettings) -> StoreSettings:
    """A private copy of the small demo store."""
    return demo_settings


@pytest.fixture(scope="session")
def empty_store_checksums(empty_store_template: Path) -> dict[str, tuple[int, int | None]]:
    """`table_checksums` of the migrated empty store: those of every byte copy of it, too."""
    return table_checksums(empty_store_template)


@pytest.fixture(scope="session")
def demo_store_checksums(demo_store_template: Path) -> dict[str, tuple[int, int | None]]:
    """`table_checksums` of the small demo store: those of every unchanged copy (`store`), too."""
    return table_checksums(demo_store_template)


@pytest.fixture(scope="session")
def large_predictions_csv(tmp_path_factory: pytest.TempPathFactory) -> Callable[[int], Path]:
    """`large_predictions_csv(rows)`: that many distinct predictions of the monitoring tests'
    model as CSV, written once per worker and size, for the tests that stop a predictions load
    while it writes its part. Only read."""
    folder = tmp_path_factory.mktemp("large")
    written: dict[int, Path] = {}

    def predictions(rows: int) -> Path:
        if rows not in written:
            written[rows] = folder / f"predictions-{rows}.csv"
            write_large_predictions_csv(written[rows], rows, MODEL)
        return written[rows]

    return predictions

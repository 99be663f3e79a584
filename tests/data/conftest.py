"""Fixtures of the store and ingestion tests (their helpers: tests/data/factories.py)."""

from __future__ import annotations

import pytest

from data.store import StoreSettings


@pytest.fixture
def store(demo_settings: StoreSettings) -> StoreSettings:
    """A private copy of the small demo store."""
    return demo_settings

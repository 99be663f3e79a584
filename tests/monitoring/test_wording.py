"""Every code the monitoring code can raise is worded in English and Japanese, and the statuses
have labels in both."""

from __future__ import annotations

from typing import get_args

import pytest

from core.vocab import MONITOR_STATUSES
from i18n.catalogue import catalogue
from i18n.monitoring import status_label
from monitoring.spec import MonitorSpecProblem


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_every_monitor_code_is_worded(lang: str) -> None:
    messages = catalogue(lang)
    # Every MonitorSpecError is raised with one of these (the type checker holds code to it).
    problems = get_args(MonitorSpecProblem)
    missing = [p for p in problems if f"error.monitor.spec.{p}" not in messages]
    assert missing == []
    assert "error.monitor.unknown" in messages
    assert "error.ingest.case_clash" in messages  # raised by data/prediction_features.py


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_every_status_has_a_label(lang: str) -> None:
    labels = {status_label(s, lang) for s in MONITOR_STATUSES}
    assert len(labels) == len(MONITOR_STATUSES)

"""Every code the monitoring code can raise is worded in English and Japanese, and the statuses
have labels in both."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.vocab import MONITOR_STATUSES
from i18n.catalogue import catalogue
from i18n.monitoring import status_label

ROOT = Path(__file__).resolve().parents[2]


def _raised_problems() -> set[str]:
    text = (ROOT / "monitoring" / "spec.py").read_text(encoding="utf-8")
    text += (ROOT / "monitoring" / "versions.py").read_text(encoding="utf-8")
    text += (ROOT / "services" / "monitoring.py").read_text(encoding="utf-8")
    return set(re.findall(r'(?:fail|MonitorSpecError)\(\s*"([a-z_]+)"', text))


def test_the_scan_finds_the_codes() -> None:
    assert {"missing", "unknown_family", "rationale_unchanged", "toml_syntax"} <= _raised_problems()


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_every_monitor_code_is_worded(lang: str) -> None:
    messages = catalogue(lang)
    missing = [p for p in _raised_problems() if f"error.monitor.spec.{p}" not in messages]
    assert missing == []
    assert "error.monitor.unknown" in messages
    assert "error.ingest.case_clash" in messages  # raised by data/prediction_features.py


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_every_status_has_a_label(lang: str) -> None:
    labels = {status_label(s, lang) for s in MONITOR_STATUSES}
    assert len(labels) == len(MONITOR_STATUSES)

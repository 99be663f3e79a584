"""The dashboard's cached reads (ui/cached.py): the Overview's statuses and estimated parts come
from one `kpi check` snapshot, read once per store version."""

from __future__ import annotations

from typing import Any

import pytest

from data.store import StoreSettings
from services import estimated
from ui import cached


def test_statuses_and_estimates_share_one_snapshot(
    demo_settings: StoreSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[bool] = []
    check = estimated.check_kpis_with_estimates

    def counted(*args: Any, **kwargs: Any) -> estimated.KpiCheck:
        calls.append(bool(kwargs.get("record")))
        return check(*args, **kwargs)

    monkeypatch.setattr(estimated, "check_kpis_with_estimates", counted)
    cached.kpi_check.clear()
    path = str(demo_settings.path)
    statuses = cached.kpi_statuses(path, "v1")
    estimates = cached.kpi_estimates(path, "v1")
    assert calls == [False]  # one read, nothing recorded
    assert {s.kpi_id for s in statuses} >= set(estimates) == {"fraud-cost"}

"""The dashboard's cached reads (ui/cached.py): the Overview's statuses and estimated parts come
from one `kpi check` snapshot, read once per store version; a write from a page empties nothing."""

from __future__ import annotations

from typing import Any

import pytest

from data.store import StoreSettings
from services import browse, estimated, kpis
from tests.factories import dashboard
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


def test_a_write_from_a_page_leaves_the_reads_it_cannot_change_cached(
    app_env: StoreSettings, demo_settings: StoreSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A KPI saved from the KPIs page: the page reads the new version in the same run, and a read
    of another store, cached before the write, is still served from the cache (no global clear
    making every user's next render cold)."""
    reads: list[str] = []
    families = browse.families

    def counted(settings: StoreSettings) -> list[str]:
        reads.append(str(settings.path))
        return families(settings)

    monkeypatch.setattr(browse, "families", counted)
    other = str(demo_settings.path)
    other_version = cached.store_fingerprint(other)
    cached.families.clear()
    before = cached.families(other, other_version)
    assert reads == [other]

    at = dashboard("en")
    at.run()
    at.switch_page("pages/kpis.py")
    at.run()
    at.selectbox(key="kpi_chosen").set_value("rec-ctr").run()
    at.number_input[2].set_value(0.039)
    at.text_area[0].input("Owner accepted a lower floor until the retrain")
    at.button[0].click().run()
    assert not at.exception and not at.error
    assert [v.version for v in kpis.kpi_history(app_env, "rec-ctr")] == [1, 2]
    assert any("rec-ctr" in s.value and "2" in s.value for s in at.success)

    reads.clear()
    assert cached.families(other, other_version) == before
    assert other not in reads, "the write emptied the cache of another store"

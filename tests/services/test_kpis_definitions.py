"""KPI definitions (through the use cases) are versioned, never overwritten; decisions and
evaluations name a version."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from core.clock import fixed_clock
from core.errors import YardstickError
from data import kpi_store
from data.store import connect
from kpi.spec import SpecError, parse_spec
from kpi.versions import KpiVersion, version_in_force
from services import kpis
from tests.kpi.factories import END, SWITCH_DAY, build_store, ctr_spec


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory):
    return build_store(tmp_path_factory.mktemp("kpi_store"))


def fresh_store(tmp_path: Path):
    return build_store(tmp_path)


def test_first_definition_is_version_one_with_author_and_rationale(tmp_path: Path) -> None:
    settings = fresh_store(tmp_path)
    outcome = kpis.define_kpi(settings, parse_spec(ctr_spec()), author="tanaka")
    assert (outcome.version, outcome.created) == (1, True)
    [version] = kpis.kpi_history(settings, "rec-ctr")
    assert version.author == "tanaka" and version.spec.rationale == "Agreed in the launch review"
    assert version.spec == parse_spec(ctr_spec())


def test_same_spec_again_stores_no_new_version(tmp_path: Path) -> None:
    settings = fresh_store(tmp_path)
    kpis.define_kpi(settings, parse_spec(ctr_spec()))
    outcome = kpis.define_kpi(settings, parse_spec(ctr_spec()))
    assert (outcome.version, outcome.created) == (1, False)
    assert len(kpis.kpi_history(settings, "rec-ctr")) == 1


def test_moving_a_line_without_a_new_rationale_is_refused_and_changes_nothing(
    tmp_path: Path,
) -> None:
    settings = fresh_store(tmp_path)
    kpis.define_kpi(settings, parse_spec(ctr_spec()))
    with pytest.raises(SpecError) as refused:
        kpis.define_kpi(settings, parse_spec(ctr_spec(exit=0.040)))
    assert refused.value.field == "rationale" and "exit" in str(refused.value)
    assert len(kpis.kpi_history(settings, "rec-ctr")) == 1


def test_moving_a_line_with_a_rationale_adds_a_version_and_keeps_the_old(tmp_path: Path) -> None:
    settings = fresh_store(tmp_path)
    kpis.define_kpi(settings, parse_spec(ctr_spec()))
    outcome = kpis.define_kpi(
        settings, parse_spec(ctr_spec(exit=0.040, rationale="Owner accepted a lower floor"))
    )
    assert (outcome.version, outcome.changed_lines) == (2, ("exit",))
    first, second = kpis.kpi_history(settings, "rec-ctr")
    assert first.spec.exit_threshold == 0.042 and second.spec.exit_threshold == 0.040
    assert [v.spec.kpi_id for v in kpis.latest_versions(settings)] == ["rec-ctr"]
    assert kpis.latest_versions(settings)[0].version == 2


def test_spec_the_store_cannot_serve_is_refused_naming_the_key(store) -> None:
    with pytest.raises(SpecError) as refused:
        kpis.define_kpi(store, parse_spec(ctr_spec().replace('"recommender"', '"search"')))
    assert refused.value.field == "family"


def test_history_of_an_unknown_kpi_names_it(store) -> None:
    with pytest.raises(kpis.UnknownKpiError, match="no-such-kpi"):
        kpis.kpi_history(store, "no-such-kpi")


def test_version_in_force_is_the_latest_created_by_that_day(tmp_path: Path) -> None:
    settings = fresh_store(tmp_path)
    kpis.define_kpi(settings, parse_spec(ctr_spec()))
    kpis.define_kpi(settings, parse_spec(ctr_spec(warning=0.047, rationale="Tighter")))
    first, second = kpis.kpi_history(settings, "rec-ctr")
    created = second.created_at.date()
    assert version_in_force([first, second], created) == (second, False)
    earlier = KpiVersion(first.spec, 1, "a", dt.datetime(2026, 1, 1))
    later = KpiVersion(second.spec, 2, "b", dt.datetime(2026, 6, 1))
    assert version_in_force([earlier, later], dt.date(2026, 3, 1)) == (earlier, False)
    assert version_in_force([earlier, later], dt.date(2025, 3, 1)) == (earlier, True)


def test_decision_is_linked_to_the_version_in_force(tmp_path: Path) -> None:
    settings = fresh_store(tmp_path)
    kpis.define_kpi(settings, parse_spec(ctr_spec()))
    kpis.define_kpi(settings, parse_spec(ctr_spec(exit=0.041, rationale="Renegotiated")))
    decision = kpis.record_decision(settings, "rec-ctr", "retrain", "CTR fell", "sato")
    assert (decision.version, decision.decided_by) == (2, "sato")
    assert kpis.decisions(settings, "rec-ctr") == [decision]


def test_decision_without_a_reason_is_refused(store) -> None:
    with pytest.raises(YardstickError) as refused:
        kpis.record_decision(store, "rec-ctr", "continue", "  ")
    assert refused.value.code == "kpi.decision.reason_required"
    with pytest.raises(YardstickError) as unknown:
        kpis.record_decision(store, "rec-ctr", "pause", "why not")
    assert unknown.value.code == "kpi.decision.unknown"


def test_live_series_takes_each_day_from_the_version_live_that_day(store) -> None:
    with connect(store, read_only=True) as con:
        series = kpi_store.live_daily_series(con, "recommender", ["ctr"])
        last = kpi_store.last_online_date(con)
    assert series["date"].is_unique
    assert len(series) == 300
    assert series.iloc[SWITCH_DAY - 1]["model_id"] == "recommender-v1"
    assert series.iloc[SWITCH_DAY]["model_id"] == "recommender-v2"
    assert last == END


def test_availability_counts_days_per_family_and_metric(store) -> None:
    with connect(store, read_only=True) as con:
        rows = kpi_store.metric_availability(con)
    available = {(a.family, a.source, a.metric): a.days for a in rows}
    assert available[("recommender", "online", "ctr")] == 300
    assert available[("fraud", "online", "fn")] == 300
    assert ("recommender", "offline", "auc") in available


def test_every_kpi_write_leaves_an_audit_row_with_its_reason(tmp_path: Path) -> None:
    from data.reads import recent_audit

    settings = fresh_store(tmp_path)
    kpis.define_kpi(settings, parse_spec(ctr_spec()), author="tanaka")
    kpis.record_decision(settings, "rec-ctr", "withdraw", "Exit met for a week", "sato")
    audit = recent_audit(settings, 2)
    assert list(audit["action"]) == ["kpi.decide", "kpi.define"]
    assert list(audit["actor"]) == ["sato", "tanaka"]
    assert list(audit["reason"]) == ["Exit met for a week", "Agreed in the launch review"]


def test_the_audit_log_says_when_the_use_case_wrote_by_its_clock(tmp_path: Path) -> None:
    settings = fresh_store(tmp_path)
    moment = dt.datetime(2031, 3, 4, 10, 30)
    agreed = dt.datetime(2025, 1, 6, 9, 0)  # an agreement older than the store
    kpis.define_kpi(settings, parse_spec(ctr_spec()), created_at=agreed, clock=fixed_clock(moment))
    kpis.record_decision(settings, "rec-ctr", "retrain", "CTR fell", clock=fixed_clock(moment))
    with connect(settings, read_only=True) as con:
        logged = con.execute(
            "SELECT action, logged_at FROM audit_log WHERE action LIKE 'kpi.%' ORDER BY id"
        ).fetchall()
        created = con.execute("SELECT created_at FROM kpi_versions").fetchall()
    assert logged == [("kpi.define", moment), ("kpi.decide", moment)]
    assert created == [(agreed,)]

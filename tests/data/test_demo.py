"""The demo store: the same seed gives the same store, it is never overwritten by accident, and it
holds the story the dashboard tells (three experiments, five models, pre-period events, a double
assignment and a broken split)."""

from __future__ import annotations

from pathlib import Path

import pytest
from scipy import stats

from core.clock import fixed_clock
from data.demo import DEMO_STEPS, DemoExistsError
from data.store import StoreSettings
from i18n.catalogue import translate
from services.loading import build_demo_store
from tests.data.factories import cli_in_process, query, table_checksums
from tests.factories import TEST_NOW

DATA_TABLES = ("models", "online_metrics", "offline_metrics", "assignments", "events")
CLOCK = fixed_clock(TEST_NOW)


def data_checksums(path: Path) -> dict[str, tuple]:
    """Checksums of the data tables and of the experiment specs (not of when they were written)."""
    checksums = {t: v for t, v in table_checksums(path).items() if t in DATA_TABLES}
    checksums["experiment specs"] = query(
        path,
        "SELECT experiment_id, version, CAST(spec AS VARCHAR) FROM experiment_definitions "
        "ORDER BY ALL",
    )
    return checksums


def test_the_same_seed_builds_the_same_store_and_another_seed_does_not(
    demo_store_template: Path, tmp_path: Path
) -> None:
    # The first build is the session's demo store (small, seed 7, the same clock).
    second, other = (StoreSettings(tmp_path / f"{name}.duckdb") for name in ("second", "other"))
    build_demo_store(second, size="small", seed=7, clock=CLOCK)
    build_demo_store(other, size="small", seed=8, clock=CLOCK)

    assert data_checksums(demo_store_template) == data_checksums(second.path)
    assert data_checksums(demo_store_template)["events"] != data_checksums(other.path)["events"]


def test_demo_refuses_to_overwrite_an_existing_store_without_force(
    demo_settings: StoreSettings,
) -> None:
    existing = demo_settings
    before = table_checksums(existing.path)

    refused = cli_in_process("demo", "--db", str(existing.path), "--size", "small")

    assert refused.returncode == 1
    assert f"{existing.path} already exists; pass --force to replace it" in refused.stderr
    assert table_checksums(existing.path) == before
    with pytest.raises(DemoExistsError):
        build_demo_store(existing, size="small", seed=8, clock=CLOCK)


def test_the_small_demo_has_three_experiments_and_five_models(demo_store_template: Path) -> None:
    experiments = query(
        demo_store_template, "SELECT DISTINCT experiment_id FROM assignments ORDER BY 1"
    )
    defined = query(
        demo_store_template, "SELECT DISTINCT experiment_id FROM experiment_definitions ORDER BY 1"
    )
    models = query(demo_store_template, "SELECT model_id, stage FROM models ORDER BY 1")

    assert experiments == defined == [("aa-homepage",), ("banner-split",), ("rec-v3-vs-v2",)]
    assert models == [
        ("fraud-v1", "production"),
        ("fraud-v2", "production"),
        ("recommender-v1", "production"),
        ("recommender-v2", "production"),
        ("recommender-v3", "challenger"),
    ]


def test_most_units_have_events_in_the_14_days_before_assignment_and_none_earlier(
    demo_store_template: Path,
) -> None:
    rows = query(
        demo_store_template,
        """
        WITH first_assignment AS (
            SELECT experiment_id, unit_id, min(assigned_at) AS assigned_at
            FROM assignments GROUP BY ALL),
        per_unit AS (
            SELECT a.experiment_id, a.unit_id,
                count(e.ts) FILTER (WHERE e.ts < a.assigned_at
                                    AND e.ts >= a.assigned_at - INTERVAL 14 DAY) AS pre_period,
                count(e.ts) FILTER (WHERE e.ts < a.assigned_at - INTERVAL 14 DAY) AS earlier
            FROM first_assignment a LEFT JOIN events e USING (unit_id) GROUP BY ALL)
        SELECT experiment_id, avg(CAST(pre_period > 0 AS INTEGER)), sum(earlier)
        FROM per_unit GROUP BY ALL ORDER BY 1""",
    )

    assert len(rows) == 3
    for experiment_id, share_with_pre_period, earlier in rows:
        assert share_with_pre_period > 0.5, experiment_id
        assert earlier == 0, experiment_id


def test_a_few_units_of_the_challenger_test_saw_both_variants(demo_store_template: Path) -> None:
    double = query(
        demo_store_template,
        """
        SELECT experiment_id, count(*) FROM (
            SELECT experiment_id, unit_id FROM assignments GROUP BY ALL
            HAVING count(DISTINCT variant) > 1)
        GROUP BY ALL""",
    )

    assert double == [("rec-v3-vs-v2", 3)]


def split_p_value(path: Path, experiment_id: str) -> float:
    """Chi-square p-value of the variant counts against the planned 50/50 split."""
    counts = [
        n
        for _, n in query(
            path,
            "SELECT variant, count(DISTINCT unit_id) FROM assignments "
            "WHERE experiment_id = ? GROUP BY ALL ORDER BY 1",
            [experiment_id],
        )
    ]
    return float(stats.chisquare(counts).pvalue)


def test_the_demo_has_a_broken_split_in_banner_split_only(demo_settings: StoreSettings) -> None:
    assert split_p_value(demo_settings.path, "banner-split") < 0.001
    assert split_p_value(demo_settings.path, "aa-homepage") > 0.001
    assert split_p_value(demo_settings.path, "rec-v3-vs-v2") > 0.001


def test_demo_progress_steps_are_named_in_both_catalogues(tmp_path: Path) -> None:
    reported: list[str] = []
    build_demo_store(
        StoreSettings(tmp_path / "steps.duckdb"),
        size="small",
        seed=7,
        clock=CLOCK,
        on_progress=lambda step, share: reported.append(step),
    )
    assert reported and set(reported) <= set(DEMO_STEPS)
    for step in DEMO_STEPS:
        assert translate("en", f"app.demo_step.{step}") != translate("ja", f"app.demo_step.{step}")


def test_a_demo_stored_in_parts_reads_as_the_same_predictions_as_one_in_the_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The large size writes its predictions as Parquet parts (what 100 million need to fit 2 GB);
    shown on the small size, the store's predictions and labels read exactly as the native ones,
    and the parts folder moves into place with the file (none left beside the build)."""
    native = StoreSettings(tmp_path / "native.duckdb")
    build_demo_store(native, size="small", seed=7, clock=CLOCK)
    monkeypatch.setattr("data.demo.PARTS_SIZES", ("small",))
    in_parts = StoreSettings(tmp_path / "parts.duckdb")
    build_demo_store(in_parts, size="small", seed=7, clock=CLOCK)

    predictions = "SELECT * EXCLUDE (batch_id) FROM predictions ORDER BY ALL"
    assert query(in_parts.path, predictions) == query(native.path, predictions)
    assert query(in_parts.path, "SELECT count(*) FROM predictions")[0][0] > 0
    both = ("prediction_labels", "annotations", "events", "assignments")
    assert {t: table_checksums(in_parts.path)[t] for t in both} == {
        t: table_checksums(native.path)[t] for t in both
    }
    assert query(in_parts.path, "SELECT count(*) FROM prediction_parts")[0][0] == 2
    assert query(in_parts.path, "SELECT count(*) FROM main.predictions")[0][0] > 0  # the view
    native_rows = "SELECT count(*) FROM parts.main.predictions"
    assert query(in_parts.path, native_rows) == [(0,)]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "native.duckdb",
        "parts.duckdb",
        "parts.duckdb.parts",
    ]

"""The one-pass candidates return what today's statistics, exposure and cumulative queries do."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from benchmarks.compare_one_pass import benchmark_specs, compare, compare_cumulative, stored_specs
from benchmarks.experiment_data import generate
from benchmarks.one_pass import render_benchmark_candidate

CANDIDATE_FILE = Path(__file__).resolve().parents[2] / "benchmarks" / "one_pass_candidate.sql"


@pytest.fixture(scope="module")
def generated_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bench") / "bench.duckdb"
    generate(path, units=3000, seed=3, memory_limit="1GB", threads=1)
    return path


def _read(path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path), read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    return con


def test_candidate_equals_todays_queries_on_generated_data(generated_store: Path) -> None:
    con = _read(generated_store)
    for spec in benchmark_specs():
        for until in (spec.end, spec.start + (spec.end - spec.start) / 3):
            assert compare(con, spec, until) == [], (spec.segments, until)
            assert compare_cumulative(con, spec, until) == [], (spec.segments, until)


def test_candidate_equals_todays_queries_on_the_demo(demo_store_template: Path) -> None:
    con = _read(demo_store_template)
    specs = stored_specs(con)
    assert {spec.id for spec in specs} >= {"rec-v3-vs-v2", "aa-homepage", "banner-split"}
    for spec in specs:
        assert compare(con, spec, spec.end) == [], spec.id
        assert compare_cumulative(con, spec, spec.end) == [], spec.id


def test_committed_candidate_is_the_rendering() -> None:
    assert CANDIDATE_FILE.read_text(encoding="utf-8") == render_benchmark_candidate()

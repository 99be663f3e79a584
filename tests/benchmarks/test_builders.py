"""The fixed-cost benchmark runs on a demo store, measures every stored experiment and every kind
of connection, and leaves the store as it found it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from benchmarks import builders
from tests.data.factories import table_checksums


def test_the_benchmark_measures_each_experiment_and_each_connection(
    demo_store_template: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    before = table_checksums(demo_store_template)
    argv = ["builders", "--db", str(demo_store_template), "--repeats", "1", "--each", "1"]
    monkeypatch.setattr(sys, "argv", argv)

    builders.main()

    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ")]
    measured = {row.split(" | ")[0].removeprefix("| ") for row in rows}
    assert {"rec-v3-vs-v2", "aa-homepage", "banner-split"} <= measured
    assert sum(row.startswith("| `") for row in rows) == 3  # the baseline and two connections
    for row in rows[1:]:
        cells = [cell.strip() for cell in row.strip("|").split("|")[1:]]
        if all(cell.replace(".", "", 1).isdigit() for cell in cells):
            assert all(float(cell) > 0 for cell in cells), row
    assert table_checksums(demo_store_template) == before

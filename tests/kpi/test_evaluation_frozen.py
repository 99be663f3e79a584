"""`evaluate_days` gives, day for day, the outputs it gave before it was made cheap.

The expected rows were computed once by the per-day evaluation of commit 1eb5a08 (each day's
dispersion refitted from scratch with `numpy.linalg.lstsq`) on seeded series
(`tests/kpi/factories.py frozen_cases`) and stored in `data/evaluate_days_frozen.json`; the
correctness of those numbers is checked by the oracles of test_evaluation.py and
test_interval_coverage.py. Floats agree to 1e-12 (relative), everything else exactly.
"""

from __future__ import annotations

import json
import math

import pytest

from tests.kpi.factories import (
    FROZEN_FIELDS,
    FROZEN_OUTPUTS,
    FrozenCase,
    evaluated_rows,
    frozen_cases,
)

TOLERANCE = 1e-12
FROZEN = json.loads(FROZEN_OUTPUTS.read_text(encoding="utf-8"))
CASES = frozen_cases()


def test_every_frozen_case_is_stored() -> None:
    assert sorted(FROZEN) == sorted(case.name for case in CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_per_day_outputs_match_the_frozen_ones(case: FrozenCase) -> None:
    rows = evaluated_rows(case)
    expected = FROZEN[case.name]
    assert len(rows) == len(expected)
    for row, frozen in zip(rows, expected, strict=True):
        for field, got, want in zip(FROZEN_FIELDS, row, frozen, strict=True):
            if isinstance(want, float) and isinstance(got, float):
                assert math.isclose(got, want, rel_tol=TOLERANCE, abs_tol=1e-300), (
                    f"{row[0]} {field}: {got!r} != {want!r}"
                )
            else:
                assert got == want, f"{row[0]} {field}: {got!r} != {want!r}"

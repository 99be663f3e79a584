"""A pytest plugin that records each test's CPU time, for finding where the suite's time goes.

Load it with `PYTHONPATH=scripts python -m pytest -p pytest_cpu ...` and set `CPU_OUT=PREFIX`:
each process (or xdist worker) writes `PREFIX.<worker>`, one tab-separated line per test: node
id, CPU seconds of the test's process, CPU seconds of the processes it started and waited for,
wall seconds (setup, call and teardown together; a session fixture counts in the first test that
uses it). CPU, unlike wall time, hardly moves with the load of a shared machine.
"""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Iterator

import pytest

_rows: list[tuple[str, float, float, float]] = []


def _cpu() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    own, children = _cpu()
    started = time.perf_counter()
    yield
    own_after, children_after = _cpu()
    wall = time.perf_counter() - started
    _rows.append((item.nodeid, own_after - own, children_after - children, wall))


def pytest_sessionfinish(session: pytest.Session) -> None:
    prefix = os.environ.get("CPU_OUT")
    if not prefix:
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    with open(f"{prefix}.{worker}", "w", encoding="utf-8") as out:
        for node, own, children, wall in _rows:
            out.write(f"{node}\t{own:.3f}\t{children:.3f}\t{wall:.3f}\n")

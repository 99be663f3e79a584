"""Error budgets of a monitor's serving objectives over its window, as SRE practice counts them.

An objective allows a share of bad requests; the budget consumed is the share of the window's
requests that were bad divided by that allowed share (1 = the whole budget spent):
  - latency_p95_ms = L: "95% of requests within L", so a request slower than L is bad and 5% are
    allowed; latency_p99_ms = L allows 1%. Requests without a latency are left out.
  - fallback_rate = f: a request answered by any fallback is bad and the share f is allowed; a
    per-level limit f_level counts that level's requests against f_level.
Pure: the store counts the slow and fallback requests inside DuckDB (monitoring/sql_serving.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from core.vocab import ServingObjective
from monitoring.spec import MonitorSpec

ALLOWED_SLOW: Mapping[str, float] = {"latency_p95_ms": 0.05, "latency_p99_ms": 0.01}
"""The share of requests a latency quantile objective lets be slower than its limit."""
MODEL = "model"


@dataclass(frozen=True)
class BudgetReadings:
    """What the store counted in the window.

    Attributes:
        n: all requests.
        timed: requests with a latency.
        slow: per latency objective, the requests slower than its limit.
        by_level: requests per served_by level (`model` included).
    """

    n: int
    timed: int
    slow: Mapping[str, int]
    by_level: Mapping[str, int]


@dataclass(frozen=True)
class ErrorBudget:
    """One objective's budget over the window.

    Attributes:
        objective: latency_p95_ms, latency_p99_ms or fallback_rate.
        level: the fallback level of a per-level limit; None for the objective as a whole.
        limit: the objective's limit (ms, or a share of requests).
        allowed: the share of requests allowed to be bad (0.05, 0.01, or the fallback limit).
        requests: the requests counted (those with a latency for a latency objective).
        bad: the bad requests (slower than the limit, or answered by a fallback).
        consumed: (bad / requests) / allowed: 1 is the whole budget; None without requests.
    """

    objective: ServingObjective
    level: str | None
    limit: float
    allowed: float
    requests: int
    bad: int
    consumed: float | None

    @property
    def remaining(self) -> float | None:
        """The budget left: 1 - consumed (negative once overspent)."""
        return None if self.consumed is None else 1.0 - self.consumed

    @property
    def exhausted(self) -> bool:
        """True when more than the whole budget is spent."""
        return self.consumed is not None and self.consumed > 1.0


def _budget(
    objective: ServingObjective,
    level: str | None,
    limit: float,
    allowed: float,
    requests: int,
    bad: int,
) -> ErrorBudget:
    consumed = bad / requests / allowed if requests and allowed > 0 else None
    return ErrorBudget(objective, level, limit, allowed, requests, bad, consumed)


def latency_limits(spec: MonitorSpec) -> list[tuple[ServingObjective, float]]:
    """(objective, limit) of the latency objectives the spec sets, for the store's count."""
    serving = spec.serving
    objectives: tuple[tuple[ServingObjective, float | None], ...] = (
        ("latency_p95_ms", serving.latency_p95_ms),
        ("latency_p99_ms", serving.latency_p99_ms),
    )
    return [(name, limit) for name, limit in objectives if limit is not None]


def error_budgets(readings: BudgetReadings, spec: MonitorSpec) -> list[ErrorBudget]:
    """The budget of every objective the spec sets, in the order of `monitor check`'s serving."""
    budgets = []
    for name, limit in latency_limits(spec):
        slow = readings.slow.get(name, 0)
        budgets.append(_budget(name, None, limit, ALLOWED_SLOW[name], readings.timed, slow))
    fallbacks = {k: v for k, v in readings.by_level.items() if k != MODEL}
    overall = spec.serving.fallback_rate
    if overall is not None:
        budgets.append(
            _budget("fallback_rate", None, overall, overall, readings.n, sum(fallbacks.values()))
        )
    for level, limit in sorted(spec.serving.fallback_levels.items()):
        budgets.append(
            _budget("fallback_rate", level, limit, limit, readings.n, fallbacks.get(level, 0))
        )
    return budgets

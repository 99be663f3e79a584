"""Drift statistics from the counts the store returns, and the status rules of a monitor.

The store bins and counts inside DuckDB (monitoring/sql.py); what reaches Python is a few counts
per bin or category, never a prediction. Definitions (docs: README.md, section Monitoring):
  - PSI = sum over bins of (c - r) * ln(c / r), where r and c are the reference's and the current
    window's shares of the bin, each floored at EPSILON so an empty bin stays finite. Numeric bins
    are the reference's deciles plus a bin below its minimum and one above its maximum;
    categorical bins are the reference's categories plus "other" (anything the reference never
    saw).
  - JS is the Jensen-Shannon distance in base 2 (0 = same distribution, 1 = disjoint), on the
    same categorical bins, unfloored.
  - KS is the two-sample Kolmogorov-Smirnov statistic; Wasserstein is the 1-Wasserstein distance
    divided by the reference's sample standard deviation (so it reads in reference sds).
A value at or above a line has crossed it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from core.vocab import DriftMethod, FeatureType, MonitorStatus, ServingObjective

EPSILON = 1e-4
"""Floor of a bin's share in PSI: an empty bin counts as 0.01% of its window."""
DECILES = tuple(k / 10 for k in range(1, 10))
"""The reference quantiles whose values are the inner edges of the numeric bins."""
OTHER = None
"""The categorical bin of every category the reference did not see (None never names one)."""

_SEVERITY: dict[MonitorStatus, int] = {"ok": 0, "insufficient_data": 1, "warning": 2, "alert": 3}
EXIT_CODES: Mapping[MonitorStatus, int] = {
    "ok": 0,
    "warning": 10,
    "alert": 20,
    "insufficient_data": 30,
}


def _shares(counts: Sequence[float]) -> list[float]:
    total = sum(counts)
    return [c / total if total else 0.0 for c in counts]


def psi(reference: Sequence[float], current: Sequence[float]) -> float:
    """Population stability index of two windows' counts over the same bins (floored shares)."""
    if len(reference) != len(current):
        raise ValueError("psi needs the same bins in both windows")
    value = 0.0
    for r, c in zip(_shares(reference), _shares(current), strict=True):
        r, c = max(r, EPSILON), max(c, EPSILON)
        value += (c - r) * math.log(c / r)
    return value


def js_distance(reference: Sequence[float], current: Sequence[float]) -> float:
    """Jensen-Shannon distance (base 2) of two windows' counts over the same bins."""
    if len(reference) != len(current):
        raise ValueError("js_distance needs the same bins in both windows")
    p, q = _shares(reference), _shares(current)
    divergence = 0.0
    for a, b in zip(p, q, strict=True):
        m = (a + b) / 2
        if a > 0:
            divergence += a * math.log2(a / m) / 2
        if b > 0:
            divergence += b * math.log2(b / m) / 2
    return math.sqrt(max(divergence, 0.0))


def numeric_bin_edges(
    minimum: float, deciles: Sequence[float], maximum: float
) -> tuple[float, ...]:
    """The numeric bins' edges: minimum, the nine deciles, maximum (ascending, repeats allowed).

    Bin 0 holds values below the minimum; bin k (1..10) values in (edge[k-1], edge[k]] with the
    minimum itself in bin 1; bin 11 values above the maximum.
    """
    return (minimum, *deciles, maximum)


def category_bins(
    reference: Mapping[str | None, int], current: Mapping[str | None, int]
) -> tuple[list[int], list[int]]:
    """Counts over the reference's categories (sorted) plus OTHER, for both windows."""
    categories = sorted(k for k in reference if k is not None)
    known = set(categories)
    ref_counts = [reference[k] for k in categories] + [0]
    cur_counts = [current.get(k, 0) for k in categories]
    cur_counts.append(sum(n for k, n in current.items() if k not in known))
    return ref_counts, cur_counts


def judge(value: float | None, warning: float, alert: float, enough: bool) -> MonitorStatus:
    """A statistic's status: insufficient_data without enough rows, else by the crossed line."""
    if not enough or value is None or math.isnan(value):
        return "insufficient_data"
    if value >= alert:
        return "alert"
    if value >= warning:
        return "warning"
    return "ok"


def judge_limit(value: float | None, limit: float | None, enough: bool) -> MonitorStatus:
    """A serving objective's status: alert above its limit (no limit: ok, only reported)."""
    if not enough or value is None:
        return "insufficient_data"
    if limit is not None and value > limit:
        return "alert"
    return "ok"


def worst(statuses: Iterable[MonitorStatus]) -> MonitorStatus:
    """The most severe status: alert, then warning, then insufficient_data, then ok."""
    return max(statuses, key=_SEVERITY.__getitem__, default="insufficient_data")


def exit_code(statuses: Iterable[MonitorStatus]) -> int:
    """20 any alert, else 10 any warning, else 30 any monitor without enough data (or none
    checked), else 0: a finding outranks missing data, so CI sees the alert first."""
    return EXIT_CODES[worst(statuses)]


@dataclass(frozen=True)
class FeatureDrift:
    """One drift statistic of one feature.

    Attributes:
        name: the feature.
        type: numeric or categorical.
        method: psi, wasserstein (in reference sds), ks or js.
        value: the statistic; None when a window had too few rows.
        warning: the warning line.
        alert: the alert line.
        status: ok, warning, alert or insufficient_data.
        reference_n: non-empty values in the reference.
        window_n: non-empty values in the current window.
    """

    name: str
    type: FeatureType
    method: DriftMethod
    value: float | None
    warning: float
    alert: float
    status: MonitorStatus
    reference_n: int
    window_n: int


@dataclass(frozen=True)
class ServingCheck:
    """One serving objective over the current window.

    Attributes:
        objective: latency_p95_ms, latency_p99_ms or fallback_rate.
        level: the fallback level (served_by) for a per-level rate; None for the overall value.
        value: the measured value (ms, or a share); None without rows.
        limit: the agreed limit; None when only reported.
        status: ok, alert or insufficient_data.
    """

    objective: ServingObjective
    level: str | None
    value: float | None
    limit: float | None
    status: MonitorStatus


@dataclass(frozen=True)
class ScoreDrift:
    """PSI of the model's own scores (rows served by the model) against the reference."""

    psi: float | None
    warning: float
    alert: float
    status: MonitorStatus

"""The serving health of an experiment's arms, and the check that their serving differs: a health
check for the test (a challenger that answers slower, or scores differently, is not only a
different model: the test also measures its serving).

Pure: the store returns per-model requests, latency quantiles, requests per level, score
quantiles, the KS statistic between two arms' scores and their counts on the control's score
deciles (monitoring/sql_serving.py). Rules (one place, documented in docs/monitoring.md):
  - latency: flagged when the arm's p95 is more than LATENCY_RATIO times the control's, or above
    the family monitor's latency_p95_ms objective when one is agreed;
  - scores: flagged when the two-sample KS test between the arms' model-served scores is clear
    (asymptotic p-value below KS_ALPHA) AND the gap is material: KS at least KS_MIN, or the score
    PSI on the control's deciles at least PSI_LINE. PSI alone does not flag: on small arms its
    noise alone passes 0.1 (about (bins - 1) x (1/n + 1/m), 0.11 for two arms of 200), so
    identical arms of 200 scores were flagged in 71% of simulated runs by PSI alone;
    tests/monitoring/test_arm_health_simulation.py.
An arm with fewer than MIN_SCORES model-served scores (or a control without any) is
insufficient_data.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from scipy.special import kolmogorov

from core.vocab import ArmHealthStatus
from monitoring.drift import psi

LATENCY_RATIO = 1.2
"""An arm's latency p95 above 1.2 x the control's is flagged."""
KS_ALPHA = 0.001
"""The KS p-value below which the arms' score distributions differ clearly."""
KS_MIN = 0.05
"""The smallest KS statistic that counts as a material difference (large samples make any gap
significant)."""
PSI_LINE = 0.1
"""Score PSI against the control at or above which a clear KS difference is material (the PSI
warning line)."""
MIN_SCORES = 100
"""Model-served scores an arm needs before its distribution is compared."""


@dataclass(frozen=True)
class ScoreSummary:
    """An arm's model-served scores: n, mean, sd and quantiles (quantile_cont)."""

    n: int
    mean: float | None
    sd: float | None
    q05: float | None
    q25: float | None
    q50: float | None
    q75: float | None
    q95: float | None


@dataclass(frozen=True)
class ArmServing:
    """One arm's serving over the experiment's days.

    Attributes:
        variant, model_id: the arm and the model serving it.
        requests: its predictions.
        latency_p50_ms, latency_p95_ms, latency_p99_ms: latency quantiles over all of them.
        fallback_by_level: share of its requests answered by each fallback level.
        scores: its model-served scores.
    """

    variant: str
    model_id: str
    requests: int
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    latency_p99_ms: float | None
    fallback_by_level: Mapping[str, float]
    scores: ScoreSummary

    @property
    def fallback_rate(self) -> float:
        """Share of its requests answered by any fallback."""
        return sum(self.fallback_by_level.values())


@dataclass(frozen=True)
class ArmComparison:
    """A treatment arm against the control.

    Attributes:
        variant: the treatment arm.
        latency_p95_ratio: its latency p95 / the control's (None without latencies).
        latency_objective: the family monitor's latency_p95_ms, when one is agreed.
        latency_flagged: the latency rule above holds.
        ks: the KS statistic between the arms' model-served scores.
        ks_p_value: its asymptotic two-sided p-value.
        score_psi: PSI of its scores on the control's deciles.
        scores_flagged: the score rule above holds.
        status: flagged when either rule holds; insufficient_data when an arm lacks scores.
    """

    variant: str
    latency_p95_ratio: float | None
    latency_objective: float | None
    latency_flagged: bool
    ks: float | None
    ks_p_value: float | None
    score_psi: float | None
    scores_flagged: bool
    status: ArmHealthStatus


def ks_p_value(ks: float, n_control: int, n_treatment: int) -> float:
    """Asymptotic two-sided p-value of the two-sample KS statistic (Kolmogorov's distribution at
    sqrt(n m / (n + m)) x KS, as scipy.stats.ks_2samp's `method="asymp"`)."""
    effective = n_control * n_treatment / (n_control + n_treatment)
    return float(min(1.0, max(0.0, kolmogorov(math.sqrt(effective) * ks))))


def compare_arm(
    control: ArmServing,
    arm: ArmServing,
    ks: float | None,
    score_bins: tuple[list[int], list[int]] | None,
    latency_objective: float | None,
) -> ArmComparison:
    """The arm against the control by the rules of this module (`score_bins`: control's and the
    arm's counts on the control's score deciles; `ks`: the statistic between their scores)."""
    ratio = (
        arm.latency_p95_ms / control.latency_p95_ms
        if arm.latency_p95_ms is not None and control.latency_p95_ms
        else None
    )
    latency_flagged = (ratio is not None and ratio > LATENCY_RATIO) or (
        latency_objective is not None
        and arm.latency_p95_ms is not None
        and arm.latency_p95_ms > latency_objective
    )
    enough = min(control.scores.n, arm.scores.n) >= MIN_SCORES
    p_value = ks_p_value(ks, control.scores.n, arm.scores.n) if enough and ks is not None else None
    score_psi = psi(score_bins[0], score_bins[1]) if enough and score_bins is not None else None
    clear = ks is not None and p_value is not None and p_value < KS_ALPHA
    material = (ks is not None and ks >= KS_MIN) or (
        score_psi is not None and score_psi >= PSI_LINE
    )
    scores_flagged = clear and material
    status: ArmHealthStatus = (
        "flagged"
        if latency_flagged or scores_flagged
        else ("ok" if enough else "insufficient_data")
    )
    return ArmComparison(
        variant=arm.variant,
        latency_p95_ratio=ratio,
        latency_objective=latency_objective,
        latency_flagged=latency_flagged,
        ks=ks if enough else None,
        ks_p_value=p_value,
        score_psi=score_psi,
        scores_flagged=scores_flagged,
        status=status,
    )

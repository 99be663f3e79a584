"""One treatment against control: effect, interval, p-value and a Bayesian reading, from sums.

Formulas, each from its standard source:
- Welch's unequal-variance t-test with Welch–Satterthwaite degrees of freedom (Welch, "The
  generalization of Student's problem when several different population variances are involved",
  Biometrika 1947).
- Relative effect: its standard error by the delta method, a first-order Taylor expansion of
  effect / control mean that keeps the covariance of numerator and denominator (Deng, Knoblich and
  Lu, "Applying the Delta Method in Metric Analytics", KDD 2018); its interval by Fieller's theorem
  (Fieller, "Some problems in interval estimation", JRSS B 1954): the relative effects r for which
  Welch's test of effect - r * control mean = 0 does not reject. Unlike the symmetric delta
  interval (kept as `relative_ci_symmetric`), it is skewed the way a ratio is, so it covers on
  skewed and rare metrics, and it excludes 0 exactly when Welch's p-value is below alpha.
- CUPED (Deng, Xu, Kohavi and Walker, "Improving the Sensitivity of Online Controlled Experiments by
  Utilizing Pre-Experiment Data", WSDM 2013): theta = cov(Y, X) / var(X) over both arms pooled, the
  slope of an OLS fit of Y on X; each arm's adjusted mean is mean(Y) - theta * mean(X) and its unit
  variance var(Y) + theta^2 var(X) - 2 theta cov(X, Y). The relative effect divides the adjusted
  effect by the unadjusted control mean.
- Bayesian view. With the default flat prior, chance to win is the mass on the better side of the
  confidence distribution that Fieller's interval inverts: Student's t with Welch's degrees of
  freedom at Welch's statistic, so it agrees with the interval and the p-value (in an A/A test it
  leaves [2.5%, 97.5%] exactly when p < 0.05) and stays honest with a handful of units; expected
  loss is the mean relative loss under a Student-t posterior (location the relative effect, scale
  its delta-method standard error, Welch's degrees of freedom). With a Gaussian prior on the
  relative effect, the Gaussian approximation of Deng, "Objective Bayesian Two Sample Hypothesis
  Testing for Online Controlled Experiments" (WWW 2015).
- Always-valid intervals and p-values for the sequential method: see `experiments.sequential`.

The array-level functions (`welch_test`, `relative_delta`, `fieller_interval`, `cuped_moments`,
`flat_prior_view`, `bayesian_view`) accept numpy arrays so simulations can analyse thousands of
experiments at once; `compare` is the scalar entry point that validates its input and builds a
`Comparison`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any, NamedTuple, cast

import numpy as np
import numpy.typing as npt
from scipy import stats as distributions

from core.errors import YardstickError
from core.vocab import DIRECTIONS, METHODS, Correction, Direction, Method, MetricKind
from experiments import sequential
from experiments.sufficient import (
    CupedStats,
    MeanStats,
    ProportionCupedStats,
    ProportionStats,
    RatioStats,
    Stats,
)

FloatLike = float | npt.NDArray[np.float64]
CUPED_NO_PRE_VARIANCE = "no_pre_period_variance"
# Why a comparison has no relative interval or chance to win (`experiments.note_<code>`).
ZERO_EVENT_ARM = "zero_event_arm"
RELATIVE_INTERVAL_UNBOUNDED = "relative_interval_unbounded"
# The pre-period variance is computed from sums; all-equal x leaves rounding noise, not zero.
_PRE_VARIANCE_TOLERANCE = 1e-12


class InsufficientDataError(YardstickError):
    """The sufficient statistics cannot support a comparison (too few units, no variance, ...).

    Attributes:
        code: machine-readable cause the faces word (`too_few_units`, `zero_denominator`,
            `zero_control_mean`, `no_variance`; `experiments.note_<code>` in i18n).
        values: the numbers and names the wording uses.
    """


@dataclass(frozen=True)
class GaussianPrior:
    """A proper Gaussian prior on the relative effect (0.02 = +2%).

    Attributes:
        mean: prior mean of the relative effect.
        variance: prior variance of the relative effect (must be positive).
    """

    mean: float
    variance: float

    def __post_init__(self) -> None:
        if not self.variance > 0:
            raise ValueError(f"prior variance must be positive, got {self.variance}")


class ArmMoments(NamedTuple):
    """What the Welch test needs of one arm.

    Attributes:
        n: units in the arm.
        mean: the arm's estimate (CUPED-adjusted when CUPED applies), metric units.
        variance: per-unit variance of that estimate's terms, so that variance / n is the
            variance of `mean` (metric units squared).
    """

    n: FloatLike
    mean: FloatLike
    variance: FloatLike


class WelchTest(NamedTuple):
    """Welch's test of variant minus control (arrays when the input is arrays).

    Attributes:
        effect: variant estimate minus control estimate (metric units).
        std_error: standard error of `effect`.
        dof: Welch–Satterthwaite degrees of freedom.
        statistic: effect / std_error.
        p_value: two-sided p-value from Student's t with `dof` degrees of freedom.
        ci_lower, ci_upper: two-sided 1 - alpha confidence interval of `effect`.
    """

    effect: FloatLike
    std_error: FloatLike
    dof: FloatLike
    statistic: FloatLike
    p_value: FloatLike
    ci_lower: FloatLike
    ci_upper: FloatLike


class RelativeEstimate(NamedTuple):
    """The relative effect (0.02 = +2%) and its delta-method standard error."""

    effect: FloatLike
    std_error: FloatLike


class RelativeInterval(NamedTuple):
    """Fieller's interval of the relative effect; NaN ends where it is unbounded."""

    lower: FloatLike
    upper: FloatLike


class CupedMoments(NamedTuple):
    """Both arms after the CUPED adjustment, with what the relative effect needs.

    Attributes:
        theta: the pooled regression slope of y on x.
        control, variant: adjusted moments of each arm.
        control_mean_variance: variance of the unadjusted control mean.
        adjusted_unadjusted_covariance: covariance of the control's adjusted and unadjusted means.
    """

    theta: FloatLike
    control: ArmMoments
    variant: ArmMoments
    control_mean_variance: FloatLike
    adjusted_unadjusted_covariance: FloatLike


class BayesianView(NamedTuple):
    """Posterior reading of the relative effect.

    Attributes:
        chance_to_win: posterior probability that the variant is better than control in the
            metric's direction (0..1).
        expected_loss: posterior mean of the relative loss from shipping the variant, i.e. of
            max(0, -effect) for `increase` and max(0, effect) for `decrease` (0.01 = 1%).
    """

    chance_to_win: FloatLike
    expected_loss: FloatLike


@dataclass(frozen=True)
class Comparison:
    """One (metric, treatment) pair against control.

    Attributes:
        metric: metric name.
        kind: `mean`, `proportion` or `ratio`.
        variant, control: variant names.
        n_control, n_variant: units in each arm.
        control_mean, variant_mean: unadjusted per-unit means (the ratio for a ratio metric).
        cuped: whether the CUPED adjustment was applied.
        cuped_fallback: why CUPED was asked for but not applied (`no_pre_period_variance`), else
            None.
        cuped_theta: the pooled CUPED slope, None without CUPED.
        method: `fixed` (t intervals) or `sequential` (confidence sequences).
        alpha: the significance level; intervals are two-sided at 1 - alpha.
        direction: `increase` or `decrease`, which way is better.
        sequential_tuning: the confidence sequence's tuning (units at which it is tightest) for
            the sequential method, None for fixed.
        absolute_effect: variant minus control (CUPED-adjusted if `cuped`), metric units.
        absolute_std_error: standard error of `absolute_effect`.
        absolute_ci: (lower, upper) interval of `absolute_effect`, per `method`.
        relative_effect: absolute_effect / control_mean (0.02 = +2%).
        relative_std_error: delta-method standard error of `relative_effect`.
        relative_ci: (lower, upper) Fieller interval of `relative_effect`, per `method` (see the
            module docstring); NaN ends when `relative_warning` says why there is none.
        relative_ci_symmetric: the symmetric delta-method interval relative_effect +/- quantile *
            relative_std_error (the earlier `relative_ci`; under-covers on skewed metrics).
        relative_warning: why the relative interval and chance to win are missing
            (`zero_event_arm`: the variant has no events, so the only value its ratio supports is
            -100% and that is no interval; `relative_interval_unbounded`: the control mean is not
            distinguishable from 0), else None.
        dof: Welch–Satterthwaite degrees of freedom.
        statistic: absolute_effect / absolute_std_error.
        p_value: two-sided p-value: Welch's for `fixed`, always-valid for `sequential`.
        adjusted_p_value: `p_value` after the multiple-testing correction; None until
            `experiments.corrections.apply_correction` fills it.
        correction: the correction that produced `adjusted_p_value` (`holm`, `bh`, `none`).
        chance_to_win: posterior probability the variant is better (0..1); NaN with a
            `relative_warning`.
        expected_loss: posterior expected relative loss of shipping the variant (0.01 = 1%); NaN
            with a `relative_warning`.
        uncapped_relative_effect: for a capped metric, the relative effect of the uncapped means
            (set by `experiments.analysis`), else None.
        capping_changes_sign: whether capping turned the relative effect to the other side of 0
            (None when the metric is not capped).
    """

    metric: str
    kind: MetricKind
    variant: str
    control: str
    n_control: int
    n_variant: int
    control_mean: float
    variant_mean: float
    cuped: bool
    cuped_fallback: str | None
    cuped_theta: float | None
    method: Method
    alpha: float
    direction: Direction
    sequential_tuning: float | None
    absolute_effect: float
    absolute_std_error: float
    absolute_ci: tuple[float, float]
    relative_effect: float
    relative_std_error: float
    relative_ci: tuple[float, float]
    relative_ci_symmetric: tuple[float, float]
    relative_warning: str | None
    dof: float
    statistic: float
    p_value: float
    chance_to_win: float
    expected_loss: float
    adjusted_p_value: float | None = None
    correction: Correction | None = None
    uncapped_relative_effect: float | None = None
    capping_changes_sign: bool | None = None

    @property
    def decisive_p_value(self) -> float:
        """The corrected p-value when a correction was applied, else the raw one."""
        return self.p_value if self.adjusted_p_value is None else self.adjusted_p_value

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready fields (tuples become lists when serialised)."""
        return asdict(self)


def welch_test(control: ArmMoments, variant: ArmMoments, alpha: float) -> WelchTest:
    """Welch's t-test of variant minus control from each arm's n, mean and unit variance."""
    control_sq_error = control.variance / control.n
    variant_sq_error = variant.variance / variant.n
    sq_error = control_sq_error + variant_sq_error
    std_error = np.sqrt(sq_error)
    dof = sq_error**2 / (
        control_sq_error**2 / (control.n - 1) + variant_sq_error**2 / (variant.n - 1)
    )
    effect = variant.mean - control.mean
    statistic = effect / std_error
    p_value = 2 * distributions.t.sf(np.abs(statistic), dof)
    quantile = distributions.t.ppf(1 - alpha / 2, dof)
    return WelchTest(
        effect=effect,
        std_error=std_error,
        dof=dof,
        statistic=statistic,
        p_value=p_value,
        ci_lower=effect - quantile * std_error,
        ci_upper=effect + quantile * std_error,
    )


def relative_delta(
    effect: FloatLike,
    effect_variance: FloatLike,
    control_mean: FloatLike,
    control_mean_variance: FloatLike,
    effect_control_covariance: FloatLike,
) -> RelativeEstimate:
    """effect / control_mean and its delta-method standard error.

    The gradient of d / m is (1 / m, -d / m^2), so
    Var = Var(d) / m^2 + d^2 Var(m) / m^4 - 2 d Cov(d, m) / m^3, clipped at 0: for a variant
    without events the terms cancel to rounding noise.
    """
    relative = effect / control_mean
    variance = (
        effect_variance / control_mean**2
        + effect**2 * control_mean_variance / control_mean**4
        - 2 * effect * effect_control_covariance / control_mean**3
    )
    return RelativeEstimate(relative, np.sqrt(np.maximum(variance, 0.0)))


def fieller_interval(
    effect: FloatLike,
    effect_variance: FloatLike,
    control_mean: FloatLike,
    control_mean_variance: FloatLike,
    effect_control_covariance: FloatLike,
    quantile: FloatLike,
) -> RelativeInterval:
    """Fieller's interval of effect / control_mean: every r with |effect - r m| <= quantile * sd.

    With d = effect, m = control_mean and sd^2 = Var(d) - 2 r Cov(d, m) + r^2 Var(m), squaring
    gives a r^2 - 2 b r + c <= 0 with a = m^2 - q^2 Var(m), b = d m - q^2 Cov(d, m) and
    c = d^2 - q^2 Var(d). When a > 0 (the control mean is distinguishable from 0) the set is the
    interval between the roots (b -/+ sqrt(b^2 - a c)) / a; otherwise it is unbounded and both
    ends are NaN. At r = 0 the condition is Welch's |d| <= q se(d): the interval excludes 0
    exactly when the test rejects, whichever quantile (t or confidence sequence) is used.
    """
    q_sq = np.asarray(quantile, dtype=float) ** 2
    a = control_mean**2 - q_sq * control_mean_variance
    b = effect * control_mean - q_sq * effect_control_covariance
    c = effect**2 - q_sq * effect_variance
    bounded = np.asarray(a > 0)
    safe_a = np.where(bounded, a, 1.0)
    # b^2 - a c >= 0 whenever a > 0 (r = d / m satisfies the inequality); clip rounding.
    root = np.sqrt(np.maximum(b**2 - a * c, 0.0))
    lower = np.where(bounded, (b - root) / safe_a, np.nan)
    upper = np.where(bounded, (b + root) / safe_a, np.nan)
    return RelativeInterval(lower[()], upper[()])


def cuped_theta(control: CupedStats, variant: CupedStats) -> FloatLike:
    """cov(Y, X) / var(X) over both arms pooled: the OLS slope of y on x without an arm term."""
    pooled = control + variant
    return pooled.covariance / pooled.pre_variance


def cuped_moments(control: CupedStats, variant: CupedStats) -> CupedMoments:
    """Adjusted means and unit variances of both arms with the pooled theta."""
    theta = cuped_theta(control, variant)

    def adjusted(arm: CupedStats) -> ArmMoments:
        variance = arm.sample_variance + theta**2 * arm.pre_variance - 2 * theta * arm.covariance
        return ArmMoments(arm.n, arm.mean - theta * arm.pre_mean, variance)

    return CupedMoments(
        theta=theta,
        control=adjusted(control),
        variant=adjusted(variant),
        control_mean_variance=control.sample_variance / control.n,
        adjusted_unadjusted_covariance=(
            (control.sample_variance - theta * control.covariance) / control.n
        ),
    )


def bayesian_view(
    relative_effect: FloatLike,
    relative_std_error: FloatLike,
    direction: Direction,
    prior: GaussianPrior | None = None,
) -> BayesianView:
    """Chance to win and expected loss of the relative effect, flat prior unless one is given.

    A zero posterior standard deviation (an early look where an arm has no variance yet) leaves
    the posterior a point mass at its mean: the chance to win is then 1, 0.5 or 0 by the sign of
    the oriented mean, and the expected loss is the loss at that mean.
    """
    effect = np.asarray(relative_effect, dtype=float)
    data_variance = np.asarray(relative_std_error, dtype=float) ** 2
    if prior is None:
        posterior_mean = effect
        posterior_variance = data_variance
    else:
        # Precision-weighted average written without dividing by the data variance, which is
        # zero when an arm has no variance yet.
        total_variance = prior.variance + data_variance
        posterior_mean = (prior.mean * data_variance + effect * prior.variance) / total_variance
        posterior_variance = prior.variance * data_variance / total_variance
    posterior_sd = np.sqrt(posterior_variance)
    # Orient so that a positive value is always good for the variant.
    oriented = posterior_mean if direction == "increase" else -posterior_mean
    point_mass = posterior_sd == 0
    standardised = oriented / np.where(point_mass, 1.0, posterior_sd)
    chance_to_win = np.where(
        point_mass, (np.sign(oriented) + 1) / 2, distributions.norm.cdf(standardised)
    )
    # E[max(0, -Z)] for Z ~ N(m, s^2) is s * phi(m / s) - m * Phi(-m / s).
    spread_loss = posterior_sd * distributions.norm.pdf(standardised) - oriented * (
        distributions.norm.cdf(-standardised)
    )
    expected_loss = np.where(point_mass, np.maximum(0.0, -oriented), spread_loss)
    return BayesianView(chance_to_win[()], expected_loss[()])


def flat_prior_view(
    statistic: FloatLike,
    dof: FloatLike,
    relative_effect: FloatLike,
    relative_std_error: FloatLike,
    direction: Direction,
) -> BayesianView:
    """Chance to win and expected loss under a flat prior, consistent with Welch's test.

    Chance to win is P(T < t) for T ~ Student's t with Welch's `dof` and t Welch's `statistic`
    oriented to the metric's direction: the mass on the better side of the confidence distribution
    whose quantiles are Fieller's interval ends, so it is below alpha / 2 or above 1 - alpha / 2
    exactly when Welch's two-sided p-value is below alpha.

    Expected loss is E[max(0, -X)] for X = effect + se * T (oriented), which for k = effect / se
    is se * ((dof + k^2) / (dof - 1) * f(k) - k * F(-k)) with f, F the t density and distribution;
    it is infinite when dof <= 1 (a t with one degree of freedom has no mean).
    """
    sign = 1.0 if direction == "increase" else -1.0
    dof_array = np.asarray(dof, dtype=float)
    chance_to_win = np.asarray(
        distributions.t.cdf(sign * np.asarray(statistic, dtype=float), dof_array), dtype=float
    )
    scale = np.asarray(relative_std_error, dtype=float)
    oriented = sign * np.asarray(relative_effect, dtype=float)
    point_mass = scale == 0
    k = oriented / np.where(point_mass, 1.0, scale)
    has_mean = dof_array > 1
    safe_dof = np.where(has_mean, dof_array, 2.0)
    spread_loss = scale * (
        (safe_dof + k**2) / (safe_dof - 1) * distributions.t.pdf(k, safe_dof)
        - k * distributions.t.cdf(-k, safe_dof)
    )
    expected_loss = np.where(
        point_mass, np.maximum(0.0, -oriented), np.where(has_mean, spread_loss, np.inf)
    )
    return BayesianView(chance_to_win[()], expected_loss[()])


def _has_no_events(stats: Stats) -> bool:
    """Whether every unit's value (a ratio's numerator) is 0: an arm where nothing happened."""
    if isinstance(stats, RatioStats):
        return bool(stats.num_sum_sq == 0)
    return bool(stats.sum_sq == 0)


def metric_kind(stats: Stats) -> MetricKind:
    """`proportion`, `ratio` or `mean` for a statistics object."""
    if isinstance(stats, ProportionStats | ProportionCupedStats):
        return "proportion"
    if isinstance(stats, RatioStats):
        return "ratio"
    return "mean"


class _Prepared(NamedTuple):
    """Both arms ready for the Welch test, with what the relative effect needs."""

    control: ArmMoments
    variant: ArmMoments
    control_mean_variance: float
    effect_control_covariance: float
    cuped_fallback: str | None
    cuped_theta: float | None


def _unadjusted(control: MeanStats | RatioStats, variant: MeanStats | RatioStats) -> _Prepared:
    control_mean_variance = control.variance / control.n
    return _Prepared(
        control=ArmMoments(control.n, control.mean, control.variance),
        variant=ArmMoments(variant.n, variant.mean, variant.variance),
        control_mean_variance=control_mean_variance,
        # Cov(variant mean - control mean, control mean) = -Var(control mean).
        effect_control_covariance=-control_mean_variance,
        cuped_fallback=None,
        cuped_theta=None,
    )


def _prepare(control: Stats, variant: Stats) -> _Prepared:
    if not (isinstance(control, CupedStats) and isinstance(variant, CupedStats)):
        assert not isinstance(control, CupedStats) and not isinstance(variant, CupedStats)
        return _unadjusted(control, variant)
    if not _has_pre_variance(control, variant):
        return _unadjusted(control.outcome, variant.outcome)._replace(
            cuped_fallback=CUPED_NO_PRE_VARIANCE
        )
    moments = cuped_moments(control, variant)
    return _Prepared(
        control=moments.control,
        variant=moments.variant,
        control_mean_variance=float(moments.control_mean_variance),
        # Cov(effect, control mean) = -Cov(adjusted control mean, unadjusted control mean).
        effect_control_covariance=-float(moments.adjusted_unadjusted_covariance),
        cuped_fallback=None,
        cuped_theta=float(moments.theta),
    )


def _has_pre_variance(control: CupedStats, variant: CupedStats) -> bool:
    pooled = control + variant
    scale = max(pooled.pre_sum_sq / pooled.n, pooled.pre_mean**2)
    return bool(pooled.pre_variance > _PRE_VARIANCE_TOLERANCE * scale)


def _validate(
    control: Stats, variant: Stats, alpha: float, direction: Direction, method: Method
) -> None:
    if type(control) is not type(variant):
        raise TypeError(
            f"control has {type(control).__name__} and variant {type(variant).__name__}; "
            "both arms need the same statistic kind"
        )
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}")
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {', '.join(DIRECTIONS)}, got {direction!r}")
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    for role, arm in (("control", control), ("variant", variant)):
        if arm.n < 2:
            raise InsufficientDataError(
                "too_few_units",
                arm=role,
                units=int(arm.n),
            )
    if isinstance(control, RatioStats) and (
        control.den_sum == 0 or cast(RatioStats, variant).den_sum == 0
    ):
        raise InsufficientDataError("zero_denominator")
    if control.mean == 0:
        raise InsufficientDataError("zero_control_mean")


def compare(
    control: Stats,
    variant: Stats,
    *,
    metric: str,
    control_name: str,
    variant_name: str,
    alpha: float = 0.05,
    direction: Direction = "increase",
    method: Method = "fixed",
    sequential_tuning: float = sequential.DEFAULT_TUNING,
    prior: GaussianPrior | None = None,
) -> Comparison:
    """Compare one variant with control from their sufficient statistics.

    CUPED applies when both arms carry `CupedStats` and the pooled pre-period has variance;
    otherwise the unadjusted estimate is used and `cuped_fallback` says why.

    Raises:
        InsufficientDataError: fewer than 2 units in an arm, a zero control mean, or no
            variance at all in the compared values.
        TypeError: the arms carry different statistic kinds.
        ValueError: alpha, direction or method out of range.
    """
    _validate(control, variant, alpha, direction, method)
    prepared = _prepare(control, variant)
    if not (prepared.control.variance > 0 or prepared.variant.variance > 0):
        raise InsufficientDataError("no_variance", metric=metric)
    welch = welch_test(prepared.control, prepared.variant, alpha)
    relative = relative_delta(
        welch.effect,
        welch.std_error**2,
        control.mean,
        prepared.control_mean_variance,
        prepared.effect_control_covariance,
    )
    absolute_ci = (float(welch.ci_lower), float(welch.ci_upper))
    quantile = float(distributions.t.ppf(1 - alpha / 2, welch.dof))
    p_value = float(welch.p_value)
    if method == "sequential":
        n_units = control.n + variant.n
        rho = sequential.mixing_rho(alpha, sequential_tuning)
        # The confidence sequence's half-width is linear in the standard error.
        quantile = float(sequential.half_width(1.0, n_units, alpha, rho))
        absolute_half = quantile * float(welch.std_error)
        absolute_ci = (float(welch.effect) - absolute_half, float(welch.effect) + absolute_half)
        p_value = float(
            sequential.always_valid_p_value(welch.effect, welch.std_error, n_units, rho)
        )
    relative_half = quantile * float(relative.std_error)
    relative_ci_symmetric = (
        float(relative.effect) - relative_half,
        float(relative.effect) + relative_half,
    )
    fieller = fieller_interval(
        welch.effect,
        welch.std_error**2,
        control.mean,
        prepared.control_mean_variance,
        prepared.effect_control_covariance,
        quantile,
    )
    relative_ci = (float(fieller.lower), float(fieller.upper))
    relative_warning = None
    if _has_no_events(variant):
        relative_warning = ZERO_EVENT_ARM
    elif not np.isfinite(relative_ci[0]):
        relative_warning = RELATIVE_INTERVAL_UNBOUNDED
    if prior is None:
        bayes = flat_prior_view(
            welch.statistic, welch.dof, relative.effect, relative.std_error, direction
        )
    else:
        bayes = bayesian_view(relative.effect, relative.std_error, direction, prior)
    if relative_warning is not None:
        relative_ci = (np.nan, np.nan)
        bayes = BayesianView(np.nan, np.nan)
    return Comparison(
        metric=metric,
        kind=metric_kind(control),
        variant=variant_name,
        control=control_name,
        n_control=int(control.n),
        n_variant=int(variant.n),
        control_mean=float(control.mean),
        variant_mean=float(variant.mean),
        cuped=prepared.cuped_theta is not None,
        cuped_fallback=prepared.cuped_fallback,
        cuped_theta=prepared.cuped_theta,
        method=method,
        alpha=alpha,
        direction=direction,
        sequential_tuning=sequential_tuning if method == "sequential" else None,
        absolute_effect=float(welch.effect),
        absolute_std_error=float(welch.std_error),
        absolute_ci=absolute_ci,
        relative_effect=float(relative.effect),
        relative_std_error=float(relative.std_error),
        relative_ci=relative_ci,
        relative_ci_symmetric=relative_ci_symmetric,
        relative_warning=relative_warning,
        dof=float(welch.dof),
        statistic=float(welch.statistic),
        p_value=p_value,
        chance_to_win=float(bayes.chance_to_win),
        expected_loss=float(bayes.expected_loss),
    )


def with_uncapped_effect(
    comparison: Comparison, control_uncapped_sum: float, variant_uncapped_sum: float
) -> Comparison:
    """`comparison` of a capped metric with the relative effect of its uncapped means beside it.

    `capping_changes_sign` is true when the capped and uncapped relative effects lie on opposite
    sides of 0: capping then decides the direction of the result, which the reader must see.
    An uncapped control mean of 0 leaves both None.
    """
    control_mean = control_uncapped_sum / comparison.n_control
    if control_mean == 0:
        return comparison
    uncapped = (variant_uncapped_sum / comparison.n_variant) / control_mean - 1
    changes_sign = bool(np.sign(uncapped) * np.sign(comparison.relative_effect) < 0)
    return replace(
        comparison, uncapped_relative_effect=float(uncapped), capping_changes_sign=changes_sign
    )

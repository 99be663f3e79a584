"""Always-valid inference: asymptotic confidence sequences and the p-values they imply.

Source: Waudby-Smith, Arbour, Sinha, Kennedy and Ramdas, "Time-uniform central limit theory and
asymptotic confidence sequences" (Annals of Statistics, 2024). For an estimator that behaves like
the mean of N independent unit-level terms with standard deviation sigma, the interval

    estimate +/- sigma * sqrt( 2 (N rho^2 + 1) / (N^2 rho^2) * log( sqrt(N rho^2 + 1) / alpha ) )

covers the truth at every N simultaneously with probability at least 1 - alpha (asymptotically),
so the results may be read every day without inflating the false positive rate. The mixing
parameter rho is chosen so that the sequence is tightest at N = `tuning` units, using the
approximation of Howard, Ramdas, McAuliffe and Sekhon ("Time-uniform, nonparametric, nonasymptotic
confidence sequences", Annals of Statistics, 2021):

    rho^2 = (-2 log alpha + log(-2 log alpha + 1)) / tuning

This matches how GrowthBook and Eppo expose the parameter. Here N is the number of units in the two
arms being compared and sigma^2 = N * Var(estimate), so the same formula serves the absolute effect
(Welch variance) and the relative effect (delta-method variance).

rho is fixed once from the experiment's design alpha; the always-valid p-value is then the smallest
alpha at which the sequence with that rho excludes zero, so "p < alpha" and "the sequence excludes
zero at alpha" are the same statement. All functions accept numpy arrays.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatLike = float | npt.NDArray[np.float64]

DEFAULT_TUNING = 5000.0


def mixing_rho(design_alpha: float, tuning: float = DEFAULT_TUNING) -> float:
    """The mixing parameter that makes the sequence tightest at `tuning` units."""
    if not 0 < design_alpha < 1:
        raise ValueError(f"design_alpha must be between 0 and 1, got {design_alpha}")
    if tuning <= 0:
        raise ValueError(f"sequential_tuning must be positive, got {tuning}")
    log_term = -2 * np.log(design_alpha)
    return float(np.sqrt((log_term + np.log(log_term + 1)) / tuning))


def half_width(std_error: FloatLike, n_units: FloatLike, alpha: float, rho: float) -> FloatLike:
    """Half-width of the confidence sequence at level 1 - alpha.

    Args:
        std_error: standard error of the estimate at this look (its unit).
        n_units: units in the two compared arms at this look.
        alpha: error rate of the sequence (two-sided).
        rho: mixing parameter from `mixing_rho`.
    """
    sigma = np.sqrt(n_units) * std_error
    spread = n_units * rho**2 + 1
    return sigma * np.sqrt(2 * spread / (n_units**2 * rho**2) * np.log(np.sqrt(spread) / alpha))


def always_valid_p_value(
    estimate: FloatLike, std_error: FloatLike, n_units: FloatLike, rho: float
) -> FloatLike:
    """The smallest alpha at which the confidence sequence around `estimate` excludes zero.

    Solving |estimate| = half_width(alpha) for alpha gives
    sqrt(N rho^2 + 1) * exp(-estimate^2 N rho^2 / (2 se^2 (N rho^2 + 1))), capped at 1.
    """
    spread = n_units * rho**2 + 1
    exponent = -(estimate**2) * n_units * rho**2 / (2 * std_error**2 * spread)
    p_value: FloatLike = np.minimum(1.0, np.sqrt(spread) * np.exp(exponent))
    return p_value

"""Whether retraining (or withdrawing) a decaying model pays: NPV, payback, best interval, advice.

The value model, in money per day relative to today's value per day V0 of the KPI:

- do nothing: the current model keeps decaying linearly, worth `V0 - b·t` on day t, where b is the
  decay (value per day, per day; positive when the KPI gets worse), as fitted by the degradation
  model;
- retrain on day τ (τ = 0 is "now"): the retrained model is worth the level the uplift implies,
  (1 + u) times the current model's value on its release day, and then decays again at b, in
  parallel with the model it replaces: its gain over doing nothing is the constant
  `u·(V0 - b·τ)` per day from day τ on. The uplift u is relative, as an A/B test measures it, so
  the same relative gain is assumed whenever the retraining happens, and waiting forgoes it;
- withdraw: the fallback (rules, or no model) is worth F per day from day 0 on, without decay;
- cash flows fall on days t = 0 … H-1 of the horizon and are discounted daily with the factor
  `(1 + r) ** (-t / 365)` derived from the annual rate r; a retraining costs C on its day.

Every option's NPV is relative to doing nothing over the same horizon, so doing nothing is 0 by
definition. The uncertainty of the uplift and of the decay is carried by Monte Carlo: both are
drawn from normal distributions whose standard errors come from their 95% intervals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from core.errors import YardstickError
from core.vocab import Direction, RetrainOption
from core.vocab import Recommendation as RecommendationCode
from kpi.checks import raise_first, retraining_input_problems

DAYS_PER_YEAR = 365
DEFAULT_HORIZON_DAYS = 365
DEFAULT_DISCOUNT_RATE = 0.05
DEFAULT_DRAWS = 20_000
DEFAULT_SEED = 20_261_127
INTERVAL_LEVEL = 0.95
UNCERTAIN_PROBABILITY = 0.8


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its 95% interval.

    Attributes:
        estimate: the point value.
        low: lower end of the 95% interval.
        high: upper end of the 95% interval.
    """

    estimate: float
    low: float
    high: float

    @property
    def standard_error(self) -> float:
        """The normal standard error whose 95% interval has the same width."""
        return float((self.high - self.low) / (2 * stats.norm.ppf(0.5 + INTERVAL_LEVEL / 2)))

    @classmethod
    def from_standard_error(cls, estimate: float, standard_error: float) -> Estimate:
        """A normal 95% interval around `estimate`."""
        half_width = stats.norm.ppf(0.5 + INTERVAL_LEVEL / 2) * standard_error
        return cls(estimate, estimate - half_width, estimate + half_width)


@dataclass(frozen=True)
class EconomicsInputs:
    """What the economics need, all in the KPI's currency.

    Attributes:
        value_per_day: V0, the KPI's value per day today (currency per day).
        decay_per_day: b with its interval (currency per day, per day; positive = getting worse).
        uplift: u with its interval, the relative gain of the retrained model over today's model.
        cost: C, the full cost of one retraining (person-days x day rate + compute + release).
        horizon_days: H, the number of days the options are compared over.
        discount_rate: r, the annual discount rate (0.05 for 5%).
        fallback_value_per_day: F, the value per day of the fallback when withdrawn; None means
            no fallback was given and withdrawal is valued against zero value per day.
        warning_in_days: days from today until the KPI's forecast crosses its warning line, if
            it does; the retrain-later option never waits past it.
        exit_met: whether the KPI's agreed exit criterion is met today.
        draws: Monte Carlo draws.
        seed: Monte Carlo seed (the same seed gives the same numbers).
    """

    value_per_day: float
    decay_per_day: Estimate
    uplift: Estimate
    cost: float
    horizon_days: int = DEFAULT_HORIZON_DAYS
    discount_rate: float = DEFAULT_DISCOUNT_RATE
    fallback_value_per_day: float | None = None
    warning_in_days: int | None = None
    exit_met: bool = False
    draws: int = DEFAULT_DRAWS
    seed: int = DEFAULT_SEED

    def __post_init__(self) -> None:
        """Refuse inputs the economics cannot price, naming the field (`YardstickError`)."""
        problems = list(
            retraining_input_problems(
                cost=self.cost,
                horizon_days=self.horizon_days,
                discount_rate=self.discount_rate,
                fallback_value_per_day=self.fallback_value_per_day,
            )
        )
        if not math.isfinite(self.value_per_day):
            problems.append(
                YardstickError(
                    "retrain.not_finite", field="value_per_day", value=self.value_per_day
                )
            )
        for name, interval in (("decay_per_day", self.decay_per_day), ("uplift", self.uplift)):
            values = (interval.estimate, interval.low, interval.high)
            if not all(math.isfinite(v) for v in values):
                problems.append(YardstickError("retrain.not_finite", field=name, value=values))
            elif not interval.low <= interval.estimate <= interval.high:
                problems.append(
                    YardstickError(
                        "retrain.outside_interval",
                        field=name,
                        estimate=interval.estimate,
                        low=interval.low,
                        high=interval.high,
                    )
                )
        if self.draws < 1:
            problems.append(YardstickError("retrain.at_least_one", field="draws", value=self.draws))
        raise_first(problems)


@dataclass(frozen=True)
class Distribution:
    """A Monte Carlo summary of one NPV (currency).

    Attributes:
        expected: the mean over the draws.
        p10: the 10th percentile.
        p90: the 90th percentile.
        probability_positive: the share of draws above zero (0 to 1).
    """

    expected: float
    p10: float
    p90: float
    probability_positive: float


@dataclass(frozen=True)
class OptionValue:
    """One option with its NPV relative to doing nothing over the horizon.

    Attributes:
        option: one of `core.vocab.RETRAIN_OPTIONS`.
        npv: the NPV distribution (currency).
        at_day: days from today at which the option acts (0 for now; None for do_nothing).
        basis: why `at_day` was chosen for retrain_later: "warning_date" (the forecast warning
            crossing), "optimal_interval" (one cost-optimal interval T* from today), whichever
            is sooner, or "mid_horizon" when neither falls inside the horizon; "fallback_zero"
            for withdraw valued without a fallback; None otherwise.
    """

    option: RetrainOption
    npv: Distribution
    at_day: int | None = None
    basis: str | None = None


@dataclass(frozen=True)
class Reason:
    """One plain-word reason behind a recommendation, as a catalogue code and its values.

    Attributes:
        code: the catalogue key under `retrain.reason.`.
        amounts: money values by placeholder name (currency).
        shares: ratios by placeholder name (0.12 for 12%).
        days: day counts by placeholder name; names ending in `_day` are offsets from today
            that read as dates.
    """

    code: str
    amounts: dict[str, float] = field(default_factory=dict)
    shares: dict[str, float] = field(default_factory=dict)
    days: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Recommendation:
    """The advised move and why.

    Attributes:
        action: one of `core.vocab.RECOMMENDATIONS`.
        reasons: the reasons, most important first.
    """

    action: RecommendationCode
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class RetrainingEconomics:
    """Everything the economics conclude for one set of inputs.

    Attributes:
        inputs: the inputs the numbers were computed from.
        daily_gain: V0·u, the retrained model's gain over doing nothing (currency per day).
        npv: the retrain-now NPV distribution over the horizon (currency).
        npv_point: the retrain-now NPV at the point estimates (currency).
        roi: npv_point / cost, the discounted net return per unit of cost; None when cost is 0.
        payback_days: C / daily gain, the days until the undiscounted gain repays the cost;
            None when it does not within the horizon.
        break_even_uplift: the smallest relative uplift whose NPV over the horizon is zero.
        optimal_interval_days: T* = sqrt(2C/b) with the interval from b's; None where b ≤ 0
            (no decay, so no interval is optimal).
        options: the four options side by side, in `core.vocab.RETRAIN_OPTIONS` order.
        recommendation: the advised move with its reasons.
    """

    inputs: EconomicsInputs
    daily_gain: float
    npv: Distribution
    npv_point: float
    roi: float | None
    payback_days: float | None
    break_even_uplift: float | None
    optimal_interval_days: IntervalDays
    options: tuple[OptionValue, ...]
    recommendation: Recommendation

    def option(self, name: RetrainOption) -> OptionValue:
        """The option called `name`."""
        return next(option for option in self.options if option.option == name)


def decay_value_per_day(
    relative_change_per_day: float, level: float, value_per_day: float, direction: Direction
) -> float:
    """A KPI's trend priced in money: the value per day lost each day (positive = worse).

    The trend's change per day relative to its level today, times today's value per day; the
    sign is turned for a higher-is-better KPI, so a falling click-through rate is a positive
    decay. The one pricing of decay: the estimate and both ends of its interval use it.
    """
    sign = -1.0 if direction == "increase" else 1.0
    return sign * relative_change_per_day / level * value_per_day


def daily_discount_factor(annual_rate: float) -> float:
    """The one-day discount factor equivalent to an annual rate: (1 + r) ** (-1/365)."""
    return float((1 + annual_rate) ** (-1 / DAYS_PER_YEAR))


def discount_weights(horizon_days: int, annual_rate: float) -> np.ndarray:
    """The discount factor of each day t = 0 … H-1 of the horizon."""
    return daily_discount_factor(annual_rate) ** np.arange(horizon_days)


def npv_constant_gain(
    daily_gain: float, cost: float, horizon_days: int, annual_rate: float
) -> float:
    """NPV of a constant daily gain over H days against a cost paid today (closed form).

    The sum of a geometric series: g · (1 - δ^H) / (1 - δ) - C with δ the daily discount factor.
    """
    delta = daily_discount_factor(annual_rate)
    annuity = float(horizon_days) if delta == 1 else (1 - delta**horizon_days) / (1 - delta)
    return daily_gain * annuity - cost


def retrain_npv(
    value_per_day: float,
    uplift: np.ndarray | float,
    decay: np.ndarray | float,
    cost: float,
    at_day: int,
    weights: np.ndarray,
) -> np.ndarray:
    """NPV over the horizon of retraining on day `at_day`, for arrays of uplift and decay draws."""
    value_at_release = value_per_day - np.asarray(decay, dtype=float) * at_day
    gain = np.asarray(uplift, dtype=float) * value_at_release
    return np.asarray(gain * weights[at_day:].sum() - cost * weights[at_day], dtype=float)


def withdraw_npv(
    value_per_day: float,
    fallback_value_per_day: float,
    decay: np.ndarray | float,
    weights: np.ndarray,
) -> np.ndarray:
    """NPV over the horizon of switching to the fallback today instead of keeping the model."""
    decay_weight = float(np.arange(weights.size) @ weights)
    kept = value_per_day * weights.sum() - np.asarray(decay, dtype=float) * decay_weight
    return np.asarray(fallback_value_per_day * weights.sum() - kept, dtype=float)


def payback_days(cost: float, daily_gain: float, horizon_days: int) -> float | None:
    """Days until a constant daily gain repays the cost (undiscounted); None beyond the horizon."""
    if cost == 0:
        return 0.0
    if daily_gain <= 0:
        return None
    days = cost / daily_gain
    return days if days <= horizon_days else None


def break_even_uplift(
    value_per_day: float, cost: float, horizon_days: int, annual_rate: float
) -> float | None:
    """The relative uplift at which retraining now has an NPV of exactly zero over the horizon."""
    if value_per_day <= 0:
        return None
    return float(cost / (value_per_day * discount_weights(horizon_days, annual_rate).sum()))


IntervalDays = tuple[float | None, float | None, float | None]


def optimal_interval(cost: float, decay: Estimate) -> IntervalDays:
    """T* = sqrt(2C/b) with its interval (estimate, low, high), in days.

    A value lost linearly at b per day, per day costs b·T²/2 over an interval of T days; adding
    one retraining cost C per interval, the cost per day C/T + b·T/2 is least at sqrt(2C/b).
    T* falls as b rises, so b's upper end gives T*'s lower end; an end where b ≤ 0 has none.
    """

    def interval_for(rate: float) -> float | None:
        return math.sqrt(2 * cost / rate) if rate > 0 else None

    return interval_for(decay.estimate), interval_for(decay.high), interval_for(decay.low)


def summarise(npvs: np.ndarray) -> Distribution:
    """Mean, 10th and 90th percentiles and the probability above zero of NPV draws."""
    p10, p90 = np.percentile(npvs, [10, 90])
    return Distribution(
        expected=float(np.mean(npvs)),
        p10=float(p10),
        p90=float(p90),
        probability_positive=float(np.mean(npvs > 0)),
    )


def draw_parameters(inputs: EconomicsInputs) -> tuple[np.ndarray, np.ndarray]:
    """Seeded normal draws of (uplift, decay) around their estimates."""
    rng = np.random.default_rng(inputs.seed)
    uplift = rng.normal(inputs.uplift.estimate, inputs.uplift.standard_error, inputs.draws)
    decay = rng.normal(
        inputs.decay_per_day.estimate, inputs.decay_per_day.standard_error, inputs.draws
    )
    return uplift, decay


def retrain_later_day(inputs: EconomicsInputs) -> tuple[int, str]:
    """The day retrain-later acts on, and why.

    The sooner of the forecast warning crossing (retraining after the KPI has crossed an agreed
    line is hard to defend) and one cost-optimal interval T* from today (the schedule the decay
    and the cost justify); the middle of the horizon when neither falls inside it.
    """
    horizon = inputs.horizon_days
    candidates = []
    if inputs.warning_in_days is not None and 0 < inputs.warning_in_days < horizon:
        candidates.append((inputs.warning_in_days, "warning_date"))
    interval = optimal_interval(inputs.cost, inputs.decay_per_day)[0]
    if interval is not None and 1 <= round(interval) < horizon:
        candidates.append((round(interval), "optimal_interval"))
    if not candidates:
        return max(horizon // 2, 1) if horizon > 1 else 0, "mid_horizon"
    return min(candidates)


def compare_options(inputs: EconomicsInputs) -> tuple[OptionValue, ...]:
    """The four options with their NPV distributions, relative to doing nothing."""
    weights = discount_weights(inputs.horizon_days, inputs.discount_rate)
    uplift, decay = draw_parameters(inputs)
    later_day, later_basis = retrain_later_day(inputs)
    fallback = inputs.fallback_value_per_day
    return (
        OptionValue("do_nothing", summarise(np.zeros(inputs.draws))),
        OptionValue(
            "retrain_now",
            summarise(retrain_npv(inputs.value_per_day, uplift, decay, inputs.cost, 0, weights)),
            at_day=0,
        ),
        OptionValue(
            "retrain_later",
            summarise(
                retrain_npv(inputs.value_per_day, uplift, decay, inputs.cost, later_day, weights)
            ),
            at_day=later_day,
            basis=later_basis,
        ),
        OptionValue(
            "withdraw",
            summarise(withdraw_npv(inputs.value_per_day, fallback or 0.0, decay, weights)),
            at_day=0,
            basis="fallback_zero" if fallback is None else None,
        ),
    )


def recommend(
    inputs: EconomicsInputs, options: tuple[OptionValue, ...], payback: float | None
) -> Recommendation:
    """The advised move, with the exit agreement first and the evidence's strength next.

    - A met exit criterion with no retraining option expected to pay: withdraw.
    - No option expected to pay: do nothing.
    - The fallback expected to beat every retraining option: withdraw.
    - Retraining expected to pay but positive in fewer than `UNCERTAIN_PROBABILITY` of the
      draws, or retraining later expected to pay more: wait (until retrain-later's day).
    - Otherwise: retrain now.
    """
    by_name = {option.option: option for option in options}
    now, later, withdraw = by_name["retrain_now"], by_name["retrain_later"], by_name["withdraw"]
    best_retraining = max(now.npv.expected, later.npv.expected)
    fallback_note = (
        (Reason("fallback_assumed_zero"),) if inputs.fallback_value_per_day is None else ()
    )
    reasons: tuple[Reason, ...]
    if inputs.exit_met and best_retraining <= 0:
        reasons = (
            Reason("exit_met"),
            Reason("no_positive_retraining", amounts={"npv": best_retraining}),
        )
        return Recommendation("withdraw", reasons + fallback_note)
    exit_note = (Reason("exit_met_but_retraining_pays"),) if inputs.exit_met else ()
    best = max((now, later, withdraw), key=lambda option: option.npv.expected)
    if best.npv.expected <= 0:
        threshold = break_even_uplift(
            inputs.value_per_day, inputs.cost, inputs.horizon_days, inputs.discount_rate
        )
        reasons = (Reason("no_positive_option", amounts={"npv": best_retraining}),)
        if threshold is not None:
            reasons += (
                Reason(
                    "uplift_below_break_even",
                    shares={"uplift": inputs.uplift.estimate, "break_even": threshold},
                ),
            )
        return Recommendation("do_nothing", reasons)
    if best is withdraw:
        reasons = (
            Reason(
                "fallback_better",
                amounts={"npv": withdraw.npv.expected, "retrain_npv": best_retraining},
            ),
        )
        return Recommendation("withdraw", exit_note + reasons + fallback_note)
    npv_range = Reason(
        "npv_range",
        amounts={"npv": now.npv.expected, "p10": now.npv.p10, "p90": now.npv.p90},
        days={"horizon": inputs.horizon_days},
    )
    at_day = {"at_day": float(later.at_day or 0)}
    if best is later:
        waiting = Reason(
            f"wait_{later.basis}",
            amounts={"gain": later.npv.expected - now.npv.expected},
            days=at_day,
        )
        return Recommendation("wait", (*exit_note, waiting, npv_range))
    if now.npv.probability_positive < UNCERTAIN_PROBABILITY:
        uncertain = Reason(
            "uncertain",
            shares={"probability": now.npv.probability_positive},
            amounts={"cost_of_waiting": now.npv.expected - later.npv.expected},
            days=at_day,
        )
        return Recommendation("wait", (*exit_note, npv_range, uncertain))
    likely = Reason("likely_positive", shares={"probability": now.npv.probability_positive})
    payback_reason = (Reason("payback", days={"payback": payback}),) if payback is not None else ()
    return Recommendation("retrain_now", (*exit_note, npv_range, likely, *payback_reason))


def evaluate(inputs: EconomicsInputs) -> RetrainingEconomics:
    """The full economics of retraining for one set of inputs."""
    options = compare_options(inputs)
    daily_gain = inputs.value_per_day * inputs.uplift.estimate
    npv_point = npv_constant_gain(
        daily_gain, inputs.cost, inputs.horizon_days, inputs.discount_rate
    )
    payback = payback_days(inputs.cost, daily_gain, inputs.horizon_days)
    return RetrainingEconomics(
        inputs=inputs,
        daily_gain=daily_gain,
        npv=next(option.npv for option in options if option.option == "retrain_now"),
        npv_point=npv_point,
        roi=npv_point / inputs.cost if inputs.cost > 0 else None,
        payback_days=payback,
        break_even_uplift=break_even_uplift(
            inputs.value_per_day, inputs.cost, inputs.horizon_days, inputs.discount_rate
        ),
        optimal_interval_days=optimal_interval(inputs.cost, inputs.decay_per_day),
        options=options,
        recommendation=recommend(inputs, options, payback),
    )


def cumulative_values(
    inputs: EconomicsInputs, options: tuple[OptionValue, ...]
) -> dict[str, np.ndarray]:
    """Each option's cumulative discounted value over the horizon, at the point estimates.

    Absolute values (not relative to doing nothing), day by day, for the options chart; the
    difference between an option's last value and do_nothing's is its point NPV.
    """
    weights = discount_weights(inputs.horizon_days, inputs.discount_rate)
    days = np.arange(inputs.horizon_days)
    kept = inputs.value_per_day - inputs.decay_per_day.estimate * days
    paths = {"do_nothing": kept}
    for option in options:
        if option.option in ("retrain_now", "retrain_later"):
            at_day = option.at_day or 0
            # The uplift is relative to the decayed model on the release day, as in retrain_npv.
            release_level = (1 + inputs.uplift.estimate) * kept[at_day]
            retrained = release_level - inputs.decay_per_day.estimate * (days - at_day)
            value = np.where(days >= at_day, retrained, kept)
            value = value - np.where(days == at_day, inputs.cost, 0.0)
            paths[option.option] = value
    paths["withdraw"] = np.full(inputs.horizon_days, inputs.fallback_value_per_day or 0.0)
    return {name: np.cumsum(path * weights) for name, path in paths.items()}

"""Whether retraining (or withdrawing) a decaying model pays: one saw-tooth model for the NPV of
every option, the best day to retrain, payback, break-even uplift, the cost-optimal interval and
the advice. The model is written out with its formulas in docs/economics.md; in short, in money
per day:

- value is priced with the KPI's direction once (`kpi.value.value_of_improvement`): an
  improvement is a gain and a degradation a loss, for higher- and lower-is-better KPIs alike;
- do nothing: today's model is worth `V0 - b·t` on day t, b being the decay (value lost per day,
  per day; positive when the KPI gets worse);
- a retraining restores the level (the fresh level `V0 + g`, g = u·|V0| the gain of a model
  retrained today over today's model) and the decay starts again: a saw-tooth, retrained every
  T days. Averaged over a cycle, the saw-tooth loses `λ(T) = b·(T-1)/2 + C/a(T)` per day below
  the fresh level (its decay plus one retraining cost per cycle, a(T) = Σ_{k<T} δ^k, T without
  discounting), least at T* = sqrt(2C/b) without discounting. From the
  first retraining on day τ, a retrained model is thus worth `V0 + g - λ` per day on average,
  with T = T* but never longer than the days left in the horizon (a single retraining then);
- withdraw: the fallback is worth F per day from day 0 on, without decay; without a stored or
  entered F the option is not priced and never recommended;
- days t = 0 … H-1 are discounted with `δ^t`, δ = (1 + r) ** (-1/365).

Every option's NPV is relative to doing nothing over the same horizon:
`NPV(τ) = Σ_{t=τ}^{H-1} δ^t (g + b·t - λ)`. The uncertainty of the uplift and of the decay is
carried by Monte Carlo: both are drawn from normal distributions whose standard errors come from
their 95% intervals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from core.errors import YardstickError
from core.vocab import Direction, OptionDayBasis, RetrainOption
from core.vocab import Recommendation as RecommendationCode
from kpi.checks import raise_first, retraining_input_problems
from kpi.value import relative_improvement, value_of_improvement

DAYS_PER_YEAR = 365
DEFAULT_HORIZON_DAYS = 365
DEFAULT_DISCOUNT_RATE = 0.05
DEFAULT_DRAWS = 20_000
DEFAULT_SEED = 20_261_127
INTERVAL_LEVEL = 0.95
# An option is acted on only when it pays in at least this share of the draws (docs/economics.md).
CONFIDENT_PROBABILITY = 0.8


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
        value_per_day: V0, the KPI's value per day today (currency per day; negative for a KPI
            that is a cost, such as latency priced per millisecond).
        decay_per_day: b with its interval (currency per day, per day; positive = getting worse).
        uplift: u with its interval, the relative improvement of a model retrained today over
            today's model (positive = better, whatever the KPI's direction).
        cost: C, the full cost of one retraining (person-days x day rate + compute + release).
        horizon_days: H, the number of days the options are compared over.
        discount_rate: r, the annual discount rate (0.05 for 5%).
        fallback_value_per_day: F, the value per day of the fallback when withdrawn, with the sign
            convention of V0; None when unknown: withdrawal is then not priced.
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

    @property
    def daily_gain(self) -> float:
        """g = u·|V0|: what a model retrained today adds per day over today's model."""
        return value_of_improvement(self.uplift.estimate, self.value_per_day)


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
        npv: the NPV distribution (currency); None for withdraw without a fallback value
            (not priced).
        at_day: days from today at which the option acts (0 for now; None for do_nothing).
        basis: why `at_day` was chosen: "best_day" for retrain_later (the later day that
            maximises the NPV); "fallback_zero" for withdraw when no fallback value was given
            (and the option is not priced); None otherwise.
        probability_better_than_now: for retrain_later, the share of draws in which it is worth
            more than retraining now (the same draws); None for the other options.
    """

    option: RetrainOption
    npv: Distribution | None
    at_day: int | None = None
    basis: OptionDayBasis | None = None
    probability_better_than_now: float | None = None

    @property
    def expected(self) -> float | None:
        """The expected NPV; None when the option is not priced."""
        return None if self.npv is None else self.npv.expected


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


IntervalDays = tuple[float | None, float | None, float | None]


@dataclass(frozen=True)
class RetrainingEconomics:
    """Everything the economics conclude for one set of inputs.

    Attributes:
        inputs: the inputs the numbers were computed from.
        daily_gain: g = u·|V0|, what a model retrained today adds per day over today's model.
        npv: the retrain-now NPV distribution over the horizon (currency).
        npv_point: the retrain-now NPV at the point estimates (currency).
        roi: npv_point / cost, the discounted net return per unit of cost; None when cost is 0.
        payback_days: C / g, the days until the retraining's gain repays its cost
            (undiscounted); None when it does not within the horizon.
        break_even_uplift: the relative uplift at which retraining now has an NPV of zero at the
            point decay; None when the KPI has no value per day.
        optimal_interval_days: T* = sqrt(2C/b) with the interval from b's; None where b <= 0
            (no decay, so no interval is optimal).
        best_retrain_day: the day (from today) whose first retraining maximises the NPV at the
            point estimates; 0 means now.
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
    best_retrain_day: int
    options: tuple[OptionValue, ...]
    recommendation: Recommendation

    def option(self, name: RetrainOption) -> OptionValue:
        """The option called `name`."""
        return next(option for option in self.options if option.option == name)


def decay_value_per_day(
    relative_change_per_day: float, level: float, value_per_day: float, direction: Direction
) -> float:
    """A KPI's trend priced in money: the value per day lost each day (positive = worse).

    The trend's change per day relative to its level, as an improvement in the KPI's direction,
    priced by `kpi.value.value_of_improvement` and turned into a loss: a falling click-through
    rate and a rising latency are both positive decays. The estimate and both ends of its
    interval use it.
    """
    improvement = relative_improvement(relative_change_per_day / level, direction)
    return -value_of_improvement(improvement, value_per_day)


def daily_discount_factor(annual_rate: float) -> float:
    """The one-day discount factor equivalent to an annual rate: (1 + r) ** (-1/365)."""
    return float((1 + annual_rate) ** (-1 / DAYS_PER_YEAR))


def discount_weights(horizon_days: int, annual_rate: float) -> np.ndarray:
    """The discount factor of each day t = 0 … H-1 of the horizon."""
    return daily_discount_factor(annual_rate) ** np.arange(horizon_days)


def tail_sums(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each day τ: A(τ) = Σ_{t>=τ} δ^t and B(τ) = Σ_{t>=τ} t·δ^t over the horizon."""
    days = np.arange(weights.size)
    return np.cumsum(weights[::-1])[::-1], np.cumsum((days * weights)[::-1])[::-1]


def cycle_days(cost: float, decay: np.ndarray | float, days_left: np.ndarray | int) -> np.ndarray:
    """The saw-tooth's cycle T: T* = sqrt(2C/b), at least one day and at most the days left.

    Without decay (b <= 0) nothing calls for a second retraining: one retraining serves the rest
    of the horizon.
    """
    rate = np.asarray(decay, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        optimal = np.where(rate > 0, np.sqrt(2 * cost / np.where(rate > 0, rate, 1.0)), np.inf)
    return np.clip(optimal, 1.0, np.asarray(days_left, dtype=float))


def cycle_annuity(cycle: np.ndarray | float, delta: float) -> np.ndarray:
    """a(T) = Σ_{k=0}^{T-1} δ^k = (1 - δ^T) / (1 - δ): what one currency unit a day over a cycle
    of T days is worth on its first day (T itself without discounting)."""
    length = np.asarray(cycle, dtype=float)
    if delta == 1:
        return length
    return np.asarray((1 - delta**length) / (1 - delta), dtype=float)


def sawtooth_cost_per_day(
    cost: float, decay: np.ndarray | float, cycle: np.ndarray | float, delta: float = 1.0
) -> np.ndarray:
    """λ(T) = b·(T-1)/2 + C/a(T): what a saw-tooth of cycle T loses per day below the fresh level.

    Over one cycle the model's age runs 0 … T-1 days, losing b per day of age, and one
    retraining costs C on the cycle's first day; λ is their level equivalent per day (the
    retraining's cost spread so that its discounted sum over the cycle is C, so a single
    retraining costs exactly C on its day).
    """
    rate = np.asarray(decay, dtype=float)
    length = np.asarray(cycle, dtype=float)
    return np.asarray(rate * (length - 1) / 2 + cost / cycle_annuity(length, delta), dtype=float)


def retrain_npv(
    gain: np.ndarray | float,
    decay: np.ndarray | float,
    cost: float,
    at_day: np.ndarray | int,
    weights: np.ndarray,
) -> np.ndarray:
    """NPV against doing nothing of a first retraining on day `at_day`, then the saw-tooth.

    Σ_{t=τ}^{H-1} δ^t (g + b·t - λ) = (g - λ)·A(τ) + b·B(τ): from day τ on, the retrained
    saw-tooth averages the fresh level less λ, while doing nothing has lost g + b·t by day t.
    Broadcasts over draws of (gain, decay) or over days.
    """
    sum_weights, sum_day_weights = tail_sums(weights)
    day = np.asarray(at_day)
    rate = np.asarray(decay, dtype=float)
    delta = float(weights[1] / weights[0]) if weights.size > 1 else 1.0
    cycle = cycle_days(cost, rate, weights.size - day)
    loss = sawtooth_cost_per_day(cost, rate, cycle, delta)
    return np.asarray(
        (np.asarray(gain, dtype=float) - loss) * sum_weights[day] + rate * sum_day_weights[day],
        dtype=float,
    )


def withdraw_npv(
    value_per_day: float,
    fallback_value_per_day: float,
    decay: np.ndarray | float,
    weights: np.ndarray,
) -> np.ndarray:
    """NPV of switching to the fallback today: Σ δ^t (F - (V0 - b·t))."""
    sum_weights, sum_day_weights = tail_sums(weights)
    rate = np.asarray(decay, dtype=float)
    return np.asarray(
        (fallback_value_per_day - value_per_day) * sum_weights[0] + rate * sum_day_weights[0],
        dtype=float,
    )


def npv_by_day(inputs: EconomicsInputs) -> np.ndarray:
    """The point NPV of a first retraining on each day τ = 0 … H-1 of the horizon."""
    weights = discount_weights(inputs.horizon_days, inputs.discount_rate)
    return retrain_npv(
        inputs.daily_gain,
        inputs.decay_per_day.estimate,
        inputs.cost,
        np.arange(inputs.horizon_days),
        weights,
    )


def best_days(inputs: EconomicsInputs) -> tuple[int, int]:
    """(best day overall, best day after today) of the first retraining, at the point estimates.

    Undiscounted and with a long horizon, NPV(τ+1) - NPV(τ) = λ - g - b·τ: waiting pays while
    the gap the decay has opened, g + b·τ, is below the saw-tooth's loss λ ≈ b·T*, so the best
    day is about T* - g/b (T* when today's model is fresh).
    """
    by_day = npv_by_day(inputs)
    later = int(np.argmax(by_day[1:])) + 1 if by_day.size > 1 else 0
    return int(np.argmax(by_day)), later


def payback_days(cost: float, daily_gain: float, horizon_days: int) -> float | None:
    """Days until the gain g of a retraining repays its cost (undiscounted); None beyond the
    horizon. A retrained model and today's decay alike, so the gap between them stays g."""
    if cost == 0:
        return 0.0
    if daily_gain <= 0:
        return None
    days = cost / daily_gain
    return days if days <= horizon_days else None


def break_even_uplift(inputs: EconomicsInputs) -> float | None:
    """The relative uplift at which retraining now has a point NPV of exactly zero.

    Solves (u·|V0| - λ)·A(0) + b·B(0) = 0 for u. Negative when the decay alone makes the
    saw-tooth pay; None when the KPI has no value per day to scale an uplift by.
    """
    if inputs.value_per_day == 0:
        return None
    weights = discount_weights(inputs.horizon_days, inputs.discount_rate)
    sum_weights, sum_day_weights = tail_sums(weights)
    decay = inputs.decay_per_day.estimate
    cycle = cycle_days(inputs.cost, decay, inputs.horizon_days)
    delta = daily_discount_factor(inputs.discount_rate)
    loss = float(sawtooth_cost_per_day(inputs.cost, decay, cycle, delta))
    needed_gain = loss - decay * float(sum_day_weights[0]) / float(sum_weights[0])
    return needed_gain / abs(inputs.value_per_day)


def optimal_interval(cost: float, decay: Estimate) -> IntervalDays:
    """T* = sqrt(2C/b) with its interval (estimate, low, high), in days.

    The T that minimises the saw-tooth's loss per day λ(T) = b·(T-1)/2 + C/T. T* falls as b
    rises, so b's upper end gives T*'s lower end; an end where b <= 0 has none.
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


def compare_options(inputs: EconomicsInputs, later_day: int) -> tuple[OptionValue, ...]:
    """The four options with their NPV distributions, relative to doing nothing."""
    weights = discount_weights(inputs.horizon_days, inputs.discount_rate)
    uplift, decay = draw_parameters(inputs)
    gain = value_of_improvement(1.0, inputs.value_per_day) * uplift
    fallback = inputs.fallback_value_per_day
    withdraw = (
        OptionValue("withdraw", None, at_day=0, basis="fallback_zero")
        if fallback is None
        else OptionValue(
            "withdraw",
            summarise(withdraw_npv(inputs.value_per_day, fallback, decay, weights)),
            at_day=0,
        )
    )
    now = retrain_npv(gain, decay, inputs.cost, 0, weights)
    later = retrain_npv(gain, decay, inputs.cost, later_day, weights)
    return (
        OptionValue("do_nothing", summarise(np.zeros(inputs.draws))),
        OptionValue("retrain_now", summarise(now), at_day=0),
        OptionValue(
            "retrain_later",
            summarise(later),
            at_day=later_day,
            basis="best_day",
            probability_better_than_now=float(np.mean(later > now)),
        ),
        withdraw,
    )


def _notes(inputs: EconomicsInputs, withdraw: OptionValue) -> tuple[Reason, ...]:
    """What the reader must know whatever the advice: a met exit, a missing fallback value."""
    if not inputs.exit_met:
        return ()
    missing = (Reason("fallback_missing"),) if withdraw.npv is None else ()
    return (Reason("exit_met"), *missing)


def recommend(
    inputs: EconomicsInputs,
    options: tuple[OptionValue, ...],
    payback: float | None,
    break_even: float | None,
) -> Recommendation:
    """The advised move: the option of highest expected NPV, acted on only when it is likely
    to pay (docs/economics.md, "The recommendation").

    - Doing nothing is best (no option expected to pay): do nothing.
    - Retraining on a later day is best and beats retraining now in at least
      `CONFIDENT_PROBABILITY` of the draws: wait (until that day). When waiting is not that
      likely to be better, retraining now is weighed as below (the later day's small expected
      edge is within the uncertainty).
    - Retraining now or withdrawing is best but pays in fewer than `CONFIDENT_PROBABILITY` of
      the draws: wait (for better evidence), saying how likely it is.
    - Otherwise that option: retrain now, or withdraw (only when a fallback value prices it
      above keeping the model).
    """
    by_name = {option.option: option for option in options}
    now, later, withdraw = by_name["retrain_now"], by_name["retrain_later"], by_name["withdraw"]
    notes = _notes(inputs, withdraw)
    priced = [option for option in options if option.npv is not None]
    # max keeps the first of equals, so a tie with doing nothing (0) is doing nothing.
    best = max(priced, key=lambda option: option.npv.expected if option.npv else 0.0)
    assert now.npv is not None and later.npv is not None  # retraining is always priced
    best_retraining = max(now.npv.expected, later.npv.expected)
    if best.option == "do_nothing":
        reasons: tuple[Reason, ...] = (
            Reason("no_positive_option", amounts={"npv": best_retraining}),
        )
        if break_even is not None and inputs.uplift.estimate < break_even:
            reasons += (
                Reason(
                    "uplift_below_break_even",
                    shares={"uplift": inputs.uplift.estimate, "break_even": break_even},
                ),
            )
        return Recommendation("do_nothing", notes + reasons)
    npv_range = Reason(
        "npv_range",
        amounts={"npv": now.npv.expected, "p10": now.npv.p10, "p90": now.npv.p90},
        days={"horizon": inputs.horizon_days},
    )
    if (
        best.option == "retrain_later"
        and (later.probability_better_than_now or 0.0) < CONFIDENT_PROBABILITY
    ):
        best = max((now, withdraw), key=lambda option: option.expected or -math.inf)
    if best.option == "retrain_later":
        waiting = Reason(
            "wait_best_day",
            amounts={"gain": later.npv.expected - now.npv.expected},
            days={"at_day": float(later.at_day or 0)},
        )
        return Recommendation("wait", (*notes, waiting, npv_range))
    assert best.npv is not None
    if best.npv.probability_positive < CONFIDENT_PROBABILITY:
        code = "uncertain_withdraw" if best.option == "withdraw" else "uncertain"
        uncertain = Reason(
            code,
            amounts={"npv": best.npv.expected},
            shares={"probability": best.npv.probability_positive},
        )
        return Recommendation("wait", (*notes, uncertain, npv_range))
    if best.option == "withdraw":
        better = Reason(
            "fallback_better",
            amounts={"npv": best.npv.expected, "retrain_npv": best_retraining},
        )
        return Recommendation("withdraw", (*notes, better))
    likely = Reason("likely_positive", shares={"probability": now.npv.probability_positive})
    payback_reason = (Reason("payback", days={"payback": payback}),) if payback is not None else ()
    return Recommendation(
        "retrain_now", (*notes, npv_range, *_cycle_note(inputs), likely, *payback_reason)
    )


def _cycle_note(inputs: EconomicsInputs) -> tuple[Reason, ...]:
    """The saw-tooth the retrain-now NPV assumes, when a second retraining falls in the horizon."""
    cycle = float(cycle_days(inputs.cost, inputs.decay_per_day.estimate, inputs.horizon_days))
    return (Reason("cycle", days={"cycle": round(cycle)}),) if cycle < inputs.horizon_days else ()


def evaluate(inputs: EconomicsInputs) -> RetrainingEconomics:
    """The full economics of retraining for one set of inputs."""
    best_day, later_day = best_days(inputs)
    options = compare_options(inputs, later_day)
    weights = discount_weights(inputs.horizon_days, inputs.discount_rate)
    npv_point = float(
        retrain_npv(inputs.daily_gain, inputs.decay_per_day.estimate, inputs.cost, 0, weights)
    )
    payback = payback_days(inputs.cost, inputs.daily_gain, inputs.horizon_days)
    break_even = break_even_uplift(inputs)
    now = next(option for option in options if option.option == "retrain_now")
    assert now.npv is not None  # retraining is always priced
    return RetrainingEconomics(
        inputs=inputs,
        daily_gain=inputs.daily_gain,
        npv=now.npv,
        npv_point=npv_point,
        roi=npv_point / inputs.cost if inputs.cost > 0 else None,
        payback_days=payback,
        break_even_uplift=break_even,
        optimal_interval_days=optimal_interval(inputs.cost, inputs.decay_per_day),
        best_retrain_day=best_day,
        options=options,
        recommendation=recommend(inputs, options, payback, break_even),
    )


def cumulative_values(
    inputs: EconomicsInputs, options: tuple[OptionValue, ...]
) -> dict[str, np.ndarray]:
    """Each priced option's cumulative discounted value over the horizon, at the point estimates.

    Absolute values day by day, for the options chart: doing nothing decays as V0 - b·t; a
    retraining option follows it until its day, then the saw-tooth's average V0 + g - λ; the
    fallback is F. The difference between an option's last value and do_nothing's is its point
    NPV.
    """
    weights = discount_weights(inputs.horizon_days, inputs.discount_rate)
    days = np.arange(inputs.horizon_days)
    decay = inputs.decay_per_day.estimate
    kept = inputs.value_per_day - decay * days
    paths = {"do_nothing": kept}
    for option in options:
        if option.option in ("retrain_now", "retrain_later"):
            at_day = option.at_day or 0
            cycle = cycle_days(inputs.cost, decay, inputs.horizon_days - at_day)
            delta = daily_discount_factor(inputs.discount_rate)
            loss = float(sawtooth_cost_per_day(inputs.cost, decay, cycle, delta))
            retrained = inputs.value_per_day + inputs.daily_gain - loss
            paths[option.option] = np.where(days >= at_day, retrained, kept)
    if inputs.fallback_value_per_day is not None:
        paths["withdraw"] = np.full(inputs.horizon_days, inputs.fallback_value_per_day)
    return {name: np.cumsum(path * weights) for name, path in paths.items()}

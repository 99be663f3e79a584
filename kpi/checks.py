"""The one check of retraining inputs, shared by the economics, the plan, the CLI and the page.

Every rule about what a retraining case may be given is written here once and answers with
`YardstickError`s naming the input's field (`cost`, `uplift_se`, `horizon_days`...). Each face maps
the field to what its reader sees: the command line to its flag (`--uplift-se`), the page to its
widget's label.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from core.errors import YardstickError

# The longest horizon a retraining case is priced over: a century, far beyond any model's life,
# and the same for the command line, the page and a stored plan.
MAX_HORIZON_DAYS = 36_500
# The largest amount of money (either sign) a case takes: what a double still keeps to the cent.
MAX_AMOUNT = 1e15
# The lowest annual discount rate: a negative rate weighs later days more, and near -100% the
# weights over a long horizon overflow (-99.99% over a century gave NaN values and a silent
# "do nothing"); at -50% a century's last day weighs 2**100 times today's, still finite.
MIN_DISCOUNT_RATE = -0.5


def _too_large(name: str, amount: float) -> YardstickError:
    return YardstickError("retrain.at_most", field=name, value=amount, most=f"{MAX_AMOUNT:.0e}")


def _amount_problems(amounts: Mapping[str, float | None]) -> list[YardstickError]:
    """Amounts (costs) must be finite, zero or more, and at most `MAX_AMOUNT`."""
    found = []
    for name, amount in amounts.items():
        if amount is None:
            continue
        if not math.isfinite(amount):
            found.append(YardstickError("retrain.not_finite", field=name, value=amount))
        elif amount < 0:
            found.append(YardstickError("retrain.negative", field=name, value=amount))
        elif amount > MAX_AMOUNT:
            found.append(_too_large(name, amount))
    return found


def gain_problems(
    uplift_experiment: str | None,
    uplift_metric: str | None,
    uplift: float | None,
    uplift_se: float | None,
    *,
    required: bool,
) -> list[YardstickError]:
    """The expected gain is measured (experiment and metric) or assumed (uplift and its SE)."""
    measured = uplift_experiment is not None or uplift_metric is not None
    assumed = uplift is not None or uplift_se is not None
    found: list[YardstickError] = []
    if measured and assumed:
        found.append(YardstickError("retrain.gain_both", field="uplift_experiment"))
    elif measured and not (uplift_experiment and uplift_metric):
        missing, partner = (
            ("uplift_metric", "uplift_experiment")
            if uplift_experiment
            else ("uplift_experiment", "uplift_metric")
        )
        found.append(
            YardstickError("retrain.gain_partner_missing", field=missing, partner_field=partner)
        )
    elif assumed and (uplift is None or uplift_se is None):
        missing, partner = (
            ("uplift_se", "uplift") if uplift is not None else ("uplift", "uplift_se")
        )
        found.append(
            YardstickError("retrain.gain_partner_missing", field=missing, partner_field=partner)
        )
    elif required and not (measured or assumed):
        found.append(YardstickError("retrain.gain_missing", field="uplift_experiment"))
    if uplift is not None and not math.isfinite(uplift):
        found.append(YardstickError("retrain.not_finite", field="uplift", value=uplift))
    found += _amount_problems({"uplift_se": uplift_se})
    return found


def retraining_input_problems(
    *,
    cost: float | None = None,
    cost_parts: Mapping[str, float] | None = None,
    uplift_experiment: str | None = None,
    uplift_metric: str | None = None,
    uplift: float | None = None,
    uplift_se: float | None = None,
    gain_required: bool = False,
    horizon_days: int | None = None,
    discount_rate: float | None = None,
    fallback_value_per_day: float | None = None,
) -> tuple[YardstickError, ...]:
    """What is wrong with the inputs of a retraining case, each naming its field.

    Arguments left as None are not checked (a face checks what it has; the gain is only
    required when `gain_required`). Empty when everything given can be used.
    """
    found = _amount_problems({"cost": cost, **(cost_parts or {})})
    found += gain_problems(
        uplift_experiment, uplift_metric, uplift, uplift_se, required=gain_required
    )
    if horizon_days is not None and horizon_days < 1:
        found.append(
            YardstickError("retrain.at_least_one", field="horizon_days", value=horizon_days)
        )
    elif horizon_days is not None and horizon_days > MAX_HORIZON_DAYS:
        found.append(
            YardstickError(
                "retrain.at_most", field="horizon_days", value=horizon_days, most=MAX_HORIZON_DAYS
            )
        )
    if discount_rate is not None and not (
        math.isfinite(discount_rate) and discount_rate >= MIN_DISCOUNT_RATE
    ):
        found.append(
            YardstickError("retrain.discount_too_low", field="discount_rate", value=discount_rate)
        )
    if fallback_value_per_day is not None and not math.isfinite(fallback_value_per_day):
        found.append(
            YardstickError(
                "retrain.not_finite", field="fallback_value_per_day", value=fallback_value_per_day
            )
        )
    elif fallback_value_per_day is not None and abs(fallback_value_per_day) > MAX_AMOUNT:
        found.append(_too_large("fallback_value_per_day", fallback_value_per_day))
    return tuple(found)


def raise_first(problems: tuple[YardstickError, ...] | list[YardstickError]) -> None:
    """Raise the first problem, if any (the others are usually consequences of the same input)."""
    if problems:
        raise problems[0]

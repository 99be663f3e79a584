"""Retraining plans and decisions as values: what a retraining costs and is expected to gain,
and how a retrain / wait / withdraw choice lands in a KPI's record.

Pure: the store keeps plans (`data.retrain_store`), the services write decisions
(`services.retraining`); the rules about them are here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from core.errors import YardstickError
from core.vocab import DECISION_CHOICES, DecisionChoice, KpiDecision, Recommendation
from kpi.checks import raise_first, retraining_input_problems
from kpi.economics import DEFAULT_DISCOUNT_RATE, DEFAULT_HORIZON_DAYS
from kpi.retraining import CaseRequest, RetrainingCase

# The page and the command line speak of waiting; the KPI's decision record calls it continuing.
DECISION_FOR_CHOICE: dict[DecisionChoice, KpiDecision] = {
    "retrain": "retrain",
    "wait": "continue",
    "withdraw": "withdraw",
}


def retraining_cost(
    person_days: float, day_rate: float, compute_cost: float, release_cost: float
) -> float:
    """The full cost of one retraining: people's time at the day rate, compute, and release."""
    return person_days * day_rate + compute_cost + release_cost


@dataclass(frozen=True)
class RetrainingPlan:
    """What one retraining of a KPI's model would cost and is expected to gain.

    Attributes:
        plan_id: the plan's id.
        kpi_id: the KPI whose model the plan retrains.
        name: a human-readable name (user text).
        person_days: people's time for the retraining (days).
        day_rate: cost of one person-day (the KPI's currency).
        compute_cost: training and evaluation compute (currency).
        release_cost: validation and release (currency).
        uplift_experiment: the experiment measuring the retrained model's gain, if measured.
        uplift_metric: the experiment's metric whose relative effect is the gain.
        uplift: the assumed relative uplift (0.02 for +2%), if assumed.
        uplift_se: its standard error (relative).
        horizon_days: days over which the options are compared.
        discount_rate: annual discount rate (0.05 for 5%).
        fallback_value_per_day: value per day of the fallback if withdrawn (currency), if known.
        notes: free text.
    """

    plan_id: str
    kpi_id: str
    name: str
    person_days: float
    day_rate: float
    compute_cost: float
    release_cost: float
    uplift_experiment: str | None = None
    uplift_metric: str | None = None
    uplift: float | None = None
    uplift_se: float | None = None
    horizon_days: int = DEFAULT_HORIZON_DAYS
    discount_rate: float = DEFAULT_DISCOUNT_RATE
    fallback_value_per_day: float | None = None
    notes: str | None = None

    @property
    def cost(self) -> float:
        """The full cost of one retraining (currency)."""
        return retraining_cost(
            self.person_days, self.day_rate, self.compute_cost, self.release_cost
        )


def plan_problems(plan: RetrainingPlan) -> tuple[YardstickError, ...]:
    """What is wrong with a plan, each naming its field; empty when it can be stored."""
    empty = tuple(
        YardstickError("retrain.empty", field=name)
        for name, text in (("plan_id", plan.plan_id), ("kpi_id", plan.kpi_id))
        if not text.strip()
    )
    return empty + retraining_input_problems(
        cost_parts={
            "person_days": plan.person_days,
            "day_rate": plan.day_rate,
            "compute_cost": plan.compute_cost,
            "release_cost": plan.release_cost,
        },
        uplift_experiment=plan.uplift_experiment,
        uplift_metric=plan.uplift_metric,
        uplift=plan.uplift,
        uplift_se=plan.uplift_se,
        gain_required=True,
        horizon_days=plan.horizon_days,
        discount_rate=plan.discount_rate,
        fallback_value_per_day=plan.fallback_value_per_day,
    )


def check_plan(plan: RetrainingPlan) -> RetrainingPlan:
    """The plan, if it can be stored; else the first problem (`YardstickError`)."""
    raise_first(plan_problems(plan))
    return plan


def request_from_plan(plan: RetrainingPlan, as_of: dt.date | None = None) -> CaseRequest:
    """The request a stored retraining plan stands for."""
    return CaseRequest(
        kpi_id=plan.kpi_id,
        cost=plan.cost,
        uplift_experiment=plan.uplift_experiment,
        uplift_metric=plan.uplift_metric,
        uplift=plan.uplift,
        uplift_se=plan.uplift_se,
        horizon_days=plan.horizon_days,
        discount_rate=plan.discount_rate,
        fallback_value_per_day=plan.fallback_value_per_day,
        as_of=as_of,
        plan_id=plan.plan_id,
        uplift_origin="plan",
    )


def decision_for(choice: str) -> KpiDecision:
    """The KPI decision a retrain / wait / withdraw choice is recorded as; refuses any other
    text (`retrain.unknown_choice`), so a caller that holds a plain string is checked too."""
    for known in DECISION_CHOICES:
        if choice == known:
            return DECISION_FOR_CHOICE[known]
    raise YardstickError(
        "retrain.unknown_choice",
        field="choice",
        choice=choice,
        choices=", ".join(DECISION_CHOICES),
    )


@dataclass(frozen=True)
class DecisionEvidence:
    """The evaluation a retraining decision was taken on.

    Attributes:
        as_of: the last day of data the evaluation used.
        recommendation: what the economics recommended.
        npv_expected: expected NPV of retraining now (currency).
        npv_p10: its 10th percentile (currency).
        npv_p90: its 90th percentile (currency).
        probability_positive: probability that retraining now pays (0 to 1).
        evaluation: the full `retrain evaluate --json` record.
        plan_id: the plan evaluated, if the evaluation came from a stored plan.
    """

    as_of: dt.date
    recommendation: Recommendation
    npv_expected: float
    npv_p10: float
    npv_p90: float
    probability_positive: float
    evaluation: dict[str, object] = field(default_factory=dict)
    plan_id: str | None = None


def evidence_for(
    case: RetrainingCase, evaluation: dict[str, object], plan_id: str | None = None
) -> DecisionEvidence:
    """The evidence of a decision taken on `case`; `evaluation` is its `--json` record."""
    result = case.economics
    return DecisionEvidence(
        as_of=case.kpi.as_of,
        recommendation=result.recommendation.action,
        npv_expected=result.npv.expected,
        npv_p10=result.npv.p10,
        npv_p90=result.npv.p90,
        probability_positive=result.npv.probability_positive,
        evaluation=evaluation,
        plan_id=plan_id,
    )

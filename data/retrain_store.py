"""Retraining plans (cost parts and expected gain) and the evidence behind retraining decisions.

A plan is versioned like a KPI: saving a changed plan adds a version, so a decision keeps pointing
at the numbers it was taken on. Decisions themselves land in the KPI's decision record
(`data.kpi_store.record_decision`); this module adds the evaluation they were based on.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import asdict, dataclass

from core.clock import system_clock
from data import kpi_store
from data.store import StoreSettings, connect, current_actor, write_audit

# The page and the command line speak of waiting; the KPI's decision record calls it continuing.
DECISION_FOR_CHOICE = {"retrain": "retrain", "wait": "continue", "withdraw": "withdraw"}

_PLAN_COLUMNS = (
    "plan_id, kpi_id, name, person_days, day_rate, compute_cost, release_cost, uplift_experiment, "
    "uplift_metric, uplift, uplift_se, horizon_days, discount_rate, fallback_value_per_day, notes"
)


class UnknownPlanError(LookupError):
    """No retraining plan with this id is stored."""


@dataclass(frozen=True)
class RetrainingPlan:
    """What one retraining of a KPI's model would cost and is expected to gain.

    Attributes:
        plan_id: the plan's id.
        kpi_id: the KPI whose model the plan retrains.
        name: a human-readable name.
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
    horizon_days: int = 365
    discount_rate: float = 0.05
    fallback_value_per_day: float | None = None
    notes: str | None = None

    @property
    def cost(self) -> float:
        """The full cost of one retraining (currency)."""
        return self.person_days * self.day_rate + self.compute_cost + self.release_cost

    def problems(self) -> list[str]:
        """What is wrong with the plan, each naming the field; empty when it can be stored."""
        found = []
        if not self.plan_id.strip():
            found.append("plan_id must not be empty")
        if not self.kpi_id.strip():
            found.append("kpi_id must not be empty")
        for field in ("person_days", "day_rate", "compute_cost", "release_cost"):
            amount = getattr(self, field)
            if not (math.isfinite(amount) and amount >= 0):
                found.append(f"{field} must be zero or more, got {amount}")
        measured = self.uplift_experiment is not None or self.uplift_metric is not None
        assumed = self.uplift is not None or self.uplift_se is not None
        if measured == assumed:
            found.append(
                "give either uplift_experiment and uplift_metric (measured) "
                "or uplift and uplift_se (assumed)"
            )
        elif measured and not (self.uplift_experiment and self.uplift_metric):
            found.append("a measured uplift needs both uplift_experiment and uplift_metric")
        elif assumed and (self.uplift is None or self.uplift_se is None or self.uplift_se < 0):
            found.append("an assumed uplift needs uplift and a uplift_se of zero or more")
        if self.horizon_days < 1:
            found.append(f"horizon_days must be at least 1, got {self.horizon_days}")
        if not self.discount_rate > -1:
            found.append(f"discount_rate must be above -1, got {self.discount_rate}")
        return found


@dataclass(frozen=True)
class StoredPlan:
    """A plan as stored: which version, who saved it and when.

    Attributes:
        plan: the plan.
        version: 1 for the first save, +1 for each change.
        author: who saved this version.
        created_at: when (naive UTC).
    """

    plan: RetrainingPlan
    version: int
    author: str
    created_at: dt.datetime


@dataclass(frozen=True)
class DecisionEvidence:
    """The evaluation a retraining decision was taken on.

    Attributes:
        as_of: the last day of data the evaluation used.
        recommendation: what the economics recommended (retrain_now, wait, withdraw, do_nothing).
        npv_expected: expected NPV of retraining now (currency).
        npv_p10: its 10th percentile (currency).
        npv_p90: its 90th percentile (currency).
        probability_positive: probability that retraining now pays (0 to 1).
        evaluation: the full `retrain evaluate --json` record.
        plan_id: the plan evaluated, if the evaluation came from a stored plan.
    """

    as_of: dt.date
    recommendation: str
    npv_expected: float
    npv_p10: float
    npv_p90: float
    probability_positive: float
    evaluation: dict[str, object]
    plan_id: str | None = None


def _plan_from_row(row: tuple) -> StoredPlan:
    names = [name.strip() for name in _PLAN_COLUMNS.split(",")]
    values = dict(zip(names, row[: len(names)], strict=True))
    return StoredPlan(RetrainingPlan(**values), int(row[-3]), str(row[-2]), row[-1])


def save_plan(
    settings: StoreSettings, plan: RetrainingPlan, author: str | None = None
) -> StoredPlan:
    """Store a plan as a new version (nothing is stored when it equals the latest version)."""
    problems = plan.problems()
    if problems:
        raise ValueError(f"Retraining plan '{plan.plan_id}': " + "; ".join(problems))
    author = author or current_actor()
    with connect(settings) as con:
        con.execute("BEGIN TRANSACTION")
        try:
            latest = con.execute(
                f"SELECT {_PLAN_COLUMNS}, version, author, created_at FROM retraining_plans "
                "WHERE plan_id = ? ORDER BY version DESC LIMIT 1",
                [plan.plan_id],
            ).fetchone()
            if latest is not None and _plan_from_row(latest).plan == plan:
                con.execute("ROLLBACK")
                return _plan_from_row(latest)
            version = 1 if latest is None else int(latest[-3]) + 1
            row = con.execute(
                f"INSERT INTO retraining_plans ({_PLAN_COLUMNS}, version, author, created_at) "
                f"VALUES ({', '.join('?' * 18)}) "
                f"RETURNING {_PLAN_COLUMNS}, version, author, created_at",
                [*asdict(plan).values(), version, author, system_clock()],
            ).fetchone()
            write_audit(
                con,
                "retrain.plan",
                plan.plan_id,
                {"version": version, "kpi_id": plan.kpi_id, "cost": plan.cost},
                actor=author,
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
    assert row is not None
    return _plan_from_row(row)


def load_plan(settings: StoreSettings, plan_id: str) -> StoredPlan:
    """The latest version of a plan."""
    with connect(settings, read_only=True) as con:
        row = con.execute(
            f"SELECT {_PLAN_COLUMNS}, version, author, created_at FROM retraining_plans "
            "WHERE plan_id = ? ORDER BY version DESC LIMIT 1",
            [plan_id],
        ).fetchone()
    if row is None:
        raise UnknownPlanError(f"No retraining plan with id '{plan_id}'")
    return _plan_from_row(row)


def latest_plans(settings: StoreSettings, kpi_id: str | None = None) -> list[StoredPlan]:
    """The latest version of every plan (of one KPI when `kpi_id` is given), ordered by id."""
    with connect(settings, read_only=True) as con:
        rows = con.execute(
            f"SELECT {_PLAN_COLUMNS}, version, author, created_at FROM retraining_plans "
            "WHERE ? IS NULL OR kpi_id = ? "
            "QUALIFY version = max(version) OVER (PARTITION BY plan_id) ORDER BY plan_id",
            [kpi_id, kpi_id],
        ).fetchall()
    return [_plan_from_row(row) for row in rows]


def record_decision(
    settings: StoreSettings,
    kpi_id: str,
    choice: str,
    rationale: str,
    evidence: DecisionEvidence,
    decided_by: str | None = None,
) -> kpi_store.Decision:
    """Record retrain / wait / withdraw in the KPI's decision record, with its evidence.

    The decision and its audit row are written by the KPI store; the evidence follows in its own
    transaction with its own audit row, keyed by the decision's id.
    """
    if choice not in DECISION_FOR_CHOICE:
        raise ValueError(
            f"decision must be one of {', '.join(DECISION_FOR_CHOICE)}, not '{choice}'"
        )
    decision = kpi_store.record_decision(
        settings, kpi_id, DECISION_FOR_CHOICE[choice], rationale, decided_by
    )
    plan_version = None
    with connect(settings) as con:
        con.execute("BEGIN TRANSACTION")
        try:
            if evidence.plan_id is not None:
                found = con.execute(
                    "SELECT max(version) FROM retraining_plans WHERE plan_id = ?",
                    [evidence.plan_id],
                ).fetchone()
                plan_version = found[0] if found else None
            con.execute(
                "INSERT INTO retraining_decision_evidence VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    decision.decision_id,
                    evidence.plan_id,
                    plan_version,
                    evidence.as_of,
                    evidence.recommendation,
                    evidence.npv_expected,
                    evidence.npv_p10,
                    evidence.npv_p90,
                    evidence.probability_positive,
                    json.dumps(evidence.evaluation, ensure_ascii=False, default=str),
                ],
            )
            write_audit(
                con,
                "retrain.decide",
                kpi_id,
                {
                    "decision_id": decision.decision_id,
                    "choice": choice,
                    "recommendation": evidence.recommendation,
                    "plan_id": evidence.plan_id,
                },
                rationale,
                decision.decided_by,
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
    return decision


def decision_evidence(settings: StoreSettings, decision_id: int) -> DecisionEvidence | None:
    """The evidence stored with a retraining decision, None for decisions taken elsewhere."""
    with connect(settings, read_only=True) as con:
        row = con.execute(
            "SELECT as_of, recommendation, npv_expected, npv_p10, npv_p90, probability_positive, "
            "evaluation, plan_id FROM retraining_decision_evidence WHERE decision_id = ?",
            [decision_id],
        ).fetchone()
    if row is None:
        return None
    return DecisionEvidence(*row[:6], json.loads(row[6]), row[7])


DEMO_PLAN = RetrainingPlan(
    plan_id="rec-ctr-retrain",
    kpi_id="rec-ctr",
    name="Retrain the recommender on recent clicks (v3)",
    person_days=20,
    day_rate=80_000,
    compute_cost=400_000,
    release_cost=600_000,
    uplift_experiment="rec-v3-vs-v2",
    uplift_metric="ctr",
    fallback_value_per_day=1_800_000,
    notes="Evidence: the v3 challenger's A/B test against v2. Fallback: popular-items rules.",
)


def define_demo_retraining(settings: StoreSettings) -> None:
    """The demo's retraining plan: retrain the recommender, with the v3 experiment as evidence."""
    save_plan(settings, DEMO_PLAN, author="demo")

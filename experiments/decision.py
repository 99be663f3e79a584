"""The ship / don't ship call for one variant, from rules fixed before the data.

Rules, checked in this order (the first that applies decides):
1. Sample ratio mismatch -> `invalid`. The assignment is broken, so every estimate may be biased
   and no effect is shown; more data from the same broken assignment cannot repair that, so
   waiting (`keep_running`) would only postpone the same verdict. Fix the assignment and restart.
2. Fixed method before the planned sample -> `keep_running`. A fixed-horizon test is only valid
   at its planned sample; reading it earlier inflates the false positive rate.
3. Primary metric significant (after correction) in the wrong direction -> `dont_ship`.
4. A guardrail shown worse than its margin -> `dont_ship`.
5. Primary significant in its direction: every guardrail non-inferior -> `ship`; some guardrail
   inconclusive -> `keep_running` while a sequential experiment is short of its planned sample,
   else `dont_ship` (harm within the margin could not be ruled out).
6. Primary not significant -> `no_effect` once the planned sample is reached, else (sequential
   only) `keep_running`.

After rules 3 to 6, every guardrail that is significantly worse (two-sided raw p below alpha,
the harmful way) but not already named as breached is named (`guardrail_worse_within_margin`, or
`guardrail_worse` for a guardrail without a margin): it does not change the outcome, but a reader
must not ship a measured harm unawares.

The primary metric's p-value is its decisive one (adjusted within the primary family when a
correction applies); every reason quoting a p-value says which kind it is (`p_kind`, `raw` or
`adjusted`, and the `correction`), so a face can label it.

The sequential method may stop at any look because its p-values are always valid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, NamedTuple, get_args

from core.vocab import ExperimentOutcome
from experiments.corrections import p_value_kind
from experiments.guardrails import GuardrailResult, significantly_worse
from experiments.srm import SrmResult
from experiments.stats import Comparison

SHIP: ExperimentOutcome = "ship"
DONT_SHIP: ExperimentOutcome = "dont_ship"
KEEP_RUNNING: ExperimentOutcome = "keep_running"
NO_EFFECT: ExperimentOutcome = "no_effect"
INVALID: ExperimentOutcome = "invalid"


# Every reason a decision can give, in the order the rules are checked.
ReasonCode = Literal[
    "srm_mismatch",
    "planned_sample_not_reached",
    "primary_worse",
    "guardrail_breached",
    "primary_better",
    "guardrail_inconclusive",
    "primary_not_significant",
    "primary_not_yet_significant",
    "guardrail_worse_within_margin",
    "guardrail_worse",
]
REASON_CODES: tuple[ReasonCode, ...] = get_args(ReasonCode)


class Reason(NamedTuple):
    """One reason behind a decision.

    Attributes:
        code: machine-readable code the faces word (`experiments.reason_<code>` in i18n).
        values: the numbers and names the wording uses.
    """

    code: ReasonCode
    values: dict[str, Any]


@dataclass(frozen=True)
class Decision:
    """The call for one variant and why.

    Attributes:
        variant: the variant decided on.
        outcome: `ship`, `dont_ship`, `keep_running`, `no_effect` or `invalid` (sample ratio
            mismatch: no effect can be trusted).
        reason_codes: machine-readable codes, in the order the rules were checked (worded by
            `i18n.experiments.reason_message`).
        reason_values: the placeholders of each reason, parallel to `reason_codes`.
    """

    variant: str
    outcome: ExperimentOutcome
    reason_codes: tuple[ReasonCode, ...]
    reason_values: tuple[dict[str, Any], ...] = field(default=())


def _decision(variant: str, outcome: ExperimentOutcome, reasons: Sequence[Reason]) -> Decision:
    return Decision(
        variant=variant,
        outcome=outcome,
        reason_codes=tuple(r.code for r in reasons),
        reason_values=tuple(r.values for r in reasons),
    )


def _is_better(comparison: Comparison) -> bool:
    if comparison.direction == "increase":
        return comparison.absolute_effect > 0
    return comparison.absolute_effect < 0


def _p_values(comparison: Comparison) -> dict[str, Any]:
    """The decisive p-value with what a face needs to label it raw or adjusted."""
    return {
        "p_value": comparison.decisive_p_value,
        "p_kind": p_value_kind(comparison),
        "correction": comparison.correction or "none",
    }


def _worse_guardrails(
    comparisons: Sequence[Comparison], guardrails: Sequence[GuardrailResult]
) -> list[Reason]:
    """A reason for each guardrail significantly worse but not already named as breached."""
    margins = {g.metric: g for g in guardrails}
    reasons = []
    for comparison in comparisons:
        result = margins.get(comparison.metric)
        if not significantly_worse(comparison) or (result is not None and result.breached):
            continue
        values: dict[str, Any] = {
            "metric": comparison.metric,
            "relative_effect": comparison.relative_effect,
            "ci_low": comparison.relative_ci[0],
            "ci_high": comparison.relative_ci[1],
            "p_value": comparison.p_value,
            "p_kind": "raw",
            "correction": "none",
        }
        if result is None:
            reasons.append(Reason("guardrail_worse", values))
        else:
            reasons.append(
                Reason("guardrail_worse_within_margin", values | {"margin": result.margin})
            )
    return reasons


def decide(
    primary: Comparison,
    guardrails: Sequence[GuardrailResult],
    srm: SrmResult,
    *,
    planned_sample_reached: bool,
    guardrail_comparisons: Sequence[Comparison] = (),
) -> Decision:
    """Apply the module's rules to the primary metric, the guardrails and the SRM check.

    Args:
        primary: the primary metric's comparison for this variant, after correction.
        guardrails: this variant's guardrail results (may be empty).
        srm: the experiment's sample ratio check.
        planned_sample_reached: whether the planned sample (or duration) has been reached.
        guardrail_comparisons: this variant's comparisons on guardrail metrics (with or without
            a margin), to name those significantly worse.
    """
    variant = primary.variant
    if srm.mismatch:
        return _decision(
            variant,
            INVALID,
            [
                Reason(
                    "srm_mismatch",
                    {
                        "p_value": srm.p_value,
                        "p_kind": "raw",
                        "correction": "none",
                        "threshold": srm.threshold,
                    },
                )
            ],
        )
    if primary.method == "fixed" and not planned_sample_reached:
        return _decision(
            variant,
            KEEP_RUNNING,
            [
                Reason(
                    "planned_sample_not_reached",
                    {},
                )
            ],
        )
    base = _rules(primary, guardrails, planned_sample_reached)
    worse = _worse_guardrails(guardrail_comparisons, guardrails)
    if not worse:
        return base
    return replace(
        base,
        reason_codes=base.reason_codes + tuple(r.code for r in worse),
        reason_values=base.reason_values + tuple(r.values for r in worse),
    )


def _rules(
    primary: Comparison, guardrails: Sequence[GuardrailResult], planned_sample_reached: bool
) -> Decision:
    """Rules 3 to 6 (the sample ratio and the fixed horizon are checked before)."""
    variant = primary.variant
    p_value = primary.decisive_p_value
    significant = p_value < primary.alpha
    values = {"metric": primary.metric, "alpha": primary.alpha} | _p_values(primary)
    if significant and not _is_better(primary):
        return _decision(
            variant,
            DONT_SHIP,
            [
                Reason(
                    "primary_worse",
                    values,
                )
            ],
        )
    breached = [g for g in guardrails if g.breached]
    if breached:
        return _decision(
            variant,
            DONT_SHIP,
            [
                Reason(
                    "guardrail_breached",
                    {"metric": g.metric, "margin": g.margin},
                )
                for g in breached
            ],
        )
    if significant:
        better = Reason(
            "primary_better",
            values,
        )
        unsettled = [g for g in guardrails if not g.non_inferior]
        if not unsettled:
            return _decision(variant, SHIP, [better])
        outcome = (
            KEEP_RUNNING
            if primary.method == "sequential" and not planned_sample_reached
            else DONT_SHIP
        )
        return _decision(
            variant,
            outcome,
            [better]
            + [
                Reason(
                    "guardrail_inconclusive",
                    {"metric": g.metric, "margin": g.margin},
                )
                for g in unsettled
            ],
        )
    if planned_sample_reached:
        return _decision(
            variant,
            NO_EFFECT,
            [
                Reason(
                    "primary_not_significant",
                    values,
                )
            ],
        )
    return _decision(
        variant,
        KEEP_RUNNING,
        [
            Reason(
                "primary_not_yet_significant",
                values,
            )
        ],
    )

"""The analysis of an experiment: sufficient statistics in, a typed analysis out (pure).

The use case (services/experiments.py) reads the statistics from the store and hands them here;
everything here is arithmetic on them through the statistics modules, plus the decision rules and
the cumulative and offline-online views. Nothing here reads the store or the clock, and nothing
here is worded: notes and reasons are codes with values (`i18n.experiments` words them and shapes
the `experiment analyze --json` document).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

from core.clock import Clock
from core.errors import YardstickError
from core.vocab import CorrectionFamily, ExperimentOutcome, ExperimentStatus
from experiments.cells import CellStatistics, Exposure
from experiments.corrections import apply_correction, correct_by_family, family_of
from experiments.decision import (
    DONT_SHIP,
    INVALID,
    KEEP_RUNNING,
    NO_EFFECT,
    SHIP,
    Decision,
    ReasonCode,
    decide,
)
from experiments.guardrails import GuardrailResult, guardrail_test
from experiments.power import PowerResult, power_analysis
from experiments.spec import ExperimentSpec
from experiments.srm import SrmResult, sample_ratio_mismatch
from experiments.stats import (
    Comparison,
    GaussianPrior,
    InsufficientDataError,
    compare,
    with_uncapped_effect,
)

MAX_LOOKS = 14
# A mismatched sample ratio invalidates every treatment's reading, so `invalid` comes first.
_RECOMMENDATION_ORDER = (INVALID, SHIP, KEEP_RUNNING, NO_EFFECT, DONT_SHIP)


NO_UNITS = "experiment.no_units"
PRIMARY_NOT_COMPARABLE = "experiment.primary_not_comparable"
CAPPING_CHANGES_SIGN = "capping_changes_sign"


class NoDataError(YardstickError):
    """The experiment has no analysable units (or no primary-metric variance) in the window.

    Codes: `experiment.no_units` (values experiment, until, start, end) and
    `experiment.primary_not_comparable` (values experiment, metric, until).
    """


@dataclass(frozen=True)
class OfflineMetric:
    """The latest offline evaluation of one model on one metric.

    Attributes:
        model_id: the model.
        metric: the offline metric's name (e.g. auc, ndcg).
        value: its value (the metric's own unit).
        evaluated_at: when it was evaluated (naive UTC).
        dataset: the evaluation data set.
        n: examples evaluated, if known.
    """

    model_id: str
    metric: str
    value: float
    evaluated_at: dt.datetime
    dataset: str
    n: int | None


class Note(NamedTuple):
    """Something the reader should know about the analysis: a comparison left out or adjusted.

    Attributes:
        code: machine-readable code the UI translates (`experiments.note_<code>`):
            `arm_without_units`, `cuped_fallback`, a comparison's `relative_warning`
            (`zero_event_arm`, `relative_interval_unbounded`: shown without a relative interval
            or chance to win), `capping_changes_sign` (values `capped` and `uncapped` relative
            effects), or an `InsufficientDataError` code (`too_few_units`,
            `zero_denominator`, `zero_control_mean`, `no_variance`).
        values: the names and numbers the note uses (always `metric` and `variant`; `segment`
            and `segment_value` within a segment; the cause's own values).
    """

    code: str
    values: dict[str, Any]


class ReasonLine(NamedTuple):
    """One reason behind the experiment's recommendation.

    Attributes:
        variant: the treatment the reason is about.
        code: the reason's code (`experiments.reason_<code>`).
        values: the reason's placeholders.
    """

    variant: str
    code: ReasonCode
    values: dict[str, Any]


@dataclass(frozen=True)
class SegmentComparison:
    """One comparison within one value of a segment column.

    Attributes:
        column: the assignment attribute (e.g. device).
        value: its value (`other` gathers values beyond the 20 largest).
        comparison: the comparison on that segment's units, its p-value corrected over the
            comparisons of the same segment column.
    """

    column: str
    value: str
    comparison: Comparison


@dataclass(frozen=True)
class ExperimentAnalysis:
    """Everything `experiment analyze` reports for one experiment at one time.

    Attributes:
        spec: the definition analysed.
        version: its stored version.
        as_of: the window's end (the spec's end or the asked time, whichever is earlier), UTC.
        units: units per variant kept in the analysis, all variants in spec order.
        excluded_multiple_variants: units assigned to more than one variant (left out).
        srm: the sample ratio mismatch check against the planned allocation.
        comparisons: each (metric, treatment) pair on whole arms; the primary metric's pairs are
            corrected as one family, the secondary metrics' as another, guardrails not at all
            (`experiments.corrections.correct_by_family`).
        segments: the same per segment value.
        guardrails: non-inferiority results of guardrail metrics with a margin.
        power: power of the primary metric per treatment.
        decisions: the decision per treatment.
        recommendation: the experiment's call: `invalid` on a sample ratio mismatch, else `ship`
            if some treatment ships, else `keep_running`, `no_effect` or `dont_ship` in that
            order of precedence.
        reasons: the reasons behind the recommendation, with their codes and values.
        notes: comparisons that could not be computed, and CUPED fallbacks.
        planned_duration_reached: whether the window reaches the spec's end.
        excluded_outside_window: units first assigned before the spec's start, or only at or
            after its end (left out; 0 when the exposure was not read).
    """

    spec: ExperimentSpec
    version: int
    as_of: dt.datetime
    units: dict[str, int]
    excluded_multiple_variants: int
    srm: SrmResult
    comparisons: tuple[Comparison, ...]
    segments: tuple[SegmentComparison, ...]
    guardrails: tuple[GuardrailResult, ...]
    power: tuple[PowerResult, ...]
    decisions: tuple[Decision, ...]
    recommendation: ExperimentOutcome
    reasons: tuple[ReasonLine, ...]
    notes: tuple[Note, ...]
    planned_duration_reached: bool
    excluded_outside_window: int = 0

    @property
    def primary(self) -> tuple[Comparison, ...]:
        """The primary metric's comparisons, one per treatment."""
        name = self.spec.primary_metric.name
        return tuple(c for c in self.comparisons if c.metric == name)

    @property
    def valid(self) -> bool:
        """False on a sample ratio mismatch: then no effect may be shown as a finding."""
        return self.recommendation != INVALID

    def correction_family(self, comparison: Comparison) -> CorrectionFamily | None:
        """The family a whole-arm comparison was corrected in (None: a guardrail)."""
        return family_of(next(m.role for m in self.spec.metrics if m.name == comparison.metric))

    def family_size(self, family: CorrectionFamily | None) -> int:
        """How many whole-arm comparisons the family holds (0 for None, the guardrails)."""
        if family is None:
            return 0
        return sum(1 for c in self.comparisons if self.correction_family(c) == family)


@dataclass(frozen=True)
class CumulativePoint:
    """The primary metric's comparison as it would have been read at one earlier time.

    Attributes:
        as_of: the look's time (UTC).
        comparison: the comparison with only units and events before `as_of`.
    """

    as_of: dt.datetime
    comparison: Comparison


@dataclass(frozen=True)
class ModelLink:
    """A variant's model: its offline metrics next to its online effect.

    Attributes:
        experiment: the experiment id.
        variant: the variant served by the model.
        model_id: the model.
        is_control: whether the variant is the control.
        offline: the model's latest offline metrics.
        online: the primary metric's comparison of this variant (None for the control).
    """

    experiment: str
    variant: str
    model_id: str
    is_control: bool
    offline: tuple[OfflineMetric, ...]
    online: Comparison | None


@dataclass(frozen=True)
class OfflineOnlinePoint:
    """One finished experiment's treatment: its offline gain against its online effect.

    Attributes:
        experiment: the experiment id.
        variant: the treatment.
        offline_metric: the offline metric compared (e.g. auc).
        offline_difference: treatment model minus control model on it (metric units).
        online_metric: the experiment's primary metric.
        online_effect: the primary metric's relative effect (0.02 = +2%).
        online_ci: its interval.
    """

    experiment: str
    variant: str
    offline_metric: str
    offline_difference: float
    online_metric: str
    online_effect: float
    online_ci: tuple[float, float]


def status_of(spec: ExperimentSpec, now: dt.datetime) -> ExperimentStatus:
    """`planned`, `running` or `finished`, by where `now` falls in the spec's window."""
    if now < spec.start:
        return "planned"
    return "running" if now < spec.end else "finished"


def window_end(spec: ExperimentSpec, as_of: dt.datetime | None, clock: Clock) -> dt.datetime:
    """The spec's end or `as_of` (default: the clock's now), whichever is earlier, naive UTC.

    Defaulting to now keeps a running experiment from being read as if its planned end had come.
    """
    if as_of is None:
        as_of = clock()
    if as_of.tzinfo is not None:
        as_of = as_of.astimezone(dt.UTC).replace(tzinfo=None)
    return min(spec.end, as_of)


def experiment_window(
    spec: ExperimentSpec, as_of: dt.datetime | None, clock: Clock
) -> tuple[dt.datetime, dt.datetime]:
    """The moments an experiment counts, [start, until), naive UTC: from the spec's start (a
    moment, not its day) to `window_end`. The analysis counts a unit first assigned in it
    (`experiments.sql`: assigned before `start` is outside, at or after `until` not yet in), and
    `experiment health` reads its arms' predictions in it."""
    return spec.start, window_end(spec, as_of, clock)


def _prior(spec: ExperimentSpec) -> GaussianPrior | None:
    if spec.prior_mean is None or spec.prior_variance is None:
        return None
    return GaussianPrior(spec.prior_mean, spec.prior_variance)


def _compare_cells(
    spec: ExperimentSpec,
    cells: dict[str, CellStatistics],
    notes: list[Note],
    segment: tuple[str, str] | None = None,
) -> list[Comparison]:
    """Every (metric, treatment) comparison between the given per-variant cells."""
    comparisons = []
    control = cells.get(spec.control)
    for index, metric in enumerate(spec.metrics):
        for treatment in spec.treatments:
            values: dict[str, Any] = {"metric": metric.name, "variant": treatment}
            if segment:
                values |= {"segment": segment[0], "segment_value": segment[1]}
            variant = cells.get(treatment)
            if control is None or variant is None:
                notes.append(Note("arm_without_units", values))
                continue
            try:
                comparison = compare(
                    control.metrics[index],
                    variant.metrics[index],
                    metric=metric.name,
                    control_name=spec.control,
                    variant_name=treatment,
                    alpha=spec.alpha,
                    direction=metric.direction,
                    method=spec.method,
                    sequential_tuning=spec.sequential_tuning,
                    prior=_prior(spec),
                )
            except InsufficientDataError as error:
                notes.append(Note(error.code, values | dict(error.values)))
                continue
            if comparison.cuped_fallback and not segment:
                notes.append(Note("cuped_fallback", values | {"cause": comparison.cuped_fallback}))
            if comparison.relative_warning:
                notes.append(Note(comparison.relative_warning, values))
            comparison = _beside_uncapped(comparison, control, variant, index)
            if comparison.capping_changes_sign:
                notes.append(Note(CAPPING_CHANGES_SIGN, values | _capping_values(comparison)))
            comparisons.append(comparison)
    return comparisons


def _beside_uncapped(
    comparison: Comparison, control: CellStatistics, variant: CellStatistics, index: int
) -> Comparison:
    """The comparison with its uncapped relative effect when the metric is capped."""
    sums = [
        cell.uncapped_sums[index] if index < len(cell.uncapped_sums) else None
        for cell in (control, variant)
    ]
    if sums[0] is None or sums[1] is None:
        return comparison
    return with_uncapped_effect(comparison, sums[0], sums[1])


def _capping_values(comparison: Comparison) -> dict[str, Any]:
    return {
        "capped": comparison.relative_effect,
        "uncapped": comparison.uncapped_relative_effect,
    }


def _segment_comparisons(
    spec: ExperimentSpec, cells: list[CellStatistics], notes: list[Note]
) -> list[SegmentComparison]:
    results = []
    for column in spec.segments:
        values = sorted(
            {
                c.segment_value
                for c in cells
                if c.segment_column == column and c.segment_value is not None
            }
        )
        family: list[tuple[str, Comparison]] = []
        for value in values:
            by_variant = {
                c.variant: c
                for c in cells
                if c.segment_column == column and c.segment_value == value
            }
            family += [(value, c) for c in _compare_cells(spec, by_variant, notes, (column, value))]
        corrected = apply_correction([c for _, c in family], spec.correction)
        results += [
            SegmentComparison(column, value, comparison)
            for (value, _), comparison in zip(family, corrected, strict=True)
        ]
    return results


def _pair_units_per_day(
    units: dict[str, int], pair: tuple[str, str], exposure: Exposure | None
) -> float | None:
    """Daily units into the two compared arms: the traffic a power calculation of the pair needs.

    Averaged over the days on which either arm had assignments, so days before the ramp-up or
    after assignment stopped do not dilute it; other treatments' units are left out, since they
    never add to this pair's sample. Unknown (None) without the exposure.
    """
    if exposure is None:
        return None
    days = {day for variant, day, _ in exposure.daily_units if variant in pair}
    pair_units = sum(units.get(variant, 0) for variant in pair)
    if not days or pair_units == 0:
        return None
    return pair_units / len(days)


def _recommendation(
    spec: ExperimentSpec, decisions: list[Decision]
) -> tuple[ExperimentOutcome, tuple[ReasonLine, ...]]:
    outcome = min(
        (d.outcome for d in decisions), key=_RECOMMENDATION_ORDER.index, default=KEEP_RUNNING
    )
    return outcome, tuple(
        ReasonLine(d.variant, code, values)
        for d in decisions
        if d.outcome == outcome
        for code, values in zip(d.reason_codes, d.reason_values, strict=True)
    )


def analyze_cells(
    spec: ExperimentSpec,
    cells: list[CellStatistics],
    excluded_multiple_variants: int,
    until: dt.datetime,
    version: int = 0,
    exposure: Exposure | None = None,
) -> ExperimentAnalysis:
    """The full analysis from sufficient statistics (no store access).

    `exposure` (units per variant and day of assignment) gives the power panel its traffic;
    without it the traffic and the days still needed are unknown.

    Raises:
        NoDataError: no units in the window, or the primary metric cannot be compared.
    """
    whole = {c.variant: c for c in cells if c.segment_column is None}
    units = {
        variant: (whole[variant].n if variant in whole else 0) for variant in spec.variant_names
    }
    if not sum(units.values()):
        raise NoDataError(
            NO_UNITS,
            experiment=spec.id,
            until=f"{until:%Y-%m-%d %H:%M}",
            start=f"{spec.start:%Y-%m-%d}",
            end=f"{spec.end:%Y-%m-%d}",
        )
    notes: list[Note] = []
    roles = {metric.name: metric.role for metric in spec.metrics}
    comparisons = correct_by_family(_compare_cells(spec, whole, notes), roles, spec.correction)
    primary_name = spec.primary_metric.name
    primary = [c for c in comparisons if c.metric == primary_name]
    if not primary:
        raise NoDataError(
            PRIMARY_NOT_COMPARABLE,
            experiment=spec.id,
            metric=primary_name,
            until=f"{until:%Y-%m-%d %H:%M}",
        )
    srm = sample_ratio_mismatch(units, spec.allocation)
    margins = {m.name: m.non_inferiority_margin for m in spec.metrics if m.role == "guardrail"}
    guardrails = [
        guardrail_test(c, margin)
        for c in comparisons
        if (margin := margins.get(c.metric)) is not None
    ]
    reached = until >= spec.end
    power = [
        power_analysis(
            c,
            planned_mde=spec.planned_mde,
            units_per_day=_pair_units_per_day(units, (c.control, c.variant), exposure),
            finished=reached,
        )
        for c in primary
    ]
    decisions = [
        decide(
            c,
            [g for g in guardrails if g.variant == c.variant],
            srm,
            planned_sample_reached=reached,
            guardrail_comparisons=[
                g for g in comparisons if roles[g.metric] == "guardrail" and g.variant == c.variant
            ],
        )
        for c in primary
    ]
    recommendation, reasons = _recommendation(spec, decisions)
    return ExperimentAnalysis(
        spec=spec,
        version=version,
        as_of=until,
        units=units,
        excluded_multiple_variants=excluded_multiple_variants,
        srm=srm,
        comparisons=tuple(comparisons),
        segments=tuple(_segment_comparisons(spec, cells, notes)),
        guardrails=tuple(guardrails),
        power=tuple(power),
        decisions=tuple(decisions),
        recommendation=recommendation,
        reasons=reasons,
        notes=tuple(notes),
        planned_duration_reached=reached,
        excluded_outside_window=exposure.excluded_outside_window if exposure else 0,
    )


def look_times(
    spec: ExperimentSpec, until: dt.datetime, max_looks: int = MAX_LOOKS
) -> list[dt.datetime]:
    """Times at which to re-read the experiment for the cumulative chart, the last being `until`.

    Daily midnights from the day after the start, thinned to at most `max_looks` evenly spaced
    days. Each look is an exact as-of reading (the same definitions as `--as-of`), so the chart
    shows what a reader would have seen that day. A per-day-of-assignment cohort sum would not
    give that (a unit's value at a look depends on its events before the look), so all looks are
    computed in one scan of the events that keeps one row per unit and look
    (`experiments.sql.cumulative_query`); bounding the looks bounds those rows, and the result is
    cached per store version.
    """
    first = dt.datetime.combine(spec.start.date(), dt.time()) + dt.timedelta(days=1)
    days = []
    day = first
    while day < until:
        days.append(day)
        day += dt.timedelta(days=1)
    if len(days) >= max_looks:
        step = len(days) / (max_looks - 1)
        days = [days[min(len(days) - 1, round(i * step))] for i in range(max_looks - 1)]
    return [*sorted(set(days)), until]


def primary_only(spec: ExperimentSpec) -> ExperimentSpec:
    """The spec reduced to what the cumulative chart reads: the primary metric on whole arms."""
    return replace(spec, metrics=(spec.primary_metric,), segments=(), correction="none")


def cumulative_effects(
    spec: ExperimentSpec, cells_by_look: dict[dt.datetime, list[CellStatistics]]
) -> list[CumulativePoint]:
    """The primary metric's comparison per treatment at each look.

    `cells_by_look` holds the whole-arm cells of `primary_only(spec)` at each of `look_times`.
    """
    reduced = primary_only(spec)
    points = []
    for look, cells in cells_by_look.items():
        whole = {c.variant: c for c in cells}
        points += [CumulativePoint(look, c) for c in _compare_cells(reduced, whole, [])]
    return points


def model_links(analysis: ExperimentAnalysis, offline: list[OfflineMetric]) -> list[ModelLink]:
    """Each variant's model with its offline metrics and the variant's online primary effect.

    `offline` holds the latest offline metrics of the experiment's models (others are ignored).
    """
    models = analysis.spec.model_for
    online = {c.variant: c for c in analysis.primary}
    return [
        ModelLink(
            experiment=analysis.spec.id,
            variant=variant,
            model_id=model_id,
            is_control=variant == analysis.spec.control,
            offline=tuple(m for m in offline if m.model_id == model_id),
            online=online.get(variant),
        )
        for variant, model_id in models.items()
    ]


def offline_online_points(links: list[ModelLink]) -> list[OfflineOnlinePoint]:
    """Offline difference (treatment model minus control model) against online effect."""
    points = []
    controls = {link.experiment: link for link in links if link.is_control}
    for link in links:
        control = controls.get(link.experiment)
        if link.is_control or control is None or link.online is None:
            continue
        control_values = {m.metric: m.value for m in control.offline}
        for metric in link.offline:
            if metric.metric not in control_values:
                continue
            points.append(
                OfflineOnlinePoint(
                    experiment=link.experiment,
                    variant=link.variant,
                    offline_metric=metric.metric,
                    offline_difference=metric.value - control_values[metric.metric],
                    online_metric=link.online.metric,
                    online_effect=link.online.relative_effect,
                    online_ci=link.online.relative_ci,
                )
            )
    return points

"""Experiment definitions: parse a TOML spec (or the same keys as a dict), validate, serialise.

A spec is refused as a whole with a `SpecError` naming the offending key (its `field`) and a code
under `experiment_spec.` that `i18n` words in either language, so a bad definition never reaches
the store. Timestamps are kept as naive UTC, like everything else in the store.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from core import toml
from core.errors import YardstickError
from core.vocab import (
    CORRECTIONS,
    DIRECTIONS,
    METHODS,
    METRIC_KINDS,
    METRIC_ROLES,
    Correction,
    Direction,
    Method,
    MetricKind,
    MetricRole,
)

ALLOCATION_TOLERANCE = 1e-6

# A vocabulary value (`core.vocab`): what `_choice` returns from the options it is given.
_Choice = TypeVar("_Choice", bound=str)

# A pre-period longer than a year is no CUPED covariate any more (and days past Python's range
# would overflow the window arithmetic).
MAX_CUPED_DAYS = 365

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TOP_LEVEL_KEYS = (
    "id",
    "name",
    "hypothesis",
    "control",
    "variants",
    "variant_models",
    "start",
    "end",
    "alpha",
    "method",
    "sequential_tuning",
    "correction",
    "cuped_days",
    "planned_mde",
    "segments",
    "prior_mean",
    "prior_variance",
    "metrics",
)
_REQUIRED_TOP_LEVEL = ("id", "control", "variants", "start", "end", "metrics")
_METRIC_KEYS = (
    "name",
    "kind",
    "event",
    "numerator",
    "denominator",
    "role",
    "direction",
    "cap_percentile",
    "non_inferiority_margin",
)


class SpecError(YardstickError):
    """A spec that cannot be used: a code under `experiment_spec.`, the key at fault (`field`),
    where the spec came from (`origin`, a file name or `spec`) and the values that explain it."""


def _refuse(code: str, origin: str, field: str | None = None, **values: Any) -> SpecError:
    return SpecError(f"experiment_spec.{code}", field=field, origin=origin, **values)


class UnknownExperimentError(YardstickError):
    """No definition is stored under the asked experiment id (or not that version)."""

    @classmethod
    def of(
        cls, experiment_id: str, version: int | None, known: list[str], store: str
    ) -> UnknownExperimentError:
        """The error for `experiment_id` (and `version`), listing the ids that are defined."""
        code = "experiment.unknown" if version is None else "experiment.unknown_version"
        return cls(
            code,
            experiment=experiment_id,
            version=version if version is not None else "",
            known=", ".join(known) if known else "-",
            store=store,
        )


@dataclass(frozen=True)
class MetricSpec:
    """One metric of an experiment.

    Attributes:
        name: the metric's name in results (unique within the experiment).
        kind: `proportion` (1 if the unit had `event`), `mean` (sum of `event` values per unit)
            or `ratio` (sum of `numerator` values over sum of `denominator` values, per arm).
        role: `primary` (exactly one per experiment), `secondary` or `guardrail`.
        direction: `increase` or `decrease`: which way is better.
        event: the event name of a proportion or mean metric; None for a ratio.
        numerator: the numerator event of a ratio metric; None otherwise.
        denominator: the denominator event of a ratio metric; None otherwise.
        cap_percentile: cap unit values at this quantile (0-1) of all units; None for no cap.
        non_inferiority_margin: relative worsening tolerated by a guardrail (0.02 = 2%); None
            for no non-inferiority test.
    """

    name: str
    kind: MetricKind
    role: MetricRole
    direction: Direction = "increase"
    event: str | None = None
    numerator: str | None = None
    denominator: str | None = None
    cap_percentile: float | None = None
    non_inferiority_margin: float | None = None

    @property
    def events(self) -> tuple[str, ...]:
        """The event names this metric reads."""
        if self.kind == "ratio":
            return (str(self.numerator), str(self.denominator))
        return (str(self.event),)


@dataclass(frozen=True)
class ExperimentSpec:
    """A validated experiment definition.

    Attributes:
        id: the experiment id used in `assignments.experiment_id`.
        name: a human-readable title.
        hypothesis: what the experiment is meant to show.
        control: the control variant's name.
        variants: (variant, planned share) pairs in spec order; shares sum to 1.
        variant_models: (variant, model_id) pairs for variants served by a registered model.
        start: planned start, naive UTC.
        end: planned end, naive UTC; events at or after it never count.
        alpha: significance level (two-sided intervals at 1 - alpha).
        method: `fixed` or `sequential` (always-valid inference).
        sequential_tuning: the confidence sequence's tuning parameter (in units).
        correction: multiple-testing correction over (metric, treatment) pairs.
        cuped_days: pre-period length in days for CUPED; 0 turns it off.
        planned_mde: relative minimum detectable effect for the power panel; None if not planned.
        segments: assignment attribute names to break results down by.
        prior_mean: mean of the Gaussian prior on the relative effect; None for a flat prior.
        prior_variance: variance of that prior; None for a flat prior.
        metrics: the metrics, primary first as written in the spec.
    """

    id: str
    name: str
    hypothesis: str
    control: str
    variants: tuple[tuple[str, float], ...]
    variant_models: tuple[tuple[str, str], ...]
    start: dt.datetime
    end: dt.datetime
    alpha: float
    method: Method
    sequential_tuning: float
    correction: Correction
    cuped_days: int
    planned_mde: float | None
    segments: tuple[str, ...]
    prior_mean: float | None
    prior_variance: float | None
    metrics: tuple[MetricSpec, ...]

    @property
    def variant_names(self) -> tuple[str, ...]:
        """All variants, control included, in spec order."""
        return tuple(name for name, _ in self.variants)

    @property
    def treatments(self) -> tuple[str, ...]:
        """The variants compared against control."""
        return tuple(name for name in self.variant_names if name != self.control)

    @property
    def allocation(self) -> dict[str, float]:
        """Planned share of units per variant."""
        return dict(self.variants)

    @property
    def primary_metric(self) -> MetricSpec:
        """The one metric the decision rests on."""
        return next(m for m in self.metrics if m.role == "primary")

    @property
    def model_for(self) -> dict[str, str]:
        """model_id behind each variant that has one."""
        return dict(self.variant_models)


def load_spec(path: str | Path) -> ExperimentSpec:
    """Read and validate a TOML spec file; errors name the file, and the line for TOML syntax."""
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as error:
        raise _refuse("unreadable", str(source), detail=error.strerror or str(error)) from error
    return parse_spec_text(text, origin=str(source))


def parse_spec_text(text: str, origin: str = "spec") -> ExperimentSpec:
    """Validate a spec given as TOML text."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        where = re.search(r"line (\d+)", str(error))
        raise SpecError(
            "experiment_spec.toml_syntax",
            origin=origin,
            line=int(where.group(1)) if where else None,
            error=str(error),
        ) from error
    return parse_spec(raw, origin=origin)


def parse_spec(raw: Mapping[str, object], origin: str = "spec") -> ExperimentSpec:
    """Validate a spec given as a mapping with the TOML keys (from a file, a form or the store)."""
    _refuse_unknown(raw, _TOP_LEVEL_KEYS, origin, "")
    for key in _REQUIRED_TOP_LEVEL:
        if key not in raw:
            raise _refuse("missing", origin, key)
    experiment_id = _text(raw, "id", origin)
    variants = _allocation(raw.get("variants"), origin)
    control = _text(raw, "control", origin)
    if control not in dict(variants):
        names = ", ".join(name for name, _ in variants)
        raise _refuse("control_not_variant", origin, "control", value=control, variants=names)
    if len(variants) < 2:
        raise _refuse("too_few_variants", origin, "variants")
    variant_models = _variant_models(raw.get("variant_models", {}), dict(variants), origin)
    start = _timestamp(raw["start"], "start", origin)
    end = _timestamp(raw["end"], "end", origin)
    if end <= start:
        raise _refuse("end_before_start", origin, "end", end=f"{end:%Y-%m-%d %H:%M}")
    alpha = _number(raw, "alpha", origin, default=0.05)
    if not 0 < alpha < 0.5:
        raise _refuse("alpha_range", origin, "alpha", value=alpha)
    tuning = _number(raw, "sequential_tuning", origin, default=5000.0)
    if tuning <= 0:
        raise _refuse("not_positive", origin, "sequential_tuning", value=tuning)
    cuped_days = raw.get("cuped_days", 0)
    if (
        isinstance(cuped_days, bool)
        or not isinstance(cuped_days, int)
        or not 0 <= cuped_days <= MAX_CUPED_DAYS
    ):
        raise _refuse("cuped_days", origin, "cuped_days", value=cuped_days, most=MAX_CUPED_DAYS)
    planned_mde = _optional_number(raw, "planned_mde", origin)
    if planned_mde is not None and planned_mde <= 0:
        raise _refuse("not_positive", origin, "planned_mde", value=planned_mde)
    prior_mean = _optional_number(raw, "prior_mean", origin)
    prior_variance = _optional_number(raw, "prior_variance", origin)
    if (prior_mean is None) != (prior_variance is None):
        raise _refuse("prior_pair", origin, "prior_variance")
    if prior_variance is not None and prior_variance <= 0:
        raise _refuse("not_positive", origin, "prior_variance", value=prior_variance)
    return ExperimentSpec(
        id=experiment_id,
        name=_text(raw, "name", origin, default=experiment_id),
        hypothesis=_text(raw, "hypothesis", origin, default=""),
        control=control,
        variants=variants,
        variant_models=variant_models,
        start=start,
        end=end,
        alpha=alpha,
        method=_choice(raw, "method", METHODS, origin, default="fixed"),
        sequential_tuning=tuning,
        correction=_choice(raw, "correction", CORRECTIONS, origin, default="holm"),
        cuped_days=cuped_days,
        planned_mde=planned_mde,
        segments=_segments(raw.get("segments", []), origin),
        prior_mean=prior_mean,
        prior_variance=prior_variance,
        metrics=_metrics(raw.get("metrics"), origin),
    )


def spec_to_dict(spec: ExperimentSpec) -> dict[str, object]:
    """The spec as plain JSON-ready values with the TOML keys; `parse_spec` reads it back."""
    raw: dict[str, object] = {
        "id": spec.id,
        "name": spec.name,
        "hypothesis": spec.hypothesis,
        "control": spec.control,
        "variants": dict(spec.variants),
        "variant_models": dict(spec.variant_models),
        "start": _iso(spec.start),
        "end": _iso(spec.end),
        "alpha": spec.alpha,
        "method": spec.method,
        "sequential_tuning": spec.sequential_tuning,
        "correction": spec.correction,
        "cuped_days": spec.cuped_days,
        "segments": list(spec.segments),
        "metrics": [_metric_to_dict(metric) for metric in spec.metrics],
    }
    optional = {
        "planned_mde": spec.planned_mde,
        "prior_mean": spec.prior_mean,
        "prior_variance": spec.prior_variance,
    }
    raw.update({key: value for key, value in optional.items() if value is not None})
    return raw


def spec_to_toml(spec: ExperimentSpec) -> str:
    """The spec as TOML with the documented keys (what `load_spec` reads back), for editing."""
    return toml.dumps(spec_to_dict(spec))


def _metric_to_dict(metric: MetricSpec) -> dict[str, object]:
    fields = {
        "name": metric.name,
        "kind": metric.kind,
        "event": metric.event,
        "numerator": metric.numerator,
        "denominator": metric.denominator,
        "role": metric.role,
        "direction": metric.direction,
        "cap_percentile": metric.cap_percentile,
        "non_inferiority_margin": metric.non_inferiority_margin,
    }
    return {key: value for key, value in fields.items() if value is not None}


def _iso(moment: dt.datetime) -> str:
    # strftime's %Y does not pad a year below 1000 ('226-10-31'), which fromisoformat cannot read.
    return f"{moment.year:04d}-" + moment.strftime("%m-%dT%H:%M:%SZ")


def _refuse_unknown(
    raw: Mapping[str, object], allowed: tuple[str, ...], origin: str, at: str
) -> None:
    for key in raw:
        if key not in allowed:
            raise _refuse("unknown_key", origin, f"{at}{key}", allowed=", ".join(allowed))


def _text(raw: Mapping[str, object], key: str, origin: str, default: str | None = None) -> str:
    value = raw.get(key, default)
    if not isinstance(value, str) or (default is None and not value.strip()):
        raise _refuse("not_text", origin, key)
    return value


def _number(raw: Mapping[str, object], key: str, origin: str, default: float) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _refuse("not_number", origin, key, value=repr(value))
    return float(value)


def _optional_number(raw: Mapping[str, object], key: str, origin: str) -> float | None:
    if raw.get(key) is None:
        return None
    return _number(raw, key, origin, default=math.nan)


def _choice(
    raw: Mapping[str, object],
    key: str,
    options: tuple[_Choice, ...],
    origin: str,
    default: str,
) -> _Choice:
    """The value under `key` (or `default`) as one of `options`, typed as their vocabulary."""
    value = raw.get(key, default)
    for option in options:
        if value == option:
            return option
    raise _refuse("not_choice", origin, key, value=repr(value), options=", ".join(options))


def _timestamp(value: object, key: str, origin: str) -> dt.datetime:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError as error:
            raise _refuse("not_timestamp", origin, key, value=repr(value)) from error
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
    elif isinstance(value, dt.date):
        value = dt.datetime(value.year, value.month, value.day)
    else:
        raise _refuse("not_timestamp", origin, key, value=repr(value))
    # A year such as 226 is a typo for 2026, never an experiment's date: refused, not stored.
    if not _FIRST_YEAR <= value.year <= _LAST_YEAR:
        raise _refuse(
            "year_out_of_range",
            origin,
            key,
            value=repr(value.isoformat()),
            first=_FIRST_YEAR,
            last=_LAST_YEAR,
        )
    return value


_FIRST_YEAR, _LAST_YEAR = 1970, 2100


def _allocation(value: object, origin: str) -> tuple[tuple[str, float], ...]:
    if not isinstance(value, Mapping) or not value:
        raise _refuse("variants_table", origin, "variants")
    shares = []
    for name, share in value.items():
        if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share <= 1:
            raise _refuse("share_range", origin, f"variants.{name}", value=repr(share))
        shares.append((str(name), float(share)))
    total = sum(share for _, share in shares)
    if abs(total - 1.0) > ALLOCATION_TOLERANCE:
        raise _refuse("shares_sum", origin, "variants", total=f"{total:g}")
    return tuple(shares)


def belongs_to_family(
    spec: ExperimentSpec, family_of_model: Mapping[str, str], family: str | None
) -> bool:
    """True when the experiment tests a model of `family` (every experiment when it is None).

    An experiment belongs to a family through the registered models behind its variants; one
    without variant models (a page change, an A/A check) belongs to no family.
    """
    if family is None:
        return True
    return any(family_of_model.get(model) == family for _, model in spec.variant_models)


def _variant_models(
    value: object, variants: Mapping[str, float], origin: str
) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, Mapping):
        raise _refuse("variant_models_table", origin, "variant_models")
    pairs = []
    for name, model_id in value.items():
        if name not in variants:
            raise _refuse("model_unknown_variant", origin, f"variant_models.{name}")
        if not isinstance(model_id, str) or not model_id:
            raise _refuse("not_text", origin, f"variant_models.{name}")
        pairs.append((str(name), model_id))
    return tuple(pairs)


def _segments(value: object, origin: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise _refuse("segments_list", origin, "segments")
    for index, column in enumerate(value):
        if not isinstance(column, str) or not _IDENTIFIER.fullmatch(column):
            raise _refuse("segment_name", origin, f"segments[{index}]", value=repr(column))
    if len(set(value)) != len(value):
        raise _refuse("segment_twice", origin, "segments")
    return tuple(value)


def _metrics(value: object, origin: str) -> tuple[MetricSpec, ...]:
    if not isinstance(value, list) or not value:
        raise _refuse("metrics_list", origin, "metrics")
    metrics = tuple(_metric(item, index, origin) for index, item in enumerate(value))
    names = [metric.name for metric in metrics]
    duplicate = next((name for name in names if names.count(name) > 1), None)
    if duplicate is not None:
        raise _refuse("metric_twice", origin, "metrics", name=duplicate)
    primaries = [metric.name for metric in metrics if metric.role == "primary"]
    if len(primaries) != 1:
        raise _refuse("one_primary", origin, "metrics", found=", ".join(primaries) or "-")
    return metrics


def _metric(item: object, index: int, origin: str) -> MetricSpec:
    at = f"metrics[{index}]."
    if not isinstance(item, Mapping):
        raise _refuse("metric_table", origin, f"metrics[{index}]")
    _refuse_unknown(item, _METRIC_KEYS, origin, at)
    prefixed = {f"{at}{key}": value for key, value in item.items()}
    name = _text(prefixed, f"{at}name", origin)
    kind = _choice(prefixed, f"{at}kind", METRIC_KINDS, origin, default="")
    role = _choice(prefixed, f"{at}role", METRIC_ROLES, origin, default="secondary")
    direction = _choice(prefixed, f"{at}direction", DIRECTIONS, origin, default="increase")
    if kind == "ratio":
        for key in ("numerator", "denominator"):
            if not isinstance(item.get(key), str) or not item[key]:
                raise _refuse("ratio_needs", origin, f"{at}{key}")
        if "event" in item:
            raise _refuse("ratio_no_event", origin, f"{at}event")
    else:
        if not isinstance(item.get("event"), str) or not item["event"]:
            raise _refuse("event_required", origin, f"{at}event", kind=kind)
        for key in ("numerator", "denominator"):
            if key in item:
                raise _refuse("ratio_only", origin, f"{at}{key}")
    cap = _optional_number(prefixed, f"{at}cap_percentile", origin)
    if cap is not None and (kind != "mean" or not 0 < cap < 1):
        raise _refuse("cap", origin, f"{at}cap_percentile", value=cap)
    margin = _optional_number(prefixed, f"{at}non_inferiority_margin", origin)
    if margin is not None and (role != "guardrail" or margin <= 0):
        raise _refuse("margin", origin, f"{at}non_inferiority_margin", value=margin)
    return MetricSpec(
        name=name,
        kind=kind,
        role=role,
        direction=direction,
        event=item.get("event"),
        numerator=item.get("numerator"),
        denominator=item.get("denominator"),
        cap_percentile=cap,
        non_inferiority_margin=margin,
    )

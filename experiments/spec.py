"""Experiment definitions: parse a TOML spec (or the same keys as a dict), validate, serialise.

A spec is refused as a whole with a message naming the offending key, so a bad definition never
reaches the store. Timestamps are kept as naive UTC, like everything else in the store.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

METRIC_KINDS = ("proportion", "mean", "ratio")
METRIC_ROLES = ("primary", "secondary", "guardrail")
DIRECTIONS = ("increase", "decrease")
METHODS = ("fixed", "sequential")
CORRECTIONS = ("holm", "bh", "none")
ALLOCATION_TOLERANCE = 1e-6

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
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


class SpecError(ValueError):
    """A spec that cannot be used; the message names the file and the key at fault."""


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
    kind: str
    role: str
    direction: str = "increase"
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
    method: str
    sequential_tuning: float
    correction: str
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
        raise SpecError(f"{source}: cannot read the spec ({error.strerror})") from error
    return parse_spec_text(text, origin=str(source))


def parse_spec_text(text: str, origin: str = "spec") -> ExperimentSpec:
    """Validate a spec given as TOML text."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SpecError(f"{origin}: not valid TOML: {error}") from error
    return parse_spec(raw, origin=origin)


def parse_spec(raw: Mapping[str, object], origin: str = "spec") -> ExperimentSpec:
    """Validate a spec given as a mapping with the TOML keys (from a file, a form or the store)."""
    _refuse_unknown(raw, _TOP_LEVEL_KEYS, origin, "")
    for key in _REQUIRED_TOP_LEVEL:
        if key not in raw:
            raise SpecError(f"{origin}: missing required key '{key}'")
    experiment_id = _text(raw, "id", origin)
    variants = _allocation(raw.get("variants"), origin)
    control = _text(raw, "control", origin)
    if control not in dict(variants):
        raise SpecError(
            f"{origin}: 'control' is {control!r}, which is not one of the variants "
            f"({', '.join(name for name, _ in variants)})"
        )
    if len(variants) < 2:
        raise SpecError(f"{origin}: 'variants' needs a control and at least one treatment")
    variant_models = _variant_models(raw.get("variant_models", {}), dict(variants), origin)
    start = _timestamp(raw["start"], "start", origin)
    end = _timestamp(raw["end"], "end", origin)
    if end <= start:
        raise SpecError(f"{origin}: 'end' ({end:%Y-%m-%d %H:%M}) must be after 'start'")
    alpha = _number(raw, "alpha", origin, default=0.05)
    if not 0 < alpha < 0.5:
        raise SpecError(f"{origin}: 'alpha' must be between 0 and 0.5, got {alpha}")
    tuning = _number(raw, "sequential_tuning", origin, default=5000.0)
    if tuning <= 0:
        raise SpecError(f"{origin}: 'sequential_tuning' must be positive, got {tuning}")
    cuped_days = raw.get("cuped_days", 0)
    if isinstance(cuped_days, bool) or not isinstance(cuped_days, int) or cuped_days < 0:
        raise SpecError(f"{origin}: 'cuped_days' must be a whole number of days >= 0")
    planned_mde = _optional_number(raw, "planned_mde", origin)
    if planned_mde is not None and planned_mde <= 0:
        raise SpecError(f"{origin}: 'planned_mde' must be a positive relative effect")
    prior_mean = _optional_number(raw, "prior_mean", origin)
    prior_variance = _optional_number(raw, "prior_variance", origin)
    if (prior_mean is None) != (prior_variance is None):
        raise SpecError(f"{origin}: give both 'prior_mean' and 'prior_variance', or neither")
    if prior_variance is not None and prior_variance <= 0:
        raise SpecError(f"{origin}: 'prior_variance' must be positive")
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


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        pairs = ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items())
        return "{ " + pairs + " }" if pairs else "{}"
    return json.dumps(str(value), ensure_ascii=False)


def _toml_key(key: str) -> str:
    return key if _IDENTIFIER.match(key) else json.dumps(key, ensure_ascii=False)


def spec_to_toml(spec: ExperimentSpec) -> str:
    """The spec as TOML with the documented keys (what `load_spec` reads back), for editing."""
    raw = spec_to_dict(spec)
    metrics = raw.pop("metrics")
    lines = []
    for key, value in raw.items():
        if key in ("start", "end"):
            lines.append(f"{key} = {value}")
        else:
            lines.append(f"{key} = {_toml_value(value)}")
    for metric in metrics:
        lines += ["", "[[metrics]]"]
        lines += [f"{key} = {_toml_value(value)}" for key, value in metric.items()]
    return "\n".join(lines) + "\n"


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
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _refuse_unknown(raw: Mapping[str, object], allowed: tuple[str, ...], origin: str, at: str):
    for key in raw:
        if key not in allowed:
            raise SpecError(
                f"{origin}: unknown key '{at}{key}' (allowed keys: {', '.join(allowed)})"
            )


def _text(raw: Mapping[str, object], key: str, origin: str, default: str | None = None) -> str:
    value = raw.get(key, default)
    if not isinstance(value, str) or (default is None and not value.strip()):
        raise SpecError(f"{origin}: '{key}' must be a non-empty string")
    return value


def _number(raw: Mapping[str, object], key: str, origin: str, default: float) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SpecError(f"{origin}: '{key}' must be a number, got {value!r}")
    return float(value)


def _optional_number(raw: Mapping[str, object], key: str, origin: str) -> float | None:
    if raw.get(key) is None:
        return None
    return _number(raw, key, origin, default=math.nan)


def _choice(
    raw: Mapping[str, object], key: str, options: tuple[str, ...], origin: str, default: str
) -> str:
    value = raw.get(key, default)
    if value not in options:
        raise SpecError(f"{origin}: '{key}' is {value!r}; choose one of {', '.join(options)}")
    return str(value)


def _timestamp(value: object, key: str, origin: str) -> dt.datetime:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError as error:
            raise SpecError(f"{origin}: '{key}' is not an ISO timestamp: {value!r}") from error
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    raise SpecError(f"{origin}: '{key}' must be a timestamp such as 2026-10-01T00:00:00Z")


def _allocation(value: object, origin: str) -> tuple[tuple[str, float], ...]:
    if not isinstance(value, Mapping) or not value:
        raise SpecError(f"{origin}: 'variants' must be a table of variant = planned share")
    shares = []
    for name, share in value.items():
        if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share <= 1:
            raise SpecError(f"{origin}: 'variants.{name}' must be a share between 0 and 1")
        shares.append((str(name), float(share)))
    total = sum(share for _, share in shares)
    if abs(total - 1.0) > ALLOCATION_TOLERANCE:
        raise SpecError(f"{origin}: 'variants' shares must sum to 1, they sum to {total:g}")
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
        raise SpecError(f"{origin}: 'variant_models' must be a table of variant = model_id")
    pairs = []
    for name, model_id in value.items():
        if name not in variants:
            raise SpecError(f"{origin}: 'variant_models.{name}' names a variant not in 'variants'")
        if not isinstance(model_id, str) or not model_id:
            raise SpecError(f"{origin}: 'variant_models.{name}' must be a model_id string")
        pairs.append((str(name), model_id))
    return tuple(pairs)


def _segments(value: object, origin: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise SpecError(f"{origin}: 'segments' must be a list of assignment column names")
    for index, column in enumerate(value):
        if not isinstance(column, str) or not _IDENTIFIER.match(column):
            raise SpecError(
                f"{origin}: 'segments[{index}]' must be a column name of letters, digits and _"
            )
    if len(set(value)) != len(value):
        raise SpecError(f"{origin}: 'segments' lists a column twice")
    return tuple(value)


def _metrics(value: object, origin: str) -> tuple[MetricSpec, ...]:
    if not isinstance(value, list) or not value:
        raise SpecError(f"{origin}: 'metrics' must list at least one [[metrics]] table")
    metrics = tuple(_metric(item, index, origin) for index, item in enumerate(value))
    names = [metric.name for metric in metrics]
    duplicate = next((name for name in names if names.count(name) > 1), None)
    if duplicate is not None:
        raise SpecError(f"{origin}: 'metrics' has two metrics named {duplicate!r}")
    primaries = [metric.name for metric in metrics if metric.role == "primary"]
    if len(primaries) != 1:
        found = ", ".join(primaries) or "none"
        raise SpecError(
            f"{origin}: 'metrics' needs exactly one metric with role = \"primary\" (found {found})"
        )
    return metrics


def _metric(item: object, index: int, origin: str) -> MetricSpec:
    at = f"metrics[{index}]."
    if not isinstance(item, Mapping):
        raise SpecError(f"{origin}: 'metrics[{index}]' must be a table")
    _refuse_unknown(item, _METRIC_KEYS, origin, at)
    where = f"{origin} ({at[:-1]})"
    name = _text(item, "name", where)
    kind = item.get("kind")
    if kind not in METRIC_KINDS:
        raise SpecError(
            f"{origin}: '{at}kind' is {kind!r}; choose one of {', '.join(METRIC_KINDS)}"
        )
    role = item.get("role", "secondary")
    if role not in METRIC_ROLES:
        raise SpecError(
            f"{origin}: '{at}role' is {role!r}; choose one of {', '.join(METRIC_ROLES)}"
        )
    direction = item.get("direction", "increase")
    if direction not in DIRECTIONS:
        raise SpecError(
            f"{origin}: '{at}direction' is {direction!r}; choose one of {', '.join(DIRECTIONS)}"
        )
    if kind == "ratio":
        for key in ("numerator", "denominator"):
            if not isinstance(item.get(key), str) or not item[key]:
                raise SpecError(f"{origin}: '{at}{key}' is required for a ratio metric")
        if "event" in item:
            raise SpecError(f"{origin}: '{at}event' does not apply to a ratio metric")
    else:
        if not isinstance(item.get("event"), str) or not item["event"]:
            raise SpecError(f"{origin}: '{at}event' is required for a {kind} metric")
        for key in ("numerator", "denominator"):
            if key in item:
                raise SpecError(f"{origin}: '{at}{key}' applies only to a ratio metric")
    cap = _optional_number(item, "cap_percentile", f"{origin} ({at[:-1]})")
    if cap is not None and (kind != "mean" or not 0 < cap < 1):
        raise SpecError(f"{origin}: '{at}cap_percentile' must be between 0 and 1, on a mean metric")
    margin = _optional_number(item, "non_inferiority_margin", where)
    if margin is not None and (role != "guardrail" or margin <= 0):
        raise SpecError(
            f"{origin}: '{at}non_inferiority_margin' must be positive, on a guardrail metric"
        )
    return MetricSpec(
        name=name,
        kind=str(kind),
        role=str(role),
        direction=str(direction),
        event=item.get("event"),
        numerator=item.get("numerator"),
        denominator=item.get("denominator"),
        cap_percentile=cap,
        non_inferiority_margin=margin,
    )

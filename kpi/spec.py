"""KPI specifications: parse a TOML spec, check it is consistent and fits the data in the store.

A spec is the agreement with the business owner (target, warning and the exit line at which the
model is withdrawn), so a wrong one is refused outright with a message naming the offending key;
nothing is guessed or defaulted silently except `confidence` (0.95) and `max_staleness_days` (3).
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from core import toml
from core.errors import YardstickError
from core.vocab import (
    COST_CELLS,
    DIRECTIONS,
    SOURCES,
    VALUE_KINDS,
    Direction,
    Source,
    ThresholdLine,
    ValueKind,
)
from kpi.evaluation import line_order_problem
from kpi.value import CostMatrix

_Choice = TypeVar("_Choice", bound=str)

DEFAULT_CONFIDENCE = 0.95
# Days a KPI's last data day may lag today before `kpi check` calls it stale (exit status 30).
DEFAULT_MAX_STALENESS_DAYS = 3

_TOP_KEYS = (
    "id",
    "name",
    "family",
    "metric",
    "source",
    "direction",
    "target",
    "warning",
    "exit",
    "window_days",
    "persistence",
    "confidence",
    "max_staleness_days",
    "owner",
    "rationale",
    "value",
)
_VALUE_KEYS_BY_KIND = {
    "per_unit": ("kind", "currency", "unit_value"),
    "cost_matrix": ("kind", "currency", *COST_CELLS),
    "bridge": ("kind", "currency", "offline_metric", "unit_value", "online_metric"),
}
_ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_CURRENCY_PATTERN = re.compile(r"[A-Z]{3}")


class SpecError(YardstickError):
    """A spec refused: which key, where, and why, as a code worded by `i18n` (`error.kpi.spec.*`).

    Attributes (beyond `YardstickError`'s):
        problem: the reason's last part (`missing`, `warning_not_between`...); the code is
            `kpi.spec.<problem>`.
    """

    def __init__(
        self, problem: str, key: str, origin: str, line: int | None = None, **details: object
    ) -> None:
        super().__init__(f"kpi.spec.{problem}", field=key, origin=origin, line=line, **details)
        self.problem = problem


@dataclass(frozen=True)
class ValueModel:
    """How a KPI turns into money per day.

    Attributes:
        kind: `per_unit` (metric x n x unit_value), `cost_matrix` (counts x cell values) or
            `bridge` (online metric predicted from an offline metric, x n x unit_value).
        currency: ISO 4217 code of every amount (e.g. "JPY").
        unit_value: money per unit of metric x n (per_unit, bridge); None for cost_matrix.
        cost_matrix: cell values (cost_matrix only).
        offline_metric: offline metric the bridge starts from (bridge only).
        online_metric: online metric the bridge predicts; None means the KPI's own metric.
    """

    kind: ValueKind
    currency: str
    unit_value: float | None = None
    cost_matrix: CostMatrix | None = None
    offline_metric: str | None = None
    online_metric: str | None = None


@dataclass(frozen=True)
class KpiSpec:
    """One KPI as agreed with its business owner.

    Attributes:
        kpi_id: stable identifier (`rec-ctr`).
        name: human-readable name.
        family: model family; each day is evaluated on the version live that day.
        metric: metric name in `online_metrics` or `offline_metrics`.
        source: `online` or `offline`.
        direction: `increase` (higher is better) or `decrease` (lower is better).
        target: the level the model is expected to hold, in the metric's unit.
        warning: the warning line, between target and exit.
        exit_threshold: the withdrawal line agreed with the business owner.
        window_days: evaluation window in days.
        persistence: consecutive daily evaluations past a line before the status changes.
        confidence: a line counts as crossed only when this whole two-sided interval is past it.
        owner: the business owner who agreed the lines.
        rationale: why this version exists (required when a line moves).
        value: how the KPI turns into money.
        max_staleness_days: most days the KPI's last data day may lag today (or the asked day)
            before the KPI is stale (default 3).
    """

    kpi_id: str
    name: str
    family: str
    metric: str
    source: Source
    direction: Direction
    target: float
    warning: float
    exit_threshold: float
    window_days: int
    persistence: int
    confidence: float
    owner: str
    rationale: str
    value: ValueModel
    max_staleness_days: int = DEFAULT_MAX_STALENESS_DAYS

    @property
    def online_value_metric(self) -> str:
        """The online metric whose n and level carry the money (the bridge's target metric)."""
        return self.value.online_metric or self.metric


@dataclass(frozen=True)
class MetricAvailability:
    """What the store holds for one family and metric.

    Attributes:
        family: model family.
        source: `online` or `offline`.
        metric: metric name.
        days: distinct days with a value (online) or distinct evaluation days (offline).
    """

    family: str
    source: Source
    metric: str
    days: int


def _line_of(text: str | None, key: str) -> int | None:
    """The line where `key` (dotted for the `[value]` table) is assigned in the TOML text."""
    if not text:
        return None
    table, _, leaf = key.rpartition(".")
    current_table = ""
    pattern = re.compile(rf"^\s*\"?{re.escape(leaf)}\"?\s*=")
    for number, line in enumerate(text.splitlines(), start=1):
        header = re.match(r"^\s*\[([^\]]+)\]", line)
        if header:
            current_table = header.group(1).strip()
            if current_table == key:
                return number
            continue
        if current_table == table and pattern.match(line):
            return number
    return None


class _Reader:
    """Typed access to a spec mapping that raises `SpecError` naming the key."""

    def __init__(self, origin: str, text: str | None) -> None:
        self.origin = origin
        self.text = text

    def fail(self, problem: str, key: str, **details: object) -> SpecError:
        return SpecError(problem, key, self.origin, _line_of(self.text, key), **details)

    def text_value(self, table: Mapping[str, Any], key: str, dotted: str | None = None) -> str:
        name = dotted or key
        if key not in table:
            raise self.fail("missing", name)
        value = table[key]
        if not isinstance(value, str) or not value.strip():
            raise self.fail("not_text", name)
        return value.strip()

    def number(self, table: Mapping[str, Any], key: str, dotted: str | None = None) -> float:
        name = dotted or key
        if key not in table:
            raise self.fail("missing", name)
        value = table[key]
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise self.fail("not_number", name, value=value)
        return float(value)

    def whole(self, table: Mapping[str, Any], key: str, minimum: int) -> int:
        if key not in table:
            raise self.fail("missing", key)
        value = table[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.fail("not_whole", key, value=value, minimum=minimum)
        return value

    def choice(
        self, table: Mapping[str, Any], key: str, options: tuple[_Choice, ...], dotted: str = ""
    ) -> _Choice:
        """The text under `key` as one of `options`, typed as their vocabulary."""
        value = self.text_value(table, key, dotted or None)
        for option in options:
            if value == option:
                return option
        raise self.fail("not_choice", dotted or key, value=value, options=", ".join(options))


def parse_spec(text: str, origin: str = "<spec>") -> KpiSpec:
    """A spec from TOML text; raises `SpecError` naming the key (and line) that is wrong."""
    try:
        mapping = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        # Python 3.11's decode error carries the position only in its message.
        position = re.search(r"at line (\d+)", str(error))
        line = int(position.group(1)) if position else None
        raise SpecError("toml_syntax", "", origin, line, error=str(error)) from error
    return spec_from_mapping(mapping, origin, text)


def value_parameters(text: str, origin: str = "<editor>") -> dict[str, Any]:
    """The `[value]` table's parameters written as an inline-table body
    (`unit_value = 1200, offline_metric = "auc"`), as the editor takes them; raises `SpecError`
    (`toml_syntax` on key `value`) when the text is not TOML."""
    try:
        return dict(tomllib.loads(f"value = {{{text}}}")["value"])
    except tomllib.TOMLDecodeError as error:
        raise SpecError("toml_syntax", "value", origin, None, error=str(error)) from error


def spec_from_mapping(
    mapping: Mapping[str, Any], origin: str = "<spec>", text: str | None = None
) -> KpiSpec:
    """A spec from a TOML-shaped mapping (the editor builds one); raises `SpecError`."""
    reader = _Reader(origin, text)
    for key in mapping:
        if key not in _TOP_KEYS:
            raise reader.fail("unknown_key", key, allowed=", ".join(_TOP_KEYS))
    kpi_id = reader.text_value(mapping, "id")
    if not _ID_PATTERN.fullmatch(kpi_id):
        raise reader.fail("bad_id", "id", value=kpi_id)
    direction = reader.choice(mapping, "direction", DIRECTIONS)
    target = reader.number(mapping, "target")
    warning = reader.number(mapping, "warning")
    exit_threshold = reader.number(mapping, "exit")
    _check_lines(reader, direction, target, warning, exit_threshold)
    confidence = (
        reader.number(mapping, "confidence") if "confidence" in mapping else DEFAULT_CONFIDENCE
    )
    if not 0.5 <= confidence < 1:
        raise reader.fail("bad_confidence", "confidence", value=confidence)
    source = reader.choice(mapping, "source", SOURCES)
    value_table = mapping.get("value")
    if not isinstance(value_table, Mapping):
        raise reader.fail("missing_value_table", "value")
    return KpiSpec(
        kpi_id=kpi_id,
        name=reader.text_value(mapping, "name"),
        family=reader.text_value(mapping, "family"),
        metric=reader.text_value(mapping, "metric"),
        source=source,
        direction=direction,
        target=target,
        warning=warning,
        exit_threshold=exit_threshold,
        window_days=reader.whole(mapping, "window_days", 1),
        persistence=reader.whole(mapping, "persistence", 1),
        confidence=confidence,
        owner=reader.text_value(mapping, "owner"),
        rationale=reader.text_value(mapping, "rationale"),
        value=_value_model(reader, value_table, source, direction),
        max_staleness_days=(
            reader.whole(mapping, "max_staleness_days", 0)
            if "max_staleness_days" in mapping
            else DEFAULT_MAX_STALENESS_DAYS
        ),
    )


def _check_lines(
    reader: _Reader, direction: Direction, target: float, warning: float, exit_threshold: float
) -> None:
    """Refuse lines out of order (the rule is `kpi.evaluation.line_order_problem`)."""
    problem = line_order_problem(direction, target, warning, exit_threshold)
    if problem is not None:
        raise reader.fail(
            problem[0],
            problem[1],
            warning=warning,
            target=target,
            exit=exit_threshold,
            direction=direction,
        )


def _value_model(
    reader: _Reader, table: Mapping[str, Any], source: Source, direction: Direction
) -> ValueModel:
    kind = reader.choice(table, "kind", VALUE_KINDS, "value.kind")
    if "unit_value" in table:
        _check_unit_value_sign(reader, table["unit_value"], direction)
    allowed = _VALUE_KEYS_BY_KIND[kind]
    for key in table:
        if key not in allowed:
            raise reader.fail(
                "value_key_not_for_kind", f"value.{key}", kind=kind, allowed=", ".join(allowed)
            )
    currency = reader.text_value(table, "currency", "value.currency")
    if not _CURRENCY_PATTERN.fullmatch(currency):
        raise reader.fail("bad_currency", "value.currency", value=currency)
    if source == "offline" and kind == "per_unit":
        raise reader.fail("offline_needs_bridge", "value.kind", kind=kind)
    if kind == "per_unit":
        return ValueModel(
            kind, currency, unit_value=reader.number(table, "unit_value", "value.unit_value")
        )
    if kind == "cost_matrix":
        cells = {cell: reader.number(table, cell, f"value.{cell}") for cell in COST_CELLS}
        return ValueModel(kind, currency, cost_matrix=CostMatrix(**cells))
    online_metric = (
        reader.text_value(table, "online_metric", "value.online_metric")
        if "online_metric" in table
        else None
    )
    if source == "offline" and online_metric is None:
        raise reader.fail("missing", "value.online_metric")
    return ValueModel(
        kind,
        currency,
        unit_value=reader.number(table, "unit_value", "value.unit_value"),
        offline_metric=reader.text_value(table, "offline_metric", "value.offline_metric"),
        online_metric=online_metric,
    )


def _check_unit_value_sign(reader: _Reader, unit_value: object, direction: Direction) -> None:
    """More of a higher-is-better metric is worth money, more of a lower-is-better one costs it.

    Value lost and value per day are read with that sign, so a unit value of the other sign
    would report a worsening KPI as a gain.
    """
    if not isinstance(unit_value, int | float) or unit_value == 0:
        return
    if (direction == "increase") != (unit_value > 0):
        raise reader.fail(
            "unit_value_sign", "value.unit_value", value=unit_value, direction=direction
        )


def check_against_store(
    spec: KpiSpec,
    available: Iterable[MetricAvailability],
    origin: str = "<spec>",
    text: str | None = None,
) -> None:
    """Refuse a spec whose family, metrics or window the store cannot serve (raises `SpecError`)."""
    reader = _Reader(origin, text)
    days = {(a.family, a.source, a.metric): a.days for a in available}
    families = sorted({family for family, _, _ in days})
    if spec.family not in families:
        raise reader.fail(
            "unknown_family", "family", value=spec.family, known=", ".join(families) or "–"
        )

    def metrics_of(source: Source) -> list[str]:
        return sorted(m for f, s, m in days if f == spec.family and s == source)

    def require(source: Source, metric: str, key: str) -> int:
        if (spec.family, source, metric) not in days:
            raise reader.fail(
                "unknown_metric",
                key,
                value=metric,
                family=spec.family,
                source=source,
                known=", ".join(metrics_of(source)) or "–",
            )
        return days[(spec.family, source, metric)]

    metric_days = require(spec.source, spec.metric, "metric")
    if spec.source == "online" and spec.window_days > metric_days:
        raise reader.fail(
            "window_longer_than_data", "window_days", window=spec.window_days, days=metric_days
        )
    if spec.value.kind == "cost_matrix":
        for cell in COST_CELLS:
            require("online", cell, "value.kind")
    if spec.value.kind == "bridge":
        require("offline", spec.value.offline_metric or "", "value.offline_metric")
        require(
            "online",
            spec.online_value_metric,
            "value.online_metric" if spec.value.online_metric else "metric",
        )


def spec_to_mapping(spec: KpiSpec) -> dict[str, Any]:
    """The TOML-shaped mapping of a spec (the inverse of `spec_from_mapping`)."""
    value: dict[str, Any] = {"kind": spec.value.kind, "currency": spec.value.currency}
    if spec.value.kind == "cost_matrix" and spec.value.cost_matrix:
        matrix = spec.value.cost_matrix
        value.update(tp=matrix.tp, fp=matrix.fp, tn=matrix.tn, fn=matrix.fn)
    else:
        value["unit_value"] = spec.value.unit_value
    if spec.value.kind == "bridge":
        value["offline_metric"] = spec.value.offline_metric
        if spec.value.online_metric:
            value["online_metric"] = spec.value.online_metric
    return {
        "id": spec.kpi_id,
        "name": spec.name,
        "family": spec.family,
        "metric": spec.metric,
        "source": spec.source,
        "direction": spec.direction,
        "target": spec.target,
        "warning": spec.warning,
        "exit": spec.exit_threshold,
        "window_days": spec.window_days,
        "persistence": spec.persistence,
        "confidence": spec.confidence,
        "max_staleness_days": spec.max_staleness_days,
        "owner": spec.owner,
        "rationale": spec.rationale,
        "value": value,
    }


def spec_to_toml(spec: KpiSpec) -> str:
    """The spec as TOML text that `parse_spec` reads back to an equal spec."""
    return toml.dumps(spec_to_mapping(spec))


def changed_lines(previous: KpiSpec, current: KpiSpec) -> tuple[ThresholdLine, ...]:
    """The agreed lines (target, warning, exit) that differ between two versions."""
    pairs: tuple[tuple[ThresholdLine, float, float], ...] = (
        ("target", previous.target, current.target),
        ("warning", previous.warning, current.warning),
        ("exit", previous.exit_threshold, current.exit_threshold),
    )
    return tuple(key for key, old, new in pairs if old != new)

"""Monitor specifications: parse a TOML spec, check it, and write it back with core/toml.py.

A monitor is agreed up front like a KPI: which family, which reference period the inputs are
compared with, how long the current window is, which features, which drift statistics with which
lines, and the serving objectives. A wrong spec is refused with a message naming the key and its
line (codes `monitor.spec.<problem>`); the only defaults are the documented ones below.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from core import toml
from core.errors import YardstickError
from core.vocab import DRIFT_METHODS, DriftMethod

DEFAULT_THRESHOLDS: Mapping[DriftMethod, tuple[float, float]] = {
    "psi": (0.1, 0.25),
    "js": (0.1, 0.2),
    "wasserstein": (0.1, 0.25),
    "ks": (0.1, 0.2),
}
"""Warning and alert lines of each drift statistic when the spec does not set them."""
DEFAULT_MIN_ROWS = 1000
"""Rows (non-empty values) each window needs before a statistic is judged."""

_TOP_KEYS = (
    "id",
    "family",
    "reference",
    "window_days",
    "features",
    "owner",
    "rationale",
    "thresholds",
    "min_rows",
    "serving",
    "threshold",
)
_SERVING_KEYS = ("latency_p95_ms", "latency_p99_ms", "fallback_rate", "score_psi")
_ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
OVERALL = "overall"


# Why a monitor spec is refused: the last part of its code `monitor.spec.<problem>`. The type
# checker holds every `MonitorSpecError` to this list; the i18n tests word each in both languages.
MonitorSpecProblem = Literal[
    "alert_below_warning",
    "bad_features",
    "bad_id",
    "bad_lines",
    "bad_reference",
    "bad_table",
    "bad_threshold",
    "missing",
    "not_date",
    "not_number",
    "not_positive",
    "not_share",
    "not_text",
    "not_whole",
    "rationale_unchanged",
    "reference_backwards",
    "repeated_feature",
    "toml_syntax",
    "unknown_family",
    "unknown_feature",
    "unknown_key",
]


class MonitorSpecError(YardstickError):
    """A monitor spec refused: code `monitor.spec.<problem>`, the key (`field`), file and line."""

    def __init__(
        self,
        problem: MonitorSpecProblem,
        key: str,
        origin: str,
        line: int | None = None,
        **details: object,
    ) -> None:
        super().__init__(f"monitor.spec.{problem}", field=key, origin=origin, line=line, **details)
        self.problem = problem


@dataclass(frozen=True)
class Reference:
    """The period the current window is compared with.

    Either a fixed date range (`start`..`end`, both inclusive), or the first `days_after_deploy`
    days of the production version live on the day checked (so a new version brings its own
    reference).
    """

    start: dt.date | None = None
    end: dt.date | None = None
    days_after_deploy: int | None = None

    def resolve(self, deployed_on: dt.date | None) -> tuple[dt.date, dt.date] | None:
        """The reference's first and last day; None without the deployment it follows."""
        if self.start is not None and self.end is not None:
            return self.start, self.end
        if deployed_on is None or self.days_after_deploy is None:
            return None
        return deployed_on, deployed_on + dt.timedelta(days=self.days_after_deploy - 1)


@dataclass(frozen=True)
class Lines:
    """A statistic's warning and alert lines (a value at or above a line has crossed it)."""

    warning: float
    alert: float


@dataclass(frozen=True)
class Serving:
    """Serving objectives; None leaves an objective unchecked.

    Attributes:
        latency_p95_ms: the 95th percentile of latency_ms (DuckDB quantile_cont) may not exceed it.
        latency_p99_ms: likewise for the 99th percentile.
        fallback_rate: the share of requests answered by any fallback may not exceed it.
        fallback_levels: per fallback level (served_by), the share it may not exceed.
        score_psi: alert line of the score's PSI (default: the psi alert line).
    """

    latency_p95_ms: float | None = None
    latency_p99_ms: float | None = None
    fallback_rate: float | None = None
    fallback_levels: Mapping[str, float] = field(default_factory=dict)
    score_psi: float | None = None


@dataclass(frozen=True)
class MonitorSpec:
    """One monitor as agreed.

    Attributes:
        monitor_id: stable identifier (`rec-inputs`).
        family: the model family whose predictions are watched.
        reference: what the window is compared with.
        window_days: days in the current window, ending on the day checked.
        features: the features watched; empty means every feature the store holds.
        owner: who agreed the monitor.
        rationale: why this version exists.
        thresholds: warning and alert lines per drift statistic (defaults filled in).
        min_rows: rows each window needs before a statistic is judged.
        serving: the serving objectives.
        threshold: a binary classifier's decision threshold in (0, 1] (flagged: score >= it);
            None when not agreed. `monitor estimate` defaults to it, and a cost-matrix KPI of the
            family is estimated at it for the days whose labels are not in yet.
    """

    monitor_id: str
    family: str
    reference: Reference
    window_days: int
    features: tuple[str, ...]
    owner: str
    rationale: str
    thresholds: Mapping[DriftMethod, Lines]
    min_rows: int = DEFAULT_MIN_ROWS
    serving: Serving = field(default_factory=Serving)
    threshold: float | None = None

    @property
    def score_lines(self) -> Lines:
        """The score PSI's lines: the psi lines, the alert line moved by `serving.score_psi`."""
        psi = self.thresholds["psi"]
        if self.serving.score_psi is None:
            return psi
        return Lines(min(psi.warning, self.serving.score_psi), self.serving.score_psi)


def _line_of(text: str | None, key: str) -> int | None:
    """The line where `key` (dotted for a table's key) is assigned or its table opens."""
    if not text:
        return None
    table, _, leaf = key.rpartition(".")
    current = ""
    pattern = re.compile(rf"^\s*\"?{re.escape(leaf)}\"?\s*=")
    for number, line in enumerate(text.splitlines(), start=1):
        header = re.match(r"^\s*\[([^\]]+)\]", line)
        if header:
            current = header.group(1).strip()
            if current == key:
                return number
            continue
        if current == table and pattern.match(line):
            return number
    if table:
        return _line_of(text, table)
    return None


class _Reader:
    """Typed access to a spec mapping that raises `MonitorSpecError` naming the key and line."""

    def __init__(self, origin: str, text: str | None) -> None:
        self.origin = origin
        self.text = text

    def fail(self, problem: MonitorSpecProblem, key: str, **details: object) -> MonitorSpecError:
        return MonitorSpecError(problem, key, self.origin, _line_of(self.text, key), **details)

    def only(self, table: Mapping[str, Any], allowed: tuple[str, ...], prefix: str = "") -> None:
        for key in table:
            if key not in allowed:
                raise self.fail("unknown_key", prefix + key, allowed=", ".join(allowed))

    def text_value(self, table: Mapping[str, Any], key: str) -> str:
        if key not in table:
            raise self.fail("missing", key)
        value = table[key]
        if not isinstance(value, str) or not value.strip():
            raise self.fail("not_text", key)
        return value.strip()

    def positive(self, table: Mapping[str, Any], key: str, dotted: str) -> float:
        value = table[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail("not_number", dotted, value=str(value))
        if not math.isfinite(value) or value <= 0:
            raise self.fail("not_positive", dotted, value=value)
        return float(value)

    def share(self, table: Mapping[str, Any], key: str, dotted: str) -> float:
        value = self.positive(table, key, dotted)
        if value > 1:
            raise self.fail("not_share", dotted, value=value)
        return value

    def whole(self, table: Mapping[str, Any], key: str, default: int | None = None) -> int:
        if key not in table:
            if default is None:
                raise self.fail("missing", key)
            return default
        value = table[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise self.fail("not_whole", key, value=str(value))
        return value


def parse_spec(text: str, origin: str = "<spec>") -> MonitorSpec:
    """A spec from TOML text; raises `MonitorSpecError` naming the key (and line) that is wrong."""
    try:
        mapping = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        position = re.search(r"at line (\d+)", str(error))
        line = int(position.group(1)) if position else None
        raise MonitorSpecError("toml_syntax", "", origin, line, error=str(error)) from error
    return spec_from_mapping(mapping, origin, text)


def spec_from_mapping(
    mapping: Mapping[str, Any], origin: str = "<spec>", text: str | None = None
) -> MonitorSpec:
    """A spec from a TOML-shaped mapping; raises `MonitorSpecError`."""
    reader = _Reader(origin, text)
    reader.only(mapping, _TOP_KEYS)
    monitor_id = reader.text_value(mapping, "id")
    if not _ID_PATTERN.fullmatch(monitor_id):
        raise reader.fail("bad_id", "id", value=monitor_id)
    return MonitorSpec(
        monitor_id=monitor_id,
        family=reader.text_value(mapping, "family"),
        reference=_reference(reader, mapping),
        window_days=reader.whole(mapping, "window_days"),
        features=_features(reader, mapping),
        owner=reader.text_value(mapping, "owner"),
        rationale=reader.text_value(mapping, "rationale"),
        thresholds=_thresholds(reader, mapping.get("thresholds", {})),
        min_rows=reader.whole(mapping, "min_rows", DEFAULT_MIN_ROWS),
        serving=_serving(reader, mapping.get("serving", {})),
        threshold=_threshold(reader, mapping),
    )


def _reference(reader: _Reader, mapping: Mapping[str, Any]) -> Reference:
    if "reference" not in mapping:
        raise reader.fail("missing", "reference")
    table = mapping["reference"]
    if not isinstance(table, Mapping):
        raise reader.fail("bad_reference", "reference")
    if set(table) == {"days_after_deploy"}:
        return Reference(days_after_deploy=reader.whole(table, "days_after_deploy"))
    if set(table) != {"start", "end"}:
        raise reader.fail("bad_reference", "reference")
    start, end = table["start"], table["end"]
    for key, day in (("start", start), ("end", end)):
        if isinstance(day, dt.datetime) or not isinstance(day, dt.date):
            raise reader.fail("not_date", f"reference.{key}", value=str(day))
    if end < start:
        raise reader.fail("reference_backwards", "reference", start=start, end=end)
    return Reference(start=start, end=end)


def _features(reader: _Reader, mapping: Mapping[str, Any]) -> tuple[str, ...]:
    value = mapping.get("features", "all")
    if value == "all":
        return ()
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(v, str) and v.strip() for v in value)
    ):
        raise reader.fail("bad_features", "features")
    names = tuple(v.strip() for v in value)
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise reader.fail("repeated_feature", "features", value=", ".join(repeated))
    return names


def _thresholds(reader: _Reader, table: object) -> dict[DriftMethod, Lines]:
    if not isinstance(table, Mapping):
        raise reader.fail("bad_table", "thresholds")
    reader.only(table, DRIFT_METHODS, "thresholds.")
    lines: dict[DriftMethod, Lines] = {}
    for method in DRIFT_METHODS:
        warning, alert = DEFAULT_THRESHOLDS[method]
        if method in table:
            given = table[method]
            key = f"thresholds.{method}"
            if not isinstance(given, Mapping) or set(given) != {"warning", "alert"}:
                raise reader.fail("bad_lines", key)
            warning = reader.positive(given, "warning", key)
            alert = reader.positive(given, "alert", key)
            if alert < warning:
                raise reader.fail("alert_below_warning", key, warning=warning, alert=alert)
        lines[method] = Lines(warning, alert)
    return lines


def _threshold(reader: _Reader, mapping: Mapping[str, Any]) -> float | None:
    if "threshold" not in mapping:
        return None
    value = mapping["threshold"]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise reader.fail("not_number", "threshold", value=str(value))
    if not (math.isfinite(value) and 0 < value <= 1):
        raise reader.fail("bad_threshold", "threshold", value=value)
    return float(value)


def _serving(reader: _Reader, table: object) -> Serving:
    if not isinstance(table, Mapping):
        raise reader.fail("bad_table", "serving")
    reader.only(table, _SERVING_KEYS, "serving.")
    p95 = (
        reader.positive(table, "latency_p95_ms", "serving.latency_p95_ms")
        if ("latency_p95_ms" in table)
        else None
    )
    p99 = (
        reader.positive(table, "latency_p99_ms", "serving.latency_p99_ms")
        if ("latency_p99_ms" in table)
        else None
    )
    score_psi = (
        reader.positive(table, "score_psi", "serving.score_psi") if "score_psi" in table else None
    )
    overall, levels = None, {}
    given = table.get("fallback_rate")
    if isinstance(given, Mapping):
        for level in given:
            share = reader.share(given, level, "serving.fallback_rate")
            if level == OVERALL:
                overall = share
            else:
                levels[str(level)] = share
    elif given is not None:
        overall = reader.share(table, "fallback_rate", "serving.fallback_rate")
    return Serving(p95, p99, overall, levels, score_psi)


def spec_to_mapping(spec: MonitorSpec) -> dict[str, Any]:
    """The spec as the TOML-shaped mapping `spec_from_mapping` reads (every default written)."""
    reference: dict[str, object] = (
        {"days_after_deploy": spec.reference.days_after_deploy}
        if spec.reference.days_after_deploy is not None
        else {"start": spec.reference.start, "end": spec.reference.end}
    )
    serving: dict[str, object] = {
        "latency_p95_ms": spec.serving.latency_p95_ms,
        "latency_p99_ms": spec.serving.latency_p99_ms,
        "score_psi": spec.serving.score_psi,
    }
    if spec.serving.fallback_levels:
        levels: dict[str, object] = {OVERALL: spec.serving.fallback_rate}
        serving["fallback_rate"] = {**levels, **spec.serving.fallback_levels}
    else:
        serving["fallback_rate"] = spec.serving.fallback_rate
    mapping: dict[str, Any] = {
        "id": spec.monitor_id,
        "family": spec.family,
        "reference": reference,
        "window_days": spec.window_days,
        "features": list(spec.features) if spec.features else "all",
        "owner": spec.owner,
        "rationale": spec.rationale,
        "min_rows": spec.min_rows,
        "thresholds": {
            method: {"warning": lines.warning, "alert": lines.alert}
            for method, lines in spec.thresholds.items()
        },
        "serving": {k: v for k, v in serving.items() if v is not None},
    }
    if spec.threshold is not None:
        mapping["threshold"] = spec.threshold
    return mapping


def spec_to_toml(spec: MonitorSpec) -> str:
    """The spec as TOML text (core/toml.py) that `parse_spec` reads back to an equal spec."""
    return toml.dumps(spec_to_mapping(spec))

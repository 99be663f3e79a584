"""The rules of a KPI's versioned definition and its decision record (pure; the store keeps rows).

A definition is never updated in place: each change is a new version, and moving an agreed line
(target, warning, exit) needs a rationale other than the previous version's, so the reason for the
move is on record. A decision (continue, retrain, withdraw) needs a reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from core.errors import YardstickError
from core.vocab import KPI_DECISIONS, KpiDecision, ThresholdLine
from kpi.spec import KpiSpec, SpecError, changed_lines


class UnknownKpiError(YardstickError, LookupError):
    """No KPI with this id is defined (code `kpi.unknown`; values kpi_id, known)."""

    def __init__(self, kpi_id: str, known: Sequence[str]) -> None:
        super().__init__(
            "kpi.unknown", field="id", kpi_id=kpi_id, known=", ".join(sorted(known)) or "–"
        )


@dataclass(frozen=True)
class KpiVersion:
    """One stored version of a KPI definition.

    Attributes:
        spec: the definition as agreed (its `rationale` is this version's rationale).
        version: 1 for the first definition, +1 for each change.
        author: who stored this version.
        created_at: when it was stored (naive UTC).
    """

    spec: KpiSpec
    version: int
    author: str
    created_at: dt.datetime


@dataclass(frozen=True)
class DefineOutcome:
    """What defining a KPI did (or would do).

    Attributes:
        kpi_id: the KPI.
        version: the version now in force.
        created: False when the spec equals the latest version (nothing stored).
        changed_lines: agreed lines (target, warning, exit) that moved from the previous version.
    """

    kpi_id: str
    version: int
    created: bool
    changed_lines: tuple[ThresholdLine, ...]


def next_version(previous: KpiVersion | None, spec: KpiSpec, origin: str) -> DefineOutcome:
    """What storing `spec` after `previous` means: nothing (equal), or the next version number.

    Raises `SpecError` (`rationale_required`, on key `rationale`) when a line moved and the
    rationale is the previous version's.
    """
    if previous is None:
        return DefineOutcome(spec.kpi_id, 1, True, ())
    if previous.spec == spec:
        return DefineOutcome(spec.kpi_id, previous.version, False, ())
    moved = changed_lines(previous.spec, spec)
    if moved and spec.rationale.strip() == previous.spec.rationale.strip():
        raise SpecError("rationale_required", "rationale", origin, None, lines=", ".join(moved))
    return DefineOutcome(spec.kpi_id, previous.version + 1, True, moved)


def version_in_force(versions: Sequence[KpiVersion], as_of: dt.date) -> tuple[KpiVersion, bool]:
    """The version in force at the end of `as_of`, and whether it was defined only after that day.

    When the KPI did not exist yet on `as_of`, its first version is used (flag True) so that a
    back-dated check still answers, and says so.
    """
    in_force = [v for v in versions if v.created_at.date() <= as_of]
    if in_force:
        return max(in_force, key=lambda v: v.version), False
    return min(versions, key=lambda v: v.version), True


def checked_decision(decision: KpiDecision, reason: str) -> str:
    """The reason to record (stripped); refuses an unknown decision or an empty reason.

    Codes: `kpi.decision.unknown` (values decision, options), `kpi.decision.reason_required`.
    """
    if decision not in KPI_DECISIONS:
        raise YardstickError(
            "kpi.decision.unknown",
            field="decision",
            decision=decision,
            options=", ".join(KPI_DECISIONS),
        )
    if not reason.strip():
        raise YardstickError("kpi.decision.reason_required", field="reason")
    return reason.strip()

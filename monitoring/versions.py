"""The rules of a monitor's versioned definition (pure; the store keeps the rows).

Like a KPI, a monitor is never updated in place: each change is a new version with its author,
time and rationale, and a change needs a rationale other than the previous version's, so the
reason for it is on record. A spec equal to the latest version stores nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from core.errors import YardstickError
from monitoring.spec import MonitorSpec, MonitorSpecError


class UnknownMonitorError(YardstickError, LookupError):
    """No monitor with this id is defined (code `monitor.unknown`; values monitor_id, known)."""

    def __init__(self, monitor_id: str, known: Sequence[str]) -> None:
        super().__init__(
            "monitor.unknown",
            field="id",
            monitor_id=monitor_id,
            known=", ".join(sorted(known)) or "–",
        )


@dataclass(frozen=True)
class MonitorVersion:
    """One stored version of a monitor: the spec as agreed, its number, who and when."""

    spec: MonitorSpec
    version: int
    author: str
    defined_at: dt.datetime


@dataclass(frozen=True)
class MonitorDefineOutcome:
    """What defining a monitor did: the version in force, and whether it was stored now."""

    monitor_id: str
    version: int
    created: bool


def next_version(
    latest: MonitorVersion | None, spec: MonitorSpec, origin: str
) -> MonitorDefineOutcome:
    """Version 1, the next version, or nothing (same spec); a change needs a new rationale."""
    if latest is None:
        return MonitorDefineOutcome(spec.monitor_id, 1, True)
    if latest.spec == spec:
        return MonitorDefineOutcome(spec.monitor_id, latest.version, False)
    if latest.spec.rationale == spec.rationale:
        raise MonitorSpecError("rationale_unchanged", "rationale", origin, version=latest.version)
    return MonitorDefineOutcome(spec.monitor_id, latest.version + 1, True)

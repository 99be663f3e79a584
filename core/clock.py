"""The one place that reads the wall clock.

Every use case takes a `Clock` (a function returning the current UTC time as a naive datetime,
the way the store keeps timestamps); the faces pass `system_clock`. `YARDSTICK_NOW` (an ISO
timestamp, UTC unless it carries an offset) freezes it, so a report, a demo or a test run can be
reproduced on any later day.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable

Clock = Callable[[], dt.datetime]

NOW_VARIABLE = "YARDSTICK_NOW"


def parse_instant(text: str) -> dt.datetime:
    """An ISO date or timestamp as naive UTC (an offset is converted; none means UTC)."""
    moment = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment


def system_clock() -> dt.datetime:
    """Now, in UTC, as a naive datetime; `YARDSTICK_NOW` overrides the wall clock."""
    frozen = os.environ.get(NOW_VARIABLE)
    if frozen:
        return parse_instant(frozen)
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def fixed_clock(moment: dt.datetime) -> Clock:
    """A clock that always says `moment` (naive UTC): for tests and reproducible runs."""
    frozen = parse_instant(moment.isoformat()) if moment.tzinfo else moment

    def clock() -> dt.datetime:
        return frozen

    return clock


def today(clock: Clock = system_clock) -> dt.date:
    """The UTC calendar day of `clock`."""
    return clock().date()

"""`python cli.py monitor estimate`: precision, recall and money per day from a classifier's
scores before its labels arrive (CBPE), once the monitor's reference shows the scores calibrated.

Exit status: 0 estimated; 30 too few labelled reference predictions to check calibration; 40 the
scores are not calibrated on the reference (no estimate is given, realised values still are);
1 error (a bad flag, an unknown monitor or KPI).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from commands.common import (
    LANGUAGE,
    add_as_of_day,
    add_json_flag,
    add_store_arguments,
    print_error,
    print_json,
    store_settings,
)
from core.clock import system_clock
from core.errors import YardstickError
from i18n.errors import describe

if TYPE_CHECKING:
    from commands.common import (
        SubParsers,  # numpy and scipy load only when the command runs, not for --help
    )
    from monitoring.cbpe import Estimate


def register_estimate(commands: SubParsers) -> None:
    """Add `monitor estimate` beside the other monitor actions."""
    estimate = commands.add_parser(
        "estimate",
        help="precision, recall and cost per day from scores alone; exit 0 / 30 / 40 uncalibrated",
        description="Check that a binary classifier's scores are calibrated on the monitor's "
        "reference (reliability bins on the score's deciles, expected calibration error and a "
        "Hosmer-Lemeshow-style test), then estimate each day's precision, recall and, with "
        "--kpi, money under the KPI's cost matrix from the scores alone, with 95% intervals, "
        "beside the realised values of days whose labels are all in. Exit status: 0 estimated, "
        "30 too few labelled reference predictions, 40 scores not calibrated (no estimate), "
        "1 error.",
    )
    add_store_arguments(estimate)
    estimate.add_argument("--id", required=True, dest="monitor_id", help="the monitor")
    estimate.add_argument(
        "--threshold",
        required=True,
        type=float,
        help="decision threshold in (0, 1]: a prediction is flagged when its score is at or above",
    )
    estimate.add_argument(
        "--kpi", dest="kpi_id", help="a cost-matrix KPI of the same family that prices each day"
    )
    add_as_of_day(
        estimate, "the last day estimated (YYYY-MM-DD; default: the last day with any prediction)"
    )
    estimate.add_argument(
        "--days", type=int, help="days estimated, ending on --as-of (default: window_days)"
    )
    add_json_flag(estimate)
    estimate.set_defaults(handler=_estimate)


def _text(estimate: Estimate | None, digits: str = ".3f") -> str:
    if estimate is None:
        return "–"
    return f"{estimate.value:{digits}} [{estimate.low:{digits}}, {estimate.high:{digits}}]"


def _realised(value: float | None, digits: str = ".3f") -> str:
    return "–" if value is None else f"{value:{digits}}"


def _estimate(args: argparse.Namespace) -> int:
    # The store first: a mistyped or damaged --db is said before the analysis's imports load.
    settings = store_settings(args)
    from i18n.performance import refusal_error, report_to_json
    from services import performance

    try:
        report = performance.estimate_performance(
            settings,
            args.monitor_id,
            args.threshold,
            kpi_id=args.kpi_id,
            as_of=args.as_of,
            days=args.days,
            clock=system_clock,
        )
    except YardstickError as error:
        return print_error(error)
    if args.json:
        print_json(report_to_json(report, LANGUAGE))
        return report.exit_code
    check = report.calibration
    print(
        f"{report.monitor_id} ({report.family}) as_of={report.as_of} threshold={report.threshold} "
        f"calibration={check.status} n={check.n} ece={_realised(check.ece, '.4f')} "
        f"p={_realised(check.p_value, '.3g')}"
    )
    refusal = refusal_error(report)
    if refusal is not None:
        print(describe(refusal, LANGUAGE))
    money = f" value ({report.currency})" if report.kpi_id else ""
    print(f"date        n      labelled  precision / realised  recall / realised{money}")
    for d in report.days:
        mark = "estimated" if d.estimated else "realised"
        line = (
            f"{d.day}  {d.n:<6} {d.labelled:<9} {_text(d.precision)} / "
            f"{_realised(d.realised_precision)}  {_text(d.recall)} / {_realised(d.realised_recall)}"
        )
        if report.kpi_id:
            line += f"  {_text(d.value, ',.0f')} / {_realised(d.realised_value, ',.0f')}"
        print(f"{line}  {mark}")
    return report.exit_code

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
    help_words,
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
        help=help_words("monitor.estimate"),
        description=help_words("monitor.estimate_description"),
    )
    add_store_arguments(estimate)
    estimate.add_argument(
        "--id", required=True, dest="monitor_id", help=help_words("monitor.estimate_id")
    )
    estimate.add_argument(
        "--threshold",
        required=True,
        type=float,
        help=help_words("monitor.threshold"),
    )
    estimate.add_argument("--kpi", dest="kpi_id", help=help_words("monitor.estimate_kpi"))
    add_as_of_day(estimate, help_words("monitor.estimate_as_of"))
    estimate.add_argument("--days", type=int, help=help_words("monitor.estimate_days"))
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

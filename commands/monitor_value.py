"""`python cli.py monitor value`: a click-type KPI per day and serving level from the labelled
predictions, and what the fallbacks cost a day with a 95% interval.

Exit status: 0 priced; 30 the inputs are missing (no predictions, or no labels for the levels
that served); 40 the KPI does not qualify (not online, not priced per unit, not a click or
conversion rate) or its labels are not 0/1; 1 error (a bad flag, an unknown KPI).
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
from i18n.catalogue import translate
from i18n.errors import describe

if TYPE_CHECKING:
    from commands.common import SubParsers


def register_value(commands: SubParsers) -> None:
    """Add `monitor value` beside the other monitor actions."""
    value = commands.add_parser(
        "value",
        help=help_words("monitor.value"),
        description=help_words("monitor.value_description"),
    )
    add_store_arguments(value)
    value.add_argument("--kpi", required=True, dest="kpi_id", help=help_words("monitor.value_kpi"))
    add_as_of_day(value, help_words("monitor.value_as_of"))
    value.add_argument("--days", type=int, default=7, help=help_words("monitor.value_days"))
    add_json_flag(value)
    value.set_defaults(handler=_value)


def _money(amount: float | None) -> str:
    return "–" if amount is None else f"{amount:,.0f}"


def _value(args: argparse.Namespace) -> int:
    # The store first: a mistyped or damaged --db is said before the analysis's imports load.
    settings = store_settings(args)
    from i18n.serving import refusal_error, value_to_json
    from services import serving

    try:
        report = serving.fallback_value(
            settings,
            args.kpi_id,
            as_of=args.as_of,
            days=args.days,
            clock=system_clock,
        )
    except YardstickError as error:
        return print_error(error)
    if args.json:
        print_json(value_to_json(report, LANGUAGE))
        return report.exit_code
    start, end = report.window
    refusal = refusal_error(report)
    if refusal is not None or report.cost is None:
        print(
            translate(
                LANGUAGE,
                "cli.monitor.value_no_cost",
                kpi_id=report.kpi_id,
                family=report.family,
                start=start,
                end=end,
            )
        )
        if refusal is not None:
            print(describe(refusal, LANGUAGE))
        return report.exit_code
    cost = report.cost
    print(
        translate(
            LANGUAGE,
            "cli.monitor.value_cost",
            kpi_id=report.kpi_id,
            family=report.family,
            start=start,
            end=end,
            per_day=_money(cost.per_day),
            currency=report.currency,
            low=_money(cost.low),
            high=_money(cost.high),
            requests=cost.fallback_requests,
            priced=cost.priced_days,
            days=cost.days,
        )
    )
    coverage = report.coverage
    if coverage is not None and coverage.basis == "scaled" and coverage.ratio:
        print(
            translate(
                LANGUAGE,
                "cli.monitor.value_scaled",
                ratio=coverage.ratio,
                transactions=coverage.transactions,
                metric=report.metric,
                days=coverage.days,
                factor=coverage.factor,
            )
        )
    print(f"date        served_by  n       labelled  {report.metric}     se")
    for r in report.levels:
        rate = "–" if r.rate is None else f"{r.rate:.4f}"
        se = "–" if r.standard_error is None else f"{r.standard_error:.4f}"
        print(f"{r.day}  {r.served_by:<10} {r.n:<7} {r.labelled:<9} {rate:<8} {se}")
    return report.exit_code

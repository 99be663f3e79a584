"""`python cli.py retrain evaluate`: is retraining a KPI's model worth its cost, and what to do.

The JSON record (`--json`) is a public interface; its shape is `kpi.retraining.case_to_json`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import sys

from commands.common import add_store_arguments, store_settings
from core.errors import YardstickError
from data.experiment_store import UnknownExperimentError
from i18n.errors import describe
from kpi import economics
from kpi.retraining import (
    CaseRequest,
    RetrainingCase,
    RetrainingInputError,
    case_to_json,
    evaluate_request,
    reason_text,
)
from kpi.versions import UnknownKpiError

ERROR_EXIT = 1
LOOKUP_ERRORS = (UnknownKpiError, UnknownExperimentError, RetrainingInputError, ValueError)


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `retrain evaluate`."""
    retrain = subparsers.add_parser("retrain", help="the economics of retraining a model")
    commands = retrain.add_subparsers(dest="retrain_command", metavar="ACTION", required=True)
    evaluate = commands.add_parser(
        "evaluate",
        help="NPV, payback, optimal interval, options and a recommendation for one KPI",
        description="Price retraining the model behind one KPI: the value the KPI carries, how "
        "fast it decays, the expected gain (measured by an experiment or assumed) and the cost "
        "give the NPV of each option and a recommendation. Amounts are in the KPI's currency.",
    )
    add_case_arguments(evaluate, cost_required=True)
    evaluate.add_argument("--json", action="store_true", help="print JSON (shape: README.md)")
    evaluate.set_defaults(handler=_evaluate)


def _iso_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date like 2026-11-27") from error


def _finite(text: str) -> float:
    try:
        value = float(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from error
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"'{text}' is not a finite number")
    return value


def add_case_arguments(parser: argparse.ArgumentParser, cost_required: bool) -> None:
    """The flags that describe a retraining case (shared with `report`)."""
    add_store_arguments(parser)
    parser.add_argument("--kpi", required=True, help="the KPI id")
    parser.add_argument(
        "--cost",
        type=_finite,
        required=cost_required,
        metavar="AMOUNT",
        help="full cost of one retraining in the KPI's currency "
        "(person-days x day rate + compute + release)",
    )
    parser.add_argument(
        "--uplift-experiment", metavar="EXP", help="experiment that measured the gain"
    )
    parser.add_argument(
        "--uplift-metric", metavar="NAME", help="its metric whose relative effect is the gain"
    )
    parser.add_argument(
        "--uplift", type=_finite, metavar="REL", help="or an assumed relative uplift (0.03 = +3%%)"
    )
    parser.add_argument(
        "--uplift-se", type=_finite, metavar="SE", help="with its standard error (0.01 = 1 point)"
    )
    parser.add_argument(
        "--horizon-days",
        type=int,
        default=economics.DEFAULT_HORIZON_DAYS,
        metavar="DAYS",
        help="days the options are compared over (default 365)",
    )
    parser.add_argument(
        "--discount-rate",
        type=_finite,
        default=economics.DEFAULT_DISCOUNT_RATE,
        metavar="RATE",
        help="annual discount rate (default 0.05)",
    )
    parser.add_argument(
        "--fallback-value-per-day",
        type=_finite,
        metavar="V",
        help="value per day of what replaces the model if withdrawn (default: zero)",
    )
    parser.add_argument(
        "--as-of",
        type=_iso_date,
        metavar="DATE",
        help="use data up to this day (YYYY-MM-DD; default: the last day in the store)",
    )


def flag_problems(args: argparse.Namespace) -> list[str]:
    """What is wrong with the case flags, each naming the flag."""
    problems = []
    if args.cost is not None and args.cost < 0:
        problems.append(f"--cost must be zero or more, got {args.cost:g}")
    measured = args.uplift_experiment is not None or args.uplift_metric is not None
    assumed = args.uplift is not None or args.uplift_se is not None
    if measured and assumed:
        problems.append(
            "give either --uplift-experiment/--uplift-metric or --uplift/--uplift-se, not both"
        )
    elif measured and (args.uplift_experiment is None or args.uplift_metric is None):
        problems.append("--uplift-experiment and --uplift-metric go together")
    elif assumed and (args.uplift is None or args.uplift_se is None):
        problems.append("--uplift and --uplift-se go together")
    if args.uplift_se is not None and args.uplift_se < 0:
        problems.append(f"--uplift-se must be zero or more, got {args.uplift_se:g}")
    if args.horizon_days < 1:
        problems.append(f"--horizon-days must be at least 1, got {args.horizon_days}")
    if args.discount_rate <= -1:
        problems.append(f"--discount-rate must be above -1, got {args.discount_rate:g}")
    return problems


def request_from_args(args: argparse.Namespace, cost: float) -> CaseRequest:
    """The case request the flags describe."""
    return CaseRequest(
        kpi_id=args.kpi,
        cost=cost,
        uplift_experiment=args.uplift_experiment,
        uplift_metric=args.uplift_metric,
        uplift=args.uplift,
        uplift_se=args.uplift_se,
        horizon_days=args.horizon_days,
        discount_rate=args.discount_rate,
        fallback_value_per_day=args.fallback_value_per_day,
        as_of=args.as_of,
    )


def error_message(error: Exception) -> str:
    """The English sentence of an error (a YardstickError is worded from the catalogue)."""
    if isinstance(error, YardstickError):
        return describe(error, "en")
    return str(error.args[0]) if error.args else str(error)


def print_error(message: str) -> int:
    """Report an error on stderr; returns the error exit status."""
    print(f"error: {message}", file=sys.stderr)
    return ERROR_EXIT


def _summary_lines(case: RetrainingCase) -> list[str]:
    result = case.economics
    currency = case.kpi.currency
    lines = [
        f"{case.kpi.kpi_id} as of {case.kpi.as_of}: value {result.inputs.value_per_day:,.0f} "
        f"{currency}/day, decay {result.inputs.decay_per_day.estimate:,.1f} {currency}/day/day",
        f"uplift {result.inputs.uplift.estimate:+.2%} ({case.evidence.source}), "
        f"cost {result.inputs.cost:,.0f} {currency}",
        f"NPV of retraining now: {result.npv.expected:,.0f} {currency} "
        f"(p10 {result.npv.p10:,.0f}, p90 {result.npv.p90:,.0f}), "
        f"P(positive) {result.npv.probability_positive:.0%}",
    ]
    for option in result.options:
        when = f" on {case.day(option.at_day)}" if option.option == "retrain_later" else ""
        lines.append(f"  {option.option:<14} {option.npv.expected:>18,.0f} {currency}{when}")
    lines.append(f"recommendation: {result.recommendation.action}")
    lines += [f"  - {reason_text(r, case, 'en')}" for r in result.recommendation.reasons]
    return lines


def _evaluate(args: argparse.Namespace) -> int:
    problems = flag_problems(args)
    if problems:
        return print_error("; ".join(problems))
    try:
        case, _ = evaluate_request(store_settings(args), request_from_args(args, args.cost))
    except LOOKUP_ERRORS as error:
        return print_error(error_message(error))
    if args.json:
        print(json.dumps(case_to_json(case), ensure_ascii=False, indent=2))
    else:
        print("\n".join(_summary_lines(case)))
    return 0

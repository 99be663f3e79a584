"""`python cli.py retrain evaluate`: is retraining a KPI's model worth its cost, and what to do;
`retrain fallback`: store the value per day withdrawal is weighed against.

The JSON record (`--json`) is a public interface; its shape is `i18n.retraining.case_to_json`.
A `YardstickError` is printed in English, naming the flag at fault, and exits 1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING

from commands.common import (
    LANGUAGE,
    add_json_flag,
    add_store_arguments,
    amount_arg,
    as_of_date_arg,
    finite_arg,
    help_words,
    print_json,
    store_settings,
)
from core.errors import YardstickError
from i18n.catalogue import translate
from i18n.errors import describe
from kpi.checks import MAX_HORIZON_DAYS, MIN_DISCOUNT_RATE, retraining_input_problems

# The economics, the case and the store (numpy, scipy, pandas, statsmodels, DuckDB) are imported
# inside the functions that run a command, so that `--help` stays fast (tests/test_startup.py).
if TYPE_CHECKING:
    from kpi.retraining import CaseRequest, RetrainingCase

ERROR_EXIT = 1


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `retrain evaluate`."""
    retrain = subparsers.add_parser("retrain", help=help_words("retrain.help"))
    commands = retrain.add_subparsers(dest="retrain_command", metavar="ACTION", required=True)
    evaluate = commands.add_parser(
        "evaluate",
        help=help_words("retrain.evaluate"),
        description=help_words("retrain.evaluate_description"),
    )
    add_case_arguments(evaluate, cost_required=True)
    add_json_flag(evaluate)
    evaluate.set_defaults(handler=_evaluate)
    fallback = commands.add_parser(
        "fallback",
        help=help_words("retrain.fallback"),
        description=help_words("retrain.fallback_description"),
    )
    add_store_arguments(fallback)
    fallback.add_argument("--kpi", required=True, help=help_words("common.kpi_id"))
    fallback.add_argument(
        "--value-per-day",
        type=amount_arg,
        required=True,
        metavar="V",
        help=help_words("retrain.value_per_day"),
    )
    fallback.add_argument("--note", metavar="TEXT", help=help_words("retrain.note"))
    fallback.add_argument("--by", metavar="NAME", help=help_words("retrain.by"))
    fallback.set_defaults(handler=_fallback)


def add_case_arguments(parser: argparse.ArgumentParser, cost_required: bool) -> None:
    """The flags that describe a retraining case (shared with `report`)."""
    add_store_arguments(parser)
    parser.add_argument("--kpi", required=True, help=help_words("common.kpi_id"))
    parser.add_argument(
        "--cost",
        type=amount_arg,
        required=cost_required,
        metavar="AMOUNT",
        help=help_words("retrain.cost"),
    )
    parser.add_argument(
        "--uplift-experiment", metavar="EXP", help=help_words("retrain.uplift_experiment")
    )
    parser.add_argument("--uplift-metric", metavar="NAME", help=help_words("retrain.uplift_metric"))
    parser.add_argument(
        "--uplift",
        type=finite_arg,
        metavar="REL",
        help=help_words("retrain.uplift"),
    )
    parser.add_argument(
        "--uplift-se",
        type=finite_arg,
        metavar="SE",
        help=help_words("retrain.uplift_se"),
    )
    parser.add_argument(
        "--horizon-days",
        type=int,
        metavar="DAYS",
        help=help_words("retrain.horizon_days", most=MAX_HORIZON_DAYS),
    )
    parser.add_argument(
        "--discount-rate",
        type=finite_arg,
        metavar="RATE",
        help=help_words("retrain.discount_rate", least=MIN_DISCOUNT_RATE),
    )
    parser.add_argument(
        "--fallback-value-per-day",
        type=amount_arg,
        metavar="V",
        help=help_words("retrain.fallback_value_per_day"),
    )
    parser.add_argument(
        "--as-of",
        type=as_of_date_arg,
        metavar="DATE",
        help=help_words("retrain.as_of"),
    )


def flag_name(field: str) -> str:
    """The flag of an input field: `uplift_se` -> `--uplift-se`."""
    return "--" + field.replace("_", "-")


def flag_error(error: YardstickError) -> YardstickError:
    """The error with its field (and any `*_field` value) named by flag, for the CLI's wording."""
    values = {
        key: flag_name(str(value)) if key.endswith("_field") else value
        for key, value in error.values.items()
    }
    field = flag_name(error.field) if error.field else None
    return YardstickError(error.code, field=field, origin=error.origin, line=error.line, **values)


def fill_economics_defaults(args: argparse.Namespace) -> None:
    """Set `--horizon-days` and `--discount-rate` to the economics' defaults when not given.

    argparse leaves them None so that `--help` need not import the economics (numpy, scipy).
    """
    from kpi import economics

    if args.horizon_days is None:
        args.horizon_days = economics.DEFAULT_HORIZON_DAYS
    if args.discount_rate is None:
        args.discount_rate = economics.DEFAULT_DISCOUNT_RATE


def flag_problems(args: argparse.Namespace) -> list[YardstickError]:
    """What is wrong with the case flags, each naming its field (`kpi.checks`)."""
    fill_economics_defaults(args)
    return list(
        retraining_input_problems(
            cost=args.cost,
            uplift_experiment=args.uplift_experiment,
            uplift_metric=args.uplift_metric,
            uplift=args.uplift,
            uplift_se=args.uplift_se,
            horizon_days=args.horizon_days,
            discount_rate=args.discount_rate,
            fallback_value_per_day=args.fallback_value_per_day,
        )
    )


def request_from_args(args: argparse.Namespace, cost: float) -> CaseRequest:
    """The case request the flags describe."""
    from kpi.retraining import CaseRequest

    fill_economics_defaults(args)
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


def print_problems(problems: Iterable[YardstickError]) -> int:
    """Report input problems in English, each naming its flag; returns the error exit status."""
    text = "; ".join(describe(flag_error(problem), LANGUAGE) for problem in problems)
    print(f"error: {text}", file=sys.stderr)
    return ERROR_EXIT


def _summary_lines(case: RetrainingCase) -> list[str]:
    from i18n.retraining import reason_text

    result = case.economics
    currency = case.kpi.currency
    lines = [
        translate(
            LANGUAGE,
            "cli.retrain.value",
            kpi_id=case.kpi.kpi_id,
            as_of=case.kpi.as_of,
            value=result.inputs.value_per_day,
            decay=result.inputs.decay_per_day.estimate,
            currency=currency,
        ),
        translate(
            LANGUAGE,
            "cli.retrain.uplift",
            uplift=result.inputs.uplift.estimate,
            source=case.evidence.source,
            origin=case.uplift_origin,
            cost=result.inputs.cost,
            currency=currency,
        ),
        translate(
            LANGUAGE,
            "cli.retrain.npv",
            npv=result.npv.expected,
            p10=result.npv.p10,
            p90=result.npv.p90,
            probability=result.npv.probability_positive,
            currency=currency,
        ),
    ]
    for option in result.options:
        when = ""
        if option.option == "retrain_later" and option.at_day is not None:
            when = " " + translate(LANGUAGE, "cli.retrain.on_day", day=case.day(option.at_day))
        if option.expected is None:
            not_priced = translate(LANGUAGE, "retrain.not_priced")
            lines.append(
                f"  {option.option:<14} {not_priced:>18} "
                + translate(LANGUAGE, "cli.retrain.no_fallback")
            )
        else:
            lines.append(f"  {option.option:<14} {option.expected:>18,.0f} {currency}{when}")
    best_day = result.best_retrain_day
    lines.append(
        translate(
            LANGUAGE,
            "cli.retrain.best_day_today" if best_day == 0 else "cli.retrain.best_day",
            day=case.day(best_day),
        )
    )
    lines.append(
        translate(LANGUAGE, "cli.retrain.recommendation", action=result.recommendation.action)
    )
    lines += [f"  - {reason_text(r, case, LANGUAGE)}" for r in result.recommendation.reasons]
    return lines


def _fallback(args: argparse.Namespace) -> int:
    from core.clock import system_clock
    from services.retraining import save_fallback

    try:
        stored = save_fallback(
            store_settings(args),
            args.kpi,
            args.value_per_day,
            args.note,
            clock=system_clock,
            author=args.by,
        )
    except YardstickError as error:
        return print_problems([error])
    print(
        translate(
            LANGUAGE,
            "cli.retrain.fallback_stored",
            kpi_id=stored.kpi_id,
            value=stored.value_per_day,
            version=stored.version,
        )
    )
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from i18n.retraining import case_to_json
    from services.retraining import evaluate_request

    problems = flag_problems(args)
    if problems:
        return print_problems(problems)
    try:
        case = evaluate_request(store_settings(args), request_from_args(args, args.cost)).case
    except YardstickError as error:
        return print_problems([error])
    if args.json:
        print_json(case_to_json(case))
    else:
        print("\n".join(_summary_lines(case)))
    return 0

"""`demo` and `ingest`: building the demo store and loading your own files.

The use cases (and with them DuckDB, numpy, pandas) are imported inside the handlers, so the
parser and `--help` stay fast.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING

from commands.common import (
    MAX_SEED,
    add_store_arguments,
    bounded_int,
    new_store_settings,
    store_settings,
)
from core.clock import system_clock
from core.vocab import DEMO_SIZES
from i18n.catalogue import translate
from i18n.ingest import refusal_text
from services.store import KINDS

if TYPE_CHECKING:
    from services.loading import IngestProgress


class _ProgressPrinter:
    """Prints progress to stderr once a step has run for more than a moment."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.last = ""

    def __call__(self, progress: IngestProgress) -> None:
        if time.monotonic() - self.started < 1.0:
            return
        share = f" {progress.fraction:4.0%}" if progress.fraction is not None else ""
        line = f"{progress.step} {progress.file}{share}"
        if line != self.last:
            print(f"\r{line:<78}", end="", file=sys.stderr, flush=True)
            self.last = line

    def finish(self) -> None:
        if self.last:
            print(file=sys.stderr)


def _run_ingest(args: argparse.Namespace) -> int:
    from services.loading import IngestError, load_files

    printer = _ProgressPrinter()
    try:
        result = load_files(
            store_settings(args, create=args.create),
            args.kind,
            args.files,
            encoding=args.encoding,
            on_progress=printer,
            reason=args.reason,
        )
    except IngestError as error:
        printer.finish()
        print(f"error: {refusal_text(error, 'en')}", file=sys.stderr)
        return 1
    printer.finish()
    print(
        f"{result.kind}: {result.summary()} ({result.rows_read:,} rows read from "
        f"{len(result.files)} file(s) in {result.seconds:.1f} s)"
    )
    return 0


def _run_demo(args: argparse.Namespace) -> int:
    from services.loading import build_demo_store

    settings = new_store_settings(args)
    started = time.monotonic()

    def report(step: str, fraction: float) -> None:
        label = translate("en", f"app.demo_step.{step}")
        print(f"\r[{fraction:4.0%}] {label:<60}", end="", file=sys.stderr, flush=True)

    # A store that exists without --force is a YardstickError (`demo.exists`): cli.py words it.
    summary = build_demo_store(
        settings,
        clock=system_clock,
        seed=args.seed,
        size=args.size,
        force=args.force,
        on_progress=report,
    )
    print(file=sys.stderr)
    counts = ", ".join(f"{table} {rows:,}" for table, rows in summary.row_counts.items())
    print(
        f"Demo store ({args.size}, seed {args.seed}) written to {settings.path} in "
        f"{time.monotonic() - started:.1f} s: {counts}"
    )
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `demo` and `ingest`."""
    demo = subparsers.add_parser(
        "demo",
        help="build the demo store (an online retailer's recommender and a fraud model)",
        description="Build a deterministic demo store: ~18 months of a product recommender "
        "(v1, v2 live, challenger v3 in an A/B test) and a fraud classifier, ending "
        "yesterday. small builds in seconds (tests), medium in under a minute (the "
        "dashboard's first start), large has 100M+ events for benchmarks.",
    )
    add_store_arguments(demo)
    demo.add_argument(
        "--seed",
        type=bounded_int(0, MAX_SEED),
        default=7,
        help=f"random seed, 0 to {MAX_SEED} (default 7)",
    )
    demo.add_argument("--size", choices=DEMO_SIZES, default="medium", help="default medium")
    demo.add_argument("--force", action="store_true", help="replace an existing store file")
    demo.set_defaults(handler=_run_demo)

    ingest = subparsers.add_parser(
        "ingest",
        help="load CSV or Parquet files into the store (validated, all or nothing)",
        description="Load files of one kind. CSV (UTF-8, UTF-8 with BOM, or CP932 as Japanese "
        "Excel writes it, detected) and Parquet. Every file is checked before anything "
        "is written; one bad row refuses the whole command and names file, line and "
        "column. Loading the same rows again adds nothing; the same key with different "
        "values is an error.",
        epilog="Columns by kind (* = required, [k] = part of the natural key):\n"
        + "\n".join(
            f"  {name}: "
            + ", ".join(
                f"{c.name}{'*' if c.required else ''}{' [k]' if c.key else ''}"
                for c in spec.columns
            )
            + ("; other columns are kept as segment attributes" if spec.extra_columns_as else "")
            for name, spec in KINDS.items()
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_store_arguments(ingest)
    ingest.add_argument("--kind", required=True, choices=list(KINDS), help="what the files hold")
    ingest.add_argument(
        "--encoding",
        help="CSV encoding, e.g. cp932 (default: detect UTF-8, UTF-8 with BOM or CP932)",
    )
    ingest.add_argument("--reason", help="why, for the audit log")
    ingest.add_argument(
        "--create",
        action="store_true",
        help="create the store if it does not exist (without it a missing store is an error)",
    )
    ingest.add_argument("files", nargs="+", metavar="FILE", help="CSV or Parquet files")
    ingest.set_defaults(handler=_run_ingest)

"""`demo`, `ingest`, `delete` and `batches`: building the demo store, loading your own files,
and removing rows by key or by load.

The use cases (and with them DuckDB, numpy, pandas) are imported inside the handlers, so the
parser and `--help` stay fast.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING

from commands.common import (
    LANGUAGE,
    MAX_SEED,
    add_store_arguments,
    bounded_int,
    help_words,
    new_store_settings,
    print_json,
    store_settings,
)
from core.clock import system_clock
from core.errors import YardstickError
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
        step = translate(LANGUAGE, f"cli.data.progress_{progress.step}", file=progress.file)
        line = f"{step}{share}"
        if line != self.last:
            print(f"\r{line:<78}", end="", file=sys.stderr, flush=True)
            self.last = line

    def finish(self) -> None:
        if self.last:
            print(file=sys.stderr)


def _run_ingest(args: argparse.Namespace) -> int:
    # The store first: a mistyped or damaged --db is said before the loader's imports load.
    settings = store_settings(args, create=args.create)
    from services.loading import IngestError, load_files

    printer = _ProgressPrinter()
    try:
        result = load_files(
            settings,
            args.kind,
            args.files,
            encoding=args.encoding,
            on_progress=printer,
            reason=args.reason,
            clock=system_clock,
            allow_future=args.allow_future,
        )
    except IngestError as error:
        printer.finish()
        print(f"error: {refusal_text(error, LANGUAGE)}", file=sys.stderr)
        return 1
    printer.finish()
    print(
        translate(
            LANGUAGE,
            "cli.data.ingested",
            kind=result.kind,
            new=result.new_rows,
            present=result.already_present,
            rows=result.rows_read,
            files=len(result.files),
            seconds=result.seconds,
        )
    )
    for batch in result.batches:
        added = translate(
            LANGUAGE, "cli.data.batch_added", batch=batch.batch_id, file=batch.file, rows=batch.rows
        )
        print(f"  {added}")
    for skipped in result.already_loaded:
        if skipped.batch_id is not None:
            text = translate(
                LANGUAGE, "cli.data.already_loaded", file=skipped.file, batch=skipped.batch_id
            )
        else:
            text = translate(
                LANGUAGE, "cli.data.already_loaded_as", file=skipped.file, same_as=skipped.same_as
            )
        print(f"  {text}")
    return 0


def _parse_key(pairs: list[str] | None) -> dict[str, str]:
    """`--key COLUMN=VALUE` pairs as a mapping; a pair without `=` is a usage error."""
    key: dict[str, str] = {}
    for pair in pairs or []:
        column, sep, value = pair.partition("=")
        if not sep or not column.strip():
            raise YardstickError("delete.bad_key_pair", pair=pair)
        key[column.strip()] = value
    return key


def _run_delete(args: argparse.Namespace) -> int:
    key = _parse_key(args.key)
    settings = store_settings(args)
    from services.loading import delete_stored_rows

    deletion = delete_stored_rows(
        settings,
        reason=args.reason,
        clock=system_clock,
        kind=args.kind,
        key=key,
        batch_id=args.batch,
        dry_run=args.dry_run,
    )
    if args.json:
        print_json(
            {
                "kind": deletion.kind,
                "table": deletion.table,
                "rows": deletion.rows,
                "batch_id": deletion.batch_id,
                "key": dict(deletion.key),
                "dry_run": deletion.dry_run,
                "reason": args.reason,
            }
        )
        return 0
    what = (
        translate(LANGUAGE, "cli.data.by_batch", batch=deletion.batch_id)
        if deletion.batch_id is not None
        else ", ".join(f"{c}={v}" for c, v in deletion.key.items())
    )
    said = "cli.data.dry_run" if deletion.dry_run else "cli.data.deleted"
    print(translate(LANGUAGE, said, table=deletion.table, rows=deletion.rows, what=what))
    return 0


def _run_batches(args: argparse.Namespace) -> int:
    # The store first: a mistyped or damaged --db is said before the loader's imports load.
    settings = store_settings(args)
    from services.loading import recent_batches

    batches = recent_batches(settings, args.limit)
    if args.json:
        print_json(
            [
                {
                    "batch_id": b.batch_id,
                    "kind": b.kind,
                    "file": b.file_name,
                    "rows": b.rows,
                    "actor": b.actor,
                    "loaded_at": b.loaded_at.isoformat() if b.loaded_at else None,
                    "deleted_at": b.deleted_at.isoformat() if b.deleted_at else None,
                }
                for b in batches
            ]
        )
        return 0
    for b in batches:
        when = b.loaded_at.strftime("%Y-%m-%d %H:%M") if b.loaded_at else "-"
        gone = (
            "  " + translate(LANGUAGE, "cli.data.batch_deleted", date=f"{b.deleted_at:%Y-%m-%d}")
            if b.deleted_at
            else ""
        )
        print(f"{b.batch_id:>6}  {b.kind or '*':<16} {b.rows:>12,}  {when}  {b.file_name}{gone}")
    return 0


def _run_demo(args: argparse.Namespace) -> int:
    from services.loading import build_demo_store

    settings = new_store_settings(args)
    started = time.monotonic()

    def report(step: str, fraction: float) -> None:
        label = translate(LANGUAGE, f"app.demo_step.{step}")
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
        translate(
            LANGUAGE,
            "cli.data.demo_written",
            size=args.size,
            seed=args.seed,
            path=settings.path,
            seconds=time.monotonic() - started,
            counts=counts,
        )
    )
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `demo`, `ingest`, `delete` and `batches`."""
    demo = subparsers.add_parser(
        "demo",
        help=help_words("demo.help"),
        description=help_words("demo.description"),
    )
    add_store_arguments(demo)
    demo.add_argument(
        "--seed",
        type=bounded_int(0, MAX_SEED),
        default=7,
        help=help_words("demo.seed", most=MAX_SEED),
    )
    demo.add_argument("--size", choices=DEMO_SIZES, default="medium", help=help_words("demo.size"))
    demo.add_argument("--force", action="store_true", help=help_words("demo.force"))
    demo.set_defaults(handler=_run_demo)

    ingest = subparsers.add_parser(
        "ingest",
        help=help_words("ingest.help"),
        description=help_words("ingest.description"),
        epilog=help_words("ingest.epilog", columns=_columns_by_kind()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_store_arguments(ingest)
    ingest.add_argument(
        "--kind", required=True, choices=list(KINDS), help=help_words("ingest.kind")
    )
    ingest.add_argument("--encoding", help=help_words("ingest.encoding"))
    ingest.add_argument("--reason", help=help_words("common.reason"))
    ingest.add_argument(
        "--allow-future", action="store_true", help=help_words("ingest.allow_future")
    )
    ingest.add_argument("--create", action="store_true", help=help_words("common.create"))
    ingest.add_argument("files", nargs="+", metavar="FILE", help=help_words("ingest.files"))
    ingest.set_defaults(handler=_run_ingest)

    delete = subparsers.add_parser(
        "delete",
        help=help_words("delete.help"),
        description=help_words("delete.description"),
    )
    add_store_arguments(delete)
    delete.add_argument("--kind", choices=list(KINDS), help=help_words("delete.kind"))
    delete.add_argument(
        "--key",
        action="append",
        metavar="COLUMN=VALUE",
        help=help_words("delete.key"),
    )
    delete.add_argument("--batch", type=int, metavar="N", help=help_words("delete.batch"))
    delete.add_argument("--reason", required=True, help=help_words("delete.reason"))
    delete.add_argument("--dry-run", action="store_true", help=help_words("delete.dry_run"))
    delete.add_argument("--json", action="store_true", help=help_words("delete.json"))
    delete.set_defaults(handler=_run_delete)

    batches = subparsers.add_parser(
        "batches",
        help=help_words("batches.help"),
        description=help_words("batches.description"),
    )
    add_store_arguments(batches)
    batches.add_argument("--limit", type=int, default=50, help=help_words("batches.limit"))
    batches.add_argument("--json", action="store_true", help=help_words("batches.json"))
    batches.set_defaults(handler=_run_batches)


def _columns_by_kind() -> str:
    """The columns of each kind, one line a kind, for `ingest --help` (`*` required, `[k]` part
    of the natural key); the column names are the stored ones, in every language."""
    lines = []
    for name, spec in KINDS.items():
        columns = ", ".join(
            f"{c.name}{'*' if c.required else ''}{' [k]' if c.key else ''}" for c in spec.columns
        )
        if spec.extra_columns_as:
            columns += help_words("ingest.segment_columns")
        if spec.feature_columns:
            columns += help_words("ingest.feature_columns")
        lines.append(f"  {name}: {columns}")
    return "\n".join(lines)

"""Use cases that fill the store: building the demo store and loading the user's own files.

The demo's last day is the day before the clock's today, so a frozen clock (YARDSTICK_NOW) gives
the same store on any day. Importing this module imports DuckDB: faces import it inside the
function that runs the command. The demo's definitions (KPIs, experiments, plans, monitors) are
imported by the function that defines them, so loading a file does not import the statistics.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence

from core.clock import Clock, system_clock, today
from core.vocab import DemoSize
from data.batches import BatchInfo, Deletion, delete_rows, list_batches
from data.demo import (
    DemoExistsError,
    DemoSummary,
    build_demo,
    build_demo_if_missing,
    demo_end_date,
)
from data.ingest import (
    INGEST_CODES,
    AlreadyLoaded,
    IngestError,
    IngestProgress,
    IngestResult,
    LoadedBatch,
    Problem,
    ingest_files,
    upload_folder,
)
from data.store import StoreSettings

__all__ = [
    "INGEST_CODES",
    "AlreadyLoaded",
    "BatchInfo",
    "Deletion",
    "DemoExistsError",
    "DemoSummary",
    "IngestError",
    "IngestProgress",
    "IngestResult",
    "LoadedBatch",
    "Problem",
    "build_demo_store",
    "build_demo_store_if_missing",
    "delete_stored_rows",
    "load_files",
    "recent_batches",
    "upload_folder",
]


def define_demo(settings: StoreSettings, clock: Clock) -> None:
    """Add the demo's definitions to a demo store built with data only: its three experiments,
    its KPIs with one recorded decision, its retraining plan and its two monitors, stamped with
    the clock's now."""
    # Imported here, not with the module: the definitions import the KPI, experiment and
    # monitoring domains (SciPy, statsmodels), which `ingest` and `delete` never use.
    from data.demo_kpis import define_demo_kpis
    from data.experiment_store import define_demo_experiments
    from data.retrain_store import define_demo_retraining

    now = clock()
    define_demo_experiments(settings, now)
    define_demo_kpis(settings, now)
    define_demo_retraining(settings, now)
    define_demo_monitors(settings, clock)


def define_demo_monitors(settings: StoreSettings, clock: Clock) -> None:
    """The demo's two monitors (recommender inputs and serving; fraud scores), defined through
    the same use case as `monitor define`."""
    from data.demo_predictions import demo_monitor_specs
    from monitoring.spec import parse_spec
    from services.monitoring import define_monitor

    end = demo_end_date(today(clock))
    for monitor_id, text in demo_monitor_specs(end).items():
        define_monitor(settings, parse_spec(text, f"demo:{monitor_id}"), "demo", clock=clock)


def build_demo_store(
    settings: StoreSettings,
    *,
    clock: Clock,
    seed: int = 7,
    size: DemoSize = "medium",
    force: bool = False,
    on_progress: Callable[[str, float], None] | None = None,
) -> DemoSummary:
    """Build the demo store at `settings.path`, its data ending the day before the clock's today.

    Raises:
        DemoExistsError: the store exists and `force` is False.
    """
    return build_demo(
        settings,
        seed=seed,
        size=size,
        end=demo_end_date(today(clock)),
        clock=clock,
        force=force,
        on_progress=on_progress,
        define=lambda building: define_demo(building, clock),
    )


def build_demo_store_if_missing(
    settings: StoreSettings,
    *,
    clock: Clock,
    size: DemoSize = "medium",
    on_progress: Callable[[str, float], None] | None = None,
) -> bool:
    """Build the demo store unless one exists (the dashboard's first start); True when built.

    Safe when several sessions start at once: the store layer builds under a file lock.
    """
    return build_demo_if_missing(
        settings,
        end=demo_end_date(today(clock)),
        clock=clock,
        size=size,
        on_progress=on_progress,
        define=lambda building: define_demo(building, clock),
    )


def load_files(
    settings: StoreSettings,
    kind: str,
    paths: Sequence[str | os.PathLike[str]],
    *,
    encoding: str | None = None,
    on_progress: Callable[[IngestProgress], None] | None = None,
    reason: str | None = None,
    display_names: Sequence[str] | None = None,
    clock: Clock = system_clock,
    allow_future: bool = False,
) -> IngestResult:
    """Validate and load files of one kind into the store, all or nothing, in one transaction.

    `display_names` name the files in messages and the audit log when `paths` are temporary
    copies (an upload on the Data page). Dates after tomorrow (the clock's UTC day) or outside
    1970-2100 are refused unless `allow_future`. Each file is recorded as a batch; an events
    file whose bytes were loaded before is skipped (`IngestResult.already_loaded`).

    Raises:
        IngestError: the files were refused (every problem named); nothing was written.
    """
    return ingest_files(
        settings,
        kind,
        paths,
        display_names=display_names,
        encoding=encoding,
        on_progress=on_progress,
        reason=reason,
        clock=clock,
        allow_future=allow_future,
    )


def delete_stored_rows(
    settings: StoreSettings,
    *,
    reason: str,
    clock: Clock,
    kind: str | None = None,
    key: Mapping[str, str] | None = None,
    batch_id: int | None = None,
    dry_run: bool = False,
) -> Deletion:
    """Remove rows by key (kind and key values) or by load (batch id), audited with `reason`,
    in one transaction; a dry run counts what would go and writes nothing.

    Raises:
        YardstickError: `delete.*` codes (what was asked cannot be done); nothing was written.
    """
    return delete_rows(
        settings,
        reason=reason,
        clock=clock,
        kind=kind,
        key=key,
        batch_id=batch_id,
        dry_run=dry_run,
    )


def recent_batches(settings: StoreSettings, limit: int = 50) -> tuple[BatchInfo, ...]:
    """The most recent recorded loads, newest first: what `delete --batch` takes."""
    return list_batches(settings, limit)

"""Experiment use cases: define, look up and analyse A/B tests on the store.

Each use case opens one connection, so every read it makes comes from one consistent snapshot of
the store, and hands the rows to the pure domain (`experiments.cells`, `experiments.analysis`).
Time comes in as a `clock`; the faces pass `core.clock.system_clock`. A missing definition is an
`UnknownExperimentError`, an empty window a `NoDataError` (both `YardstickError`s, worded by
`i18n`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from core.clock import Clock, system_clock
from core.errors import Unavailable
from core.tables import STORE_TABLES, TableMapping
from data import experiment_store as store
from data.experiment_store import DefinitionVersion
from data.store import StoreSettings, connect, settings_for, transaction
from experiments.analysis import (
    CumulativePoint,
    ExperimentAnalysis,
    ModelLink,
    NoDataError,
    OfflineOnlinePoint,
    analyze_cells,
    cumulative_effects,
    look_times,
    model_links,
    offline_online_points,
    primary_only,
    status_of,
    window_end,
)
from experiments.cells import (
    CellStatistics,
    Exposure,
    cells_from_records,
    cumulative_cells,
    exposure_from_records,
    split_analysis_records,
)
from experiments.spec import ExperimentSpec, UnknownExperimentError

__all__ = [
    "DefinitionVersion",
    "ExperimentReading",
    "Exposure",
    "StoreSettings",
    "UnknownExperimentError",
    "analyze",
    "analyze_spec",
    "cumulative",
    "define",
    "definition",
    "finished_offline_online",
    "history",
    "latest_definitions",
    "latest_event_time",
    "links",
    "reading",
    "reading_spec",
    "settings_for",
]


@dataclass(frozen=True)
class ExperimentReading:
    """What the detail page shows of an experiment at one time, read by ONE statement.

    Attributes:
        analysis: the analysis, or why it cannot be analysed yet.
        exposure: units per variant and day of assignment, and the units excluded for being in
            several variants (known even when there is nothing to analyse).
    """

    analysis: ExperimentAnalysis | Unavailable
    exposure: Exposure


def _read_statistics(
    con: store.Connection, spec: ExperimentSpec, until: dt.datetime, tables: TableMapping
) -> tuple[list[CellStatistics], int, Exposure]:
    """The statistics cells, the excluded count and the exposure, from `analysis_query`."""
    statistics, exposure_rows = split_analysis_records(
        store.analysis_records(con, spec, until, tables)
    )
    cells, excluded = cells_from_records(spec, statistics)
    return cells, excluded, exposure_from_records(exposure_rows)


def define(
    settings: StoreSettings,
    spec: ExperimentSpec,
    reason: str | None = None,
    clock: Clock = system_clock,
) -> int:
    """Store a validated spec as the next version of its id (audited); returns the version."""
    with transaction(settings) as con:
        return store.insert_definition(con, spec, clock(), reason)


def definition(
    settings: StoreSettings, experiment_id: str, version: int | None = None
) -> DefinitionVersion:
    """The latest (or the given) stored version of an experiment.

    Raises:
        UnknownExperimentError: no such id (or version); it lists the defined ids.
    """
    with connect(settings, read_only=True) as con:
        return definition_on(con, settings, experiment_id, version)


def definition_on(
    con: store.Connection,
    settings: StoreSettings,
    experiment_id: str,
    version: int | None,
) -> DefinitionVersion:
    found = store.find_definition(con, experiment_id, version)
    if found is None:
        raise UnknownExperimentError.of(
            experiment_id, version, store.defined_ids(con), str(settings.path)
        )
    return found


def latest_definitions(settings: StoreSettings) -> list[DefinitionVersion]:
    """The latest version of every defined experiment, by id."""
    with connect(settings, read_only=True) as con:
        return store.latest_definitions(con)


def history(settings: StoreSettings, experiment_id: str) -> list[DefinitionVersion]:
    """Every stored version of one experiment, oldest first.

    Raises:
        UnknownExperimentError: the id was never defined.
    """
    with connect(settings, read_only=True) as con:
        versions = store.definition_history(con, experiment_id)
        if not versions:
            raise UnknownExperimentError.of(
                experiment_id, None, store.defined_ids(con), str(settings.path)
            )
    return versions


def analyze_spec(
    settings: StoreSettings,
    spec: ExperimentSpec,
    as_of: dt.datetime | None = None,
    version: int = 0,
    clock: Clock = system_clock,
    tables: TableMapping = STORE_TABLES,
) -> ExperimentAnalysis:
    """Analyse `spec` as of `as_of` (default: the clock's now; never past the spec's end).

    Raises:
        NoDataError: no units in the window, or the primary metric cannot be compared.
    """
    with connect(settings, read_only=True) as con:
        return analyze_spec_on(con, spec, as_of, version, clock, tables)


def analyze_spec_on(
    con: store.Connection,
    spec: ExperimentSpec,
    as_of: dt.datetime | None = None,
    version: int = 0,
    clock: Clock = system_clock,
    tables: TableMapping = STORE_TABLES,
) -> ExperimentAnalysis:
    """`analyze_spec` on an open connection, for a use case that reads more in the same
    snapshot (the retraining case reads the KPI and the experiment together)."""
    until = window_end(spec, as_of, clock)
    cells, excluded, exposure = _read_statistics(con, spec, until, tables)
    return analyze_cells(spec, cells, excluded, until, version, exposure)


def analyze(
    settings: StoreSettings,
    experiment_id: str,
    as_of: dt.datetime | None = None,
    version: int | None = None,
    clock: Clock = system_clock,
) -> ExperimentAnalysis:
    """Analyse the latest (or the given) stored version of an experiment, from one snapshot.

    Raises:
        UnknownExperimentError: no such experiment (or version).
        NoDataError: no units in the window, or the primary metric cannot be compared.
    """
    with connect(settings, read_only=True) as con:
        found = definition_on(con, settings, experiment_id, version)
        return analyze_spec_on(con, found.spec, as_of, found.version, clock)


def reading(
    settings: StoreSettings,
    experiment_id: str,
    as_of: dt.datetime | None = None,
    clock: Clock = system_clock,
) -> ExperimentReading:
    """The latest definition's analysis (or why not) and exposure, from one statement.

    Raises:
        UnknownExperimentError: no such experiment.
    """
    with connect(settings, read_only=True) as con:
        found = definition_on(con, settings, experiment_id, None)
        until = window_end(found.spec, as_of, clock)
        return _reading_on(con, found.spec, until, found.version, STORE_TABLES)


def reading_spec(
    settings: StoreSettings,
    spec: ExperimentSpec,
    as_of: dt.datetime | None = None,
    version: int = 0,
    clock: Clock = system_clock,
    tables: TableMapping = STORE_TABLES,
) -> ExperimentReading:
    """`reading` for a spec that need not be stored (as `analyze_spec` is to `analyze`)."""
    with connect(settings, read_only=True) as con:
        return _reading_on(con, spec, window_end(spec, as_of, clock), version, tables)


def _reading_on(
    con: store.Connection,
    spec: ExperimentSpec,
    until: dt.datetime,
    version: int,
    tables: TableMapping,
) -> ExperimentReading:
    cells, excluded, exposure = _read_statistics(con, spec, until, tables)
    try:
        analysis = analyze_cells(spec, cells, excluded, until, version, exposure)
    except NoDataError as error:
        return ExperimentReading(Unavailable.of(error), exposure)
    return ExperimentReading(analysis, exposure)


def cumulative(
    settings: StoreSettings,
    experiment_id: str,
    as_of: dt.datetime | None = None,
    clock: Clock = system_clock,
) -> list[CumulativePoint]:
    """The primary metric's comparison per treatment at each daily look up to the window's end.

    All looks come from one query over the events (`experiments.sql.cumulative_query`).
    """
    with connect(settings, read_only=True) as con:
        spec = definition_on(con, settings, experiment_id, None).spec
        until = window_end(spec, as_of, clock)
        looks = tuple(look_times(spec, until))
        rows = store.cumulative_records(con, primary_only(spec), looks)
    return cumulative_effects(spec, cumulative_cells(primary_only(spec), looks, rows))


def latest_event_time(settings: StoreSettings) -> dt.datetime | None:
    """Timestamp of the newest event in the store (for the data-freshness check)."""
    with connect(settings, read_only=True) as con:
        return store.latest_event_time(con)


def links(settings: StoreSettings, analysis: ExperimentAnalysis) -> list[ModelLink]:
    """Each variant's model with its latest offline metrics and the variant's online effect."""
    with connect(settings, read_only=True) as con:
        offline = store.latest_offline_metrics(con, tuple(analysis.spec.model_for.values()))
    return model_links(analysis, offline)


def finished_offline_online(
    settings: StoreSettings, clock: Clock = system_clock
) -> list[OfflineOnlinePoint]:
    """Offline difference against online effect over every finished experiment with models.

    Each finished experiment is read at its end, all from one snapshot. One that cannot be
    analysed (no units in its window, primary metric not comparable) has no online effect and is
    left out, so it never hides the others; so is one with a sample ratio mismatch, whose online
    effect cannot be trusted.
    """
    now = clock()
    every_link: list[ModelLink] = []
    with connect(settings, read_only=True) as con:
        for found in store.latest_definitions(con):
            spec = found.spec
            if not spec.model_for or status_of(spec, now) != "finished":
                continue
            cells, excluded, exposure = _read_statistics(con, spec, spec.end, STORE_TABLES)
            try:
                analysis = analyze_cells(spec, cells, excluded, spec.end, found.version, exposure)
            except NoDataError:
                continue
            if not analysis.valid:
                continue
            offline = store.latest_offline_metrics(con, tuple(spec.model_for.values()))
            every_link += model_links(analysis, offline)
    return offline_online_points(every_link)

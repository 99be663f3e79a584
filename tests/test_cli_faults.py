"""Hostile command lines: one clear line and the documented exit status, never a traceback, and
the store (or the file given as one) exactly as it was."""

from __future__ import annotations

import ast
import fcntl
import hashlib
import json
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import MappingProxyType
from typing import NamedTuple

import duckdb
import pytest

import cli
from commands.common import print_json
from core.strict_json import json_safe
from data.store import StoreSettings
from tests.data.factories import (
    BAD,
    GOOD,
    LARGE_EVENTS,
    ROOT,
    cli_in_process,
    load_on_copy,
    run_cli,
    stop_midway,
    table_checksums,
    wait_for_stderr,
)
from tests.experiments.factories import GOOD_TOML

UPLIFT = ("--uplift", "0.03", "--uplift-se", "0.01")
# F_SETPIPE_SZ (Linux): a pipe of one page fills after 4 KB, so closing it breaks the writer.
F_SETPIPE_SZ = 1031


class Case(NamedTuple):
    """One command line, the exit status it must end with, and what stderr must say.

    `arguments` may name `{db}` (a private copy of the demo store, or the damaged file the case
    builds), `{tmp}` (the test's folder) and `{bad}` (the bad-input corpus).
    """

    arguments: tuple[str, ...]
    status: int
    fragment: str


def _damaged(kind: str) -> Callable[[Path, Path], Path]:
    """A builder of a store file damaged in one way, next to the demo copy `store`."""

    def build(store: Path, tmp: Path) -> Path:
        target = tmp / f"{kind}.duckdb"
        if kind == "zero_byte":
            target.write_bytes(b"")
        elif kind == "truncated":
            target.write_bytes(store.read_bytes()[:100_000])
        elif kind == "random":
            target.write_bytes(hashlib.sha256(b"not a store").digest() * 10_000)
        elif kind == "directory":
            target.mkdir()
        elif kind == "foreign_wal":
            shutil.copy(store, target)
            other = tmp / "other.duckdb"
            con = duckdb.connect(str(other))
            con.execute("SET checkpoint_threshold = '1TB'")
            con.execute("CREATE TABLE t AS SELECT range AS a FROM range(1000)")
            # Copied while open: closing checkpoints the log into the file and removes it.
            shutil.copy(other.with_name("other.duckdb.wal"), target.with_name(target.name + ".wal"))
            con.close()
        elif kind == "newer_schema":
            shutil.copy(store, target)
            con = duckdb.connect(str(target))
            con.execute("INSERT INTO schema_version VALUES (999, 'from_the_future', now())")
            con.close()
        return target

    return build


def _demo_copy(store: Path, tmp: Path) -> Path:
    return store


def _missing(store: Path, tmp: Path) -> Path:
    return tmp / "typo.duckdb"


CASES: dict[str, tuple[Callable[[Path, Path], Path], Case]] = {
    "memory_limit_banana": (
        _demo_copy,
        Case(("kpi", "check", "--db", "{db}", "--memory-limit", "banana"), 2, "not a memory limit"),
    ),
    "threads_negative": (
        _demo_copy,
        Case(("kpi", "check", "--db", "{db}", "--threads", "-3"), 2, "from 1 to 1024"),
    ),
    "demo_seed_negative": (
        _demo_copy,
        Case(("demo", "--db", "{db}", "--seed", "-1", "--size", "small", "--force"), 2, "from 0"),
    ),
    "as_of_year_one": (
        _demo_copy,
        Case(
            (
                "experiment",
                "analyze",
                "--db",
                "{db}",
                "--id",
                "rec-v3-vs-v2",
                "--as-of",
                "0001-01-01",
            ),
            2,
            "give a date from 1970-01-01 to 2100-12-31",
        ),
    ),
    "as_of_far_future_experiment": (
        _demo_copy,
        Case(
            (
                "experiment",
                "analyze",
                "--db",
                "{db}",
                "--id",
                "rec-v3-vs-v2",
                "--as-of",
                "2999-01-01T00:00:00+09:00",
            ),
            2,
            "'2999-01-01T00:00:00+09:00' is outside the days Yardstick evaluates",
        ),
    ),
    "as_of_year_9999_monitor": (
        _demo_copy,
        Case(
            ("monitor", "check", "--db", "{db}", "--as-of", "9999-12-31"),
            2,
            "give a date from 1970-01-01 to 2100-12-31",
        ),
    ),
    "as_of_year_9999_kpi_explain": (
        _demo_copy,
        Case(
            ("kpi", "explain", "--db", "{db}", "--id", "rec-ctr", "--as-of", "9999-12-31"),
            2,
            "give a date from 1970-01-01 to 2100-12-31",
        ),
    ),
    "as_of_year_9999_kpi": (
        _demo_copy,
        Case(
            ("kpi", "check", "--db", "{db}", "--as-of", "9999-12-31"),
            2,
            "give a date from 1970-01-01 to 2100-12-31",
        ),
    ),
    "as_of_year_one_retrain": (
        _demo_copy,
        Case(
            (
                "retrain",
                "evaluate",
                "--db",
                "{db}",
                "--kpi",
                "rec-ctr",
                "--cost",
                "1000",
                "--as-of",
                "0001-01-01",
                *UPLIFT,
            ),
            2,
            "give a date from 1970-01-01 to 2100-12-31",
        ),
    ),
    "as_of_not_a_date": (
        _demo_copy,
        Case(
            ("kpi", "check", "--db", "{db}", "--as-of", "2026-13-01"),
            2,
            "'2026-13-01' is not a date like 2026-11-27",
        ),
    ),
    "as_of_not_a_timestamp": (
        _demo_copy,
        Case(
            ("experiment", "analyze", "--db", "{db}", "--id", "rec-v3-vs-v2", "--as-of", "soon"),
            2,
            "--as-of 'soon' is not an ISO timestamp such as 2026-10-29T00:00:00Z",
        ),
    ),
    "uplift_not_a_number": (
        _demo_copy,
        Case(
            (
                "retrain",
                "evaluate",
                "--db",
                "{db}",
                "--kpi",
                "rec-ctr",
                "--cost",
                "1000",
                "--uplift",
                "three",
                "--uplift-se",
                "0.01",
            ),
            2,
            "'three' is not a number",
        ),
    ),
    "uplift_nan": (
        _demo_copy,
        Case(
            (
                "retrain",
                "evaluate",
                "--db",
                "{db}",
                "--kpi",
                "rec-ctr",
                "--cost",
                "1000",
                "--uplift",
                "nan",
                "--uplift-se",
                "0.01",
            ),
            2,
            "'nan' is not a finite number",
        ),
    ),
    "report_out_unwritable": (
        _demo_copy,
        Case(
            (
                "report",
                "--db",
                "{db}",
                "--kpi",
                "rec-ctr",
                "--lang",
                "en",
                "--format",
                "md",
                "--out",
                "{tmp}/no-such-folder/report.md",
            ),
            1,
            "{tmp}/no-such-folder/report.md: cannot write the report (No such file or directory)",
        ),
    ),
    "monitor_spec_missing": (
        _demo_copy,
        Case(
            ("monitor", "define", "--db", "{db}", "--spec", "{tmp}/missing.toml"),
            1,
            "{tmp}/missing.toml: not a spec file",
        ),
    ),
    "cost_1e308": (
        _demo_copy,
        Case(
            ("retrain", "evaluate", "--db", "{db}", "--kpi", "rec-ctr", "--cost", "1e308", *UPLIFT),
            2,
            "not a finite amount of at most 1e+15",
        ),
    ),
    "horizon_days_huge": (
        _demo_copy,
        Case(
            (
                "retrain",
                "evaluate",
                "--db",
                "{db}",
                "--kpi",
                "rec-ctr",
                "--cost",
                "1000",
                "--horizon-days",
                "100000000",
                *UPLIFT,
            ),
            1,
            "--horizon-days must be at most 36500, got 100000000",
        ),
    ),
    "cuped_days_1e9": (
        _demo_copy,
        Case(
            ("experiment", "define", "--db", "{db}", "--spec", "{tmp}/cuped.toml"),
            1,
            "'cuped_days' must be a whole number of days from 0 to 365",
        ),
    ),
    "spec_not_utf8": (
        _demo_copy,
        Case(
            ("experiment", "define", "--db", "{db}", "--spec", "{tmp}/cp932.toml"),
            1,
            "the spec is not UTF-8 text",
        ),
    ),
    "kpi_spec_not_utf8": (
        _demo_copy,
        Case(("kpi", "define", "--db", "{db}", "--spec", "{tmp}/cp932.toml"), 1, "not UTF-8"),
    ),
    "report_unknown_kpi": (
        _demo_copy,
        Case(
            ("report", "--db", "{db}", "--kpi", "nope", "--lang", "en", "--format", "md"),
            1,
            "No KPI with id 'nope'",
        ),
    ),
    "ingest_a_directory": (
        _demo_copy,
        Case(("ingest", "--db", "{db}", "--kind", "events", "{tmp}"), 1, "a folder, not a file"),
    ),
    "ingest_dev_zero": (
        _demo_copy,
        Case(("ingest", "--db", "{db}", "--kind", "events", "/dev/zero"), 1, "not a regular file"),
    ),
    "ingest_bad_parquet_with_a_good_csv": (
        _demo_copy,
        Case(
            (
                "ingest",
                "--db",
                "{db}",
                "--kind",
                "events",
                str(GOOD / "events.csv"),
                "{bad}/read_far_future_timestamp_s.events.parquet",
            ),
            1,
            "read_far_future_timestamp_s.events.parquet: DuckDB cannot read the values",
        ),
    ),
    "zero_byte_store": (
        _damaged("zero_byte"),
        Case(("kpi", "check", "--db", "{db}"), 1, "is not a readable Yardstick store"),
    ),
    "truncated_store": (
        _damaged("truncated"),
        Case(("experiment", "history", "--db", "{db}", "--id", "x"), 1, "demo --db {db} --force"),
    ),
    "random_bytes_store": (
        _damaged("random"),
        Case(
            ("ingest", "--db", "{db}", "--kind", "models", str(GOOD / "models.csv")),
            1,
            "is not a readable Yardstick store",
        ),
    ),
    "directory_store": (
        _damaged("directory"),
        Case(("kpi", "check", "--db", "{db}"), 1, "is a directory, not a store file"),
    ),
    "directory_store_demo": (
        _damaged("directory"),
        Case(("demo", "--db", "{db}", "--size", "small", "--force"), 1, "is a directory"),
    ),
    "foreign_wal": (
        _damaged("foreign_wal"),
        Case(("kpi", "check", "--db", "{db}"), 1, "{db}.wal does not belong to the store {db}"),
    ),
    "newer_schema_write": (
        _damaged("newer_schema"),
        Case(
            ("ingest", "--db", "{db}", "--kind", "models", str(GOOD / "models.csv")),
            1,
            "written by a newer Yardstick (schema version 999; this version knows up to",
        ),
    ),
    "newer_schema_read": (
        _damaged("newer_schema"),
        Case(
            ("batches", "--db", "{db}"),
            0,
            "warning: {db} was written by a newer Yardstick (schema version 999; this version "
            "knows up to",
        ),
    ),
    "mistyped_db_read": (
        _missing,
        Case(("kpi", "check", "--db", "{db}"), 1, "No store at {db}"),
    ),
    "mistyped_db_ingest": (
        _missing,
        Case(
            ("ingest", "--db", "{db}", "--kind", "models", str(GOOD / "models.csv")),
            1,
            "to start a new one here, pass --create",
        ),
    ),
    "mistyped_db_define": (
        _missing,
        Case(("experiment", "define", "--db", "{db}", "--spec", "{tmp}/good.toml"), 1, "No store"),
    ),
}


def fingerprint(path: Path) -> tuple[str, ...]:
    """The bytes of a store file and its WAL, or what is at the path when it is not a file."""
    if not path.exists():
        return ("missing",)
    if path.is_dir():
        return ("directory", *sorted(p.name for p in path.iterdir()))
    wal = path.with_name(path.name + ".wal")
    return (
        hashlib.sha256(path.read_bytes()).hexdigest(),
        hashlib.sha256(wal.read_bytes()).hexdigest() if wal.exists() else "no wal",
    )


def _write_specs(tmp: Path) -> None:
    (tmp / "good.toml").write_text(GOOD_TOML, encoding="utf-8")
    (tmp / "cuped.toml").write_text(
        re.sub(r"cuped_days = \d+", "cuped_days = 1000000000", GOOD_TOML),
        encoding="utf-8",
    )
    (tmp / "cp932.toml").write_bytes(("# 推薦モデルの実験\n" + GOOD_TOML).encode("cp932"))


# Through the real `python cli.py` process as well: every damaged store (DuckDB meets the bad bytes
# in C++, where a crash or a message written past Python would show only in a process), a usage
# error (argparse's exit 2), a refused file and a missing store (exit 1), and a warning on a
# command that succeeds (exit 0). The other cases run `cli.main` in this process (`cli_in_process`:
# the same exit status and streams, without an interpreter's start-up for each).
PROCESS_CASES = (
    "zero_byte_store",
    "truncated_store",
    "random_bytes_store",
    "directory_store",
    "foreign_wal",
    "newer_schema_write",
    "newer_schema_read",
    "memory_limit_banana",
    "ingest_dev_zero",
    "mistyped_db_read",
)


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_hostile_command_line_gets_one_message_and_its_exit_status(
    name: str, demo_settings: StoreSettings, tmp_path: Path
) -> None:
    assert_hostile_case(name, demo_settings, tmp_path, cli_in_process)


@pytest.mark.parametrize("name", PROCESS_CASES)
def test_a_hostile_command_line_gets_the_same_from_the_real_process(
    name: str, demo_settings: StoreSettings, tmp_path: Path
) -> None:
    assert_hostile_case(name, demo_settings, tmp_path, run_cli)


def assert_hostile_case(
    name: str,
    demo_settings: StoreSettings,
    tmp_path: Path,
    run: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    build, case = CASES[name]
    work = tmp_path / "work"
    work.mkdir()
    _write_specs(work)
    db = build(demo_settings.path, work)
    fill = {"db": str(db), "tmp": str(work), "bad": str(BAD)}
    before = fingerprint(db)

    result = run(*(argument.format(**fill) for argument in case.arguments))

    assert result.returncode == case.status, result.stderr
    assert "Traceback" not in result.stderr
    assert case.fragment.format(**fill) in result.stderr
    assert fingerprint(db) == before


def test_a_spec_with_a_byte_order_mark_is_accepted(
    demo_settings: StoreSettings, tmp_path: Path
) -> None:
    spec = tmp_path / "bom.toml"
    spec.write_bytes(b"\xef\xbb\xbf" + GOOD_TOML.encode("utf-8"))

    result = cli_in_process(
        "experiment", "define", "--db", str(demo_settings.path), "--spec", str(spec)
    )

    assert result.returncode == 0, result.stderr


def test_ingest_create_starts_a_new_store_only_when_asked(tmp_path: Path) -> None:
    db = tmp_path / "new.duckdb"

    result = cli_in_process(
        "ingest", "--db", str(db), "--kind", "models", "--create", str(GOOD / "models.csv")
    )

    assert result.returncode == 0, result.stderr
    assert db.exists()


def test_demo_force_replaces_a_damaged_store(tmp_path: Path) -> None:
    db = tmp_path / "damaged.duckdb"
    db.write_bytes(b"\x00" * 4096)

    result = cli_in_process("demo", "--db", str(db), "--size", "small", "--force")

    assert result.returncode == 0, result.stderr
    assert cli_in_process("kpi", "check", "--db", str(db), "--no-record").returncode in (0, 10, 20)


def test_json_never_holds_nan_or_infinity(capsys: pytest.CaptureFixture[str]) -> None:
    payload = {"a": float("nan"), "b": [float("inf"), 1.5, {"c": -float("inf")}], "d": "x"}

    print_json(payload)

    text = capsys.readouterr().out
    assert json.loads(text, parse_constant=lambda name: pytest.fail(name)) == {
        "a": None,
        "b": [None, 1.5, {"c": None}],
        "d": "x",
    }
    assert json_safe((1.0, float("nan"))) == [1.0, None]
    assert json_safe(MappingProxyType({"a": float("-inf")})) == {"a": None}


def test_every_command_prints_its_json_through_print_json() -> None:
    # `print(json.dumps(...))` outside `print_json` (commands/common.py) would skip the strict
    # rule (NaN as null, no `NaN` token).
    printed_dumps = []
    for path in sorted(set((ROOT / "commands").glob("*.py")) - {ROOT / "commands/common.py"}):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print"):
                continue
            printed_dumps += [
                f"{path.name}:{node.lineno}"
                for inner in ast.walk(node)
                if isinstance(inner, ast.Call) and getattr(inner.func, "attr", None) == "dumps"
            ]
    assert printed_dumps == []


def test_a_reader_that_closes_the_pipe_ends_the_command_quietly(
    demo_settings: StoreSettings,
) -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "cli.py",
            "experiment",
            "analyze",
            "--db",
            str(demo_settings.path),
            "--id",
            "rec-v3-vs-v2",
            "--json",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    fcntl.fcntl(process.stdout.fileno(), F_SETPIPE_SZ, 4096)
    assert process.stdout.read(10)
    process.stdout.close()
    _, stderr = process.communicate(timeout=120)

    assert process.returncode == 141
    assert stderr == b""


def test_ctrl_c_during_an_ingest_exits_130_with_one_line_and_writes_nothing(
    demo_store_template: Path, large_events_csv: Callable[[int], Path], tmp_path: Path
) -> None:
    before = table_checksums(demo_store_template)
    start = load_on_copy(demo_store_template, tmp_path, "events", large_events_csv)

    # The first progress line ("reading", then "checking" the staged rows): the load is still
    # checking the file when the signal comes. Checking starts a second into a load of the
    # smallest file at the earliest, too near the progress line's first second: from the next.
    load = stop_midway(
        LARGE_EVENTS[1:],
        start,
        lambda load: wait_for_stderr(load.process, b"checking", timeout=120),
    )
    process = load.process
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)

    assert process.returncode == 130
    assert b"interrupted: nothing was written by the unfinished command" in stderr
    assert b"Traceback" not in stderr
    assert table_checksums(load.settings.path) == before
    assert not list(Path(tempfile.gettempdir()).glob(f"yardstick-{process.pid}-*"))


def test_ctrl_c_is_ignored_once_the_command_is_done_and_restored_for_callers_in_process(
    demo_settings: StoreSettings,
) -> None:
    original = signal.getsignal(signal.SIGINT)
    try:
        assert cli.main(["batches", "--db", str(demo_settings.path)]) == 0
        assert signal.getsignal(signal.SIGINT) is original

        # The command line's own process: Python's shutdown resets handlers to "die by SIGINT"
        # (exit -2 after a complete command) but leaves an ignored signal ignored.
        assert cli.main(["batches", "--db", str(demo_settings.path)], final=True) == 0
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, original)

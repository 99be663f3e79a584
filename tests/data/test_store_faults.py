"""Store faults: damaged or foreign files, a newer schema, a full disk, a read-only mount, and the
temporary files a killed command leaves; each named with the way out, none changing the store."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

import duckdb
import pytest

from core.clock import fixed_clock
from core.errors import YardstickError
from data.demo import remove_stale_building_files
from data.ingest import IngestError, ingest_files, remove_stale_temp_files, upload_folder
from data.prediction_parts import parts_folder
from data.store import (
    StoreFaultError,
    StoreSettings,
    check_and_upgrade,
    connect,
    latest_schema_version,
    settings_for,
)
from i18n.errors import describe
from services.experiments import define
from services.store import fault_behind
from tests.data.factories import (
    BAD,
    GOOD,
    table_checksums,
    write_large_events_csv,
    write_large_predictions_csv,
)
from tests.experiments.factories import make_spec
from tests.factories import TEST_NOW
from tests.monitoring.factories import MODEL, store


def _dead_pid() -> int:
    """The id of a process that has ended."""
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "store.corrupt"),
        (b"\x00" * 8192, "store.corrupt"),
        (bytes(range(256)) * 1000, "store.corrupt"),
    ],
    ids=["zero_byte", "zeros", "random"],
)
def test_a_damaged_store_file_is_named_with_the_way_out(
    tmp_path: Path, content: bytes, code: str
) -> None:
    path = tmp_path / "store.duckdb"
    path.write_bytes(content)

    for read_only in (True, False):
        with (
            pytest.raises(StoreFaultError) as raised,
            connect(StoreSettings(path), read_only=read_only),
        ):
            pass
        assert raised.value.code == code
        assert f"python cli.py demo --db {path} --force" in describe(raised.value, "en")
    assert path.read_bytes() == content


def test_a_store_truncated_after_its_header_is_named_as_damaged_when_read(
    demo_settings: StoreSettings,
) -> None:
    data = demo_settings.path.read_bytes()
    demo_settings.path.write_bytes(data[: len(data) // 2])

    with (
        pytest.raises(duckdb.Error) as raised,
        connect(demo_settings, read_only=True) as con,
    ):
        tables = con.execute("SELECT table_name FROM information_schema.tables").fetchall()
        for (table,) in tables:
            con.execute(f'SELECT * FROM "{table}"').fetchall()
    fault = fault_behind(raised.value, demo_settings.path)

    assert fault is not None and fault.code == "store.corrupt"


def test_a_directory_is_not_a_store(tmp_path: Path) -> None:
    with pytest.raises(StoreFaultError) as raised, connect(StoreSettings(tmp_path)):
        pass

    assert raised.value.code == "store.not_a_file"


def test_bad_limits_from_the_environment_name_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("YARDSTICK_THREADS", "-3")
    with pytest.raises(YardstickError) as raised:
        settings_for("x.duckdb")
    assert raised.value.code == "store.bad_threads"
    assert describe(raised.value, "en").startswith("YARDSTICK_THREADS: '-3'")

    monkeypatch.delenv("YARDSTICK_THREADS")
    monkeypatch.setenv("YARDSTICK_MEMORY_LIMIT", "banana")
    with pytest.raises(YardstickError) as raised:
        settings_for("x.duckdb")
    assert raised.value.code == "store.bad_memory_limit"


def test_a_store_of_a_newer_schema_is_read_but_never_written(
    demo_settings: StoreSettings,
) -> None:
    with connect(demo_settings) as con:
        con.execute("INSERT INTO schema_version VALUES (999, 'from_the_future', now())")
    before = table_checksums(demo_settings.path)

    check = check_and_upgrade(demo_settings)
    with pytest.raises(StoreFaultError) as raised:
        ingest_files(demo_settings, "models", [GOOD / "models.csv"])

    assert check.newer and check.found == 999 and check.latest == latest_schema_version()
    assert raised.value.code == "store.newer_schema"
    with connect(demo_settings, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM models").fetchone()
    assert table_checksums(demo_settings.path) == before


def test_every_migration_is_written_to_the_audit_log(tmp_path: Path) -> None:
    settings = StoreSettings(tmp_path / "new.duckdb")

    with connect(settings) as con:
        rows = con.execute(
            "SELECT target, detail->>'version' FROM audit_log WHERE action = 'migrate' ORDER BY id"
        ).fetchall()

    assert rows == [("schema", str(v)) for v in range(1, latest_schema_version() + 1)]


def test_a_killed_demo_build_leaves_nothing_after_the_next_run(tmp_path: Path) -> None:
    target = tmp_path / "demo.duckdb"
    dead = tmp_path / f".demo.duckdb.building-{_dead_pid()}"
    alive = tmp_path / f".demo.duckdb.building-{os.getpid()}"
    for path in (dead, dead.with_name(dead.name + ".wal"), alive):
        path.write_bytes(b"half a store")

    removed = remove_stale_building_files(target)

    assert sorted(removed) == sorted([dead, dead.with_name(dead.name + ".wal")])
    assert alive.exists()


def test_a_killed_ingest_leaves_no_copy_after_the_next_run() -> None:
    folder = Path(tempfile.gettempdir())
    dead = folder / f"yardstick-{_dead_pid()}-left.csv"
    mine = folder / f"yardstick-{os.getpid()}-busy.csv"
    dead.write_text("x")
    mine.write_text("x")
    try:
        removed = remove_stale_temp_files()

        assert dead in removed
        assert not dead.exists() and mine.exists()
    finally:
        mine.unlink(missing_ok=True)
        dead.unlink(missing_ok=True)


def test_an_upload_folder_of_a_killed_dashboard_is_removed_by_the_next_run() -> None:
    folder = Path(tempfile.gettempdir())
    dead = folder / f"yardstick-upload-{_dead_pid()}-left"
    dead.mkdir()
    (dead / "0.csv").write_text("unit_id,event,value,ts\n")
    try:
        with upload_folder() as mine:
            (mine / "0.csv").write_text("x")
            removed = remove_stale_temp_files()

            assert dead in removed and not dead.exists()
            assert mine.exists() and mine.name.startswith(f"yardstick-upload-{os.getpid()}-")
        assert not mine.exists()
    finally:
        shutil.rmtree(dead, ignore_errors=True)


@pytest.mark.parametrize(
    "name", ["read_utf16_missing_column.events.csv", "cp932_unknown_model.online_metrics.csv"]
)
def test_a_refused_re_encoded_file_leaves_no_copy(demo_settings: StoreSettings, name: str) -> None:
    mine = f"yardstick-{os.getpid()}-*"
    folder = Path(tempfile.gettempdir())
    before = set(folder.glob(mine))

    with pytest.raises(IngestError):
        ingest_files(demo_settings, name.split(".")[1], [BAD / name])

    assert set(folder.glob(mine)) == before


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 3 MB tmpfs (root only); skipped where it cannot be mounted."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_and_a_read_only_store_are_said_and_change_nothing(
    small_disk: Path, tmp_path: Path
) -> None:
    settings = StoreSettings(small_disk / "store.duckdb")
    ingest_files(settings, "models", [GOOD / "models.csv"])
    before = table_checksums(settings.path)
    big = tmp_path / "events.csv"
    write_large_events_csv(big, 400_000)

    with pytest.raises(StoreFaultError) as full:
        ingest_files(settings, "events", [big])

    assert full.value.code == "store.disk_full"
    assert "Nothing was written" in describe(full.value, "en")
    assert table_checksums(settings.path) == before

    settings.path.with_name("store.duckdb.wal").unlink(missing_ok=True)
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    with pytest.raises(StoreFaultError) as read_only:
        ingest_files(settings, "models", [GOOD / "models.csv"])

    assert read_only.value.code == "store.read_only"
    assert table_checksums(settings.path) == before


def test_a_full_disk_while_writing_a_part_is_said_and_lists_no_part(
    small_disk: Path, tmp_path: Path
) -> None:
    settings = store(small_disk / "store.duckdb")
    before = table_checksums(settings.path)
    big = tmp_path / "predictions.csv"
    write_large_predictions_csv(big, 400_000, MODEL)

    with pytest.raises(StoreFaultError) as full:
        ingest_files(settings, "predictions", [big], clock=fixed_clock(TEST_NOW))

    assert full.value.code == "store.disk_full"
    assert "Nothing was written" in describe(full.value, "en")
    assert table_checksums(settings.path) == before
    folder = parts_folder(settings.path)
    assert not folder.exists() or not any(folder.iterdir())


def test_a_foreign_write_ahead_log_is_named(demo_settings: StoreSettings, tmp_path: Path) -> None:
    other = tmp_path / "other.duckdb"
    con = duckdb.connect(str(other))
    con.execute("SET checkpoint_threshold = '1TB'")
    con.execute("CREATE TABLE t AS SELECT range AS a FROM range(1000)")
    wal = demo_settings.path.with_name(demo_settings.path.name + ".wal")
    shutil.copy(other.with_name("other.duckdb.wal"), wal)
    con.close()

    with pytest.raises(StoreFaultError) as raised, connect(demo_settings, read_only=True):
        pass

    assert raised.value.code == "store.foreign_wal"
    assert raised.value.values["wal"] == str(wal)


def _fill(folder: Path) -> None:
    """Write a filler file into `folder` until its file system has no byte left."""
    with (folder / "filler").open("wb") as filler:
        try:
            while True:
                filler.write(b"\0" * 65536)
                filler.flush()
        except OSError:
            pass
        with suppress(OSError):
            # The last bytes the buffer held: one byte at a time, up to the last free block.
            while True:
                os.write(filler.fileno(), b"\0")


def test_a_definition_whose_commit_meets_a_full_disk_says_so_and_writes_nothing(
    small_disk: Path,
) -> None:
    settings = StoreSettings(small_disk / "store.duckdb")
    define(settings, make_spec(id="first"), clock=fixed_clock(TEST_NOW))
    before = table_checksums(settings.path)
    _fill(small_disk)

    with pytest.raises(StoreFaultError) as full:
        define(settings, make_spec(id="second", name="x" * 200_000), clock=fixed_clock(TEST_NOW))

    assert full.value.code == "store.disk_full"
    assert "Nothing was written" in describe(full.value, "en")
    (small_disk / "filler").unlink()
    assert table_checksums(settings.path) == before
    with connect(settings, read_only=True) as con:
        stored = con.execute("SELECT experiment_id FROM experiment_definitions").fetchall()
    assert stored == [("first",)]

"""The same data in UTF-8, UTF-8 with BOM, CP932 (Japanese Excel) and Parquet loads to the same
rows, and loading it again adds nothing."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from data.ingest import IngestError, ingest_files
from data.store import StoreSettings
from i18n.ingest import refusal_text
from tests.data.factories import GOOD, ingest, query, table_checksums
from tests.data.make_corpus import make_good

KINDS_IN_LOAD_ORDER = ("models", "offline_metrics", "online_metrics", "assignments", "events")
VARIANTS = {"utf8": ".csv", "utf8_bom": ".bom.csv", "cp932": ".cp932.csv", "parquet": ".parquet"}
ROWS_PER_KIND = {
    "models": 3,
    "offline_metrics": 3,
    "online_metrics": 8,
    "assignments": 4,
    "events": 6,
}
DATA_TABLES = KINDS_IN_LOAD_ORDER


def fixture(kind: str, variant: str) -> Path:
    return GOOD / f"{kind}{VARIANTS[variant]}"


def stored_rows(path: Path) -> dict[str, list[tuple]]:
    """Every row of every data table, sorted, with JSON as text."""
    return {
        table: query(
            path,
            f"SELECT * REPLACE (CAST(attributes AS VARCHAR) AS attributes) "
            f"FROM {table} ORDER BY ALL"
            if table == "assignments"
            else f"SELECT * FROM {table} ORDER BY ALL",
        )
        for table in DATA_TABLES
    }


def load_all(settings: StoreSettings, variant: str) -> None:
    for kind in KINDS_IN_LOAD_ORDER:
        result = ingest_files(settings, kind, [fixture(kind, variant)])
        assert (result.new_rows, result.already_present) == (ROWS_PER_KIND[kind], 0)


@pytest.fixture(scope="module")
def loaded_stores(
    demo_store_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """A copy of the demo store per variant, with all good fixtures of that variant loaded."""
    stores = {}
    for variant in VARIANTS:
        path = tmp_path_factory.mktemp(variant) / "store.duckdb"
        shutil.copy(demo_store_template, path)
        load_all(StoreSettings(path), variant)
        stores[variant] = path
    return stores


@pytest.mark.parametrize("variant", ["utf8_bom", "cp932", "parquet"])
def test_every_encoding_and_format_stores_the_same_rows_as_utf8(
    variant: str, loaded_stores: dict[str, Path]
) -> None:
    assert stored_rows(loaded_stores[variant]) == stored_rows(loaded_stores["utf8"])


def test_japanese_text_dates_and_segment_attributes_are_stored_as_written(
    loaded_stores: dict[str, Path],
) -> None:
    path = loaded_stores["cp932"]
    notes = query(path, "SELECT notes, stage, retired_at FROM models WHERE model_id = 'search-v1'")
    assert notes == [("検索ランキング初版（BM25 と人気度）", "production", dt.datetime(2026, 9, 1))]
    quoted = query(path, "SELECT notes FROM models WHERE model_id = 'search-v2'")
    assert quoted == [("学習型ランキング, 行動ログで再学習",)]
    attributes = query(
        path, "SELECT CAST(attributes AS VARCHAR) FROM assignments WHERE unit_id = 's0004'"
    )
    assert json.loads(attributes[0][0]) == {"device": "tablet", "region": "北海道"}
    excel_time = query(path, "SELECT ts FROM events WHERE unit_id = 's0003'")
    assert excel_time == [(dt.datetime(2026, 11, 27, 9, 5),)]
    excel_date = query(
        path,
        "SELECT count(*) FROM online_metrics WHERE model_id = 'search-v2' "
        "AND date = DATE '2026-11-24'",
    )
    assert excel_date == [(2,)]


def test_an_empty_optional_value_takes_its_default_in_csv_and_parquet(
    loaded_stores: dict[str, Path],
) -> None:
    for variant in ("utf8", "parquet"):
        rows = query(loaded_stores[variant], "SELECT value FROM events WHERE unit_id = 's0004'")
        assert rows == [(1.0,)], variant


def test_loading_the_same_files_again_says_zero_new_and_adds_nothing(
    store: StoreSettings,
) -> None:
    for kind in KINDS_IN_LOAD_ORDER:
        assert ingest(store, kind, fixture(kind, "utf8")).returncode == 0
    before = table_checksums(store.path)
    for kind in KINDS_IN_LOAD_ORDER:
        # Events have no natural key: only the same file (the same bytes) is recognised.
        variant = {"models": "cp932", "assignments": "cp932", "events": "utf8"}.get(kind, "parquet")
        again = ingest(store, kind, fixture(kind, variant))
        assert again.returncode == 0, again.stderr
        assert f"{kind}: 0 new, {ROWS_PER_KIND[kind]} already present" in again.stdout
    after = table_checksums(store.path)
    # Each load is recorded (the audit log and its batch, with no rows); no data row changes.
    logs = ("audit_log", "load_batches")
    assert {t: v for t, v in after.items() if t not in logs} == {
        t: v for t, v in before.items() if t not in logs
    }
    assert after["load_batches"][0] == before["load_batches"][0] + len(KINDS_IN_LOAD_ORDER) - 1


def test_each_successful_command_adds_one_ingest_entry_to_the_audit_log(
    store: StoreSettings,
) -> None:
    def ingest_entries() -> list[tuple]:
        return query(
            store.path,
            "SELECT target, CAST(detail AS VARCHAR) FROM audit_log "
            "WHERE action = 'ingest' ORDER BY id",
        )

    assert ingest_entries() == []
    assert ingest(store, "models", fixture("models", "cp932")).returncode == 0
    assert ingest(store, "models", fixture("models", "utf8")).returncode == 0
    assert (
        ingest(
            store, "online_metrics", GOOD / "online_metrics.csv", GOOD / "online_metrics.parquet"
        ).returncode
        == 0
    )

    entries = ingest_entries()
    assert [target for target, _ in entries] == ["models", "models", "online_metrics"]
    first, second, third = (json.loads(detail) for _, detail in entries)
    assert (first["new_rows"], first["encodings"]) == (3, ["cp932"])
    assert second["new_rows"] == 0
    assert (third["rows_read"], third["new_rows"]) == (16, 8)


def test_repeated_rows_inside_one_command_are_counted_as_already_present(
    empty_settings: StoreSettings,
) -> None:
    result = ingest_files(
        empty_settings, "models", [fixture("models", "utf8"), fixture("models", "cp932")]
    )

    assert (result.rows_read, result.new_rows, result.already_present) == (6, 3, 3)


def test_explicit_encoding_reads_cp932_and_a_wrong_one_is_refused(store: StoreSettings) -> None:
    right = ingest(store, "models", fixture("models", "cp932"), extra=("--encoding", "cp932"))
    assert right.returncode == 0, right.stderr
    before = table_checksums(store.path)

    wrong = ingest(store, "models", fixture("models", "utf8"), extra=("--encoding", "no-such"))

    assert wrong.returncode == 1
    assert "unknown encoding 'no-such'" in wrong.stderr
    assert table_checksums(store.path) == before


def test_timestamps_with_an_offset_are_stored_in_utc(
    empty_settings: StoreSettings, tmp_path: Path
) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "unit_id,event,value,ts\nu1,click,1,2026-11-27T09:05:00+09:00\n"
        "u2,click,1,2026-11-27 00:05:00Z\n",
        encoding="utf-8",
    )

    ingest_files(empty_settings, "events", [path])

    assert query(empty_settings.path, "SELECT DISTINCT ts FROM events") == [
        (dt.datetime(2026, 11, 27, 0, 5),)
    ]


def test_the_same_key_with_a_new_value_is_refused_against_the_store(
    empty_settings: StoreSettings, tmp_path: Path
) -> None:
    ingest_files(empty_settings, "models", [fixture("models", "utf8")])
    (model_id, family, version, deployed_at) = query(
        empty_settings.path,
        "SELECT model_id, family, version, deployed_at FROM models ORDER BY model_id LIMIT 1",
    )[0]
    changed = tmp_path / "models.csv"
    changed.write_text(
        f"model_id,family,version,deployed_at\n{model_id},{family},{version}-changed,"
        f"{deployed_at}\n",
        encoding="utf-8",
    )

    with pytest.raises(IngestError) as refused:
        ingest_files(empty_settings, "models", [changed])

    message = refusal_text(refused.value, "en")
    assert "line 2" in message
    assert f"(model_id={model_id}) is already stored" in message
    assert query(
        empty_settings.path, "SELECT version FROM models WHERE model_id = ?", [model_id]
    ) == [(version,)]


@pytest.mark.parametrize(
    ("file_name", "encoding", "message"),
    [
        ("models.cp932.csv", "utf-8", "models.cp932.csv, line 2: cannot be read as utf-8"),
        ("models.csv", "cp932", "models.csv, line 2: cannot be read as cp932"),
    ],
)
def test_a_wrong_explicit_encoding_names_the_first_line_it_cannot_read(
    file_name: str, encoding: str, message: str, store: StoreSettings
) -> None:
    before = table_checksums(store.path)

    result = ingest(store, "models", GOOD / file_name, extra=("--encoding", encoding))

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert message in result.stderr
    assert "leave out --encoding" in result.stderr
    assert table_checksums(store.path) == before


@pytest.mark.parametrize("kind", KINDS_IN_LOAD_ORDER)
def test_committed_fixture_copies_match_what_make_corpus_writes_from_the_utf8_file(
    kind: str, tmp_path: Path
) -> None:
    make_good(kind, tmp_path)

    for suffix in (".bom.csv", ".cp932.csv"):
        assert (tmp_path / f"{kind}{suffix}").read_bytes() == (
            GOOD / f"{kind}{suffix}"
        ).read_bytes()
    regenerated = pq.read_table(tmp_path / f"{kind}.parquet")
    assert regenerated.equals(pq.read_table(GOOD / f"{kind}.parquet"))


def assignments_with_a_late_region(late_line: bytes, filler_rows: int = 40_000) -> bytes:
    """An assignments CSV whose first megabyte is plain ASCII, then `late_line`."""
    rows = ["experiment_id,unit_id,variant,assigned_at,region"]
    rows += [f"exp,u{i},a,2026-11-01 00:00:00,Kanto" for i in range(filler_rows)]
    return ("\r\n".join(rows) + "\r\n").encode("ascii") + late_line


def test_a_cp932_file_whose_first_megabyte_is_ascii_is_still_read_as_cp932(
    empty_settings: StoreSettings, tmp_path: Path
) -> None:
    path = tmp_path / "late_cp932.csv"
    path.write_bytes(
        assignments_with_a_late_region("exp,u-late,a,2026-11-01 00:00:00,関東\r\n".encode("cp932"))
    )
    assert path.stat().st_size > 1 << 20

    result = ingest_files(empty_settings, "assignments", [path])

    assert result.new_rows == 40_001
    assert query(
        empty_settings.path,
        "SELECT attributes->>'region' FROM assignments WHERE unit_id = 'u-late'",
    ) == [("関東",)]


def test_utf8_and_cp932_lines_after_the_first_megabyte_are_refused_as_mixed(
    empty_settings: StoreSettings, tmp_path: Path
) -> None:
    path = tmp_path / "late_mixed.csv"
    path.write_bytes(
        assignments_with_a_late_region(
            "exp,u-a,a,2026-11-01 00:00:00,東京\r\n".encode()
            + "exp,u-b,a,2026-11-01 00:00:00,関東\r\n".encode("cp932")
        )
    )

    with pytest.raises(IngestError) as refused:
        ingest_files(empty_settings, "assignments", [path])
    assert "mixed encodings: line 40002 is UTF-8 but line 40003" in refusal_text(
        refused.value, "en"
    )
    assert not empty_settings.path.exists() or query(
        empty_settings.path, "SELECT count(*) FROM assignments"
    ) == [(0,)]

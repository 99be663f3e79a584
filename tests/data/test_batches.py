"""Loads as batches: events without a natural key, the same file loaded once, an optional
event_id, the pre-batch of an upgraded store, and removing rows by key or by load."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest

from core.clock import fixed_clock
from core.errors import YardstickError
from data.batches import delete_rows
from data.ingest import IngestError, content_hash, ingest_files
from data.store import StoreSettings, connect, migrate
from i18n.catalogue import translate
from i18n.errors import describe
from i18n.ingest import refusal_text
from tests.data.factories import GOOD, cli_in_process, query, table_checksums, write_text
from tests.factories import TEST_NOW

CLOCK = fixed_clock(TEST_NOW)
HEADER = "unit_id,event,value,ts\n"


def test_identical_events_in_one_second_are_all_stored(
    empty_settings: StoreSettings, tmp_path: Path
) -> None:
    path = write_text(
        tmp_path / "events.csv",
        HEADER
        + "u1,impression,1,2026-11-27 09:00:00\n" * 3
        + "u2,purchase,7,2026-11-27 09:00:01\nu2,purchase,8,2026-11-27 09:00:01\n",
    )

    result = ingest_files(empty_settings, "events", [path], clock=CLOCK)

    assert (result.rows_read, result.new_rows, result.already_present) == (5, 5, 0)
    assert query(
        empty_settings.path, "SELECT event, count(*), sum(value) FROM events GROUP BY 1 ORDER BY 1"
    ) == [("impression", 3, 3.0), ("purchase", 2, 15.0)]


def test_the_same_events_file_loads_once_and_says_so(
    empty_settings: StoreSettings, tmp_path: Path
) -> None:
    path = GOOD / "events.csv"
    first = ingest_files(empty_settings, "events", [path], clock=CLOCK)
    copy = write_text(tmp_path / "renamed.csv", path.read_text(encoding="utf-8"))
    before = table_checksums(empty_settings.path)

    again = ingest_files(empty_settings, "events", [copy], clock=CLOCK)

    assert [b.rows for b in first.batches] == [6]
    assert (again.new_rows, again.already_present) == (0, 6)
    assert [(a.file, a.batch_id) for a in again.already_loaded] == [
        (str(copy), first.batches[0].batch_id)
    ]
    after = table_checksums(empty_settings.path)
    assert {t: v for t, v in after.items() if t != "audit_log"} == {
        t: v for t, v in before.items() if t != "audit_log"
    }


def test_the_same_bytes_twice_in_one_command_load_once(
    empty_settings: StoreSettings, tmp_path: Path
) -> None:
    copy = write_text(tmp_path / "copy.csv", (GOOD / "events.csv").read_text(encoding="utf-8"))

    result = ingest_files(empty_settings, "events", [GOOD / "events.csv", copy], clock=CLOCK)

    assert (result.new_rows, len(result.batches)) == (6, 1)
    assert result.already_loaded[0].same_as == str(GOOD / "events.csv")
    assert query(empty_settings.path, "SELECT count(*) FROM events") == [(6,)]


def test_each_file_is_recorded_as_a_batch_with_its_hash_rows_and_actor(
    empty_settings: StoreSettings,
) -> None:
    result = ingest_files(
        empty_settings, "models", [GOOD / "models.csv"], clock=CLOCK, actor="ci", reason="r"
    )

    (batch,) = result.batches
    assert query(
        empty_settings.path,
        "SELECT kind, file_name, content_hash, rows, actor, loaded_at, reason FROM load_batches "
        "WHERE batch_id = ?",
        [batch.batch_id],
    ) == [
        (
            "models",
            str(GOOD / "models.csv"),
            content_hash(GOOD / "models.csv"),
            3,
            "ci",
            TEST_NOW,
            "r",
        )
    ]
    assert query(empty_settings.path, "SELECT DISTINCT batch_id FROM models") == [(batch.batch_id,)]


def test_an_event_id_makes_rows_idempotent_and_refuses_a_changed_value(
    empty_settings: StoreSettings, tmp_path: Path
) -> None:
    rows = "e1,u1,click,1,2026-11-27 09:00:00\ne2,u1,click,1,2026-11-27 09:00:00\n"
    first = write_text(tmp_path / "a.csv", "event_id,unit_id,event,value,ts\n" + rows)
    ingest_files(empty_settings, "events", [first], clock=CLOCK)
    overlapping = write_text(
        tmp_path / "b.csv",
        "event_id,unit_id,event,value,ts\n" + rows + "e3,u1,click,1,2026-11-27 09:00:00\n"
        ",u9,click,1,2026-11-27 09:00:00\n,u9,click,1,2026-11-27 09:00:00\n",
    )

    result = ingest_files(empty_settings, "events", [overlapping], clock=CLOCK)

    assert (result.new_rows, result.already_present) == (3, 2)
    changed = write_text(
        tmp_path / "c.csv", "event_id,unit_id,event,value,ts\ne2,u1,click,5,2026-11-27 09:00:00\n"
    )
    with pytest.raises(IngestError) as refused:
        ingest_files(empty_settings, "events", [changed], clock=CLOCK)
    assert "(event_id=e2) is already stored with different values" in refusal_text(
        refused.value, "en"
    )
    assert query(empty_settings.path, "SELECT count(*) FROM events") == [(5,)]


def test_a_store_made_before_batches_keeps_its_rows_in_the_pre_batch(
    empty_settings: StoreSettings,
) -> None:
    con = duckdb.connect(str(empty_settings.path))
    migrate(con, target=4)
    con.execute("INSERT INTO events VALUES ('u1', 'click', 1, TIMESTAMP '2026-01-02 03:04:05')")
    con.execute("INSERT INTO events VALUES ('u1', 'click', 1, TIMESTAMP '2026-01-02 03:04:05')")
    con.close()

    with connect(empty_settings):
        pass

    assert query(empty_settings.path, "SELECT batch_id, event_id FROM events") == [
        (0, None),
        (0, None),
    ]
    assert query(
        empty_settings.path, "SELECT kind, rows, actor FROM load_batches WHERE batch_id = 0"
    ) == [(None, 2, "migration")]


def test_deleting_a_load_removes_its_rows_audits_the_reason_and_lets_it_load_again(
    empty_settings: StoreSettings,
) -> None:
    first = ingest_files(empty_settings, "events", [GOOD / "events.csv"], clock=CLOCK)
    batch_id = first.batches[0].batch_id

    dry = delete_rows(empty_settings, reason="check", clock=CLOCK, batch_id=batch_id, dry_run=True)
    assert (dry.rows, query(empty_settings.path, "SELECT count(*) FROM events")) == (6, [(6,)])

    done = delete_rows(empty_settings, reason="wrong export", clock=CLOCK, batch_id=batch_id)

    assert (done.rows, done.kind) == (6, "events")
    assert query(empty_settings.path, "SELECT count(*) FROM events") == [(0,)]
    ((detail, reason),) = query(
        empty_settings.path,
        "SELECT CAST(detail AS VARCHAR), reason FROM audit_log WHERE action = 'delete'",
    )
    assert (json.loads(detail)["rows"], json.loads(detail)["batch_id"], reason) == (
        6,
        batch_id,
        "wrong export",
    )
    again = ingest_files(empty_settings, "events", [GOOD / "events.csv"], clock=CLOCK)
    assert again.new_rows == 6


def test_deleting_by_key_removes_only_the_matching_rows(demo_settings: StoreSettings) -> None:
    (latest,) = query(demo_settings.path, "SELECT max(date) FROM online_metrics")[0]
    (expected,) = query(
        demo_settings.path, "SELECT count(*) FROM online_metrics WHERE date = ?", [latest]
    )[0]
    (total,) = query(demo_settings.path, "SELECT count(*) FROM online_metrics")[0]

    done = delete_rows(
        demo_settings,
        reason="a day loaded twice",
        clock=CLOCK,
        kind="online_metrics",
        key={"date": latest.isoformat()},
    )

    assert done.rows == expected > 0
    assert query(demo_settings.path, "SELECT count(*) FROM online_metrics") == [(total - expected,)]


@pytest.mark.parametrize(
    ("arguments", "code"),
    [
        ({"kind": "events", "key": {"ts": "2026-11-27"}}, "delete.not_a_key"),
        ({"kind": "online_metrics", "key": {"date": "soon"}}, "delete.bad_key_value"),
        ({"batch_id": 999}, "delete.no_such_batch"),
        ({"batch_id": 0}, "delete.pre_batch_needs_kind"),
        ({"kind": "events"}, "delete.no_selection"),
        ({"kind": "models", "key": {"model_id": "m"}, "batch_id": 0}, "delete.no_selection"),
    ],
)
def test_a_deletion_that_cannot_be_done_is_refused_and_changes_nothing(
    demo_settings: StoreSettings, arguments: dict[str, object], code: str
) -> None:
    before = table_checksums(demo_settings.path)

    with pytest.raises(YardstickError) as refused:
        delete_rows(demo_settings, reason="r", clock=CLOCK, **arguments)  # type: ignore[arg-type]  # the parametrised keywords are the function's own

    assert refused.value.code == code
    for lang in ("en", "ja"):
        assert describe(refused.value, lang)
    assert table_checksums(demo_settings.path) == before


def test_the_delete_command_counts_in_a_dry_run_and_prints_json(
    empty_settings: StoreSettings,
) -> None:
    ingest_files(empty_settings, "models", [GOOD / "models.csv"], clock=CLOCK)
    common = ("--db", str(empty_settings.path), "--kind", "models", "--key", "model_id=search-v1")

    dry = cli_in_process("delete", *common, "--reason", "typo", "--dry-run", "--json")
    done = cli_in_process("delete", *common, "--reason", "typo", "--json")
    usage = cli_in_process("delete", *common)

    assert json.loads(dry.stdout) == {
        "kind": "models",
        "table": "models",
        "rows": 1,
        "batch_id": None,
        "key": {"model_id": "search-v1"},
        "dry_run": True,
        "reason": "typo",
    }
    assert (done.returncode, json.loads(done.stdout)["rows"]) == (0, 1)
    assert usage.returncode == 2 and "--reason" in usage.stderr
    assert query(empty_settings.path, "SELECT count(*) FROM models") == [(2,)]


def test_the_load_commands_print_the_catalogues_sentences(
    empty_settings: StoreSettings, tmp_path: Path
) -> None:
    path = write_text(tmp_path / "events.csv", HEADER + "u1,impression,1,2026-11-27 09:00:00\n")
    db = str(empty_settings.path)

    loaded = cli_in_process("ingest", "--db", db, "--kind", "events", "--create", str(path))
    again = cli_in_process("ingest", "--db", db, "--kind", "events", str(path))
    dry = cli_in_process("delete", "--db", db, "--batch", "1", "--reason", "r", "--dry-run")

    assert loaded.stdout.splitlines()[1:] == [
        "  " + translate("en", "cli.data.batch_added", batch=1, file=str(path), rows=1)
    ]
    seconds = float(loaded.stdout.split(" file(s) in ")[1].split(" s)")[0])
    assert loaded.stdout.splitlines()[0] == translate(
        "en", "cli.data.ingested", kind="events", new=1, present=0, rows=1, files=1, seconds=seconds
    )
    assert again.stdout.splitlines()[1:] == [
        "  " + translate("en", "cli.data.already_loaded", file=str(path), batch=1)
    ]
    what = translate("en", "cli.data.by_batch", batch=1)
    assert dry.stdout == (
        translate("en", "cli.data.dry_run", table="events", rows=1, what=what) + "\n"
    )
    assert dry.stdout == "events: 1 row(s) match batch 1; nothing was deleted (dry run)\n"


def test_the_batches_command_lists_the_loads(empty_settings: StoreSettings) -> None:
    ingest_files(empty_settings, "models", [GOOD / "models.csv"], clock=CLOCK)

    listed = cli_in_process("batches", "--db", str(empty_settings.path), "--json")

    batches = json.loads(listed.stdout)
    assert [(b["kind"], b["rows"]) for b in batches] == [("models", 3), (None, 0)]
    assert batches[0]["loaded_at"] == dt.datetime.isoformat(TEST_NOW)


@pytest.mark.parametrize(
    ("arguments", "status", "fragment"),
    [
        (("delete", "--batch", "999", "--reason", "r"), 1, "there is no batch 999"),
        (("delete", "--kind", "events", "--key", "ts=x", "--reason", "r"), 1, "not part of"),
        (("delete", "--kind", "models", "--key", "model_id", "--reason", "r"), 1, "COLUMN=VALUE"),
        (("delete", "--kind", "models", "--reason", " "), 1, "give a reason"),
        (("delete", "--kind", "models", "--key", "model_id=m"), 2, "--reason"),
        (("delete", "--batch", "x", "--reason", "r"), 2, "invalid int value"),
    ],
)
def test_a_refused_delete_command_says_why_with_its_documented_status(
    empty_settings: StoreSettings, arguments: tuple[str, ...], status: int, fragment: str
) -> None:
    ingest_files(empty_settings, "models", [GOOD / "models.csv"], clock=CLOCK)
    before = table_checksums(empty_settings.path)

    result = cli_in_process(arguments[0], "--db", str(empty_settings.path), *arguments[1:])

    assert result.returncode == status
    assert "Traceback" not in result.stderr
    assert fragment in result.stderr
    assert table_checksums(empty_settings.path) == before


def test_a_delete_on_a_missing_store_names_it_and_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "typo.duckdb"

    result = cli_in_process("delete", "--db", str(missing), "--batch", "1", "--reason", "r")

    assert (result.returncode, missing.exists()) == (1, False)
    assert str(missing) in result.stderr

"""Input files a load must refuse with the right way out: UTF-16 without a byte-order mark (named
by its byte order), dates before 1970 (the flag that lifts the limit, worded for the past), and a
file the user running Yardstick may not read (a real permission denial, not a simulated one)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from data.ingest import IngestError, ingest_files, utf16_byte_order
from data.store import StoreSettings
from i18n.ingest import refusal_text
from tests.data.factories import BAD, GOOD, ROOT, query, table_checksums

EVENTS = (
    "unit_id,event,value,ts\n"
    "s0001,search,1,2026-11-02 09:31:00\n"
    "s0001,click,1,2026-11-02 09:32:00\n"
)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (EVENTS.encode("utf-16-le"), "utf-16-le"),
        (EVENTS.encode("utf-16-be"), "utf-16-be"),
        (EVENTS.replace("search", "検索した商品").encode("utf-16-le"), "utf-16-le"),
        (EVENTS.replace("search", "検索した商品").encode("utf-16-be"), "utf-16-be"),
        # A NUL pasted into a UTF-8 value, and a header padded with NULs: no UTF-16 either way.
        (EVENTS.replace("click", "cl\x00ick").encode(), None),
        (("unit_id" + "\x00" * 5000 + "\n").encode(), None),
        (bytes(range(256)) * 64, None),
    ],
    ids=["le", "be", "le_japanese", "be_japanese", "one_nul", "nul_padding", "binary"],
)
def test_utf16_without_a_byte_order_mark_is_told_by_where_its_nuls_fall(
    data: bytes, expected: str | None
) -> None:
    assert utf16_byte_order(data) == expected


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_the_encoding_a_utf16_refusal_names_is_the_one_that_loads_the_file(
    encoding: str, empty_settings: StoreSettings, tmp_path: Path
) -> None:
    path = tmp_path / "events.csv"
    path.write_bytes(EVENTS.encode(encoding))

    with pytest.raises(IngestError) as refused:
        ingest_files(empty_settings, "events", [path])
    text = refusal_text(refused.value, "en")
    result = ingest_files(empty_settings, "events", [path], encoding=encoding)

    assert f"pass --encoding {encoding}" in text
    assert f"--encoding {encoding}" in refusal_text(refused.value, "ja")
    assert result.new_rows == 2
    assert query(empty_settings.path, "SELECT list_sort(list(event)) FROM events") == [
        (["click", "search"],)
    ]


def test_a_date_before_1970_names_the_flag_for_the_past_in_both_languages(
    store: StoreSettings,
) -> None:
    with pytest.raises(IngestError) as refused:
        ingest_files(store, "events", [BAD / "before_1970.events.csv"])

    english = refusal_text(refused.value, "en")
    japanese = refusal_text(refused.value, "ja")
    assert "pass --allow-future (dates before 1970 or after tomorrow need it)" in english
    assert "--allow-future" in japanese and "1970 年より前" in japanese


def _capability_drop() -> list[str]:
    """A command prefix that runs a program as root without the capabilities that let root read
    and enter what its permissions forbid, so a file's mode bites as it does for any user."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: cannot drop the right to ignore permissions")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search"]


@pytest.fixture
def unreadable_files(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """A models file with no permissions, and one inside a folder nobody may enter."""
    no_mode = tmp_path / "no_permissions.models.csv"
    shutil.copy(GOOD / "models.csv", no_mode)
    no_mode.chmod(0)
    locked = tmp_path / "locked"
    locked.mkdir()
    shutil.copy(GOOD / "models.csv", locked / "models.csv")
    locked.chmod(0)
    try:
        yield no_mode, locked / "models.csv"
    finally:
        locked.chmod(0o755)
        no_mode.chmod(0o644)


def test_a_file_the_user_may_not_read_is_named_with_what_to_do_and_changes_nothing(
    store: StoreSettings, unreadable_files: tuple[Path, Path]
) -> None:
    prefix = _capability_drop()
    no_mode, behind_locked_folder = unreadable_files
    probe = subprocess.run([*prefix, "cat", str(no_mode)], capture_output=True, check=False)
    if probe.returncode == 0:
        pytest.skip("the file stays readable here even without the capabilities (no DAC checks)")
    before = table_checksums(store.path)

    result = subprocess.run(
        [
            *prefix,
            sys.executable,
            "cli.py",
            "ingest",
            "--db",
            str(store.path),
            "--kind",
            "models",
            str(GOOD / "models.csv"),
            str(no_mode),
            str(behind_locked_folder),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    for path in (no_mode, behind_locked_folder):
        assert f"{path}: cannot be read (Permission denied); check the permissions" in (
            result.stderr
        )
    assert "Nothing was written" in result.stderr
    assert table_checksums(store.path) == before

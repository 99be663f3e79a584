"""The dashboard's own CSV download: text cells that would start a formula are neutralised, read
back with Python's csv module; numbers stay numbers."""

from __future__ import annotations

import csv
import io

import pandas as pd

from ui.tables import neutralised_csv


def read_back(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "a BOM, so spreadsheets read UTF-8 Japanese"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_text_cells_starting_a_formula_get_an_apostrophe() -> None:
    frame = pd.DataFrame(
        {
            "reason": ['=HYPERLINK("http://x","y")', "@SUM(A1)", "+1 day", "fine", "-e5"],
            "effect": ["-3.2%", "+1.50%", "-1,234", "0", "-"],
        }
    )
    rows = read_back(neutralised_csv(frame))
    assert rows[0] == ["reason", "effect"]
    assert [r[0] for r in rows[1:]] == [
        '\'=HYPERLINK("http://x","y")',
        "'@SUM(A1)",
        "'+1 day",
        "fine",
        "'-e5",
    ]
    assert [r[1] for r in rows[1:]] == ["-3.2%", "+1.50%", "-1,234", "0", "'-"]


def test_numeric_columns_are_written_as_numbers() -> None:
    frame = pd.DataFrame({"value": [-3.2, 1.5], "rows": [-1, 2], "name": ["-x", "売上"]})
    rows = read_back(neutralised_csv(frame))
    assert rows[1:] == [["-3.2", "-1", "'-x"], ["1.5", "2", "売上"]]


def test_a_header_that_would_start_a_formula_is_neutralised() -> None:
    rows = read_back(neutralised_csv(pd.DataFrame({"=cmd": ["a"]})))
    assert rows[0] == ["'=cmd"]

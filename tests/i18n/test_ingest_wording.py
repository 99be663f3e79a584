"""Wording of refused loads and of the store's errors: every code in both languages, the place of
a problem before its reason, and the English the command line has always printed."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Literal

import pytest

from i18n.catalogue import LANGUAGES, catalogue
from i18n.errors import describe
from i18n.ingest import problem_text, refusal_lines, refusal_text
from services.loading import INGEST_CODES, DemoExistsError, IngestError, Problem
from services.store import StoreLockedError, StoreMissingError
from tests.factories import ROOT


def codes_used_in(path: Path) -> set[str]:
    """The `ingest.*` string literals of a module, outside the `IngestCode = Literal[...]` list."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    vocabulary = next(
        node
        for node in tree.body
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "IngestCode" for t in node.targets)
    )
    listed = {id(node) for node in ast.walk(vocabulary)}
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value.startswith("ingest.")
        and id(node) not in listed
    }


def test_the_vocabulary_is_exactly_the_codes_the_ingest_raises() -> None:
    assert codes_used_in(ROOT / "data" / "ingest.py") == set(INGEST_CODES)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_ingest_code_is_worded(lang: str) -> None:
    missing = [code for code in INGEST_CODES if f"error.{code}" not in catalogue(lang)]
    assert missing == []


@pytest.mark.parametrize("code", ["store.locked", "store.missing", "demo.exists"])
@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_store_and_demo_codes_are_worded(lang: str, code: str) -> None:
    assert f"error.{code}" in catalogue(lang)


def unreadable(
    line: int | None, column: str | None, row_label: Literal["line", "row"] = "line"
) -> Problem:
    return Problem(
        "m.csv", line, column, "ingest.unreadable_date", {"value": "2026-02-30"}, row_label
    )


@pytest.mark.parametrize(
    ("problem", "english", "japanese"),
    [
        (unreadable(None, None), "m.csv: ", "m.csv: "),
        (unreadable(3, None), "m.csv, line 3: ", "m.csv の 3 行目: "),
        (unreadable(3, None, "row"), "m.csv, row 3: ", "m.csv の 3 番目の行: "),
        (unreadable(None, "date"), "m.csv, column date: ", "m.csv の列 date: "),
        (unreadable(3, "date"), "m.csv, line 3, column date: ", "m.csv の 3 行目、列 date: "),
        (
            unreadable(3, "date", "row"),
            "m.csv, row 3, column date: ",
            "m.csv の 3 番目の行、列 date: ",
        ),
    ],
)
def test_a_problem_says_where_it_is_before_what_is_wrong(
    problem: Problem, english: str, japanese: str
) -> None:
    assert problem_text(problem, "en") == (
        english + 'cannot read "2026-02-30" as a date (e.g. 2026-11-27 or 2026/11/27)'
    )
    assert problem_text(problem, "ja") == (
        japanese + "「2026-02-30」を日付として読めません（例: 2026-11-27、2026/11/27）"
    )


def test_a_rejected_line_words_its_counts_of_values_in_each_language() -> None:
    counted = Problem("e.csv", 4, None, "ingest.too_few_values", {"expected": 4, "found": 2})
    raw = Problem(
        "e.csv", 4, None, "ingest.stray_quote", {"detail": "Value with unterminated quote"}
    )

    assert problem_text(counted, "en").endswith(
        "(a truncated line or a missing comma): expected 4 values, found 2"
    )
    assert problem_text(counted, "ja").endswith("値は 4 個のはずですが、2 個あります")
    assert problem_text(raw, "ja").endswith(": Value with unterminated quote")


def test_a_refusal_lists_the_shown_problems_and_counts_the_rest() -> None:
    problems = [unreadable(n, "date") for n in range(2, 7)]
    refused = IngestError(problems, total=40)

    lines = refusal_lines(refused, "en")
    assert len(lines) == 6
    assert lines[-1] == "... and 35 more problem(s)"
    assert refusal_text(refused, "en").splitlines()[-1] == (
        "Nothing was written: fix the file(s) and load them again."
    )
    assert refusal_lines(refused, "ja")[-1] == "…ほか 35 件の問題があります"
    assert refused.code == "ingest.refused" and refused.to_json()["values"] == {"total": 40}


def test_a_refusal_in_japanese_holds_no_english_sentence() -> None:
    problems = [
        Problem("a.csv", None, None, code, {}) for code in ("ingest.empty_file", "ingest.no_rows")
    ]
    text = refusal_text(IngestError(problems), "ja")
    assert "file" not in text.replace("a.csv", "")
    assert "ファイルが空です" in text


def test_the_store_errors_keep_their_english_and_have_japanese() -> None:
    path = Path("/srv/yardstick.duckdb")

    assert describe(StoreLockedError(path, 15.0), "en") == (
        f"The store {path} is in use by another process (for example an ingest or a demo build) "
        "and stayed locked for 15 s. Wait for it to finish and try again."
    )
    assert describe(StoreMissingError(path), "en") == (
        f"No store at {path}. Create one with: python cli.py demo"
    )
    assert describe(DemoExistsError(path), "en") == (
        f"{path} already exists; pass --force to replace it"
    )
    assert describe(StoreLockedError(path, 15.0), "ja").startswith(f"ストア {path} は別のプロセス")
    assert "15 秒" in describe(StoreLockedError(path, 15.0), "ja")
    assert describe(StoreMissingError(path), "ja").startswith(f"{path} にストアがありません")
    assert describe(DemoExistsError(path), "ja").startswith(f"{path} はすでにあります")

"""Every SQLGlot statement builder call in the SQL modules passes `copy=False`.

SQLGlot's builders deep-copy the whole statement built so far unless told not to; the SQL modules
assemble each statement from nodes made for it, so the copies only cost time (the analysis
statement of the demo's A/B test: 130-160 ms to build with them, 15 ms without). A builder call
without `copy=False` is named here with its file and line.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SQL_MODULES = sorted(
    path.relative_to(ROOT).as_posix()
    for package in ("core", "kpi", "experiments", "monitoring", "data")
    for path in (ROOT / package).glob("*.py")
    if "from sqlglot import exp" in path.read_text(encoding="utf-8")
)
# Methods of a statement (`select.where(...)`) and functions of `exp` (`exp.union(...)`) that copy
# their receiver or operands by default.
METHODS = {"from_", "where", "group_by", "order_by", "limit", "join", "with_", "select", "having"}
FUNCTIONS = {"union", "intersect", "except_"}


def copying_calls(source: str) -> list[int]:
    """Lines of builder calls that leave `copy` at its default."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        on_module = isinstance(node.func.value, ast.Name) and node.func.value.id == "exp"
        name = node.func.attr
        builder = name in FUNCTIONS if on_module else name in METHODS
        leaves_copy = not any(keyword.arg == "copy" for keyword in node.keywords)
        if builder and (node.args or node.keywords) and leaves_copy:
            lines.append(node.lineno)
    return lines


def test_the_check_finds_a_copying_call() -> None:
    assert copying_calls("q = exp.select('a').from_('t').where('x', copy=False)") == [1]
    assert copying_calls("q = exp.union(a, b, distinct=False)") == [1]
    assert copying_calls("q = exp.select('a').from_('t', copy=False)") == []


def test_the_sql_modules_are_found() -> None:
    assert {"experiments/sql.py", "kpi/sql.py", "monitoring/sql.py"} <= set(SQL_MODULES)


@pytest.mark.parametrize("module", SQL_MODULES)
def test_builder_calls_do_not_copy_the_statement(module: str) -> None:
    found = copying_calls((ROOT / module).read_text(encoding="utf-8"))
    assert not found, f"{module}: builder calls without copy=False on lines {found}"

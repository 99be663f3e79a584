"""The dependency rule for the two top-level modules import-linter cannot take as roots.

`pyproject.toml`'s import-linter contracts hold the packages to the rule; `app.py` and `cli.py`
are faces too, so they may not import the store or DuckDB; `cli.py` not Streamlit either, nor the
dashboard's pages and ui, and `app.py` not the commands (the two faces stay apart, as the
packages' contracts hold `commands/` and `pages/` + `ui/` apart).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {
    "app.py": {"data", "duckdb", "commands"},
    "cli.py": {"data", "duckdb", "streamlit", "pages", "ui"},
}


def imported_top_levels(path: Path) -> set[str]:
    """The top-level names of every import in a module, at any depth (function bodies too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "import_module":
            raise AssertionError(f"{path.name}: import_module hides an import edge")
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "__import__":
            raise AssertionError(f"{path.name}: __import__ hides an import edge")
    return names


def test_the_reader_sees_every_kind_of_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("import duckdb.x\nfrom data.store import y\ndef f():\n    import pandas\n")
    assert imported_top_levels(module) == {"duckdb", "data", "pandas"}


@pytest.mark.parametrize("name", sorted(FORBIDDEN))
def test_top_level_faces_import_neither_the_store_nor_duckdb_nor_the_other_face(name: str) -> None:
    assert imported_top_levels(ROOT / name).isdisjoint(FORBIDDEN[name])


def test_no_package_hides_an_import_behind_import_module() -> None:
    offenders = []
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT).parts
        if parts[0] in {".venv", "tests", "benchmarks"} or "site-packages" in parts:
            continue
        text = path.read_text(encoding="utf-8")
        if "__import__(" in text or "import_module(" in text:
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []

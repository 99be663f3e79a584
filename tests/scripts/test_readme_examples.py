"""scripts/readme_examples.py: README.md's example outputs come from the demo store, verbatim."""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path

import pytest

from tests.factories import ROOT, TEST_NOW


def _script():
    spec = importlib.util.spec_from_file_location(
        "readme_examples", ROOT / "scripts" / "readme_examples.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Registered first: its dataclasses look their module up by name.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


readme_examples = _script()


@pytest.fixture(scope="module")
def small_blocks(tmp_path_factory, demo_store_template: Path) -> dict[str, str]:
    # The session's small demo is the one the script builds (seed 7 on the same day): a copy of
    # it, as commands may record what they evaluate. `build_demo` itself runs in the medium test.
    assert ("7", TEST_NOW.isoformat()) == (readme_examples.DEMO_SEED, readme_examples.NOW)
    db = tmp_path_factory.mktemp("readme") / "small.duckdb"
    shutil.copyfile(demo_store_template, db)
    return readme_examples.render_all(db)


def test_the_script_renders_every_readme_example_on_a_small_store(small_blocks):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert set(small_blocks) == set(readme_examples.markers_in(readme))
    analyze = small_blocks["experiment-analyze"]
    assert analyze.startswith(
        "```text\n$ python cli.py experiment analyze --db demo.duckdb --id rec-v3-vs-v2\n"
    )
    assert "raw p" in analyze and "correction family" in analyze and "decision: " in analyze
    assert "decision: invalid" in small_blocks["experiment-analyze-invalid"]
    document = json.loads(small_blocks["experiment-analyze-json"].removeprefix("```json\n")[:-4])
    rows = [row for row in document["results"] if isinstance(row, dict)]
    assert {row["role"] for row in rows} == {"primary", "guardrail"}
    assert document["decision"]["recommendation"] in (
        "ship",
        "dont_ship",
        "keep_running",
        "no_effect",
    )


def test_rewriting_touches_only_the_text_between_markers_and_is_idempotent(small_blocks):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    once = readme_examples.rewrite(readme, small_blocks)
    assert readme_examples.rewrite(once, small_blocks) == once
    outside = readme_examples.MARKER.sub("", readme)
    assert readme_examples.MARKER.sub("", once) == outside
    assert readme_examples.markers_in(once) == small_blocks


def test_a_readme_whose_markers_differ_from_the_examples_is_refused(small_blocks):
    with pytest.raises(SystemExit):
        readme_examples.rewrite("no markers here\n", small_blocks)


def test_compact_json_keeps_short_containers_on_one_line():
    text = readme_examples.compact_json({"units": {"a": 1}, "long": ["x" * 60, "y" * 60]})
    assert '"units": {"a": 1}' in text
    assert json.loads(text) == {"units": {"a": 1}, "long": ["x" * 60, "y" * 60]}


@pytest.mark.slow
def test_the_readme_examples_match_the_medium_demo(tmp_path: Path):
    # The medium demo builds in seconds on a quiet machine; the examples read it three times.
    assert readme_examples.main_script(["--check"]) == 0

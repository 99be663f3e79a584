"""Regenerate README.md's example outputs from the store the dashboard builds (the medium demo).

Builds the medium demo (`cli.py demo --size medium`, seed 7) on a clock frozen at `NOW`, runs each
example command through the command line, and writes its output between the README's marker
comments:

    <!-- readme-example: NAME -->
    ...generated, do not edit...
    <!-- /readme-example -->

so the README shows exactly what the app shows, and cannot drift from it.

    python scripts/readme_examples.py            # rewrite README.md
    python scripts/readme_examples.py --check    # exit 1 if README.md is out of date
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cli import main  # noqa: E402  (the project root must be on the path first)
from core.clock import NOW_VARIABLE  # noqa: E402

# The README's examples are read on this day, so they do not change with the day they are made.
NOW = "2026-11-28T06:00:00"
DEMO_SIZE = "medium"
DEMO_SEED = "7"
# The path the examples print instead of the temporary store's.
SHOWN_DB = "demo.duckdb"
MARKER = re.compile(
    r"(<!-- readme-example: (?P<name>[a-z0-9-]+) -->\n)(?P<body>.*?)(<!-- /readme-example -->)",
    re.DOTALL,
)
SIGNIFICANT_DIGITS = 4
# A JSON object or list that fits on a line this long is printed on one line.
LINE_WIDTH = 96


@dataclass(frozen=True)
class Example:
    """One example: the command a reader types, and how its output is shown.

    Attributes:
        name: the marker's name in README.md.
        arguments: the command line after `python cli.py` (`DB` stands for the store).
        language: the fenced block's language.
        shape: turns the command's output into what the README shows (e.g. trims JSON).
    """

    name: str
    arguments: tuple[str, ...]
    language: str
    shape: Callable[[str], str]


def as_printed(output: str) -> str:
    return output.rstrip("\n")


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return float(f"{value:.{SIGNIFICANT_DIGITS}g}")
    if isinstance(value, dict):
        return {key: _rounded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_rounded(item) for item in value]
    return value


def compact_json(value: Any, indent: int = 0, start: int = 0) -> str:
    """JSON with every object or list that fits on its line (`LINE_WIDTH`, the value beginning at
    column `start`) written on one line, the others expanded one item a line at `indent`."""
    flat = json.dumps(value, ensure_ascii=False)
    if not isinstance(value, dict | list) or not value or start + len(flat) <= LINE_WIDTH:
        return flat
    inner = " " * (indent + 2)
    if isinstance(value, dict):
        items = []
        for key, item in value.items():
            prefix = f"{inner}{json.dumps(key, ensure_ascii=False)}: "
            items.append(prefix + compact_json(item, indent + 2, len(prefix)))
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    items = [inner + compact_json(item, indent + 2, len(inner)) for item in value]
    return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"


def trimmed_json(output: str) -> str:
    """The `--json` document with numbers rounded, and results cut to the primary metric's and
    the guardrails' whole-arm rows (the others, and the segment rows, have the same keys)."""
    document = json.loads(output)
    rows = document["results"]
    kept = [
        row for row in rows if row["segment"] is None and row["role"] in ("primary", "guardrail")
    ]
    left_out = (
        f"… {len(rows) - len(kept)} more rows: the other metrics, then one row per segment value "
        'with "segment": {"column": "device", "value": "desktop"} and "correction_family": '
        '"segment"'
    )
    document["results"] = [*kept, left_out]
    for decision in document["decision"]["per_variant"]:
        decision["reasons"] = ["… the reasons above, for this treatment"]
        decision["reason_values"] = ["… the reason_values above, without variant"]
    return compact_json(_rounded(document))


EXAMPLES = (
    Example(
        "experiment-analyze",
        ("experiment", "analyze", "--db", "DB", "--id", "rec-v3-vs-v2"),
        "text",
        as_printed,
    ),
    Example(
        "experiment-analyze-json",
        ("experiment", "analyze", "--db", "DB", "--id", "rec-v3-vs-v2", "--json"),
        "json",
        trimmed_json,
    ),
    Example(
        "experiment-analyze-invalid",
        ("experiment", "analyze", "--db", "DB", "--id", "banner-split"),
        "text",
        as_printed,
    ),
)


@contextlib.contextmanager
def frozen_now() -> Iterator[None]:
    """`YARDSTICK_NOW` set to `NOW` for the duration, then restored."""
    before = os.environ.get(NOW_VARIABLE)
    os.environ[NOW_VARIABLE] = NOW
    try:
        yield
    finally:
        if before is None:
            del os.environ[NOW_VARIABLE]
        else:
            os.environ[NOW_VARIABLE] = before


def run_cli(arguments: list[str]) -> str:
    """The command's standard output; a failing command stops the script."""
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        status = main(arguments)
    if status != 0:
        raise SystemExit(f"python cli.py {' '.join(arguments)} exited with {status}")
    return output.getvalue()


def build_demo(db: Path, size: str = DEMO_SIZE) -> None:
    """The demo store (medium: as the dashboard builds it on first start)."""
    with frozen_now(), contextlib.redirect_stderr(io.StringIO()):
        run_cli(["demo", "--db", str(db), "--size", size, "--seed", DEMO_SEED, "--force"])


def render(example: Example, db: Path) -> str:
    """The block written between the example's markers: the command, then its shaped output."""
    arguments = [str(db) if a == "DB" else a for a in example.arguments]
    with frozen_now():
        output = example.shape(run_cli(arguments)).replace(str(db), SHOWN_DB)
    shown = " ".join(SHOWN_DB if a == "DB" else a for a in example.arguments)
    command = f"$ python cli.py {shown}\n" if example.language == "text" else ""
    return f"```{example.language}\n{command}{output}\n```\n"


def render_all(db: Path) -> dict[str, str]:
    """Every example's block, by marker name, from the store at `db`."""
    return {example.name: render(example, db) for example in EXAMPLES}


def markers_in(readme: str) -> dict[str, str]:
    """The README's current blocks, by marker name."""
    return {match["name"]: match["body"] for match in MARKER.finditer(readme)}


def rewrite(readme: str, blocks: dict[str, str]) -> str:
    """`readme` with each marker's block replaced.

    Raises:
        SystemExit: a marker without an example, or an example without a marker.
    """
    present = set(markers_in(readme))
    if present != set(blocks):
        raise SystemExit(
            f"README markers {sorted(present)} differ from the examples {sorted(blocks)}"
        )
    return MARKER.sub(lambda m: m.group(1) + blocks[m["name"]] + m.group(4), readme)


def main_script(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readme", type=Path, default=ROOT / "README.md")
    parser.add_argument("--check", action="store_true", help="exit 1 if the README is stale")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "demo.duckdb"
        build_demo(db)
        blocks = render_all(db)
    readme = args.readme.read_text(encoding="utf-8")
    updated = rewrite(readme, blocks)
    if args.check:
        if updated != readme:
            print(f"{args.readme} is out of date: run python scripts/readme_examples.py")
            return 1
        print(f"{args.readme} examples are up to date.")
        return 0
    args.readme.write_text(updated, encoding="utf-8")
    print(f"{args.readme}: {len(blocks)} examples regenerated from the {DEMO_SIZE} demo.")
    return 0


if __name__ == "__main__":
    sys.exit(main_script())

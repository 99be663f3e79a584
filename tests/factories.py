"""Helpers shared by tests of several packages (and by the benchmarks that reuse them), and the
moment the suite runs at.

`tests/conftest.py` imports this module in every test process, so it imports Streamlit, the
command line and the services inside the helpers that need them (2.5 s of imports a unit-test
file does not pay).
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from data.demo import demo_end_date

if TYPE_CHECKING:
    from streamlit.testing.v1 import AppTest

    from data.store import StoreSettings

ROOT = Path(__file__).resolve().parents[1]
APP_SCRIPT = ROOT / "app.py"
# The moment every test runs at (UTC; conftest sets YARDSTICK_NOW to it) and the demo's last day.
TEST_NOW = dt.datetime(2026, 11, 28, 6, 0)
DEMO_END = demo_end_date(TEST_NOW.date())
# The page app.py opens at its root (st.Page(..., default=True)).
DEFAULT_PAGE = "pages/overview.py"


def dashboard(
    lang: str,
    page: str | None = None,
    *,
    state: Mapping[str, object] | None = None,
    timeout_s: float = 120,
) -> AppTest:
    """The dashboard (app.py) under AppTest in `lang`, with `state` set in its session state up
    front, not run yet.

    With `page` (a file under pages/), the first run opens that page as a reader who opens its
    address does: the page alone, without rendering the Overview first (a third of a page test's
    time was that Overview). `switch_page` before the first run finds a page by its file name, the
    address `st.Page` gives every page of app.py (none sets a `url_path`). Without `page`, or with
    the Overview, the first run renders the Overview.

    Sidebar choices go in `state`: AppTest drops the entry script's widgets from its element tree
    after a rerun under st.navigation, so they cannot be set through widgets.
    """
    from streamlit.testing.v1 import AppTest

    _scan_components_once()
    at = AppTest.from_file(str(APP_SCRIPT), default_timeout=timeout_s)
    at.session_state["lang"] = lang
    for key, value in (state or {}).items():
        at.session_state[key] = value
    if page is not None and page != DEFAULT_PAGE:
        at.switch_page(page)
    return at


def _scan_components_once() -> None:
    """Make Streamlit's scan of the installed packages for components run once per process.

    Every new AppTest reads the metadata of every installed distribution to find Streamlit
    components (about 70 ms here, a sixth of a warm page test); the installed packages do not
    change while the tests run, and the dashboard uses no such component.
    """
    from streamlit.components.v2 import manifest_scanner

    scan = manifest_scanner.scan_component_manifests
    if not hasattr(scan, "cache_info"):  # not yet wrapped by functools.cache
        manifest_scanner.scan_component_manifests = functools.cache(scan)


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """The sub-parsers of `parser` by name (empty when it has none)."""
    for action in parser._actions:  # argparse offers no public way to list sub-parsers
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def help_paths() -> list[tuple[str, ...]]:
    """Every `--help` a user can ask for: the program's, each command's, each action's."""
    import cli

    paths: list[tuple[str, ...]] = [("--help",)]
    for command, command_parser in _subcommands(cli.build_parser()).items():
        paths.append((command, "--help"))
        paths += [(command, action, "--help") for action in _subcommands(command_parser)]
    return paths


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def _chart_text(spec: str) -> list[str]:
    """Titles, axis titles, legend names and annotations of a Plotly chart."""
    figure = json.loads(spec)
    texts = [trace.get("name", "") for trace in figure.get("data", [])]
    layout = figure.get("layout", {})
    texts += _strings(layout.get("title", {}))
    texts += [a.get("text", "") for a in layout.get("annotations", [])]
    for name, axis in layout.items():
        if name.startswith(("xaxis", "yaxis")) and isinstance(axis, dict):
            texts += _strings(axis.get("title", {}))
    return texts


def rendered_text(at: AppTest) -> str:
    """Every piece of text a reader sees: element labels and values, tables and chart labels."""
    from google.protobuf.json_format import MessageToDict

    texts: list[str] = []

    def walk(node: object) -> None:
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            for child in children.values():
                walk(child)
            return
        proto = getattr(node, "proto", None)
        if proto is None:
            return
        if getattr(node, "type", "") == "plotly_chart":
            texts.extend(_chart_text(proto.spec))
            return
        if getattr(node, "type", "") in ("arrow_data_frame", "dataframe", "table"):
            frame = node.value
            texts.extend(str(c) for c in frame.columns)
            texts.extend(str(v) for v in frame.astype(str).to_numpy().ravel())
            return
        fields = MessageToDict(proto, preserving_proto_field_name=True)
        fields.pop("data", None)
        texts.extend(_strings(fields))

    walk(at._tree)
    return "\n".join(texts)


def user_texts(settings: StoreSettings) -> list[str]:
    """Text users wrote into the store (names, rationale, owners, reasons): shown as written."""
    from services import experiments as experiment_service
    from services import kpis

    texts = []
    for version in kpis.latest_versions(settings):
        texts += [version.spec.name, version.spec.rationale, version.spec.owner]
    texts += [decision.reason for decision in kpis.decisions(settings)]
    for definition in experiment_service.latest_definitions(settings):
        texts += [definition.spec.name, definition.spec.hypothesis]
    return sorted((t for t in texts if t), key=len, reverse=True)


def without_user_text(text: str, settings: StoreSettings) -> str:
    """`text` with every text users wrote into the store taken out (it is shown as written)."""
    for user_text in user_texts(settings):
        text = text.replace(user_text, "")
    return text


def markdown_unescaped(text: str) -> str:
    """Markdown as its reader sees the words: CommonMark's backslash escapes of ASCII punctuation
    removed (the report escapes user text and catalogue sentences alike)."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text)

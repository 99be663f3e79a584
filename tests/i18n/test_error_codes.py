"""Every error code the product raises with a written-out code is worded in both languages.

The codes are read from the product's syntax trees, not by pattern over its text: every call of
`YardstickError` or one of its subclasses (or of the helpers that build them) whose code argument
is a string literal. Codes built at run time (`reader.fail(problem[0], ...)`) are not seen here;
the rule that makes them has its own wording test.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from pathlib import Path

import pytest

from i18n.catalogue import LANGUAGES, catalogue
from tests.factories import ROOT

PACKAGES = (
    "core", "kpi", "experiments", "monitoring", "data", "services",
    "i18n", "reports", "ui", "pages", "commands",
)  # fmt: skip
SCRIPTS = ("app.py", "cli.py")

# The catalogue key a call's first argument completes, by callable; by module where one name
# means two things (kpi's SpecError takes the problem, experiments' takes the whole code).
KEY_PREFIX: dict[str, str] = {
    "YardstickError": "error.",
    "NoDataError": "error.",
    "MonitorSpecError": "error.monitor.spec.",
    "InsufficientDataError": "experiments.note_",
    "_refuse": "error.experiment_spec.",
    "__init__": "error.",  # super().__init__("store.missing", ...) in a subclass
}
KEY_PREFIX_IN: dict[tuple[str, str], str] = {
    ("kpi", "SpecError"): "error.kpi.spec.",
    ("kpi", "fail"): "error.kpi.spec.",
    ("experiments", "SpecError"): "error.",
    ("monitoring", "fail"): "error.monitor.spec.",
}


def _sources() -> Iterator[Path]:
    for package in PACKAGES:
        yield from sorted((ROOT / package).rglob("*.py"))
    for script in SCRIPTS:
        yield ROOT / script


def _callable_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _module_texts(tree: ast.Module) -> dict[str, str]:
    """The module's constants that hold text (`NO_UNITS = "experiment.no_units"`)."""
    texts: dict[str, str] = {}
    for statement in tree.body:
        if (
            isinstance(statement, ast.Assign)
            and isinstance(statement.value, ast.Constant)
            and isinstance(statement.value.value, str)
        ):
            texts.update(
                {t.id: statement.value.value for t in statement.targets if isinstance(t, ast.Name)}
            )
    return texts


@functools.cache
def raised_keys() -> dict[str, str]:
    """Catalogue key -> the first place (`path:line`) that raises it with a written-out code (a
    string literal or a module constant)."""
    keys: dict[str, str] = {}
    for path in _sources():
        package = path.relative_to(ROOT).parts[0]
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = _module_texts(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = _callable_name(node) or ""
            prefix = KEY_PREFIX_IN.get((package, name)) or KEY_PREFIX.get(name)
            argument = node.args[0]
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                code: str | None = argument.value
            else:
                code = constants.get(argument.id) if isinstance(argument, ast.Name) else None
            if prefix and code is not None:
                keys.setdefault(prefix + code, f"{path.relative_to(ROOT)}:{node.lineno}")
    return keys


def test_the_scan_sees_codes_of_every_kind() -> None:
    keys = raised_keys()
    assert len(keys) > 100
    for expected in (
        "error.retrain.plan_needed",  # YardstickError
        "error.kpi.spec.toml_syntax",  # kpi's SpecError
        "error.kpi.spec.missing",  # kpi's reader.fail
        "error.experiment_spec.too_few_variants",  # experiments' _refuse
        "error.monitor.spec.unknown_family",  # MonitorSpecError
        "error.monitor.spec.bad_id",  # monitoring's reader.fail
        "experiments.note_no_variance",  # InsufficientDataError
        "error.experiment.no_units",  # NoDataError
        "error.store.missing",  # a subclass that fixes its code
    ):
        assert expected in keys, expected


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_raised_code_is_worded(lang: str) -> None:
    messages = catalogue(lang)
    missing = {key: place for key, place in raised_keys().items() if key not in messages}
    assert missing == {}

"""The one TOML writer: a mapping of scalars and tables as TOML text that `tomllib` reads back.

Strings are basic strings with backslashes, quotes, newlines and every control character escaped
(non-ASCII text such as Japanese is kept as written); dates (not datetimes) are TOML local dates;
numbers use `repr`, which TOML reads back to the same float; lists of scalars are arrays; nested
mappings become `[table]` sections and lists of mappings `[[table]]` sections, after the top-level
keys. Used for KPI, experiment and monitor specs.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f"}
_SHORT_ESCAPES["\r"] = "\\r"

Scalar = str | int | float | bool


def _string(text: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped."""
    out = []
    for char in text:
        if char in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else _string(key)


def _scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()  # a TOML local date, read back by tomllib as a datetime.date
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_scalar(item) for item in value) + "]"
    raise TypeError(f"TOML writer takes str, int, float, bool or a table; got {type(value)!r}")


def _is_table_array(value: object) -> bool:
    return (
        isinstance(value, list | tuple)
        and bool(value)
        and all(isinstance(item, Mapping) for item in value)
    )


def _table_lines(mapping: Mapping[str, object], prefix: str) -> list[str]:
    lines = [
        f"{_key(key)} = {_scalar(value)}"
        for key, value in mapping.items()
        if not isinstance(value, Mapping) and not _is_table_array(value) and value is not None
    ]
    for key, value in mapping.items():
        name = f"{prefix}{_key(key)}"
        if isinstance(value, Mapping):
            lines += ["", f"[{name}]", *_table_lines(value, f"{name}.")]
        elif _is_table_array(value):
            assert isinstance(value, list | tuple)  # narrowed by _is_table_array
            for item in value:
                lines += ["", f"[[{name}]]", *_table_lines(item, f"{name}.")]
    return lines


def inline(mapping: Mapping[str, object]) -> str:
    """The body of an inline table, `key = value, key = value` (scalars only; None left out)."""
    return ", ".join(
        f"{_key(key)} = {_scalar(value)}" for key, value in mapping.items() if value is not None
    )


def dumps(mapping: Mapping[str, object]) -> str:
    """`mapping` as TOML text; keys whose value is None are left out (TOML has no null)."""
    return "\n".join(_table_lines(mapping, "")) + "\n"

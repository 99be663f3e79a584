"""The one rule of the JSON Yardstick prints: no NaN or infinity, which JSON does not have.

Python's writer would print `NaN` and `Infinity` anyway and break every strict reader, so each
document passes through `json_safe` first (the command line's `print_json`, the `experiment
analyze --json` document) and is written with `allow_nan=False`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any


def json_safe(value: Any) -> Any:
    """`value` with every NaN or infinity replaced by None (JSON null), in nested mappings,
    lists and tuples (a tuple becomes a list, as JSON writes it)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    return value

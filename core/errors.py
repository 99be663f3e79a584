"""The one error type: a code, the field at fault, and the values that explain it.

The domain, the store and the services raise `YardstickError`; they never word it. The faces word
it from the catalogues (`i18n.errors.describe`), in the reader's language: the CLI prints the
English sentence and exits 1, the pages show it in place, `--json` carries the code beside the
sentence. A code is a dotted catalogue key under `error.` (`kpi.unknown`,
`spec.rationale_required`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any


class YardstickError(Exception):
    """Something the user can fix, with what is needed to say so in either language.

    Attributes:
        code: the catalogue key under `error.` that explains the problem.
        field: the input at fault (a spec key, a flag's field, a column), or None.
        origin: where the input came from (a file name, `<editor>`, a flag), or None.
        line: 1-based line in `origin`, when known.
        values: named values filled into the explanation.
    """

    def __init__(
        self,
        code: str,
        *,
        field: str | None = None,
        origin: str | None = None,
        line: int | None = None,
        **values: Any,
    ) -> None:
        self.code = code
        self.field = field
        self.origin = origin
        self.line = line
        self.values: Mapping[str, Any] = MappingProxyType(dict(values))
        super().__init__(code)

    @classmethod
    def from_values(
        cls, code: str, values: Mapping[str, object], *, field: str | None = None
    ) -> YardstickError:
        """The error whose values come as a mapping (a result or a cache kept them apart), so a
        value named like a keyword (`field`, `origin`, `line`) stays a value."""
        error = cls(code, field=field)
        error.values = MappingProxyType(dict(values))
        return error

    def __str__(self) -> str:
        where = f"{self.origin}:{self.line}" if self.origin and self.line else self.origin
        parts = [p for p in (where, self.field) if p]
        details = ", ".join(f"{k}={v!r}" for k, v in self.values.items())
        return f"{' '.join(parts) + ': ' if parts else ''}{self.code}" + (
            f" ({details})" if details else ""
        )

    def to_json(self) -> dict[str, Any]:
        """The machine-readable part of the error (code, field, origin, line, values)."""
        return {
            "code": self.code,
            "field": self.field,
            "origin": self.origin,
            "line": self.line,
            "values": {k: _plain(v) for k, v in self.values.items()},
        }


def _plain(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool | type(None)) else str(value)


@dataclass(frozen=True)
class Unavailable:
    """Why something cannot be shown yet (an experiment analysed, a KPI's bridge fitted): an
    error's code and values, in a form a page can cache (an exception is not) and word in its
    reader's language (`YardstickError.from_values`)."""

    code: str
    values: dict[str, str]

    @classmethod
    def of(cls, error: YardstickError) -> Unavailable:
        """The cacheable form of `error`."""
        return cls(error.code, {key: str(value) for key, value in error.values.items()})

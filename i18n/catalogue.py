"""Message catalogues: every string a user reads comes from `i18n/locales/<lang>.toml`.

Keys are dotted (`section.key`); values are `str.format` templates. A key missing from a
catalogue is a bug caught by the tests, so lookups raise instead of falling back silently.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

LANGUAGES = ("en", "ja")
DEFAULT_LANGUAGE = "en"
LOCALES_DIR = Path(__file__).resolve().parent / "locales"


def _flatten(table: dict[str, object], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in table.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{dotted}."))
        else:
            flat[dotted] = str(value)
    return flat


@cache
def catalogue(lang: str) -> dict[str, str]:
    """All messages of one language, keyed `section.key`."""
    if lang not in LANGUAGES:
        raise ValueError(f"Unknown language {lang!r}; choose one of {', '.join(LANGUAGES)}")
    with (LOCALES_DIR / f"{lang}.toml").open("rb") as handle:
        return _flatten(tomllib.load(handle))


def translate(lang: str, key: str, **values: object) -> str:
    """The message `key` in `lang`, with `values` filled in."""
    template = catalogue(lang)[key]
    return template.format(**values) if values else template


def normalise_language(locale: str | None) -> str:
    """The catalogue language for a browser locale such as `ja-JP` or `en-US`."""
    if locale and locale.lower().startswith("ja"):
        return "ja"
    return DEFAULT_LANGUAGE

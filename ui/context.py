"""What every page needs to know: the store, the reader's language, and the model-family filter.

`app.py` builds it once per run (sidebar widgets included) and pages fetch it with
`page_context()`, so a page file reads top to bottom like the page looks.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from i18n.catalogue import LANGUAGES, normalise_language, translate
from services.store import StoreSettings

_CONTEXT_KEY = "_yardstick_context"
ALL_FAMILIES = "__all__"


@dataclass(frozen=True)
class PageContext:
    """The store in use, the language, and the family every page filters on.

    Attributes:
        settings: the store settings.
        lang: "en" or "ja".
        family: the chosen model family, or None for all families.
        fingerprint: the store's version when this run started (read once per run by `app.py`);
            part of every cache key, so a write shows on the next run.
    """

    settings: StoreSettings
    lang: str
    family: str | None
    fingerprint: str

    @property
    def path(self) -> str:
        return str(self.settings.path)

    def t(self, key: str, **values: object) -> str:
        """The message `key` in the reader's language."""
        return translate(self.lang, key, **values)


def browser_language() -> str:
    """The catalogue language closest to the browser's locale (English when unknown)."""
    try:
        return normalise_language(st.context.locale)
    except (AttributeError, RuntimeError):
        return normalise_language(None)


def choose_language() -> str:
    """The language switch in the sidebar, defaulting to the browser's locale."""
    if "lang" not in st.session_state:
        st.session_state["lang"] = browser_language()
    return st.sidebar.selectbox(
        translate(st.session_state["lang"], "app.language"),
        LANGUAGES,
        key="lang",
        format_func=lambda code: translate(code, "app.language_name"),
    )


def store_context(context: PageContext) -> None:
    st.session_state[_CONTEXT_KEY] = context


def page_context() -> PageContext:
    """The context `app.py` built for this run.

    On a server's very first run Streamlit may execute a page file straight from `pages/` (its
    older multipage mode) without `app.py`; then the context is missing, and the page asks for
    a rerun through `app.py`'s navigation, which keeps the requested page.
    """
    if _CONTEXT_KEY not in st.session_state:
        from streamlit.runtime.pages_manager import PagesManager

        PagesManager.uses_pages_directory = False
        st.rerun()
    context: PageContext = st.session_state[_CONTEXT_KEY]
    return context

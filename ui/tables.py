"""Tables holding user text, with our own "Download as CSV" whose cells cannot start a formula.

Streamlit's built-in table export is switched off (`client.disableDataExport` in
`.streamlit/config.toml`) because it writes `=HYPERLINK(...)` from a user's text as a live
formula; `show_table` puts a download button under the table instead.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pandas as pd
import streamlit as st
from pandas.io.formats.style import Styler

from core.markup import neutralise_csv_cell
from ui.context import page_context


def neutralised_csv(frame: pd.DataFrame) -> bytes:
    """The table as UTF-8 CSV (with a BOM, so spreadsheets read Japanese), text cells neutralised.

    Only text cells change; numeric columns are written as numbers.
    """
    safe = frame.copy()
    safe.columns = [neutralise_csv_cell(str(column)) for column in safe.columns]
    for column in safe.columns:
        safe[column] = safe[column].map(
            lambda value: neutralise_csv_cell(value) if isinstance(value, str) else value
        )
    return safe.to_csv(index=False).encode("utf-8-sig")


def show_table(
    data: pd.DataFrame | Styler, *, file_name: str = "table.csv", **options: Any
) -> None:
    """`st.dataframe(data, **options)` and, under it, a button to download it as a safe CSV."""
    st.dataframe(data, **options)
    # A Styler keeps the frame it styles in `.data` (pandas' stubs do not declare it).
    frame: pd.DataFrame = getattr(data, "data") if isinstance(data, Styler) else data  # noqa: B009
    csv = neutralised_csv(frame)
    # Two tables on a page differ in name or content, so the button's key is unique without one.
    key = options.get("key") or f"{file_name}-{hashlib.sha256(csv).hexdigest()[:16]}"
    ctx = page_context()
    st.download_button(
        ctx.t("table.download_csv"),
        help=ctx.t("table.download_csv_help"),
        data=csv,
        file_name=file_name,
        mime="text/csv",
        icon=":material/download:",
        key=f"{key}-csv",
        on_click="ignore",
        type="tertiary",
    )

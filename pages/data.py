"""Data: what the store holds, how fresh it is, loading files, and the audit log."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from core.clock import system_clock
from core.errors import YardstickError
from i18n.format import format_date
from i18n.ingest import refusal_lines
from services.browse import PREVIEW_TABLES
from services.loading import IngestError, IngestProgress, load_files
from services.store import KINDS
from ui import cached
from ui.context import page_context
from ui.tables import show_table
from ui.text import describe_plain, plain

ctx = page_context()
st.title(ctx.t("data.title"))

summaries = cached.table_summaries(ctx.path, ctx.fingerprint)
today = system_clock()
st.subheader(ctx.t("data.tables"))
show_table(
    pd.DataFrame(
        {
            ctx.t("data.col_table"): [s.table for s in summaries],
            ctx.t("data.col_rows"): [s.rows for s in summaries],
            ctx.t("data.col_first"): [format_date(s.first, ctx.lang) for s in summaries],
            ctx.t("data.col_last"): [format_date(s.last, ctx.lang) for s in summaries],
            ctx.t("data.col_age_days"): [
                (today - s.last).days if s.last else None for s in summaries
            ],
        }
    ),
    hide_index=True,
    width="stretch",
    key="table-summaries",
)

preview_table = st.selectbox(ctx.t("data.preview_table"), PREVIEW_TABLES, key="preview-table")
show_table(
    cached.table_preview(ctx.path, ctx.fingerprint, preview_table, 20),
    file_name=f"{preview_table}.csv",
    hide_index=True,
    width="stretch",
)

st.subheader(ctx.t("data.upload"))
st.caption(ctx.t("data.upload_help"))
with st.form("upload", clear_on_submit=False):
    kind = st.selectbox(ctx.t("data.kind"), list(KINDS), key="upload-kind")
    files = st.file_uploader(
        ctx.t("data.files"),
        type=["csv", "parquet", "pq", "txt"],
        accept_multiple_files=True,
        key="upload-files",
    )
    encoding = st.selectbox(
        ctx.t("data.encoding"),
        ["auto", "utf-8", "cp932"],
        format_func=lambda e: ctx.t("data.encoding_auto") if e == "auto" else e,
    )
    reason = st.text_input(ctx.t("data.reason"))
    submitted = st.form_submit_button(ctx.t("data.load"), type="primary")

if submitted:
    if not files:
        st.warning(ctx.t("data.no_files"))
    else:
        progress = st.progress(0.0, ctx.t("data.reading"))

        def show_progress(report: IngestProgress) -> None:
            label = ctx.t(f"data.step_{report.step}", file=plain(report.file))
            progress.progress(report.fraction or 0.0, label)

        with tempfile.TemporaryDirectory(prefix="yardstick-upload-") as folder:
            paths = []
            for index, upload in enumerate(files):
                path = Path(folder) / f"{index}{Path(upload.name).suffix or '.csv'}"
                path.write_bytes(upload.getvalue())
                paths.append(path)
            try:
                result = load_files(
                    ctx.settings,
                    kind,
                    paths,
                    display_names=[f.name for f in files],
                    encoding=None if encoding == "auto" else encoding,
                    on_progress=show_progress,
                    reason=reason or None,
                )
            except IngestError as error:
                progress.empty()
                # File names and cells are the user's text: shown as plain text, never Markdown.
                st.error(ctx.t("data.refused"), icon=":material/block:")
                st.code("\n".join(refusal_lines(error, ctx.lang)), language=None, wrap_lines=True)
            except YardstickError as error:
                progress.empty()
                st.error(describe_plain(error, ctx.lang), icon=":material/block:")
            else:
                progress.empty()
                cached.clear_after_write()
                st.success(
                    ctx.t(
                        "data.loaded",
                        kind=result.kind,
                        new=result.new_rows,
                        present=result.already_present,
                    ),
                    icon=":material/check_circle:",
                )

st.subheader(ctx.t("data.audit"))
show_table(
    cached.recent_audit(ctx.path, ctx.fingerprint, 20),
    file_name="audit.csv",
    hide_index=True,
    width="stretch",
)

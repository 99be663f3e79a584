"""Data: what the store holds, how fresh it is, loading files, and the audit log."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from core.clock import system_clock
from core.errors import YardstickError
from i18n.format import format_date, format_timestamp
from i18n.ingest import refusal_lines
from services.browse import PREVIEW_TABLES
from services.loading import (
    IngestError,
    IngestProgress,
    IngestResult,
    load_files,
    upload_folder,
)
from services.store import KINDS
from ui import cached
from ui.context import PageContext, page_context
from ui.tables import show_table
from ui.text import describe_plain, plain

# How many recent loads the page lists (`python cli.py batches --limit N` lists more).
RECENT_LOADS = 10


def show_loaded_batches(result: IngestResult, context: PageContext) -> None:
    """Each file's batch id (what `delete --batch` takes) and each file skipped as loaded before.

    File names are the user's text: escaped, never read as Markdown.
    """
    for batch in result.batches:
        st.caption(
            context.t(
                "data.batch_added", batch=batch.batch_id, file=plain(batch.file), rows=batch.rows
            )
        )
    for skipped in result.already_loaded:
        if skipped.batch_id is not None:
            text = context.t(
                "data.already_loaded", file=plain(skipped.file), batch=skipped.batch_id
            )
        else:
            text = context.t(
                "data.already_loaded_in_upload",
                file=plain(skipped.file),
                same_as=plain(skipped.same_as),
            )
        st.info(text, icon=":material/content_copy:")


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
        ["auto", "utf-8", "cp932", "utf-16-le", "utf-16-be"],
        format_func=lambda e: ctx.t("data.encoding_auto") if e == "auto" else e,
    )
    allow_future = st.checkbox(ctx.t("data.allow_future"), help=ctx.t("data.allow_future_help"))
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

        with upload_folder() as folder:
            paths = []
            for index, upload in enumerate(files):
                path = folder / f"{index}{Path(upload.name).suffix or '.csv'}"
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
                    allow_future=allow_future,
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
                ctx = cached.after_write(ctx)
                st.success(
                    ctx.t(
                        "data.loaded",
                        kind=result.kind,
                        new=result.new_rows,
                        present=result.already_present,
                    ),
                    icon=":material/check_circle:",
                )
                show_loaded_batches(result, ctx)

st.subheader(ctx.t("data.loads"))
loads = cached.recent_batches(ctx.path, ctx.fingerprint, RECENT_LOADS)
if loads:
    show_table(
        pd.DataFrame(
            {
                ctx.t("data.col_batch"): [b.batch_id for b in loads],
                ctx.t("data.col_kind"): [b.kind or "" for b in loads],
                # Batch 0 is no file: the store names it in English, the page in the reader's
                # language.
                ctx.t("data.col_file"): [
                    ctx.t("data.pre_batch") if b.batch_id == 0 else b.file_name for b in loads
                ],
                ctx.t("data.col_rows_added"): [b.rows for b in loads],
                ctx.t("data.col_loaded_by"): [b.actor for b in loads],
                ctx.t("data.col_loaded_at"): [
                    format_timestamp(b.loaded_at, ctx.lang) for b in loads
                ],
                ctx.t("data.col_deleted_at"): [
                    format_timestamp(b.deleted_at, ctx.lang) for b in loads
                ],
            }
        ),
        file_name="loads.csv",
        hide_index=True,
        width="stretch",
        key="recent-loads",
    )
else:
    st.caption(ctx.t("data.no_loads"))
st.caption(ctx.t("data.delete_load_help"))
st.code(f'python cli.py delete --db "{ctx.path}" --batch N --reason "..."', language="bash")

st.subheader(ctx.t("data.audit"))
show_table(
    cached.recent_audit(ctx.path, ctx.fingerprint, 20),
    file_name="audit.csv",
    hide_index=True,
    width="stretch",
)

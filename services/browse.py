"""What the store holds, for the shell of the dashboard (the sidebar, Overview and Data pages).

Each function is one read on one read-only connection. The rows come back aggregated or capped
(summaries, the latest values, a preview of at most `limit` rows), never event-level.
"""

from __future__ import annotations

import pandas as pd

from core.clock import Clock, system_clock
from data import reads
from data.reads import PREVIEW_TABLES, TableSummary
from data.store import StoreSettings

__all__ = [
    "PREVIEW_TABLES",
    "TableSummary",
    "families",
    "is_demo_store",
    "latest_offline_metrics",
    "latest_online_metrics",
    "live_models",
    "models",
    "recent_audit",
    "recent_offline_series",
    "recent_online_series",
    "store_fingerprint",
    "table_preview",
    "table_summaries",
]

store_fingerprint = reads.store_fingerprint
table_summaries = reads.table_summaries
is_demo_store = reads.is_demo_store
families = reads.families
models = reads.models
latest_offline_metrics = reads.latest_offline_metrics
latest_online_metrics = reads.latest_online_metrics
recent_online_series = reads.recent_online_series
recent_offline_series = reads.recent_offline_series
table_preview = reads.table_preview
recent_audit = reads.recent_audit


def live_models(
    settings: StoreSettings, family: str | None = None, clock: Clock = system_clock
) -> pd.DataFrame:
    """The production version of each family live now (by `clock`): deployed, not retired."""
    return reads.live_models(settings, clock(), family)

"""A store written by a newer Yardstick is read by the dashboard with a warning, in both
languages, and left unchanged (Streamlit AppTest)."""

from __future__ import annotations

import duckdb
import pytest

from data.store import StoreSettings, latest_schema_version
from i18n.catalogue import translate
from tests.data.factories import table_checksums
from tests.factories import dashboard
from ui.text import plain


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_a_store_of_a_newer_version_is_read_with_a_warning(
    private_app_env: StoreSettings, lang: str
) -> None:
    con = duckdb.connect(str(private_app_env.path))
    con.execute("INSERT INTO schema_version VALUES (999, 'from_the_future', now())")
    con.close()
    before = table_checksums(private_app_env.path)

    app = dashboard(lang, timeout_s=90)
    app.run()

    assert not app.exception, app.exception
    assert [w.value for w in app.warning] == [
        translate(
            lang,
            "error.store.newer_schema_read",
            path=plain(private_app_env.path),
            found=999,
            latest=latest_schema_version(),
        )
    ]
    assert app.title, "the page is still shown"
    assert table_checksums(private_app_env.path) == before

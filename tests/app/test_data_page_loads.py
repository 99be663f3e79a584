"""The Data page names each load's batch, says when a file was already loaded, lists the recent
loads and how to remove one, in both languages (Streamlit AppTest)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from data.store import StoreSettings
from i18n.catalogue import translate
from services.loading import recent_batches
from tests.factories import dashboard
from ui.text import plain

TIMEOUT_S = 90
FILE_NAME = "*clicks*_[x](y).csv"
EVENTS = b"unit_id,event,value,ts\nu1,click,1,2026-11-20 10:00:00\nu2,click,1,2026-11-20 10:01:00\n"


def _upload(app: AppTest) -> None:
    app.selectbox(key="upload-kind").set_value("events")
    app.file_uploader(key="upload-files").set_value((FILE_NAME, EVENTS, "text/csv"))
    app.button[0].click()
    app.run()
    assert not app.exception, app.exception


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_an_upload_names_its_batch_and_a_second_upload_of_it_adds_nothing(
    app_env: StoreSettings, lang: str
) -> None:
    app = dashboard(lang, "pages/data.py", timeout_s=TIMEOUT_S)
    app.run()

    _upload(app)
    (batch,) = recent_batches(app_env, 1)
    captions = [c.value for c in app.caption]
    # The file name is the user's text: escaped, so Markdown shows it word for word.
    assert translate(
        lang, "data.batch_added", batch=batch.batch_id, file=plain(FILE_NAME), rows=2
    ) in (captions)
    _upload(app)

    assert [i.value for i in app.info] == [
        translate(lang, "data.already_loaded", file=plain(FILE_NAME), batch=batch.batch_id)
    ]
    assert recent_batches(app_env, 1) == (batch,)
    (loads,) = [
        d.value for d in app.dataframe if translate(lang, "data.col_batch") in d.value.columns
    ]
    assert list(loads.iloc[0, :4]) == [batch.batch_id, "events", FILE_NAME, 2]
    assert translate(lang, "data.delete_load_help") in [c.value for c in app.caption]
    assert any(f'python cli.py delete --db "{app_env.path}" --batch N' in c.value for c in app.code)

"""User values are escaped before they meet catalogue wording; the wording itself is untouched."""

from __future__ import annotations

from core.errors import Unavailable, YardstickError
from i18n.experiments import reason_message
from ui.text import chart_text, describe_plain, plain, plain_values, unavailable_plain

PAYLOAD = "![x](http://127.0.0.1:9/i.png)"
ESCAPED = "!\\[x\\](http\\:\u2060//127.0.0.1\\:9/i.png)"


def test_plain_escapes_the_value() -> None:
    assert plain(PAYLOAD) == ESCAPED
    assert chart_text("<img src=x>") == "&lt;img src=x&gt;"


def test_plain_values_escape_text_and_keep_numbers_for_format_specs() -> None:
    values = plain_values({"metric": "*ctr*", "p_value": 0.01234, "names": ["[a]", "b"]})
    assert values["metric"] == "\\*ctr\\*"
    assert values["names"] == ["\\[a\\]", "b"]
    assert reason_message("en", "primary_better", values) == (
        "The primary metric \\*ctr\\* improved significantly (raw p = 0.012)."
    )


def test_describe_plain_escapes_values_and_their_repr_but_not_the_catalogue() -> None:
    error = YardstickError("ingest.unknown_kind", kind=PAYLOAD, kinds="events")
    for lang in ("en", "ja"):
        shown = describe_plain(error, lang)
        # `{kind!r}` quotes the value: the value inside the quotes is escaped too.
        assert f"'{ESCAPED}'" in shown
        assert "](" not in shown.replace("\\]", "")
    assert describe_plain(error, "en").startswith("unknown kind ")


def test_describe_plain_escapes_the_file_it_names() -> None:
    error = YardstickError("ingest.unknown_encoding", origin="[f](javascript:x).csv", encoding="x")
    assert "\\[f\\](javascript\\:x).csv" in describe_plain(error, "en")


def test_unavailable_experiment_values_are_escaped() -> None:
    unavailable = Unavailable("ingest.unknown_encoding", {"encoding": "<b>"})
    assert "\\<b\\>" in unavailable_plain("en", unavailable)

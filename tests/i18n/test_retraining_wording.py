"""The CLI's wording of a retraining error names the flag at fault (every code is worded in both
languages: test_error_codes)."""

from __future__ import annotations

from commands.retrain import flag_error
from core.errors import YardstickError
from i18n.errors import describe


def test_the_cli_names_the_flag_and_its_partner() -> None:
    error = YardstickError(
        "retrain.gain_partner_missing", field="uplift_se", partner_field="uplift"
    )
    assert (
        describe(flag_error(error), "en")
        == "--uplift-se is missing: it goes together with --uplift"
    )
    japanese = describe(flag_error(error), "ja")
    assert "--uplift-se" in japanese and "--uplift" in japanese

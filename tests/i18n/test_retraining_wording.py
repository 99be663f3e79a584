"""Every error code of retraining and reports is worded in both languages, and the CLI's wording
names the flag at fault."""

from __future__ import annotations

import re

import pytest

from commands.retrain import flag_error
from core.errors import YardstickError
from i18n.catalogue import LANGUAGES, catalogue
from i18n.errors import describe
from tests.conftest import ROOT

SOURCES = (
    "kpi/checks.py",
    "kpi/economics.py",
    "kpi/plan.py",
    "kpi/retraining.py",
    "services/retraining.py",
    "reports/retraining.py",
    "commands/report.py",
)


def raised_codes() -> set[str]:
    codes: set[str] = set()
    for source in SOURCES:
        text = (ROOT / source).read_text(encoding="utf-8")
        codes |= set(re.findall(r'YardstickError\(\s*"([a-z_.]+)"', text))
    return codes


def test_the_sources_raise_codes() -> None:
    assert {"retrain.negative", "retrain.plan_needed", "report.unknown_format"} <= raised_codes()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_raised_code_is_worded(lang: str) -> None:
    missing = [code for code in raised_codes() if f"error.{code}" not in catalogue(lang)]
    assert missing == []


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

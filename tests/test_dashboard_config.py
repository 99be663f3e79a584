"""The dashboard's shipped settings: it listens on this machine only (it has write forms and no
sign-in yet) and offers no export of its own that would keep a formula live."""

from __future__ import annotations

import tomllib

from tests.conftest import ROOT

CONFIG = ROOT / ".streamlit" / "config.toml"


def test_streamlit_run_binds_to_the_loopback_address_unless_configured_otherwise() -> None:
    settings = tomllib.loads(CONFIG.read_text(encoding="utf-8"))

    assert settings["server"]["address"] == "127.0.0.1"
    assert settings["client"]["disableDataExport"] is True


def test_the_readme_says_how_to_serve_the_dashboard_to_a_team() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")

    assert "## Serving the dashboard to a team" in readme
    assert "--server.address" in readme and "sign-in" in readme

"""The dashboard's shipped settings: it listens on this machine only (it has write forms and no
sign-in yet) and offers no export of its own that would keep a formula live."""

from __future__ import annotations

import tomllib

from tests.factories import ROOT

CONFIG = ROOT / ".streamlit" / "config.toml"


def test_streamlit_run_binds_to_the_loopback_address_unless_configured_otherwise() -> None:
    settings = tomllib.loads(CONFIG.read_text(encoding="utf-8"))

    assert settings["server"]["address"] == "127.0.0.1"
    assert settings["client"]["disableDataExport"] is True


def test_the_readme_says_how_to_serve_the_dashboard_to_a_team() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")

    assert "## Serving the dashboard to a team" in readme
    assert "--server.address" in readme and "sign-in" in readme


def test_the_dashboard_serves_readers_not_editors() -> None:
    """No file watching (it cost each visit more server CPU than the page: docs/benchmarks.md)
    and a reader's toolbar (no Deploy button, no developer options)."""
    settings = tomllib.loads(CONFIG.read_text(encoding="utf-8"))

    assert settings["server"]["fileWatcherType"] == "none"
    assert settings["client"]["toolbarMode"] == "viewer"
    from streamlit import config

    # Values Streamlit knows (an unknown one would be ignored with a warning in the server log).
    options = config.get_config_options()
    assert "none" in options["server.fileWatcherType"].description
    assert "viewer" in options["client.toolbarMode"].description

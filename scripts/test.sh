#!/usr/bin/env bash
# Installs everything the tests need (Python packages, Chromium, Japanese fonts) and runs the whole
# suite. `.ci/run` runs exactly this script. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${VIRTUAL_ENV:-}" ]; then
  [ -x .venv/bin/python ] || python3 -m venv .venv
  # shellcheck disable=SC1091
  source .venv/bin/activate
fi
python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt

# A real browser for the end-to-end tests (Debian's chromium where apt exists, else Playwright's
# own), and Japanese fonts so screenshots of Japanese pages can be read.
have_browser() { command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; }
have_cjk_fonts() { fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; }
if command -v apt-get >/dev/null 2>&1; then
  if ! have_browser || ! have_cjk_fonts; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
  fi
elif ! have_browser; then
  python -m playwright install chromium
fi

ruff check .
exec python -m pytest "$@"

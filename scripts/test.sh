#!/usr/bin/env bash
# Installs everything the tests need (Python packages, Chromium, Japanese fonts, faketime) and runs
# the whole suite. `.ci/run` runs exactly this script. Extra arguments go to pytest.
#
# In CI (CI=true) the unit and AppTest suite runs a second time under faketime, 400 days ahead:
# the suite freezes Yardstick's clock (YARDSTICK_NOW), so anything that reads the wall clock
# behind core.clock shows up as a failure there.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${VIRTUAL_ENV:-}" ]; then
  [ -x .venv/bin/python ] || python3 -m venv .venv
  # shellcheck disable=SC1091
  source .venv/bin/activate
fi
python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt

# The suite starts two test workers and hundreds of `python cli.py` processes. Let Python keep
# the modules it compiles (`__pycache__/`, ignored by git) so that each process reads them instead
# of compiling the product and the tests again: a host that sets PYTHONDONTWRITEBYTECODE made every
# process compile them anew (pytest's assertion rewriting too), about 6 s of each worker's start.
unset PYTHONDONTWRITEBYTECODE

# A real browser for the end-to-end tests (Debian's chromium where apt exists, else Playwright's
# own), and Japanese fonts so screenshots of Japanese pages can be read.
have_browser() { command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; }
have_cjk_fonts() { fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; }
have_faketime() { command -v faketime >/dev/null 2>&1; }
if command -v apt-get >/dev/null 2>&1; then
  if ! have_browser || ! have_cjk_fonts || ! have_faketime; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-noto-cjk faketime \
      >/dev/null
  fi
elif ! have_browser; then
  python -m playwright install chromium
fi

ruff check .
lint-imports --no-cache
bash scripts/typecheck.sh
if [ $# -gt 0 ]; then
  exec python -m pytest "$@"
fi

# The unit and AppTest suite on both cores (pytest-xdist; worksteal hands a waiting core tests
# queued on the other, so one slow file does not leave a core idle at the end), then the
# Chromium tests (tests/e2e/, collected alone), which start servers and browsers of their own,
# one at a time.
python -m pytest -m "not e2e" -n 2 --dist worksteal
python -m pytest -m e2e tests/e2e

if [ "${CI:-}" = "true" ]; then
  echo "--- the suite again on a clock 400 days ahead (faketime) ---"
  faketime -f "+400d" python -m pytest -q -p no:cacheprovider -m "not e2e" -n 2 --dist worksteal
fi

#!/usr/bin/env bash
# The type checker over the project (its settings: pyproject.toml [tool.mypy]): basic for the
# faces and the store, strict for core, kpi, experiments, monitoring and services. Tests, benchmarks and the
# virtual environment are not checked. Extra arguments go to mypy (e.g. a single package).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$#" -gt 0 ]; then
  exec python -m mypy "$@"
fi
exec python -m mypy

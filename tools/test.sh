#!/usr/bin/env bash
# The test suite: sets up .venv, builds the kernels, runs pytest.
# Extra arguments go to pytest.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/tools/bootstrap.sh"
cd "$ROOT"
exec python -m pytest -q -p no:cacheprovider "$@"

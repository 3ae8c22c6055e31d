#!/usr/bin/env bash
# The main job on built-in data: sets up .venv, builds, runs `analogfe compare`.
# Extra arguments go to `analogfe compare` (e.g. -o DIR, --quiet).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/tools/bootstrap.sh"
cd "$ROOT"
exec analogfe compare "$@"

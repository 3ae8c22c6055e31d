#!/usr/bin/env bash
# Create .venv (once), install analogfe with its test and benchmark extras,
# and build the Cython kernels in place. Sourced by run.sh and test.sh.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${ANALOGFE_VENV:-$ROOT/.venv}"
PY="${PYTHON:-python3}"
say() { echo "analogfe set-up: $*" >&2; }
if [ ! -x "$VENV/bin/python" ]; then
    say "creating $VENV"
    "$PY" -m venv "$VENV"
fi
STAMP="$VENV/.analogfe-deps"
WANT="$(cat "$ROOT/pyproject.toml" "$ROOT/constraints.txt" | sha1sum | cut -c1-40)"
if [ "$(cat "$STAMP" 2>/dev/null)" != "$WANT" ]; then
    say "installing analogfe and its dependencies into $VENV (a few minutes the first time)"
    "$VENV/bin/pip" install -q --upgrade pip setuptools wheel "Cython>=3.0" numpy
    # constraints.txt pins the CPU build of torch and OpenCV 4 (HOG benchmark).
    # setuptools warns, in a 14-line box, that an editable install imports
    # from this folder: that is the point of it (kernels built in place).
    PYTHONWARNINGS="ignore:Editable installation" \
        "$VENV/bin/pip" install -q -c "$ROOT/constraints.txt" -e "$ROOT[test,bench]" --no-build-isolation
    echo "$WANT" > "$STAMP"
fi
# Always rebuild the kernels in place (fast when nothing changed).
say "building the Cython kernels"
(cd "$ROOT" && "$VENV/bin/python" setup.py -q build_ext --inplace >/dev/null)
say "ready"
export PATH="$VENV/bin:$PATH"

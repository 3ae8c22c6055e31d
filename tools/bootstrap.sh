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
# pip, showing one line per package it collects and installs (the whole log
# in $VENV/pip.log, and its end on failure).
pip_step() {
    local log="$VENV/pip.log" pid
    : >"$log"
    "$VENV/bin/pip" "$@" --progress-bar off >>"$log" 2>&1 &
    pid=$!
    tail -n +1 -f --pid="$pid" "$log" 2>/dev/null \
        | { grep --line-buffered -E '^(Collecting|Building|Installing collected|Successfully)' || true; } \
        | sed -u 's/^/analogfe set-up:   /' >&2
    if ! wait "$pid"; then
        say "pip failed; the end of $log:"
        tail -n 20 "$log" >&2
        return 1
    fi
}
if [ "$(cat "$STAMP" 2>/dev/null)" != "$WANT" ]; then
    say "installing analogfe and its dependencies into $VENV (a few minutes the first time)"
    say "step 1/3: pip, setuptools, wheel, Cython and numpy"
    pip_step install --upgrade pip setuptools wheel "Cython>=3.0" numpy
    # constraints.txt pins the CPU build of torch and OpenCV 4 (HOG benchmark).
    # setuptools warns, in a 14-line box, that an editable install imports
    # from this folder: that is the point of it (kernels built in place).
    say "step 2/3: analogfe with its test and benchmark extras (torch CPU, scikit-learn, dask, ...)"
    PYTHONWARNINGS="ignore:Editable installation" \
        pip_step install -c "$ROOT/constraints.txt" -e "$ROOT[test,bench]" --no-build-isolation
    echo "$WANT" > "$STAMP"
fi
# Always rebuild the kernels in place (fast when nothing changed).
say "step 3/3: building the Cython kernels (fast when nothing changed)"
(cd "$ROOT" && "$VENV/bin/python" setup.py -q build_ext --inplace >/dev/null)
say "ready"
export PATH="$VENV/bin:$PATH"

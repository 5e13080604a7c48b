#!/usr/bin/env bash
# The language packages, built from scratch and tested: the Python wheel
# (bindings/python) with maturin, installed into a fresh virtualenv, then its
# pytest suite (API, emulator, the example app, and the shared conformance
# vectors in vectors/).
#
# Installs what it needs itself, under target/bindings-check/: a venv with
# maturin and pytest (pip, from PyPI). Needs python3 (3.9 or later) with
# venv, and network access to PyPI the first time.
#
#   scripts/bindings-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
WORK=target/bindings-check
VENV="$WORK/venv"

step() { printf '\n== %s\n' "$*"; }

step "python: a fresh venv with maturin and pytest"
rm -rf "$VENV" "$WORK/wheels"
mkdir -p "$WORK"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet "maturin>=1.7,<2" "pytest>=7"

step "python: build the abi3 wheel (release)"
# PyO3 finds the interpreter to build against through PYO3_PYTHON.
PYO3_PYTHON="$PWD/$VENV/bin/python" "$VENV/bin/maturin" build --release \
    --manifest-path bindings/python/Cargo.toml --out "$WORK/wheels"
wheel=$(ls "$WORK"/wheels/cf_stream_token-*-abi3-*.whl)
echo "$wheel"

step "python: install the wheel and run pytest"
"$VENV/bin/python" -m pip install --quiet --force-reinstall "$wheel"
# From the tests' folder, so that `import cf_stream_token` is the installed
# wheel, never the source tree.
(cd bindings/python/tests && "../../../$VENV/bin/python" -m pytest -q -p no:cacheprovider .)

echo
echo "bindings-check: ok"

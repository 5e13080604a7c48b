#!/usr/bin/env bash
# The language packages, built from scratch and tested against the shared
# conformance vectors (vectors/) and the emulator:
#
# - Python (bindings/python): the abi3 wheel built with maturin, installed
#   into a fresh virtualenv, then its pytest suite;
# - JavaScript (bindings/js): the wasm32 module and its wasm-bindgen glue,
#   the package installed with npm into a fresh folder, then `node --test`,
#   and the conformance vectors through the installed package in Node 18,
#   Deno, Bun and workerd (the Workers entry, through miniflare).
#
# Installs what it needs itself, under target/bindings-check/: a venv with
# maturin, pytest and Flask (pip, from PyPI), the npm install, and Node 18,
# deno, bun and miniflare from npm (their packages carry the binaries). Needs python3
# (3.9 or later) with venv, Node 18+ and npm, the wasm32-unknown-unknown
# target and wasm-bindgen-cli 0.2.129 (.ci/run installs those two first).
#
#   scripts/bindings-check.sh            # both
#   BINDINGS_CHECK_JS=0 scripts/bindings-check.sh   # Python only
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
WORK=target/bindings-check
VENV="$WORK/venv"

step() { printf '\n== %s\n' "$*"; }

step "python: a fresh venv with maturin, pytest and Flask (the example's framework)"
rm -rf "$VENV" "$WORK/wheels"
mkdir -p "$WORK"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet "maturin>=1.7,<2" "pytest>=7" "flask>=3,<4"

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

if [ "${BINDINGS_CHECK_JS:-1}" != 0 ]; then
    step "js: build the wasm module (release) and its glue"
    rm -rf bindings/js/pkg
    bindings/js/build.sh

    step "js: the CLI, whose emulator the example's test plays on"
    cargo build --quiet --features cli --bin cf-stream-token
    bin="$PWD/${CARGO_TARGET_DIR:-target}/debug/cf-stream-token"

    step "js: npm install ./bindings/js into a fresh folder, then node --test"
    rm -rf "$WORK/npm"
    mkdir -p "$WORK/npm"
    (cd "$WORK/npm" && npm init -y >/dev/null &&
        npm install --no-audit --no-fund --loglevel=error "$OLDPWD/bindings/js" >/dev/null)
    test -f "$WORK/npm/node_modules/cf-stream-token/index.js"
    (cd bindings/js && CF_STREAM_TOKEN_BIN="$bin" node --test \
        test/api.test.mjs test/vectors.test.mjs test/emulator.test.mjs)

    step "js: the TypeScript types (deno check), and the conformance vectors in Node 18, Deno and Bun, through the installed package"
    # Pinned: a runtime's new release must not change what CI proves. The
    # npm package `node@18` carries Node 18's binary (the oldest supported).
    (cd "$WORK/npm" && npm install --no-audit --no-fund --loglevel=error \
        node@18.20.8 deno@2.9.6 bun@1.4.5 miniflare@4.20260426.0 >/dev/null)
    cp bindings/js/test/cases.mjs bindings/js/test/conformance.mjs bindings/js/test/types.ts "$WORK/npm/"
    (cd "$WORK/npm" &&
        node_modules/.bin/deno check types.ts &&
        node_modules/.bin/node conformance.mjs "$OLDPWD" &&
        node_modules/.bin/deno run --allow-read conformance.mjs "$OLDPWD" &&
        node_modules/.bin/bun conformance.mjs "$OLDPWD")

    step "js: the package inside workerd (its \"workerd\" entry, through miniflare)"
    node bindings/js/test/workerd/run.mjs "$PWD" "$PWD/$WORK/npm"
fi

echo
echo "bindings-check: ok"

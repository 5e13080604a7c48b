#!/usr/bin/env bash
# Build the Rust Worker, run it in workerd (miniflare), request a signed HLS
# URL, check the token with the crate's native verifier, and time it against
# the JavaScript baseline. The last line of output is the token.
#
# Needs: the wasm32-unknown-unknown target, wasm-bindgen-cli 0.2.129 (the
# version the crate pins), Node 18+ and npm. `.ci/run` installs the first two.
# BENCH_N=0 skips the timing; BENCH_N / BENCH_ROUNDS set its size.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$here"

echo "== build (release, wasm32-unknown-unknown)" >&2
cargo build --release --target wasm32-unknown-unknown --locked
wasm-bindgen --target web --out-dir pkg \
    target/wasm32-unknown-unknown/release/cf_stream_token_worker.wasm
wasm="pkg/cf_stream_token_worker_bg.wasm"
echo "size $(wc -c <"$wasm") bytes wasm, $(gzip -9 -c "$wasm" | wc -c) bytes gzip -9;" \
    "with the JS glue and shim: $(cat "$wasm" pkg/cf_stream_token_worker.js worker.mjs | gzip -9 -c | wc -c) bytes gzip -9" >&2

echo "== npm ci (miniflare, which ships workerd)" >&2
npm ci --no-audit --no-fund --loglevel=error >&2
test -x node_modules/@cloudflare/workerd-linux-64/bin/workerd ||
    test -n "$(ls node_modules/@cloudflare/workerd-*/bin/workerd 2>/dev/null)"

echo "== run in workerd" >&2
out="$(node run.mjs)"
printf '%s\n' "$out" | grep -v '^token ' >&2
token="$(printf '%s\n' "$out" | sed -n 's/^token //p')"
test -n "$token"

echo "== verify with the native verifier" >&2
(cd "$root" && printf '%s' "$token" |
    cargo run --quiet --features cli -- verify --key fixtures/demo/demo_public_spki.pem -) >&2

printf '%s\n' "$token"
